"""Running a sensitivity analysis: its design as a sweep, then the indices, table and figure.

The points run as a sweep's (:func:`sim.experiments.sweep.run_sweep`): stored as they finish,
resumed after a kill, on worker processes or a Dask cluster. The analysis then reads the
points table, takes each point's mean over replications of every chosen metric, and writes
beside the sweep's files:

- ``sensitivity.csv``: one row per metric and parameter: for Morris ``mu_star``, ``sigma``,
  ``mu`` with 95% bootstrap intervals and the rank by ``mu_star``; for Sobol ``S1`` and ``ST``
  with their 95% intervals and the rank by ``ST``;
- ``figures/sensitivity.png``: the mu*-sigma plot (Morris) or the indices with error bars
  (Sobol), one panel per metric.

The indices are computed from the stored points, so running the command again (nothing left
to run) writes the same table; a failed point leaves its value out (Morris) or makes a
metric's indices NaN (Sobol), and the command exits 1 as a sweep does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis import figure_style, sensitivity_figures
from sim.analysis.sensitivity_indices import morris_indices, rank, sobol_indices
from sim.config.loading import Calibration
from sim.experiments.sensitivity_spec import SensitivitySpec
from sim.experiments.sweep import SweepOutcome, atomic_write, run_sweep

_WHAT = {"morris": "Morris screening", "sobol": "Sobol indices"}
TABLE = "sensitivity.csv"
FIGURE = "sensitivity.png"


def default_destination(spec: SensitivitySpec) -> Path:
    """``results/sensitivity/NAME`` (the name ends in the method unless the file names it)."""
    return Path("results") / "sensitivity" / spec.sweep.name


def run_sensitivity(
    spec: SensitivitySpec,
    calibration: Calibration,
    destination: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    retry_failed: bool = False,
    report: Callable[[str], None] | None = None,
    command: list[str] | None = None,
) -> tuple[SweepOutcome, pd.DataFrame]:
    """Run the design's points not stored yet, then write the indices' table and figure.

    Args:
        spec: The validated sensitivity file (:func:`read_sensitivity`), points checked.
        calibration: The calibration its scenarios were loaded with.
        destination: The analysis' directory (a sweep's): new, empty or resumed.
        workers: Worker processes (or local Dask workers with ``scheduler="local"``).
        scheduler: A Dask scheduler's address, ``"local"``, or None for worker processes.
        retry_failed: Run again the points stored as failed.
        report: Told progress lines.
        command: The command line, for the manifest.

    Returns:
        What the sweep did, and the sensitivity table.
    """
    outcome = run_sweep(
        spec.sweep,
        calibration,
        destination,
        workers=workers,
        scheduler=scheduler,
        retry_failed=retry_failed,
        report=report,
        command=command,
    )
    points = pd.read_parquet(destination / "points.parquet")
    table = indices_table(spec, points)
    atomic_write(destination / TABLE, lambda path: table.to_csv(path, index=False))
    figure = _figure(spec, table)
    atomic_write(destination / "figures" / FIGURE, lambda path: figure_style.save(figure, path))
    return outcome, table


def point_means(spec: SensitivitySpec, points: pd.DataFrame) -> pd.DataFrame:
    """Each design point's mean over replications of every metric, in design order.

    A point with no rows (it failed) is a row of NaN.
    """
    metrics = list(spec.sweep.metrics)
    means = points.groupby("point")[metrics].mean()
    return means.reindex(range(len(spec.sweep.points)))


def indices_table(spec: SensitivitySpec, points: pd.DataFrame) -> pd.DataFrame:
    """The indices of every metric, one row per metric and parameter (see the module)."""
    means = point_means(spec, points)
    seed = spec.settings["seed"]
    frames = []
    for metric in spec.sweep.metrics:
        values = means[metric].to_numpy(dtype=float)
        if spec.method == "morris":
            table = morris_indices(
                spec.unit, values, spec.settings["trajectories"], spec.parameters, seed
            )
            table["rank"] = rank(table, "mu_star")
        else:
            table = sobol_indices(values, spec.parameters, seed)
            table["rank"] = rank(table, "ST")
        table.insert(0, "metric", metric)
        table.insert(2, "low", [float(low) for low, _ in spec.ranges.values()])
        table.insert(3, "high", [float(high) for _, high in spec.ranges.values()])
        frames.append(table)
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "method", spec.method)
    return table


def top(table: pd.DataFrame, metric: str, count: int = 5) -> list[str]:
    """The ``count`` parameters ranked first for a metric (by mu* or ST), measured ones only."""
    index = "mu_star" if (table["method"] == "morris").all() else "ST"
    block = table[(table["metric"] == metric) & np.isfinite(table[index])]
    return block.sort_values("rank", kind="stable")["parameter"].head(count).tolist()


def _figure(spec: SensitivitySpec, table: pd.DataFrame) -> Figure:
    title = (
        f"{spec.sweep.name}: {_WHAT[spec.method]} of {len(spec.parameters)} parameters, "
        f"{len(spec.sweep.points)} points x {spec.sweep.replications} replication(s)"
    )
    if spec.method == "morris":
        return sensitivity_figures.morris_figure(
            table,
            spec.sweep.metrics,
            title=title,
            trajectories=spec.settings["trajectories"],
        )
    return sensitivity_figures.sobol_figure(
        table, spec.sweep.metrics, title=title, samples=spec.settings["samples"]
    )
