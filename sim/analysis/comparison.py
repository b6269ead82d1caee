"""Comparing scenarios under common random numbers: paired differences with 95% CIs.

Every scenario of a comparison is run with the same seed and the same number of
replications. Since the arrivals come from one stream per state and every draw of a case or
request is keyed by the request's identity and the draw's purpose (see
:mod:`sim.engine.streams`), replication ``r`` of one scenario and replication ``r`` of another
see the same cases, and each request the same stage-time variates and the same decision draws
wherever the policy does not change its path; a request the policy leaves alone, waiting in no
queue it changes, has the same row in both. The difference of a metric between the two, taken
replication by replication, is then the policy's effect plus much less noise than two
independent runs would give: the paired (common random numbers) interval is narrower than the
unpaired (Welch) one, which is kept beside it to show how much the pairing buys.

Metrics per scenario, group and replication are those of :mod:`sim.analysis.statistics`
(cumulative incidence with refused, lost and abandoned as competing outcomes and pending
requests censored), plus the mean central-authority backlog over the measured period.

This module computes; :mod:`sim.analysis.report` words the result for the terminal and
``comparison.md``, and :mod:`sim.analysis.figure_registry` draws it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis import statistics
from sim.analysis.runs import ScenarioRun
from sim.config.schema import Scenario
from sim.vocabulary import GROUPINGS

REQUEST_METRICS: tuple[str, ...] = (
    *(f"fulfilled_{day}d" for day in statistics.MILESTONE_DAYS),
    "median_days",
    "p90_days",
    "share_refused",
    "share_lost",
)
METRICS: tuple[str, ...] = (*REQUEST_METRICS, "backlog")
"""The compared metrics, in the order tables list them."""

METRIC_LABELS: dict[str, str] = {
    **{
        f"fulfilled_{day}d": f"fulfilled within {day} days (%)" for day in statistics.MILESTONE_DAYS
    },
    "median_days": "median time to evidence (days)",
    "p90_days": "p90 time to evidence (days)",
    "share_refused": "refused (%)",
    "share_lost": "evidence lost (%)",
    "backlog": "central-authority backlog (requests)",
}
"""What each metric measures, with its unit: the name reports and the terminal give it."""

CSV_COLUMNS: tuple[str, ...] = (
    "scenario",
    "group",
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "diff_unpaired_ci_low",
    "diff_unpaired_ci_high",
    "replications",
)

CI_METHOD = (
    "Estimates: mean across replications with a 95% Student-t confidence interval. "
    "Differences: scenario minus the reference (the first scenario), paired by replication "
    "number under common random numbers (same seed, each request's draws keyed by the "
    "request), with a 95% paired-t interval; the unpaired Welch interval of the same "
    "difference, which ignores the pairing, is given for comparison. Intervals of shares are "
    "clipped to [0, 1], those of differences of shares to [-1, 1]."
)
"""How every interval of a comparison is computed, stated in its report and manifest."""
TIME_TO_EVIDENCE_METHOD = (
    "Time to evidence: Aalen-Johansen cumulative incidence of fulfilment; refused, lost and "
    "abandoned are competing outcomes and requests pending at the end are censored; median "
    "and p90 are among requests eventually fulfilled."
)
"""What the time-to-evidence metrics are, stated in the report."""


# --------------------------------------------------------------------------------------
# Metrics per replication
# --------------------------------------------------------------------------------------


def _backlog_values(
    timeseries: pd.DataFrame, scenario: Scenario, by: str, regions: Mapping[str, str]
) -> pd.DataFrame:
    """Mean backlog over the measured period per replication: world total, and per group.

    The world total (the sum over states on each observed day) goes in the ``all`` group;
    ``by="requested"`` adds each state's own, ``by="region"`` each region's total.
    """
    start, stop = scenario.simulation.measured_window
    day = timeseries["day"].to_numpy(dtype=float)
    series = timeseries.loc[(day >= start) & (day < stop), ["replication", "day", "state"]].copy()
    series["state"] = series["state"].astype(str)
    series["backlog"] = timeseries.loc[series.index, "backlog"].to_numpy(dtype=float)
    keys = {"all": None, "requested": "state", "region": "region"}
    if by == "region":
        series["region"] = series["state"].map(regions).fillna("unknown")
    frames = []
    for label, column in keys.items():
        if label != "all" and label != by:
            continue
        columns = ["replication", "day"] if column is None else ["replication", column, "day"]
        totals = series.groupby(columns, observed=True, sort=True)["backlog"].sum()
        means = totals.groupby(level=columns[:-1], observed=True, sort=True).mean().reset_index()
        means["group"] = statistics.ALL if column is None else means[column]
        frames.append(means.rename(columns={"backlog": "value"})[["replication", "group", "value"]])
    values = pd.concat(frames, ignore_index=True)
    values["metric"] = "backlog"
    return values


def replication_values(
    run: ScenarioRun, by: str = "channel", regions: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Every compared metric of one scenario per group and replication.

    Args:
        run: The scenario and its records.
        by: One of :data:`GROUPINGS`; the ``all`` group (every request) is always included.
        regions: Region of each ISO3 code, needed when ``by == "region"`` (the requested
            state's region); the packaged world data when None.

    Returns:
        Long format: ``replication``, ``group``, ``metric``, ``value``. Requests created
        before the warm-up are left out, as in summary.json.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}, got {by!r}")
    if by == "region" and regions is None:
        regions = world_regions()
    regions = regions or {}
    requests = run.result.requests
    if by == "region":
        requests = requests.assign(region=requests["requested"].astype(str).map(regions))
    warm_up = run.scenario.simulation.warm_up_days
    frames = []
    for column in (None, by):
        table = statistics.replication_metrics(requests, by=column, warm_up_days=warm_up)
        frames.append(
            table.melt(
                id_vars=["replication", "group"],
                value_vars=list(REQUEST_METRICS),
                var_name="metric",
                value_name="value",
            )
        )
    frames.append(_backlog_values(run.result.timeseries, run.scenario, by, regions))
    values = pd.concat(frames, ignore_index=True)
    values["group"] = values["group"].astype(str)
    values["replication"] = values["replication"].astype(np.int64)
    return values[["replication", "group", "metric", "value"]]


def world_regions() -> dict[str, str]:
    """Region of every state in the packaged world data."""
    from sim.world.data import load_world_data

    return {code: facts.region for code, facts in load_world_data().states.items()}


# --------------------------------------------------------------------------------------
# Differences
# --------------------------------------------------------------------------------------


def paired_difference(
    values: np.ndarray,
    reference: np.ndarray,
    level: float = 0.95,
    *,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float, float]:
    """Mean of ``values - reference`` over replications present in both, with a t interval.

    Args:
        values: The scenario's value per replication.
        reference: The reference's value per replication, aligned with ``values``.
        level: Confidence level in (0, 1).
        bounds: The range a difference cannot leave, e.g. (-1, 1) for shares; the interval
            is clipped to it. None leaves it as it is.

    Returns:
        (mean, low, high); the bounds are NaN with fewer than two pairs.
    """
    difference = np.asarray(values, dtype=float) - np.asarray(reference, dtype=float)
    return statistics.confidence_interval(difference[~np.isnan(difference)], level, bounds=bounds)


def welch_difference(
    values: np.ndarray,
    reference: np.ndarray,
    level: float = 0.95,
    *,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float, float]:
    """Difference of means with the unpaired Welch interval (unequal variances).

    Args:
        values: The scenario's values.
        reference: The reference's values.
        level: Confidence level in (0, 1).
        bounds: The range a difference cannot leave, e.g. (-1, 1) for shares; the interval
            is clipped to it. None leaves it as it is.

    Returns:
        (mean(values) - mean(reference), low, high); the bounds are NaN when either side
        has fewer than two values, and equal to the difference when both variances are 0.
    """
    a = np.asarray(values, dtype=float)
    b = np.asarray(reference, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size == 0 or b.size == 0:
        return math.nan, math.nan, math.nan
    difference = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return difference, math.nan, math.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0.0:
        return difference, difference, difference
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2.0, df)) * se
    low, high = difference - half, difference + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return difference, low, high


@dataclass(frozen=True)
class Comparison:
    """The compared metrics of several scenarios.

    Attributes:
        table: One row per scenario, group and metric, with the columns of
            :data:`CSV_COLUMNS`; the reference's difference columns are NaN.
        values: The per-replication values behind it (``scenario``, ``group``, ``metric``,
            ``replication``, ``value``).
        scenarios: Scenario names, the reference first.
        by: The grouping.
        replications: Replications per scenario.
        seed: The common seed.
    """

    table: pd.DataFrame
    values: pd.DataFrame
    scenarios: tuple[str, ...]
    by: str
    replications: int
    seed: int

    @property
    def reference(self) -> str:
        """The scenario every other is compared with."""
        return self.scenarios[0]


def compare_values(values: pd.DataFrame, scenarios: Sequence[str]) -> pd.DataFrame:
    """Estimates per scenario and paired and unpaired differences from the first scenario.

    Args:
        values: Per-replication values with ``scenario``, ``group``, ``metric``,
            ``replication``, ``value``.
        scenarios: Scenario names, the reference first.

    Returns:
        The long table of :data:`CSV_COLUMNS`: groups in order of first appearance with
        ``all`` first, metrics in :data:`METRICS` order, scenarios in the order given. A
        group a scenario lacks has NaN values there.
    """
    replications = sorted(values["replication"].unique())
    groups = list(dict.fromkeys(values["group"]))
    groups = [statistics.ALL, *(g for g in groups if g != statistics.ALL)]
    present = set(zip(values["group"], values["metric"], strict=True))
    wide = values.set_index(["group", "metric", "replication", "scenario"])["value"].unstack(
        "scenario"
    )
    wide = wide.reindex(columns=list(scenarios))
    rows = []
    for group in groups:
        for metric in METRICS:
            if (group, metric) not in present:
                continue
            block = wide.loc[(group, metric)].reindex(replications)
            reference = block[scenarios[0]].to_numpy(dtype=float)
            share = metric in statistics.SHARE_METRICS
            interval = statistics.share_interval if share else statistics.confidence_interval
            difference_bounds = (-1.0, 1.0) if share else None
            for name in scenarios:
                current = block[name].to_numpy(dtype=float)
                estimate, low, high = interval(current)
                row = {
                    "scenario": name,
                    "group": group,
                    "metric": metric,
                    "estimate": estimate,
                    "ci_low": low,
                    "ci_high": high,
                    "replications": int(np.count_nonzero(~np.isnan(current))),
                }
                if name == scenarios[0]:
                    paired = unpaired = (math.nan, math.nan, math.nan)
                else:
                    paired = paired_difference(current, reference, bounds=difference_bounds)
                    unpaired = welch_difference(current, reference, bounds=difference_bounds)
                row.update(
                    diff=paired[0],
                    diff_ci_low=paired[1],
                    diff_ci_high=paired[2],
                    diff_unpaired_ci_low=unpaired[1],
                    diff_unpaired_ci_high=unpaired[2],
                )
                rows.append(row)
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


def compare(
    runs: Sequence[ScenarioRun], by: str = "channel", regions: Mapping[str, str] | None = None
) -> Comparison:
    """Compare scenario runs made with common random numbers; the first is the reference.

    Raises:
        ValueError: With fewer than two runs, repeated names, an unknown grouping, or runs
            that do not share their seed and replications (the pairing would be meaningless).
    """
    if len(runs) < 2:
        raise ValueError("a comparison needs at least two scenarios")
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ, got {names}")
    settings = {(r.scenario.simulation.seed, r.scenario.simulation.replications) for r in runs}
    if len(settings) != 1:
        raise ValueError("compared runs must share their seed and replications")
    if by == "region" and regions is None:
        regions = world_regions()
    frames = []
    for run in runs:
        frame = replication_values(run, by, regions)
        frame.insert(0, "scenario", run.name)
        frames.append(frame)
    values = pd.concat(frames, ignore_index=True)
    (seed, replications) = settings.pop()
    return Comparison(
        table=compare_values(values, names),
        values=values[["scenario", "group", "metric", "replication", "value"]],
        scenarios=tuple(names),
        by=by,
        replications=replications,
        seed=seed,
    )
