"""The requested state's review (``sim.rules.legal_review``) in runs of the model.

The requesting state's clarification factor scales its returns, and the data-protection
review never refuses among EU/EEA states or towards a state with law-enforcement adequacy.
"""

import pytest
from model_runs import (
    finished,
    make_scenario,
    only,
    quiet,
    run_model,
)

from sim.vocabulary import CHANNELS
from sim.world.data import WorldData, load_world_data


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def test_clarification_factor_scales_returns(data: WorldData) -> None:
    """A state with clarification factor 0 (perfect forms) is never sent back."""
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        only("bilateral_mlat"),
        quiet(),
        {
            "channels": {"bilateral_mlat": {"p_clarify": 1.0, "max_clarifications": 1}},
            "preservation": {"enabled": False},
            "states": {"GBR": {"clarification_factor": 0.0}, "USA": {"clarification_factor": 1.0}},
        },
        days=365,
    )
    _, frame = run_model(data, scenario)
    done = finished(frame)
    from_gbr = done["requesting"] == "GBR"
    assert from_gbr.sum() > 20
    assert (~from_gbr).sum() > 20
    assert (done.loc[from_gbr, "clarifications"] == 0).all()
    assert set(done.loc[~from_gbr, "reason"].astype(str)) == {"too_many_clarifications"}


def test_no_data_protection_refusals_among_eu_states_and_gbr(data: WorldData) -> None:
    """Between EU/EEA states and towards the UK the data-protection review never refuses."""
    codes = ["DEU", "FRA", "GBR", "NLD"]
    changes = {
        "channels": {name: {"p_refuse_data_protection": 1.0} for name in CHANNELS},
    }
    _, frame = run_model(data, make_scenario(codes, changes, days=365))
    assert len(finished(frame)) > 200
    assert "data_protection" not in set(frame["reason"].astype(str))
