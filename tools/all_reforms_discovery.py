"""Scenario discovery: when does the package of all reforms fail to halve the formal MLA median?

See docs/experiments.md ("Scenario discovery"); the results are in docs/sensitivity.md.
Run from the repository root (needs the discovery extra, ``pip install -e '.[discovery]'``)::

    .venv/bin/python tools/all_reforms_discovery.py --experiments 40 --processes 2

The reform is the levers of ``scenarios/all_reforms.toml`` laid on the reduced world of
``scenarios/sensitivity/reduced_world.toml`` (a lever's states and partners outside that
world are left out; a lever left with no state and no group is dropped); the reference is the
same world without them. Five assumed parameters are sampled by Latin hypercube (seeded);
each experiment runs both with one replication and the same seed, so
``formal_mla_median_days_ratio`` is the reform's effect under those assumptions. PRIM then
looks for the box of assumptions where the ratio stays above one half (or, when every
experiment is on one side of it, above its median: where the reform gains least). The
experiments and outcomes go to ``results/discovery/all_reforms.csv``.
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np

from sim.config.loading import default_calibration, read_settings, scenario_from_settings
from sim.config.schema import Scenario
from sim.experiments.ema_model import ema, ema_model, ema_name, prim

ROOT = Path(__file__).resolve().parents[1]
WORLD = ROOT / "scenarios" / "sensitivity" / "reduced_world.toml"
REFORMS = ROOT / "scenarios" / "all_reforms.toml"
UNCERTAINTIES = {
    "routing.urgent_patience": (0.1, 0.5),
    "crime_types.online_fraud.patience_days": (90.0, 360.0),
    "demand.extra_holders_mean": (0.2, 0.8),
    "channels.bilateral_mlat.p_clarify": (0.1, 0.35),
    "channels.bilateral_mlat.urgent_factor": (0.3, 0.8),
}
METRICS = ["formal_mla_median_days", "share_met"]
OUTCOME = "formal_mla_median_days_ratio"
HALF = 0.5


def scenarios() -> tuple[Scenario, Scenario]:
    """The reform (all reforms on the reduced world) and the regime without it."""
    settings = read_settings(WORLD)
    settings["simulation"]["replications"] = 1
    world = set(settings["world"]["states"])
    levers = []
    for lever in read_settings(REFORMS)["levers"]:
        lever = copy.deepcopy(lever)
        if "partners" in lever:
            lever["partners"] = [code for code in lever["partners"] if code in world]
        if "states" in lever:
            lever["states"] = [code for code in lever["states"] if code in world]
            if not lever["states"]:
                if "group" not in lever:
                    continue
                del lever["states"]
        levers.append(lever)
    regime = scenario_from_settings(copy.deepcopy(settings), WORLD, default_calibration())
    settings["levers"] = levers
    reform = scenario_from_settings(settings, WORLD, default_calibration())
    return reform, regime


def main() -> None:
    """Run the experiments, print the outcomes and PRIM's box."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=40)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    reform, regime = scenarios()
    model = ema_model(reform, METRICS, UNCERTAINTIES, reference=regime, name="all_reforms")
    began = time.perf_counter()
    with ema.MultiprocessingEvaluator(model, n_processes=args.processes) as evaluator:
        experiments, outcomes = ema.perform_experiments(
            model,
            scenarios=args.experiments,
            evaluator=evaluator,
            uncertainty_sampling_kwargs={"rng": args.seed},
        )
    print(f"{args.experiments} experiments in {time.perf_counter() - began:.0f} s")
    ratio = outcomes[OUTCOME]
    print(
        f"{OUTCOME}: min {np.nanmin(ratio):.2f}, median {np.nanmedian(ratio):.2f}, "
        f"max {np.nanmax(ratio):.2f}; fails to halve (> {HALF}) in "
        f"{int((ratio > HALF).sum())} of {len(ratio)}"
    )
    reference = outcomes["formal_mla_median_days_reference"]
    print(f"formal MLA median without the reforms: {np.nanmedian(reference):.0f} days (median)")
    names = [ema_name(path) for path in UNCERTAINTIES]
    table = experiments[names].assign(ratio=ratio)
    print(table.sort_values("ratio").to_string(float_format=lambda v: f"{v:.3g}"))
    for metric in METRICS:
        values = outcomes[f"{metric}_ratio"]
        print(f"{metric}_ratio: min {np.nanmin(values):.3f}, max {np.nanmax(values):.3f}")
    out = ROOT / "results" / "discovery"
    out.mkdir(parents=True, exist_ok=True)
    table.assign(**{k: v for k, v in outcomes.items()}).to_csv(out / "all_reforms.csv")
    print(f"-> {out / 'all_reforms.csv'}")
    fails = ratio > HALF
    what = f"the reform fails to halve it (ratio > {HALF})"
    if fails.all() or not fails.any():
        # Nothing to separate at one half: look instead for where the reform gains least.
        fails = ratio > np.nanmedian(ratio)
        what = "the reform gains least (ratio above its median)"
    print(f"PRIM: the box of assumptions where {what}")
    box = prim.Prim(experiments[names], fails).find_box()
    box.inspect()


if __name__ == "__main__":
    main()
