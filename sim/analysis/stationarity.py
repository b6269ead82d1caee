"""Whether a run's measured window is stationary: shown from the records, not assumed.

The statistics of a run describe the requests created in its *measured window*, from the end
of the warm-up to the start of the run-out (or of the drain, without one). They are
steady-state figures only if the system is stationary over that window: a request created at
its end must fare like one created at its start. Three diagnostics show whether it is, all on
formal MLA requests (``FORMAL_MLA``, the requests that queue at central authorities):

1. *Warm-up by MSER-5* (:func:`mser5`). The marginal standard error rule (White 1997) picks
   the truncation point ``d`` that minimises the squared standard error of the mean of what is
   kept, ``MSER(d) = Σ_{i>d} (Z_i − Z̄_d)² / (m − d)²``; MSER-5 applies it to batch means of 5
   consecutive observations (White, Cobb & Spratt 2000), which smooths the noise
   that makes the rule truncate erratically on raw data. ``d`` is searched over the first half
   of the series only: a minimum at the end of that half means no truncation leaves a level
   series (the run is too short, or the series trends), and is reported as such. The series is
   the mean central-authority queue wait of the formal requests created each day, averaged
   across replications before the rule is applied, as Welch's method does (Welch 1983), since
   the average of independent replications has the same mean path with less noise. Why MSER-5
   rather than Welch's graphical method: it is automatic and reproducible, needs no choice of
   window, and did best among the truncation rules compared by White, Cobb & Spratt (2000).
2. *Quarter cohorts* (:func:`quarter_means`). The window is cut into cohorts of about a quarter
   (``QUARTER_DAYS``) by creation day; each cohort's mean time to evidence is computed per
   replication and summarised across replications with a Student-t 95% interval. The mean is
   the censoring-aware one of :mod:`sim.analysis.statistics` (Aalen–Johansen weights, among
   requests eventually fulfilled): later cohorts have had less follow-up, and a plain mean of
   the fulfilled ones would make them look faster merely because their slow requests are
   still pending.
3. *Trend of the queue wait* (:func:`wait_slope`). The central-authority queue wait of each
   formal request is regressed on its creation day by ordinary least squares, once per
   replication; the slopes are summarised by their mean and a Student-t 95% interval across
   replications. Why not the OLS standard error of one pooled regression: requests of one
   replication share its queues, so their waits are strongly autocorrelated and the OLS
   standard error would be far too small; replications are independent (separate random
   streams), so their slopes are independent draws and the t interval over them is valid.

The verdict (:class:`Verdict`): stationary when the slope's interval includes zero *and* the
quarter means agree, i.e. every pair of their intervals overlaps. Pairwise overlap of
intervals on a line is the same as all of them sharing a point (max of the lows <= min of the
highs). It is a lenient test: two 95% intervals of equal width overlap unless the means differ
by more than about 2.8 standard errors of their difference (a test at about the 0.6% level),
so it catches a shift between quarters, while the slope catches a steady drift. With one
replication there is no interval and the verdict is undetermined (None), as every interval
of the analysis is NaN then.

Caveat: both the quarter means and the waits see a request only up to the end of the run. The
Aalen–Johansen mean is among requests fulfilled within the follow-up, and a pending request's
wait counts up to the horizon, so a drain much shorter than the slowest requests biases the
last cohorts downwards (the baseline's two-year drain leaves little pending; a test scenario
with a 60-day drain does not). So does a window that ends where cases stop: its last requests
pass the central authorities while no new cases arrive, and wait less. The baseline's
``run_out_days`` (181) keeps cases coming after the window for that reason (docs/model.md
9.3).

References:
    White, K. P. (1997). An effective truncation heuristic for bias reduction in simulation
    output. Simulation 69(6), 323-334.
    White, K. P., Cobb, M. J. & Spratt, S. C. (2000). A comparison of five steady-state
    truncation heuristics for simulation. Proc. Winter Simulation Conference, 755-760.
    Welch, P. D. (1983). The statistical analysis of simulation results. In S. S. Lavenberg
    (ed.), Computer Performance Modeling Handbook, 268-328. Academic Press.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.competing_risks import event_time_mean
from sim.analysis.statistics import confidence_interval
from sim.rules.channels import FORMAL_MLA

CA_STAGES = ("outgoing_review", "legal_review")
"""Stages a central authority's staff may serve: their waits are its queue waits."""
QUARTER_DAYS = 365.25 / 4
"""The nominal length of a cohort; the window is cut into this many equal parts, rounded."""
BATCH_SIZE = 5
"""Observations per batch mean of MSER-5."""
MIN_BATCHES = 10
"""MSER-5 needs at least this many batches (50 days) to say anything."""
_COLUMNS = ("replication", "created_day", "channel", "outcome", "time_to_outcome_days")
SERIES = "daily mean central-authority queue wait of formal MLA requests, by creation day"
"""The series MSER-5 is applied to (averaged across replications)."""


def _formal(requests: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Formal MLA requests created in ``[start, end)``, checking the columns needed."""
    needed = [*_COLUMNS, *(f"{stage}_wait_days" for stage in CA_STAGES)]
    missing = [column for column in needed if column not in requests.columns]
    if missing:
        msg = f"requests table lacks columns {missing}"
        raise KeyError(msg)
    created = requests["created_day"].to_numpy(dtype=float)
    formal = requests["channel"].isin(FORMAL_MLA).to_numpy()
    keep = formal & (created >= start) & (created < end)
    return requests.loc[keep, needed]


def queue_wait(requests: pd.DataFrame) -> np.ndarray:
    """Days each request waited in central-authority queues (all its visits)."""
    return sum(requests[f"{stage}_wait_days"].to_numpy(dtype=float) for stage in CA_STAGES)


# -- MSER-5 -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Truncation:
    """The warm-up MSER-5 chose for a series.

    Attributes:
        day: Index label (day) of the first observation kept.
        deleted: Observations deleted (a multiple of ``BATCH_SIZE``).
        statistic: MSER of the batch means at the chosen truncation.
        at_limit: The minimum lies at the end of the searched first half: no truncation
            there leaves a level series, so the run is too short or the series trends.
    """

    day: float
    deleted: int
    statistic: float
    at_limit: bool


def mser_statistics(values: np.ndarray) -> np.ndarray:
    """MSER(d) for every d from 0 to len(values) − 1 (White 1997), on the values as given.

    ``MSER(d) = Σ_{i>d} (x_i − x̄_d)² / (n − d)²``, computed from suffix sums of the values
    centred on their overall mean (to keep the subtraction of sums accurate).
    """
    x = np.asarray(values, dtype=float)
    x = x - x.mean()
    kept = np.arange(x.size, 0, -1, dtype=float)  # n - d observations kept
    total = np.cumsum(x[::-1])[::-1]
    squares = np.cumsum((x**2)[::-1])[::-1]
    spread = np.maximum(squares - total**2 / kept, 0.0)
    return spread / kept**2


def mser5(series: pd.Series, batch_size: int = BATCH_SIZE) -> Truncation:
    """The MSER-5 truncation of a series (White, Cobb & Spratt 2000): see the module docstring.

    Args:
        series: Observations in time order, indexed by their day; NaNs are not allowed (drop
            empty days first, the index keeps the days).
        batch_size: Observations per batch mean (5 for MSER-5).

    Raises:
        ValueError: with fewer than ``MIN_BATCHES`` batches, or NaN values.
    """
    values = np.asarray(series, dtype=float)
    batches = values.size // batch_size
    if batches < MIN_BATCHES:
        msg = (
            f"MSER-{batch_size} needs at least {MIN_BATCHES * batch_size} observations "
            f"({MIN_BATCHES} batches), got {values.size}"
        )
        raise ValueError(msg)
    if np.isnan(values).any():
        raise ValueError("MSER needs a series without NaN (drop the empty days)")
    # The trailing observations that do not fill a batch are left out, as White et al. do.
    means = values[: batches * batch_size].reshape(batches, batch_size).mean(axis=1)
    limit = batches // 2
    statistics = mser_statistics(means)[: limit + 1]
    best = int(np.argmin(statistics))
    deleted = best * batch_size
    return Truncation(
        day=float(series.index[deleted]),
        deleted=deleted,
        statistic=float(statistics[best]),
        at_limit=best == limit,
    )


def daily_queue_wait(requests: pd.DataFrame, end_day: float) -> pd.Series:
    """Mean central-authority queue wait of formal requests by creation day (days < end).

    Each replication's daily mean is averaged across replications (Welch 1983); days with no
    formal request in any replication are left out. Indexed by the day (an integer).
    """
    formal = _formal(requests, -math.inf, end_day)
    frame = pd.DataFrame(
        {
            "replication": formal["replication"].to_numpy(),
            "day": np.floor(formal["created_day"].to_numpy(dtype=float)).astype(np.int64),
            "wait": queue_wait(formal),
        }
    )
    daily = frame.groupby(["day", "replication"])["wait"].mean().unstack("replication")
    return daily.mean(axis=1).rename("wait_days")


# -- quarter cohorts and the trend of the wait --------------------------------------------------


def cohort_edges(start_day: float, end_day: float) -> np.ndarray:
    """Edges of the cohorts: the window cut into equal parts about ``QUARTER_DAYS`` long."""
    if not end_day > start_day:
        msg = f"the window must end after it starts, got {start_day} to {end_day}"
        raise ValueError(msg)
    count = max(1, round((end_day - start_day) / QUARTER_DAYS))
    return np.linspace(start_day, end_day, count + 1)


def quarter_means(requests: pd.DataFrame, start_day: float, end_day: float) -> pd.DataFrame:
    """Mean time to evidence of each quarter's cohort of formal requests, with 95% CIs.

    Returns:
        One row per cohort: ``quarter`` (1, 2, ...), ``start_day``, ``end_day``,
        ``requests`` (formal requests created in it, all replications), ``estimate``,
        ``ci_low``, ``ci_high`` (days; Student t across replications, NaN bounds with one
        replication) and ``replications`` (those with a finite mean).
    """
    edges = cohort_edges(start_day, end_day)
    replications = np.unique(requests["replication"].to_numpy())
    formal = _formal(requests, start_day, end_day)
    cohort = np.searchsorted(edges, formal["created_day"].to_numpy(dtype=float), side="right") - 1
    durations = formal["time_to_outcome_days"].to_numpy(dtype=float)
    outcomes = formal["outcome"].astype(str).to_numpy()
    of_replication = formal["replication"].to_numpy()
    rows = []
    for index in range(edges.size - 1):
        means = []
        for replication in replications:
            chosen = (cohort == index) & (of_replication == replication)
            if chosen.any():
                means.append(event_time_mean(durations[chosen], outcomes[chosen]))
            else:
                means.append(math.nan)
        estimate, low, high = confidence_interval(np.array(means, dtype=float))
        rows.append(
            {
                "quarter": index + 1,
                "start_day": float(edges[index]),
                "end_day": float(edges[index + 1]),
                "requests": int(np.count_nonzero(cohort == index)),
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "replications": int(np.count_nonzero(np.isfinite(means))),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True, slots=True)
class Slope:
    """Trend of the queue wait against creation day: mean of per-replication OLS slopes.

    Attributes:
        estimate: Days of queue wait per day of creation, mean over replications.
        ci_low: Lower bound of its 95% Student-t interval across replications.
        ci_high: Upper bound.
        per_replication: Each replication's slope (NaN where it has < 2 distinct days).
        mean_wait_days: Mean queue wait over the window (mean over replications), to judge
            the slope by.
    """

    estimate: float
    ci_low: float
    ci_high: float
    per_replication: tuple[float, ...]
    mean_wait_days: float


def _ols_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of y on x; NaN unless x takes two values."""
    if x.size < 2:
        return math.nan
    dx = x - x.mean()
    spread = float(dx @ dx)
    return float(dx @ (y - y.mean()) / spread) if spread > 0.0 else math.nan


def wait_slope(requests: pd.DataFrame, start_day: float, end_day: float) -> Slope:
    """Slope of formal requests' central-authority queue wait on their creation day.

    Estimated per replication by OLS over the requests created in ``[start_day, end_day)``;
    see the module docstring for why the interval is taken across replications. A pending
    request's wait counts up to the end of the run.
    """
    replications = np.unique(requests["replication"].to_numpy())
    formal = _formal(requests, start_day, end_day)
    created = formal["created_day"].to_numpy(dtype=float)
    wait = queue_wait(formal)
    of_replication = formal["replication"].to_numpy()
    slopes, means = [], []
    for replication in replications:
        chosen = of_replication == replication
        slopes.append(_ols_slope(created[chosen], wait[chosen]))
        means.append(float(wait[chosen].mean()) if chosen.any() else math.nan)
    estimate, low, high = confidence_interval(np.array(slopes, dtype=float))
    mean_wait, _, _ = confidence_interval(np.array(means, dtype=float))
    return Slope(estimate, low, high, tuple(slopes), mean_wait)


# -- verdict and report -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the measured window looks stationary; None where it cannot be told.

    Attributes:
        slope_includes_zero: The queue wait's slope interval includes zero.
        quarters_agree: Every pair of quarter intervals overlaps (there are at least two).
        warm_up_covers_truncation: MSER-5's truncation lies within the configured warm-up
            and not at the limit of its search (None if the series was too short for it).
            MSER-5 is a truncation rule, not a test of trend: a series that rises through the
            warm-up and then drifts down is truncated at its peak, so True here does not make
            the window stationary; the slope and the quarters decide that.
    """

    slope_includes_zero: bool | None
    quarters_agree: bool | None
    warm_up_covers_truncation: bool | None

    @property
    def stationary(self) -> bool | None:
        """Both tests pass (None if either cannot be told and neither fails)."""
        tests = (self.slope_includes_zero, self.quarters_agree)
        if False in tests:
            return False
        return None if None in tests else True


def slope_includes_zero(slope: Slope) -> bool | None:
    """Whether the slope's interval includes zero (None without an interval)."""
    if math.isnan(slope.ci_low) or math.isnan(slope.ci_high):
        return None
    return slope.ci_low <= 0.0 <= slope.ci_high


def quarters_agree(quarters: pd.DataFrame) -> bool | None:
    """Whether all quarter intervals overlap pairwise, i.e. max(lows) <= min(highs).

    None with fewer than two quarters or if any interval is undefined (one replication).
    """
    lows = quarters["ci_low"].to_numpy(dtype=float)
    highs = quarters["ci_high"].to_numpy(dtype=float)
    if lows.size < 2 or np.isnan(lows).any() or np.isnan(highs).any():
        return None
    return bool(lows.max() <= highs.min())


def verdict(
    quarters: pd.DataFrame, slope: Slope, truncation: Truncation | None, warm_up_days: float
) -> Verdict:
    """The verdict on the diagnostics (see :class:`Verdict`)."""
    covers = None
    if truncation is not None:
        covers = truncation.day <= warm_up_days and not truncation.at_limit
    return Verdict(slope_includes_zero(slope), quarters_agree(quarters), covers)
