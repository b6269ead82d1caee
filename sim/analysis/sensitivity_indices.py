"""Global sensitivity indices of a metric over the assumed parameters: Morris and Sobol.

Both take the design in *unit* coordinates (each parameter's range mapped onto [0, 1]) and one
value of the metric per design point (its mean over replications), so that an index is the
metric's change over a parameter's whole plausible range: indices of parameters with ranges
of different units can be ranked against each other.

- **Morris** (elementary effects): a trajectory moves one parameter at a time; the change of
  the metric divided by the step (in unit coordinates) is that parameter's elementary effect.
  Over ``r`` trajectories, ``mu*`` (mean absolute effect) ranks the parameters by influence,
  ``sigma`` (standard deviation) says whether the effect depends on the others (interaction
  or non-linearity), and ``mu`` (signed mean) whether it changes sign. The 95% intervals of
  ``mu*`` and ``sigma`` are bootstrap percentiles over trajectories (SALib gives one for
  ``mu*`` only). ``mu*``, ``sigma`` and ``mu`` equal SALib's ``morris.analyze``.
- **Sobol** (variance decomposition, Saltelli's design): first-order ``S1`` (the share of the
  metric's variance one parameter explains alone) and total ``ST`` (alone and in any
  interaction), with SALib's bootstrap 95% intervals.

A design point that gave no value (a failed point, a metric with nothing to measure) leaves
out the elementary effects it takes part in; Sobol needs every value, and gives NaN otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

BOOTSTRAP_RESAMPLES = 1000
"""Bootstrap resamples of the trajectories (Morris) or of the samples (Sobol)."""
CONFIDENCE = 0.95

MORRIS_COLUMNS = (
    "parameter",
    "mu_star",
    "mu_star_low",
    "mu_star_high",
    "sigma",
    "sigma_low",
    "sigma_high",
    "mu",
    "effects",
)
SOBOL_COLUMNS = ("parameter", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high")


def elementary_effects(unit: np.ndarray, values: np.ndarray, trajectories: int) -> np.ndarray:
    """The elementary effects of a Morris design: one row per trajectory, one column per parameter.

    Args:
        unit: The design in unit coordinates, ``trajectories * (k + 1)`` rows of ``k`` columns,
            each trajectory's points in order (SALib's ``morris.sample`` layout).
        values: The metric at each design point.
        trajectories: How many trajectories the design has.

    Returns:
        ``trajectories x k`` effects; NaN where a value was missing or a step moved nothing.
    """
    points, k = unit.shape
    if points != trajectories * (k + 1) or len(values) != points:
        raise ValueError(
            f"a Morris design of {trajectories} trajectories needs {k + 1} points each"
        )
    effects = np.full((trajectories, k), np.nan)
    for t in range(trajectories):
        rows = slice(t * (k + 1), (t + 1) * (k + 1))
        x, y = unit[rows], np.asarray(values[rows], dtype=float)
        steps = np.diff(x, axis=0)
        for j, step in enumerate(steps):
            moved = int(np.argmax(np.abs(step)))
            if step[moved] != 0.0:
                effects[t, moved] = (y[j + 1] - y[j]) / step[moved]
    return effects


def morris_indices(
    unit: np.ndarray,
    values: np.ndarray,
    trajectories: int,
    parameters: Sequence[str],
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> pd.DataFrame:
    """``mu*``, ``sigma`` and ``mu`` of each parameter with bootstrap 95% intervals.

    Args:
        unit: The design in unit coordinates (see :func:`elementary_effects`).
        values: The metric at each design point (NaN where missing).
        trajectories: The design's trajectories.
        parameters: The parameters' names, in column order.
        seed: Seed of the bootstrap (the same seed gives the same intervals).
        resamples: Bootstrap resamples of the trajectories.

    Returns:
        One row per parameter: :data:`MORRIS_COLUMNS` (``effects``: how many were measured).
    """
    effects = elementary_effects(unit, values, trajectories)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, trajectories, size=(resamples, trajectories))
    tail = (1.0 - CONFIDENCE) / 2.0 * 100.0
    rows = []
    for i, name in enumerate(parameters):
        column = effects[:, i]
        kept = column[np.isfinite(column)]
        row: dict[str, object] = {"parameter": name, "effects": len(kept)}
        if len(kept) == 0:
            rows.append(row)
            continue
        row["mu_star"] = float(np.mean(np.abs(kept)))
        row["mu"] = float(np.mean(kept))
        row["sigma"] = float(np.std(kept, ddof=1)) if len(kept) > 1 else np.nan
        resampled = column[draws]  # resamples x trajectories, NaN kept out below
        with np.errstate(invalid="ignore"):
            counts = np.isfinite(resampled).sum(axis=1)
            usable = counts > 1
            star = np.nanmean(np.abs(resampled[usable]), axis=1)
            spread = np.nanstd(resampled[usable], axis=1, ddof=1)
        if usable.any():
            row["mu_star_low"], row["mu_star_high"] = np.percentile(star, [tail, 100 - tail])
            row["sigma_low"], row["sigma_high"] = np.percentile(spread, [tail, 100 - tail])
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=list(MORRIS_COLUMNS))
    return table.astype({column: float for column in MORRIS_COLUMNS[1:-1]})


def sobol_indices(
    values: np.ndarray,
    parameters: Sequence[str],
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> pd.DataFrame:
    """First-order and total Sobol indices with SALib's bootstrap 95% intervals.

    Args:
        values: The metric at each point of a Saltelli design without second-order terms
            (SALib's ``sobol.sample`` with ``calc_second_order=False``), in design order.
        parameters: The parameters' names, in the design's column order.
        seed: Seed of the bootstrap.
        resamples: Bootstrap resamples.

    Returns:
        One row per parameter: :data:`SOBOL_COLUMNS`; NaN throughout if a value is missing
        or the metric does not vary.
    """
    from SALib.analyze import sobol

    values = np.asarray(values, dtype=float)
    table = pd.DataFrame({"parameter": list(parameters)}).reindex(columns=list(SOBOL_COLUMNS))
    if not np.isfinite(values).all() or np.ptp(values) == 0.0:
        return table.astype({column: float for column in SOBOL_COLUMNS[1:]})
    problem = {"num_vars": len(parameters), "names": list(parameters)}
    found = sobol.analyze(
        problem,
        values,
        calc_second_order=False,
        num_resamples=resamples,
        conf_level=CONFIDENCE,
        seed=seed,
    )
    for index in ("S1", "ST"):
        table[index] = found[index]
        table[f"{index}_low"] = found[index] - found[f"{index}_conf"]
        table[f"{index}_high"] = found[index] + found[f"{index}_conf"]
    return table


def rank(table: pd.DataFrame, by: str) -> pd.Series:
    """Rank of each parameter by an index (1 the largest; NaN last)."""
    return table[by].rank(ascending=False, method="min", na_option="bottom").astype(int)
