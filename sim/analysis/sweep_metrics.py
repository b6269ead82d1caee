"""The metrics a sweep collects: one row per replication, every metric a column.

A sweep point keeps only these numbers (not its request records), so a sweep of hundreds of
points stays small on disk and in memory. Each is computed per replication exactly as a run's
summary computes it (:mod:`sim.analysis.statistics`, :mod:`sim.analysis.needs`), leaving out
requests created in the warm-up; the sweep's summary then takes the mean and 95% interval
over replications. Every metric is computed for every point whatever the sweep file asks for,
so a stored point serves any later choice of metrics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis import needs, statistics
from sim.analysis.competing_risks import METRIC_KEYS, MILESTONE_DAYS
from sim.analysis.runs import RunResult
from sim.config.schema import Scenario
from sim.rules.channels import FORMAL_MLA
from sim.vocabulary import OUTCOMES

US = "USA"
"""The state whose central authority's queue the ``us_queue_wait_days`` metric follows: it
receives the most formal e-evidence requests (docs/model.md 9)."""
FORMAL_PREFIX = "formal_mla_"
"""Prefix of the metrics of requests whose last channel is a formal MLA channel."""

_REQUEST_METRICS: dict[str, str] = {
    "requests": "requests created after the warm-up, per replication",
    **{
        f"fulfilled_{day}d": f"share fulfilled within {day} days (cumulative incidence)"
        for day in MILESTONE_DAYS
    },
    "median_days": "median time to evidence of fulfilled requests (days)",
    "p90_days": "90th percentile of time to evidence (days)",
    "mean_days": "mean time to evidence (days)",
    **{f"share_{outcome}": f"share of requests {outcome} at the end" for outcome in OUTCOMES},
}

METRICS: dict[str, str] = {
    **_REQUEST_METRICS,
    **{
        f"{FORMAL_PREFIX}{name}": f"{text}, formal MLA requests only"
        for name, text in _REQUEST_METRICS.items()
    },
    "share_met": "share of evidence needs met (fulfilled over requests plus unpursued needs)",
    "share_pursued": "share of evidence needs turned into a request",
    "cases_all": "share of cases with every evidence need met",
    "cases_some": "share of cases with some but not all needs met",
    "cases_none": "share of cases with no need met",
    "needs": "evidence needs of cases opened after the warm-up, per replication",
    "unpursued": "needs never turned into a request, per replication",
    "backlog": "mean central-authority backlog, all states, over the measured period",
    "us_queue_wait_days": "mean queue wait (days) of formal requests at the US central authority",
}
"""Every metric a sweep can report, by name, with what it measures."""

DEFAULT_METRICS: tuple[str, ...] = (
    "median_days",
    "p90_days",
    "fulfilled_365d",
    "share_lost",
    "share_met",
)
"""The metrics a sweep reports when its file names none: the run summary's headlines."""

SHARE_METRICS: frozenset[str] = frozenset(
    name
    for name in METRICS
    if name.removeprefix(FORMAL_PREFIX).startswith(("fulfilled_", "share_", "cases_"))
)
"""Metrics that are proportions: their intervals are clipped to [0, 1]."""

_NEEDS_COLUMNS = ("share_met", "share_pursued", "cases_all", "cases_some", "cases_none")
_COUNT_COLUMNS = ("needs", "unpursued")


def replication_rows(result: RunResult, scenario: Scenario) -> pd.DataFrame:
    """Every metric of :data:`METRICS` for each replication of a run.

    Args:
        result: The run's records.
        scenario: The scenario run (its warm-up, drain and replications).

    Returns:
        One row per replication (``0 .. replications - 1``, NaN where a replication has
        nothing to measure), columns ``replication`` then the metrics in :data:`METRICS`
        order.
    """
    simulation = scenario.simulation
    warm_up = simulation.warm_up_days
    index = pd.Index(range(simulation.replications), name="replication")
    requests = result.requests
    formal = requests[requests["channel"].astype(str).isin(FORMAL_MLA)]
    frames = [
        _request_table(requests, warm_up, index, ""),
        _request_table(formal, warm_up, index, FORMAL_PREFIX),
        _needs_table(result, warm_up, index),
        _backlog(result.timeseries, warm_up, simulation.window_end_days)
        .reindex(index)
        .rename("backlog"),
        _us_queue_wait(formal, warm_up).reindex(index).rename("us_queue_wait_days"),
    ]
    table = pd.concat(frames, axis=1)[list(METRICS)].astype(float)
    return table.reset_index()


def _request_table(
    requests: pd.DataFrame, warm_up: float, index: pd.Index, prefix: str
) -> pd.DataFrame:
    """The request metrics of every replication (0 requests where it made none)."""
    if requests.empty:
        table = pd.DataFrame(index=index, columns=list(METRIC_KEYS), dtype=float)
    else:
        table = statistics.replication_metrics(requests, warm_up_days=warm_up)
        table = table.drop(columns="group").set_index("replication").reindex(index)
    table["n"] = table["n"].fillna(0.0)
    table = table.rename(columns={"n": "requests"})
    return table.add_prefix(prefix)


def _needs_table(result: RunResult, warm_up: float, index: pd.Index) -> pd.DataFrame:
    columns = [*_NEEDS_COLUMNS, *_COUNT_COLUMNS]
    table = needs.replication_needs(result.requests, result.unpursued, warm_up)
    if table.empty:
        return pd.DataFrame(index=index, columns=columns, dtype=float)
    return table.set_index("replication")[columns].reindex(index)


def _backlog(timeseries: pd.DataFrame, start: float, stop: float) -> pd.Series:
    """Mean over the measured days of the backlog summed over every state, per replication."""
    if timeseries.empty:
        return pd.Series(dtype=float)
    day = timeseries["day"].to_numpy(dtype=float)
    measured = timeseries[(day >= start) & (day < stop)]
    totals = measured.groupby(["replication", "day"], sort=True)["backlog"].sum()
    return totals.groupby(level="replication").mean().astype(float)


def _us_queue_wait(formal: pd.DataFrame, warm_up: float) -> pd.Series:
    """Mean days formal requests waited for the US central authority's legal review.

    Counted over the formal requests created after the warm-up that reached the US
    authority's review (its queue); a request still waiting at the end counts the wait so far.
    """
    if formal.empty or "legal_review_wait_days" not in formal:
        return pd.Series(dtype=float)
    reached = (
        (formal["requested"].astype(str) == US)
        & (formal["created_day"].to_numpy(dtype=float) >= warm_up)
        & (formal["legal_review_days"].to_numpy(dtype=float) > 0.0)
    )
    waits = formal.loc[reached, ["replication", "legal_review_wait_days"]]
    return waits.groupby("replication")["legal_review_wait_days"].mean().astype(float)


def interval(values: np.ndarray, metric: str) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval of a metric's values over replications.

    A proportion's interval is clipped to [0, 1] (:func:`statistics.share_interval`).
    """
    if metric in SHARE_METRICS:
        return statistics.share_interval(values)
    return statistics.confidence_interval(values)
