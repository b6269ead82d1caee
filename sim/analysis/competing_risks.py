"""Competing-risks estimators for one set of requests: cumulative incidence, quantiles, means.

Requests still open when a run ends are ``pending`` and treated as right-censored; ``refused``,
``lost`` and ``abandoned`` compete with ``fulfilled``. The cumulative incidence of fulfilment
is the Aalen-Johansen estimate; treating competitors as censored instead (1 - Kaplan-Meier)
would pretend that a refused request could still be fulfilled later. The estimator is
vectorised (one sort, then cumulative sums over the distinct times) because request tables
may hold millions of rows. :mod:`sim.analysis.statistics` applies these per replication.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.vocabulary import OUTCOMES

MILESTONE_DAYS: tuple[int, ...] = (30, 90, 180, 365)


_CENSORED = "pending"


_CENSORED_CODE = OUTCOMES.index(_CENSORED)


FULFILLED_CODE = OUTCOMES.index("fulfilled")


# Relative slack used when inverting the CIF, so that a step that should reach q × total
# exactly is not missed because of floating-point rounding in the cumulative products.
_QUANTILE_RTOL = 1e-10


METRIC_KEYS: tuple[str, ...] = (
    "n",
    *(f"fulfilled_{day}d" for day in MILESTONE_DAYS),
    "median_days",
    "p90_days",
    "mean_days",
    *(f"share_{outcome}" for outcome in OUTCOMES),
)


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


def fit_sorted(durations: np.ndarray, codes: np.ndarray, cause_code: int) -> _CauseFit:
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


def encode_outcomes(outcomes: np.ndarray | pd.Series) -> np.ndarray:
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


def check_durations(durations: np.ndarray) -> np.ndarray:
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
    durations = check_durations(durations)
    codes = encode_outcomes(outcomes)
    if durations.size != codes.size:
        msg = f"{durations.size} durations but {codes.size} outcomes"
        raise ValueError(msg)
    order = np.argsort(durations, kind="stable")
    return fit_sorted(durations[order], codes[order], cause_code)


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


def metrics_sorted(durations: np.ndarray, codes: np.ndarray) -> dict[str, float]:
    """All request metrics from durations sorted increasingly and their outcome codes."""
    n = int(durations.size)
    fit = fit_sorted(durations, codes, FULFILLED_CODE)
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
    durations = check_durations(durations)
    codes = encode_outcomes(outcomes)
    if durations.size != codes.size:
        msg = f"{durations.size} durations but {codes.size} outcomes"
        raise ValueError(msg)
    order = np.argsort(durations, kind="stable")
    return metrics_sorted(durations[order], codes[order])
