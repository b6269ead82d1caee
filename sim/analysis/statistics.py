"""Outcome statistics for simulated evidence requests.

Evidence requests are followed from creation until they are fulfilled, refused, lost or
abandoned; requests still open when a run ends are ``pending``. A plain "share fulfilled
within 90 days" computed over the finished requests would be biased: slow requests are
over-represented among the pending ones, and dropping them makes every country look faster
than it is. We therefore treat ``pending`` as right-censored (administrative censoring at the
end of the run) and ``refused``, ``lost`` and ``abandoned`` as competing risks for
``fulfilled``, and estimate the cumulative incidence of fulfilment with the Aalen–Johansen
estimator. Treating competitors as censored instead (1 − Kaplan–Meier) would pretend that a
refused request could still be fulfilled later, and overstate fulfilment.

Uncertainty comes from replications: each metric is computed per replication, and the
replications are treated as independent draws, summarised by their mean and a Student-t
interval. The t interval knows nothing of a share's range: with two replications of 0.9 and
1.0 it runs from 0.31 to 1.59. Intervals of shares (``SHARE_METRICS``, cumulative incidence
curves, outcome shares) are therefore clipped to [0, 1] (``share_interval``). Clipping cuts
off only values a share cannot take, so the interval covers the true share at least as often
as the t interval does, and the estimate stays the plain mean. A logit-scale interval would
be better shaped near 0 and 1 but is undefined when a replication's share is exactly 0 or 1,
which is routine (no request lost, everything fulfilled within a year).

All functions are pure; nothing here keeps state between calls. The estimators themselves are
in :mod:`sim.analysis.competing_risks`; this module applies them per replication and group
and summarises across replications. Names of the estimators are re-exported here.

The module is over 400 lines because the per-replication metrics, their intervals and the
curve and share summaries share one grouping of requests into cells (``_Cells``) and one
clipping rule; split apart, each part would import the others' private helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.competing_risks import (
    FULFILLED_CODE,
    METRIC_KEYS,
    MILESTONE_DAYS,
    check_durations,
    encode_outcomes,
    fit_sorted,
    metrics_sorted,
)
from sim.analysis.competing_risks import (
    cumulative_incidence as cumulative_incidence,
)
from sim.analysis.competing_risks import (
    event_time_mean as event_time_mean,
)
from sim.analysis.competing_risks import (
    event_time_quantile as event_time_quantile,
)
from sim.analysis.competing_risks import (
    request_metrics as request_metrics,
)
from sim.vocabulary import OUTCOMES

ALL = "all"


SHARE_METRICS: frozenset[str] = frozenset(
    {*(f"fulfilled_{day}d" for day in MILESTONE_DAYS), *(f"share_{o}" for o in OUTCOMES)}
)
"""Metrics of :func:`replication_metrics` that are proportions (0 to 1).

Their intervals are clipped to ``SHARE_BOUNDS`` by :func:`summarise`; a difference of two of
them lies in [-1, 1].
"""
SHARE_BOUNDS: tuple[float, float] = (0.0, 1.0)
"""The range of a share, to which its confidence intervals are clipped."""

_REQUEST_COLUMNS = ("replication", "created_day", "outcome", "time_to_outcome_days")
_CI_COLUMNS = ["estimate", "ci_low", "ci_high"]


# --------------------------------------------------------------------------------------
# Core estimator
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# Tables: per replication and group
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    """Requests sorted by (replication, group, duration), cut into one slice per cell.

    A cell is one (replication, group) pair. Every pair is present, including those with no
    requests, so that a group missing from one replication counts as n = 0 there instead of
    silently vanishing from the across-replication averages.

    Attributes:
        replications: Replication of each cell (replication-major order).
        groups: Group label of each cell.
        starts: Start of each cell's slice in ``durations`` / ``codes``.
        stops: End (exclusive) of each cell's slice.
        durations: Times to outcome, sorted within each cell.
        codes: Outcome codes aligned with ``durations``.
        n_replications: Number of distinct replications.
        n_groups: Number of distinct groups.
    """

    replications: np.ndarray
    groups: np.ndarray
    starts: np.ndarray
    stops: np.ndarray
    durations: np.ndarray
    codes: np.ndarray
    n_replications: int
    n_groups: int

    def slices(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (durations, codes) for each cell in order."""
        for start, stop in zip(self.starts, self.stops, strict=True):
            yield self.durations[start:stop], self.codes[start:stop]


def _cells(requests: pd.DataFrame, by: str | None, warm_up_days: float) -> _Cells:
    """Filter the warm-up, encode outcomes and sort once into (replication, group) cells.

    Replications are taken from the whole table, before the warm-up filter, so a
    replication whose requests all fall in the warm-up still appears (with n = 0). Groups
    are those present after the filter, sorted; missing `by` values form their own group.
    """
    required = [*_REQUEST_COLUMNS, *([by] if by is not None else [])]
    missing = [column for column in required if column not in requests.columns]
    if missing:
        msg = f"requests table lacks columns {missing}"
        raise KeyError(msg)
    replications = np.unique(requests["replication"].to_numpy())
    keep = ~(requests["created_day"].to_numpy(dtype=float) < warm_up_days)
    durations = check_durations(requests["time_to_outcome_days"].to_numpy(dtype=float)[keep])
    codes = encode_outcomes(requests["outcome"][keep])
    if by is None:
        group_codes = np.zeros(durations.size, dtype=np.int64)
        labels = np.array([ALL], dtype=object)
    else:
        group_codes, uniques = pd.factorize(requests[by][keep], sort=True, use_na_sentinel=False)
        labels = np.asarray(uniques, dtype=object)
    replication_codes = np.searchsorted(replications, requests["replication"].to_numpy()[keep])
    n_groups = labels.size
    cell = replication_codes * n_groups + group_codes
    # Sort by duration, then stably by cell: cheaper than np.lexsort on millions of rows,
    # and with fewer than 2**16 cells the stable sort is a radix sort.
    by_duration = np.argsort(durations)
    cell_dtype = np.uint16 if replications.size * n_groups <= np.iinfo(np.uint16).max else np.int64
    order = by_duration[np.argsort(cell[by_duration].astype(cell_dtype), kind="stable")]
    counts = np.bincount(cell, minlength=replications.size * n_groups)
    stops = np.cumsum(counts)
    return _Cells(
        replications=np.repeat(replications, n_groups),
        groups=np.tile(labels, replications.size),
        starts=stops - counts,
        stops=stops,
        durations=durations[order],
        codes=codes[order],
        n_replications=int(replications.size),
        n_groups=int(n_groups),
    )


def replication_metrics(
    requests: pd.DataFrame, by: str | None = None, warm_up_days: float = 0.0
) -> pd.DataFrame:
    """Request metrics for each replication and group.

    Args:
        requests: The requests table (one row per request and replication).
        by: Column to group by (e.g. ``"requested"`` or ``"channel"``); None pools all
            requests into a single group labelled ``ALL``.
        warm_up_days: Requests created before this day are excluded, so that the empty
            start-up queues do not flatter the results.

    Returns:
        One row per (replication, group), including groups with no requests in some
        replication (n = 0, other metrics NaN); columns ``replication``, ``group`` and the
        keys of :func:`request_metrics`. Sorted by replication then group.
    """
    cells = _cells(requests, by, warm_up_days)
    rows = [metrics_sorted(durations, codes) for durations, codes in cells.slices()]
    table = pd.DataFrame(rows, columns=list(METRIC_KEYS))
    table["n"] = table["n"].astype(np.int64)
    table.insert(0, "replication", cells.replications)
    table.insert(1, "group", cells.groups)
    return table


# --------------------------------------------------------------------------------------
# Across-replication summaries
# --------------------------------------------------------------------------------------


def _mean_ci(
    values: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise mean and Student-t interval of a (replications × series) array.

    NaNs are ignored column by column. Written with masked sums and guarded divisions rather
    than ``np.nanmean``/``np.nanstd`` because those warn on all-NaN or single-value columns,
    which are routine here (a group with no fulfilled requests, a single replication).

    Returns:
        Mean, lower bound, upper bound and number of non-NaN values of each column. The
        bounds are NaN for columns with fewer than two values.
    """
    if not 0.0 < level < 1.0:
        msg = f"level must lie in (0, 1), got {level}"
        raise ValueError(msg)
    values = np.asarray(values, dtype=float)
    valid = ~np.isnan(values)
    count = valid.sum(axis=0)
    shape = count.shape
    mean = np.divide(
        np.where(valid, values, 0.0).sum(axis=0),
        count,
        out=np.full(shape, np.nan),
        where=count > 0,
    )
    deviations = np.where(valid, values - mean, 0.0)
    variance = np.divide(
        (deviations**2).sum(axis=0),
        count - 1,
        out=np.full(shape, np.nan),
        where=count > 1,
    )
    t_quantile = stats.t.ppf(0.5 + level / 2.0, np.maximum(count - 1, 1))
    half_width = np.where(count > 1, t_quantile * np.sqrt(variance / np.maximum(count, 1)), np.nan)
    return mean, mean - half_width, mean + half_width, count


def _clip(
    low: np.ndarray, high: np.ndarray, bounds: tuple[float, float], where: np.ndarray | bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Interval bounds cut to ``bounds`` where ``where`` holds; NaN bounds stay NaN."""
    floor, ceiling = bounds
    if not floor <= ceiling:
        msg = f"bounds must be (low, high) with low <= high, got {bounds}"
        raise ValueError(msg)
    return (
        np.where(where, np.clip(low, floor, ceiling), low),
        np.where(where, np.clip(high, floor, ceiling), high),
    )


def confidence_interval(
    values: np.ndarray, level: float = 0.95, *, bounds: tuple[float, float] | None = None
) -> tuple[float, float, float]:
    """Mean of per-replication values with a Student-t confidence interval.

    Replications are independent draws of the same random experiment, so the t interval
    mean ± t_{(1+level)/2, n−1} · s / √n is the natural choice; it is exact for normal values
    and good for means of a few dozen replications otherwise.

    Args:
        values: One value per replication; NaNs are dropped.
        level: Confidence level in (0, 1).
        bounds: The range the quantity cannot leave, e.g. ``SHARE_BOUNDS`` for a share or
            (-1, 1) for a difference of shares; the interval is clipped to it (the mean is
            not changed). None leaves the t interval as it is.

    Returns:
        (mean, low, high). With a single value the bounds are NaN; with none, all three are.
    """
    values = np.asarray(values, dtype=float).reshape(-1, 1)
    mean, low, high, _ = _mean_ci(values, level)
    if bounds is not None:
        low, high = _clip(low, high, bounds)
    return float(mean[0]), float(low[0]), float(high[0])


def share_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of per-replication shares with a Student-t interval clipped to [0, 1].

    Use it for any proportion (``SHARE_METRICS``): with few replications the t interval of a
    share near 0 or 1 runs past the share's range (see the module docstring for why clipping
    rather than a logit scale).

    Args:
        values: One share per replication; NaNs are dropped.
        level: Confidence level in (0, 1).

    Returns:
        (mean, low, high), as :func:`confidence_interval` gives them, with
        0 <= low and high <= 1.
    """
    return confidence_interval(values, level, bounds=SHARE_BOUNDS)


def _long_ci(
    blocks: np.ndarray,
    keys: dict[str, np.ndarray],
    count_name: str | None,
    shares: np.ndarray | bool = False,
) -> pd.DataFrame:
    """Summarise a (replications × series) array into a long frame with one row per series.

    ``shares`` marks the series that are proportions (one flag per series, or one for all);
    their intervals are clipped to ``SHARE_BOUNDS``.
    """
    mean, low, high, count = _mean_ci(blocks, 0.95)
    low, high = _clip(low, high, SHARE_BOUNDS, shares)
    frame = pd.DataFrame({**keys, "estimate": mean, "ci_low": low, "ci_high": high})
    if count_name is not None:
        frame[count_name] = count.astype(np.int64)
    return frame


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """Across-replication mean and 95% interval of every metric, per group.

    The intervals of the metrics in ``SHARE_METRICS`` are clipped to [0, 1].

    Args:
        metrics: Output of :func:`replication_metrics` (or any frame with ``replication``,
            ``group`` and numeric metric columns).

    Returns:
        Long format with columns ``group``, ``metric``, ``estimate``, ``ci_low``,
        ``ci_high``, ``replications`` (how many replications had a non-NaN value); one row
        per (group, metric), groups in order of appearance and metrics in column order.
    """
    metric_names = [c for c in metrics.columns if c not in ("replication", "group")]
    columns = ["group", "metric", *_CI_COLUMNS, "replications"]
    frames = []
    for group, block in metrics.groupby("group", sort=False, dropna=False):
        values = block[metric_names].to_numpy(dtype=float)
        keys = {
            "group": np.full(len(metric_names), group, dtype=object),
            "metric": np.asarray(metric_names, dtype=object),
        }
        shares = np.isin(keys["metric"], list(SHARE_METRICS))
        frames.append(_long_ci(values, keys, "replications", shares))
    if not frames:
        return pd.DataFrame({column: [] for column in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def cif_curves(
    requests: pd.DataFrame, grid: np.ndarray, by: str | None = None, warm_up_days: float = 0.0
) -> pd.DataFrame:
    """Cumulative incidence of fulfilment over time, with across-replication intervals.

    Args:
        requests: The requests table.
        grid: Days at which to evaluate the CIF.
        by: Optional grouping column; None gives a single ``ALL`` group.
        warm_up_days: Requests created before this day are excluded.

    Returns:
        Columns ``group``, ``day``, ``estimate``, ``ci_low``, ``ci_high``; one row per group
        and grid day, intervals clipped to [0, 1]. Replications without requests in a group
        do not contribute to it.
    """
    grid = np.asarray(grid, dtype=float).ravel()
    cells = _cells(requests, by, warm_up_days)
    if cells.n_replications == 0:  # no request after the warm-up: no curve to estimate
        return pd.DataFrame({c: [] for c in ("group", "day", *_CI_COLUMNS)})
    curves = np.array(
        [
            fit_sorted(durations, codes, FULFILLED_CODE).evaluate(grid)
            for durations, codes in cells.slices()
        ]
    ).reshape(cells.n_replications, cells.n_groups * grid.size)
    labels = cells.groups[: cells.n_groups]
    keys = {"group": np.repeat(labels, grid.size), "day": np.tile(grid, cells.n_groups)}
    return _long_ci(curves, keys, None, shares=True)


def outcome_shares(
    requests: pd.DataFrame, by: str | None = None, warm_up_days: float = 0.0
) -> pd.DataFrame:
    """Share of each outcome, with across-replication intervals.

    These are raw proportions of rows (``pending`` included), i.e. the state at the end of
    the run, not censoring-adjusted probabilities.

    Args:
        requests: The requests table.
        by: Optional grouping column; None gives a single ``ALL`` group.
        warm_up_days: Requests created before this day are excluded.

    Returns:
        Columns ``group``, ``outcome``, ``estimate``, ``ci_low``, ``ci_high``; one row per
        group and outcome in ``OUTCOMES`` order, intervals clipped to [0, 1].
    """
    cells = _cells(requests, by, warm_up_days)
    if cells.n_replications == 0:  # no request after the warm-up: no share to estimate
        return pd.DataFrame({c: [] for c in ("group", "outcome", *_CI_COLUMNS)})
    n_cells = cells.starts.size
    n_outcomes = len(OUTCOMES)
    cell_of_row = np.repeat(np.arange(n_cells), cells.stops - cells.starts)
    counts = np.bincount(
        cell_of_row * n_outcomes + cells.codes, minlength=n_cells * n_outcomes
    ).reshape(n_cells, n_outcomes)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.full(counts.shape, np.nan), where=totals > 0).reshape(
        cells.n_replications, cells.n_groups * n_outcomes
    )
    labels = cells.groups[: cells.n_groups]
    keys = {
        "group": np.repeat(labels, n_outcomes),
        "outcome": np.tile(np.asarray(OUTCOMES, dtype=object), cells.n_groups),
    }
    return _long_ci(shares, keys, None, shares=True)


def backlog_series(timeseries: pd.DataFrame, top: int = 6) -> pd.DataFrame:
    """Backlog over time at the busiest central authorities, with across-replication CIs.

    Args:
        timeseries: Table with ``replication``, ``day``, ``state`` and ``backlog``.
        top: How many states to keep, chosen by highest mean backlog over all rows (ties
            broken by state code so the choice is reproducible).

    Returns:
        Columns ``state``, ``day``, ``estimate``, ``ci_low``, ``ci_high``; states from the
        busiest down, days increasing. A replication lacking a (state, day) sample does not
        contribute to that point.

    Raises:
        ValueError: If `top` is negative or a (replication, state, day) appears twice.
    """
    if top < 0:
        msg = f"top must be non-negative, got {top}"
        raise ValueError(msg)
    columns = ["state", "day", *_CI_COLUMNS]
    mean_backlog = timeseries.groupby("state")["backlog"].mean()
    ranking = pd.DataFrame({"state": mean_backlog.index, "mean": mean_backlog.to_numpy()})
    ranking = ranking.sort_values(["mean", "state"], ascending=[False, True], kind="stable")
    states = ranking["state"].head(top).tolist()
    chosen = timeseries.loc[timeseries["state"].isin(states)]
    if chosen.empty:
        return pd.DataFrame({column: [] for column in columns})
    wide = chosen.set_index(["state", "day", "replication"])["backlog"].astype(float)
    wide = wide.unstack("replication")  # raises on duplicate (state, day, replication)
    rank = {state: position for position, state in enumerate(states)}
    index = wide.index.to_frame(index=False)
    order = np.lexsort((index["day"].to_numpy(), index["state"].map(rank).to_numpy()))
    wide = wide.iloc[order]
    index = index.iloc[order]
    keys = {"state": index["state"].to_numpy(), "day": index["day"].to_numpy(dtype=float)}
    return _long_ci(wide.to_numpy().T, keys, None)
