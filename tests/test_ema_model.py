"""The model as an EMA Workbench model: experiments run, outcomes pair with a reference, PRIM works.

A researcher doing scenario discovery hands the model to ``perform_experiments`` and the
results to PRIM; the adapter must give EMA plain outcomes per experiment, the reform's ratio
to the regime without it under the same assumptions, and the same numbers for the same seed.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ema_workbench", reason="the discovery extra: pip install mlatsim[discovery]")

from sim.config.loading import NO_CALIBRATION, load_scenario
from sim.errors import InputError
from sim.experiments.ema_model import ema, ema_model, ema_name, prim

LEVER = '[[levers]]\nlever = "ca_staffing"\nstrength = 1.0\nstates = ["USA"]\n'
UNCERTAIN = {"routing.pursuit_scale": (0.06, 0.5), "routing.urgent_patience": (0.1, 0.5)}


def _models(tmp_path, write_tiny):
    reform = write_tiny(tmp_path, name="reform", replications=1, scale=0.02, extra=LEVER)
    regime = write_tiny(tmp_path, name="regime", replications=1, scale=0.02)
    return (load_scenario(path, NO_CALIBRATION) for path in (reform, regime))


# ema_workbench 3.0's PRIM calls DataFrame.drop(inplace=True), which pandas 3.1 deprecates;
# the result is unaffected, and the fix belongs to the workbench.
@pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.drop is deprecated:pandas.errors.Pandas4Warning"
)
def test_perform_experiments_and_prim_run_on_the_model(tmp_path, write_tiny):
    """Five experiments: outcomes per experiment, ratios against the reference, a PRIM box."""
    reform, regime = _models(tmp_path, write_tiny)
    model = ema_model(
        reform,
        ["share_met", "median_days"],
        UNCERTAIN,
        levers={"levers.0.strength": (0.5, 1.5)},
        reference=regime,
    )
    experiments, outcomes = ema.perform_experiments(
        model,
        scenarios=5,
        policies=1,
        evaluator=ema.SequentialEvaluator(model),
        uncertainty_sampling_kwargs={"rng": 3},
        lever_sampling_kwargs={"rng": 3},
    )
    assert len(experiments) == 5
    assert {ema_name(path) for path in UNCERTAIN} <= set(experiments.columns)
    assert "levers__0__strength" in experiments.columns
    ratio = outcomes["share_met_ratio"]
    np.testing.assert_allclose(ratio, outcomes["share_met"] / outcomes["share_met_reference"])
    assert np.isfinite(ratio).all()
    # More pursuit makes more requests: the share of needs met moves with the pursuit scale.
    assert np.ptp(outcomes["share_met_reference"]) > 0
    # The same values give the same outcomes (common random numbers: one seed for all).
    names = [ema_name(path) for path in UNCERTAIN] + ["levers__0__strength"]
    first = experiments.iloc[0]
    again = model.function(**{name: first[name] for name in names})
    assert again["share_met"] == outcomes["share_met"][0]
    x = experiments[[ema_name(path) for path in UNCERTAIN]]
    y = outcomes["share_met_reference"] > np.median(outcomes["share_met_reference"])
    box = prim.Prim(x, y).find_box()
    assert box is not None and len(box.peeling_trajectory) >= 1


def test_a_range_its_field_refuses_is_an_input_error(tmp_path, write_tiny):
    """A probability of 1.5 in a range: refused before any experiment, naming the field."""
    reform, _ = _models(tmp_path, write_tiny)
    with pytest.raises(InputError) as caught:
        ema_model(reform, ["share_met"], {"routing.urgent_patience": (0.1, 1.5)})
    assert "routing.urgent_patience" in str(caught.value)
