"""How much common random numbers narrow the reform library's confidence intervals.

For each reform of the scenario library, its REDUCED version and the reduced baseline twin
(``tests/test_scenario_library.py``: 14 states, two years, levers from 2027, demand at 0.5%)
are run with the same seed and replications. For each compared quantity the script prints
the width of the paired 95% interval of the difference (reform minus twin, paired by
replication, as ``mlatsim compare`` reports it) over the width of the unpaired Welch interval
of the same difference: 1 means the pairing buys nothing, 0.5 that it halves the interval.

Quantities:

- ``target``: the metric the library test checks for the reform (its ``TARGETS``); a reform
  with two targets gets two lines. Where one side is the same in every replication (a count
  of a channel the twin does not have, a refusal the reform abolishes) the paired and the
  unpaired interval are the same by construction and the line says so;
- ``compare``: the metrics of :mod:`sim.analysis.comparison` over all requests (group
  ``all``); the line gives their median ratio and the largest one. Metrics the reform leaves
  exactly unchanged in every replication (unpaired width > 0, paired width 0) count as 0.

Run it from the project root: ``.venv/bin/python bench/paired_ci.py [--replications 8]``.
Runs are serial, in this process.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_scenario_library as library  # noqa: E402  (the reduction lives with its test)

from sim.analysis.comparison import (  # noqa: E402
    METRICS,
    paired_difference,
    replication_values,
    welch_difference,
)
from sim.analysis.runs import ScenarioRun  # noqa: E402


def width_ratio(values: np.ndarray, reference: np.ndarray) -> float:
    """Paired over unpaired 95% interval width of ``values - reference`` (NaN if undefined)."""
    _, low, high = paired_difference(values, reference)
    _, w_low, w_high = welch_difference(values, reference)
    unpaired = w_high - w_low
    if not (math.isfinite(unpaired) and unpaired > 0.0 and math.isfinite(high - low)):
        return math.nan
    return (high - low) / unpaired


def constant_side(values: np.ndarray, reference: np.ndarray) -> str:
    """Which side, if any, is the same in every replication (pairing cannot narrow it)."""
    for label, side in (("twin", reference), ("reform", values)):
        finite = side[np.isfinite(side)]
        if finite.size and np.all(finite == finite[0]):
            return f" ({label} constant)"
    return ""


def compare_ratios(reform: ScenarioRun, twin: ScenarioRun) -> list[float]:
    """Width ratio of each comparison metric over all requests."""
    frames = [replication_values(run, by="channel") for run in (reform, twin)]
    ratios = []
    for metric in METRICS:
        columns = []
        for frame in frames:
            chosen = frame[(frame["group"] == "all") & (frame["metric"] == metric)]
            series = chosen.set_index("replication")["value"]
            columns.append(series.reindex(range(library.REPLICATIONS)).to_numpy(dtype=float))
        ratio = width_ratio(*columns)
        if math.isfinite(ratio):
            ratios.append(ratio)
    return ratios


def _run(name: str, levers: bool) -> ScenarioRun:
    scenario = library.reduced(name, levers=levers)
    library.measured(scenario)  # runs it once and keeps it
    result = library._RUNS[scenario.model_dump_json(exclude={"name"})]
    return ScenarioRun(scenario, result, Path("."), reused=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the reduced library and print the ratio of each reform."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=8, help="replications (8)")
    parser.add_argument("--seed", type=int, default=library.SEED, help="seed (the library's)")
    args = parser.parse_args(argv)
    library.REPLICATIONS = args.replications
    library.SEED = args.seed
    began = time.perf_counter()
    twin = _run("baseline", levers=False)
    print(f"reduced library, seed {args.seed}, {args.replications} replications")
    print(f"{'reform':<28} {'quantity':<36} {'paired/unpaired':>15}")
    names = dict.fromkeys(name for name, _, _ in library.TARGETS)
    worst: list[float] = []
    for name in names:
        reform = _run(name, levers=True)
        reform_rows, twin_rows = library.measured(reform.scenario), library.measured(twin.scenario)
        for target, metric, _ in library.TARGETS:
            if target != name:
                continue
            values, reference = metric(reform_rows, twin_rows, reform.scenario)
            ratio = width_ratio(values, reference)
            constant = constant_side(values, reference)
            if not constant:
                worst.append(ratio)
            print(f"{name:<28} {'target: ' + metric.__name__:<36} {ratio:15.3f}{constant}")
        ratios = compare_ratios(reform, twin)
        within = sum(ratio <= 0.5 for ratio in ratios)
        summary = f"{statistics.median(ratios):.3f} (max {max(ratios):.3f}, {within} <= 0.5)"
        label = f"compare: median of {len(ratios)} metrics"
        print(f"{name:<28} {label:<36} {summary:>15}")
    print(f"\nlargest target ratio (neither side constant): {max(worst):.3f}")
    print(f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
