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

All functions are pure; nothing here keeps state between calls. The estimator is vectorised
(one sort, then cumulative sums over the distinct times) because request tables may hold
millions of rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.vocabulary import OUTCOMES

MILESTONE_DAYS: tuple[int, ...] = (30, 90, 180, 365)
ALL = "all"

_CENSORED = "pending"
_CENSORED_CODE = OUTCOMES.index(_CENSORED)
_FULFILLED_CODE = OUTCOMES.index("fulfilled")
# Relative slack used when inverting the CIF, so that a step that should reach q × total
# exactly is not missed because of floating-point rounding in the cumulative products.
_QUANTILE_RTOL = 1e-10

_METRIC_KEYS: tuple[str, ...] = (
    "n",
    *(f"fulfilled_{day}d" for day in MILESTONE_DAYS),
    "median_days",
    "p90_days",
    "mean_days",
    *(f"share_{outcome}" for outcome in OUTCOMES),
)
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


@dataclass(frozen=True)
class _CauseFit:
    """Aalen–Johansen fit for one cause, restricted to the times where that cause occurs.

    Only the jump times of the cause are kept: the CIF is a right-continuous step function
    that changes nowhere else, so these suffice to evaluate it, invert it and average over it.

    Attributes:
        n: Number of observations the fit is based on.
        times: Distinct times at which the cause occurs, increasing.
        cif: CIF of the cause just after each of ``times`` (strictly increasing).
    """

    n: int
    times: np.ndarray
    cif: np.ndarray

    @property
    def total(self) -> float:
        """CIF at the largest observed time (0 if the cause never occurs, NaN if n == 0)."""
        if self.n == 0:
            return float("nan")
        return float(self.cif[-1]) if self.cif.size else 0.0

    def evaluate(self, grid: np.ndarray) -> np.ndarray:
        """CIF at each grid time; constant after the last observation, like scipy's ECDF."""
        grid = np.asarray(grid, dtype=float)
        if self.n == 0:
            return np.full(grid.shape, np.nan)
        index = np.searchsorted(self.times, grid, side="right") - 1
        padded = np.concatenate(([0.0], self.cif))
        values = padded[index + 1]
        return np.where(np.isnan(grid), np.nan, values)

    def quantile(self, q: float) -> float:
        """Smallest t with CIF(t) >= q × CIF(t_last): a quantile among eventual events."""
        total = self.total
        if not total > 0.0:
            return float("nan")
        target = q * total - _QUANTILE_RTOL * total
        index = int(np.searchsorted(self.cif, target, side="left"))
        return float(self.times[min(index, self.times.size - 1)])

    def mean(self) -> float:
        """Mean event time among eventual events: Σ t × ΔCIF(t) / CIF(t_last)."""
        total = self.total
        if not total > 0.0:
            return float("nan")
        increments = np.diff(self.cif, prepend=0.0)
        return float(np.dot(self.times, increments) / total)


def _fit_sorted(durations: np.ndarray, codes: np.ndarray, cause_code: int) -> _CauseFit:
    """Aalen–Johansen fit on durations already sorted in increasing order.

    Ties follow the usual convention: at each distinct time all events (of every cause) are
    counted against the same risk set, and censorings at that time leave the risk set only
    afterwards. Because the input is sorted, the risk set at the k-th distinct time is simply
    n minus the index where that time first appears, so no per-row loop is needed.

    Args:
        durations: Times to outcome, sorted increasingly, finite and non-negative.
        codes: Outcome codes (indices into ``OUTCOMES``) aligned with ``durations``.
        cause_code: Code of the cause whose cumulative incidence is wanted.

    Returns:
        The fit restricted to the jump times of the cause.
    """
    n = int(durations.size)
    if n == 0:
        return _CauseFit(0, np.empty(0), np.empty(0))
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(durations[1:], durations[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    times = durations[starts]
    at_risk = (n - starts).astype(float)
    events = np.add.reduceat((codes != _CENSORED_CODE).astype(np.int64), starts)
    cause_events = np.add.reduceat((codes == cause_code).astype(np.int64), starts)
    survival_after = np.cumprod(1.0 - events / at_risk)
    survival_before = np.concatenate(([1.0], survival_after[:-1]))
    jumps = cause_events > 0
    increments = survival_before[jumps] * cause_events[jumps] / at_risk[jumps]
    return _CauseFit(n, times[jumps], np.cumsum(increments))


def _encode_outcomes(outcomes: np.ndarray | pd.Series) -> np.ndarray:
    """Map outcome labels to their index in ``OUTCOMES``, rejecting unknown labels.

    An unknown label (say a typo) would otherwise silently count as a competing risk, so it
    is an error.
    """
    if not isinstance(outcomes, pd.Series):
        outcomes = np.asarray(outcomes, dtype=object).ravel()
    # Factorize first (fast on Arrow-backed strings), then map the few distinct labels.
    value_codes, uniques = pd.factorize(outcomes)
    lookup = np.append(pd.Index(OUTCOMES).get_indexer(uniques), -1)  # code -1 = missing
    codes = lookup[value_codes].astype(np.int8)
    if codes.size and codes.min() < 0:
        bad = sorted({str(value) for value in np.asarray(outcomes, dtype=object)[codes < 0]})
        msg = f"unknown outcomes {bad}; expected one of {OUTCOMES}"
        raise ValueError(msg)
    return codes


def _check_durations(durations: np.ndarray) -> np.ndarray:
    """Return durations as floats, rejecting NaN, infinite or negative values."""
    durations = np.asarray(durations, dtype=float).ravel()
    if durations.size and not (np.isfinite(durations).all() and durations.min() >= 0.0):
        msg = "durations must be finite and non-negative"
        raise ValueError(msg)
    return durations


def _cause_code(cause: str) -> int:
    """Code of an event cause; ``pending`` is censoring, not a cause."""
    if cause not in OUTCOMES or cause == _CENSORED:
        causes = [outcome for outcome in OUTCOMES if outcome != _CENSORED]
        msg = f"cause must be one of {causes}, got {cause!r}"
        raise ValueError(msg)
    return OUTCOMES.index(cause)


def _fit(durations: np.ndarray, outcomes: np.ndarray, cause: str) -> _CauseFit:
    """Validate, encode and sort raw inputs, then fit."""
    cause_code = _cause_code(cause)
    durations = _check_durations(durations)
    codes = _encode_outcomes(outcomes)
    if durations.size != codes.size:
        msg = f"{durations.size} durations but {codes.size} outcomes"
        raise ValueError(msg)
    order = np.argsort(durations, kind="stable")
    return _fit_sorted(durations[order], codes[order], cause_code)


def cumulative_incidence(
    durations: np.ndarray, outcomes: np.ndarray, grid: np.ndarray, cause: str = "fulfilled"
) -> np.ndarray:
    """Aalen–Johansen CIF of `cause` evaluated at each grid time (right-continuous).

    The CIF at t estimates the probability that a request ends with `cause` by day t, with
    ``pending`` as censoring and the other outcomes as competing risks. Beyond the largest
    observed time the last value is carried forward (as scipy's ECDF does); if that last
    observation is censored this is a lower bound, since the CIF can only grow.

    Args:
        durations: Time from creation to outcome (or to the end of the run if pending).
        outcomes: Outcome labels from ``OUTCOMES``, aligned with ``durations``.
        grid: Times at which to evaluate the CIF; any shape, NaN gives NaN.
        cause: The event of interest; any outcome except ``pending``.

    Returns:
        Array shaped like `grid`; all NaN if there are no observations.

    Raises:
        ValueError: On unknown outcomes or causes, mismatched lengths, or durations that
            are negative or not finite.
    """
    return _fit(durations, outcomes, cause).evaluate(grid)


def event_time_quantile(
    durations: np.ndarray, outcomes: np.ndarray, q: float, cause: str = "fulfilled"
) -> float:
    """Quantile of the time to `cause` among requests that eventually end with it.

    Defined as the smallest t with CIF(t) >= q × CIF(t_last), with t_last the largest
    observed time. Normalising by CIF(t_last) conditions on the event happening within the
    follow-up; without censoring this is exactly the inverted-CDF empirical quantile of the
    event times, so it stays comparable with the naive figure on complete data.

    Args:
        durations: Time from creation to outcome (or to the end of the run if pending).
        outcomes: Outcome labels from ``OUTCOMES``.
        q: Probability level in [0, 1].
        cause: The event of interest.

    Returns:
        The quantile in days, NaN if `cause` never occurs.

    Raises:
        ValueError: If `q` is outside [0, 1], or on invalid inputs.
    """
    if not 0.0 <= q <= 1.0:
        msg = f"q must lie in [0, 1], got {q}"
        raise ValueError(msg)
    return _fit(durations, outcomes, cause).quantile(q)


def event_time_mean(durations: np.ndarray, outcomes: np.ndarray, cause: str = "fulfilled") -> float:
    """Mean time to `cause` among requests that eventually end with it.

    Computed as Σ t × ΔCIF(t) / CIF(t_last), which weights each event by its Aalen–Johansen
    mass so that censored requests are accounted for; without censoring it is the plain
    mean of the event times.

    Args:
        durations: Time from creation to outcome (or to the end of the run if pending).
        outcomes: Outcome labels from ``OUTCOMES``.
        cause: The event of interest.

    Returns:
        The mean in days, NaN if `cause` never occurs.
    """
    return _fit(durations, outcomes, cause).mean()


def _metrics_sorted(durations: np.ndarray, codes: np.ndarray) -> dict[str, float]:
    """All request metrics from durations sorted increasingly and their outcome codes."""
    n = int(durations.size)
    fit = _fit_sorted(durations, codes, _FULFILLED_CODE)
    milestones = fit.evaluate(np.asarray(MILESTONE_DAYS, dtype=float))
    metrics: dict[str, float] = {"n": n}
    for day, value in zip(MILESTONE_DAYS, milestones, strict=True):
        metrics[f"fulfilled_{day}d"] = float(value)
    metrics["median_days"] = fit.quantile(0.5)
    metrics["p90_days"] = fit.quantile(0.9)
    metrics["mean_days"] = fit.mean()
    counts = np.bincount(codes, minlength=len(OUTCOMES))
    for outcome, count in zip(OUTCOMES, counts, strict=True):
        metrics[f"share_{outcome}"] = float(count / n) if n else float("nan")
    return metrics


def request_metrics(durations: np.ndarray, outcomes: np.ndarray) -> dict[str, float]:
    """Headline metrics of one set of requests (typically one replication and group).

    Args:
        durations: Time from creation to outcome (or to the end of the run if pending).
        outcomes: Outcome labels from ``OUTCOMES``.

    Returns:
        ``n`` (an int); ``fulfilled_<d>d``: CIF of fulfilment at each of ``MILESTONE_DAYS``;
        ``median_days``, ``p90_days``, ``mean_days``: time to evidence among eventually
        fulfilled requests (NaN if none); ``share_<outcome>``: raw proportion of each of
        ``OUTCOMES``. Everything but ``n`` is NaN when there are no requests.
    """
    durations = _check_durations(durations)
    codes = _encode_outcomes(outcomes)
    if durations.size != codes.size:
        msg = f"{durations.size} durations but {codes.size} outcomes"
        raise ValueError(msg)
    order = np.argsort(durations, kind="stable")
    return _metrics_sorted(durations[order], codes[order])


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
    durations = _check_durations(requests["time_to_outcome_days"].to_numpy(dtype=float)[keep])
    codes = _encode_outcomes(requests["outcome"][keep])
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
    rows = [_metrics_sorted(durations, codes) for durations, codes in cells.slices()]
    table = pd.DataFrame(rows, columns=list(_METRIC_KEYS))
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
            _fit_sorted(durations, codes, _FULFILLED_CODE).evaluate(grid)
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
