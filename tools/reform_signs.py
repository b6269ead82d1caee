"""Does a single reform's effect flip sign within the assumptions' plausible ranges?

docs/sensitivity.md ("Where an effect flips sign") has the results. Run from the repository
root, in one process (3-6 s a run on a shared core in the teaching world; 352 runs, about
20 minutes)::

    .venv/bin/python tools/reform_signs.py --experiments 16

Each reform of the scenario library (a file of ``scenarios/`` that lays levers on the baseline
and changes nothing else; the package ``all_reforms`` and the teaching pair are left out, and
the tool says why) has its levers laid on a small world (``scenarios/teaching.toml`` by
default), as ``tools/all_reforms_discovery.py`` lays the package's: a lever's states and
partners outside the world are dropped, and a lever left with no state and no group is
dropped. A seeded Latin hypercube of the five assumptions of that discovery, plus the two
that lead the Morris ranking of the loss of data (``demand.data_age_days`` and
``retention.traffic_days``, docs/sensitivity.md), gives the experiments. Each experiment runs
the world without reforms once (shared by every reform: the same assumptions and seed give
the same run) and each reform once, with the same seed (common random numbers), so the paired
difference reform - reference of each headline sweep metric is the reform's effect there.

A sign flip is only meaningful beyond the noise of a one-replication paired effect. Laying a
reform at strength 0 reproduces the reference bit for bit, so that twin measures nothing;
the noise is that of the random streams a real lever puts out of step. So the first
``--noise-points`` experiments are run again, reform and reference, with a second seed: at
the same assumptions, the two effects differ by luck alone. A reform's band on a metric is
twice the standard deviation of one effect's noise estimated from those pairs
(``sqrt(mean(d^2) / 2)`` for the differences ``d``), and its effect flips sign when some
experiment is beyond the band on each side.

Output: ``results/discovery/reform_signs.csv`` (one row per reform, experiment and metric;
the noise runs have ``seed`` set to the second seed) and a summary table per reform and metric
(``--summarise CSV`` prints it again from a stored CSV without running anything).
"""

from __future__ import annotations

import argparse
import copy
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.config.loading import default_calibration, read_settings, scenario_from_settings
from sim.config.schema import Scenario
from sim.experiments.field_paths import point_scenario
from sim.experiments.sweep_pool import run_point

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
WORLD = SCENARIOS / "teaching.toml"
OUT = ROOT / "results" / "discovery" / "reform_signs.csv"
UNCERTAINTIES: dict[str, tuple[float, float]] = {
    # The five of tools/all_reforms_discovery.py ...
    "routing.urgent_patience": (0.1, 0.5),
    "crime_types.online_fraud.patience_days": (90.0, 360.0),
    "demand.extra_holders_mean": (0.2, 0.8),
    "channels.bilateral_mlat.p_clarify": (0.1, 0.35),
    "channels.bilateral_mlat.urgent_factor": (0.3, 0.8),
    # ... and the two that rank first and second on the share lost (docs/sensitivity.md).
    "demand.data_age_days": (7.0, 90.0),
    "retention.traffic_days": (90.0, 365.0),
}
METRICS: dict[str, int] = {
    "formal_mla_median_days": -1,
    "share_met": +1,
    "share_lost": -1,
    "us_queue_wait_days": -1,
}
"""Headline sweep metrics and the sign of a beneficial change (-1: lower is better)."""
LEVERS_ONLY = frozenset({"description", "simulation", "levers"})
"""The only keys a reform file may set: it is the baseline plus levers."""


@dataclass
class Laid:
    """A reform's levers laid on a small world, with what had to be left out."""

    levers: list[dict[str, Any]]
    dropped_codes: list[str] = field(default_factory=list)
    dropped_levers: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        """What of the reform the small world cannot hold, in words."""
        parts = []
        if self.dropped_codes:
            parts.append("outside the world: " + " ".join(sorted(set(self.dropped_codes))))
        if self.dropped_levers:
            parts.append("levers dropped: " + ", ".join(self.dropped_levers))
        return "; ".join(parts)


def lay_levers(levers: Sequence[Mapping[str, Any]], world: set[str]) -> Laid:
    """A reform's levers restricted to the states of a small world.

    The rule of ``tools/all_reforms_discovery.py``: a lever's ``states`` and ``partners``
    outside the world are left out; a lever whose states all fall outside and that has no
    ``group`` to fall back on targets nobody and is dropped (a lever with no ``states`` key,
    such as ``in_force``, is kept as it is). What is left out is recorded, so that a reform
    that cannot be laid says so instead of vanishing.
    """
    laid = Laid(levers=[])
    for original in levers:
        lever = copy.deepcopy(dict(original))
        for key in ("partners", "states"):
            if key in lever:
                laid.dropped_codes += [code for code in lever[key] if code not in world]
                lever[key] = [code for code in lever[key] if code in world]
        if "states" in lever and not lever["states"]:
            if "group" not in lever:
                laid.dropped_levers.append(str(lever["lever"]))
                continue
            del lever["states"]
        laid.levers.append(lever)
    return laid


def library_reforms(folder: Path = SCENARIOS) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """The single reforms of the scenario library, and every other file with why it is not.

    A reform is a file that sets nothing but its description, calendar and levers (the
    baseline plus levers), not a combination of other reforms' levers (``all_reforms``) and
    not the teaching pair (``teaching_*``: two strengths of one US staffing lever for the
    classroom, docs/teaching.md).
    """
    files = {path.stem: read_settings(path) for path in sorted(folder.glob("*.toml"))}
    reforms: dict[str, list[dict]] = {}
    skipped: dict[str, str] = {}
    for name, settings in files.items():
        extra = sorted(set(settings) - LEVERS_ONLY)
        if extra:
            skipped[name] = f"changes more than levers ({', '.join(extra)})"
        elif not settings.get("levers"):
            skipped[name] = "no levers: the regime itself"
        elif name.startswith("teaching"):
            skipped[name] = "teaching pair (docs/teaching.md), not a reform of the library"
        else:
            reforms[name] = settings["levers"]
    for name, levers in list(reforms.items()):
        others = [lever for other, ls in reforms.items() if other != name for lever in ls]
        if len(levers) > 1 and all(lever in others for lever in levers):
            skipped[name] = "combination of the other reforms (tools/all_reforms_discovery.py)"
            del reforms[name]
    return reforms, skipped


def latin_hypercube(
    ranges: Mapping[str, tuple[float, float]], n: int, seed: int
) -> list[dict[str, float]]:
    """``n`` points of a seeded Latin hypercube over the ranges, as field values."""
    unit = qmc.LatinHypercube(d=len(ranges), seed=seed).random(n)
    low = np.array([r[0] for r in ranges.values()])
    high = np.array([r[1] for r in ranges.values()])
    values = qmc.scale(unit, low, high)
    return [dict(zip(ranges, map(float, row), strict=True)) for row in values]


def noise_band(differences: Sequence[float]) -> float:
    """Twice the standard deviation of one paired effect's replication noise.

    Args:
        differences: Effects at one seed minus effects at another, at the same assumptions;
            each is the difference of two independent noises, hence the division by two.

    Returns:
        The band (0 when every difference is 0, NaN when there is none).
    """
    d = np.asarray([x for x in differences if not math.isnan(x)], dtype=float)
    if d.size == 0:
        return math.nan
    return 2.0 * math.sqrt(float(np.mean(d**2)) / 2.0)


def flip_summary(effects: Sequence[float], band: float, better: int) -> dict[str, Any]:
    """Range of a reform's effects, how often it helps, and whether it flips sign.

    Args:
        effects: The paired effects (reform - reference) over the experiments.
        band: The noise band; effects within it count as neither sign.
        better: +1 if a rise of the metric is beneficial, -1 if a fall is.

    Returns:
        min, median and max of the effect; the shares of experiments where it is beneficial
        and harmful at all (``beneficial``, ``harmful``: any non-zero change) and beyond the
        band (``beneficial_beyond``, ``harmful_beyond``); ``mixed``: both signs occur at
        all; ``flips``: both occur beyond the band, the only flip this tool reports.
    """
    e = np.asarray([x for x in effects if not math.isnan(x)], dtype=float)
    band = 0.0 if math.isnan(band) else band
    signed = better * e
    if e.size == 0:
        return {"n": 0, "min": math.nan, "median": math.nan, "max": math.nan,
                "beneficial": math.nan, "harmful": math.nan, "beneficial_beyond": math.nan,
                "harmful_beyond": math.nan, "mixed": False, "flips": False}  # fmt: skip
    return {
        "n": int(e.size),
        "min": float(e.min()),
        "median": float(np.median(e)),
        "max": float(e.max()),
        "beneficial": float(np.mean(signed > 0.0)),
        "harmful": float(np.mean(signed < 0.0)),
        "beneficial_beyond": float(np.mean(signed > band)),
        "harmful_beyond": float(np.mean(signed < -band)),
        "mixed": bool((signed > 0.0).any() and (signed < 0.0).any()),
        "flips": bool((signed > band).any() and (signed < -band).any()),
    }


def world_settings(world: Path) -> dict[str, Any]:
    """The small world's settings at one replication a run."""
    settings = read_settings(world)
    settings["simulation"]["replications"] = 1
    return settings


def build(settings: dict[str, Any], world: Path, levers: list[dict]) -> Scenario:
    """The world with the levers laid on it, validated."""
    settings = copy.deepcopy(settings)
    settings["levers"] = levers
    return scenario_from_settings(settings, world, default_calibration())


def measure(scenario: Scenario, values: Mapping[str, float], seed: int) -> dict[str, float]:
    """The headline metrics of one run of the scenario at the assumptions and seed."""
    point = point_scenario(scenario, {**values, "simulation.seed": seed}, where="experiment")
    rows = run_point(point)
    return {metric: float(rows[metric].iloc[0]) for metric in METRICS}


def main() -> None:
    """Run every reform over the experiments, write the CSV and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, default=WORLD)
    parser.add_argument("--experiments", type=int, default=16)
    parser.add_argument("--noise-points", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1, help="of the Latin hypercube")
    parser.add_argument("--run-seed", type=int, default=2026)
    parser.add_argument("--noise-seed", type=int, default=2027)
    parser.add_argument("--only", nargs="*", help="reforms to run (default: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--reuse", type=Path, help="a CSV of an earlier run: its runs are taken, not rerun"
    )
    parser.add_argument(
        "--summarise", type=Path, help="print the summary of a CSV this tool wrote; run nothing"
    )
    args = parser.parse_args()
    if args.summarise is not None:
        table = pd.read_csv(args.summarise)
        print(summary(table, args.run_seed, args.noise_seed).to_string(index=False))
        return

    began = time.perf_counter()
    settings = world_settings(args.world)
    world = set(settings["world"]["states"])
    reforms, skipped = library_reforms()
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")
    if args.only:
        reforms = {name: levers for name, levers in reforms.items() if name in args.only}
    points = latin_hypercube(UNCERTAINTIES, args.experiments, args.seed)
    noise_points = range(min(args.noise_points, len(points)))
    stored = stored_runs(args.reuse, points) if args.reuse else {}
    reference = build(settings, args.world, [])
    baseline: dict[tuple[int, int], dict[str, float]] = {}
    wanted = [(i, args.run_seed) for i in range(len(points))]
    wanted += [(i, args.noise_seed) for i in noise_points]
    for i, seed in wanted:
        known = [run for (_, j, s), run in stored.items() if (j, s) == (i, seed)]
        if known:
            baseline[(i, seed)] = {metric: known[0][metric][0] for metric in METRICS}
        else:
            baseline[(i, seed)] = measure(reference, points[i], seed)
    print(f"reference runs done at {time.perf_counter() - began:.0f} s", flush=True)

    rows: list[dict[str, Any]] = []
    notes: dict[str, str] = {}
    for name, levers in reforms.items():
        laid = lay_levers(levers, world)
        notes[name] = laid.note
        if not laid.levers:
            rows.append({"reform": name, "note": "cannot be laid: " + laid.note})
            print(f"{name}: cannot be laid on this world ({laid.note})", flush=True)
            continue
        scenario = build(settings, args.world, laid.levers)
        for i, seed in wanted:
            if (name, i, seed) in stored:
                after = {m: pair[1] for m, pair in stored[(name, i, seed)].items()}
            else:
                after = measure(scenario, points[i], seed)
            before = baseline[(i, seed)]
            for metric in METRICS:
                rows.append({
                    "reform": name, "experiment": i, "seed": seed, "metric": metric,
                    "reference": before[metric], "reform_value": after[metric],
                    "effect": after[metric] - before[metric], "note": laid.note,
                    **points[i],
                })  # fmt: skip
        print(f"{name} done at {time.perf_counter() - began:.0f} s", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(args.out, index=False)

    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(summary(table, args.run_seed, args.noise_seed).to_string(index=False))
    print(f"{len(points)} experiments, {len(reforms)} reforms, world {args.world.name}: "
          f"{(time.perf_counter() - began) / 60:.1f} min -> {args.out}")  # fmt: skip


def stored_runs(
    path: Path, points: Sequence[Mapping[str, float]]
) -> dict[tuple[str, int, int], dict[str, tuple[float, float]]]:
    """The runs of an earlier CSV, by reform, experiment and seed: (reference, reform) values.

    Raises:
        ValueError: if the CSV's assumptions differ from this run's points (another design).
    """
    table = pd.read_csv(path).dropna(subset=["metric"])
    runs: dict[tuple[str, int, int], dict[str, tuple[float, float]]] = {}
    for (name, i, seed), rows in table.groupby(["reform", "experiment", "seed"]):
        i = int(i)
        if i >= len(points) or not np.allclose(
            rows.iloc[0][list(UNCERTAINTIES)].to_numpy(float), list(points[i].values())
        ):
            raise ValueError(f"{path}: experiment {i} is not this run's point")
        runs[(str(name), i, int(seed))] = {
            row.metric: (row.reference, row.reform_value) for row in rows.itertuples()
        }
    return runs


def summary(table: pd.DataFrame, run_seed: int, noise_seed: int) -> pd.DataFrame:
    """Per reform and metric: noise band, effect range, shares beneficial, flips.

    Args:
        table: The rows of the CSV (reforms that could not be laid have no metric).
        run_seed: The seed of the experiments.
        noise_seed: The second seed of the noise runs.
    """
    out = []
    for name, rows in table.groupby("reform", sort=False):
        if rows["metric"].isna().all():
            out.append({"reform": name, "metric": "-", "flips": rows["note"].iloc[0]})
            continue
        for metric, better in METRICS.items():
            of = rows[rows["metric"] == metric]
            main = of[of["seed"] == run_seed].set_index("experiment")["effect"]
            second = of[of["seed"] == noise_seed].set_index("experiment")["effect"]
            band = noise_band((second - main.reindex(second.index)).tolist())
            out.append({"reform": name, "metric": metric, "band": band,
                        **flip_summary(main.tolist(), band, better)})  # fmt: skip
    return pd.DataFrame(out)


if __name__ == "__main__":
    main()
