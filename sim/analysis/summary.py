"""A run's summary: headline metrics overall, per channel and per requested state, with CIs.

The first headline is the share of evidence needs met (``evidence_needs``,
:mod:`sim.analysis.needs`): per-request metrics describe only the requests made, while many
needs are never pursued.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis import loss, needs, stationarity, stationarity_report, statistics
from sim.analysis.runs import RunResult
from sim.config.schema import Scenario
from sim.vocabulary import STAGES


def _clean(value: Any) -> Any:
    """JSON-safe values: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    return value


def _clean_tree(value: Any) -> Any:
    """:func:`_clean` applied through nested dicts."""
    if isinstance(value, dict):
        return {key: _clean_tree(item) for key, item in value.items()}
    return _clean(value)


def _summarised_columns(requests: pd.DataFrame) -> pd.DataFrame:
    """The requests without the stage and wait times no summary reads.

    The summaries select rows by masks many times over; a mask copies every column, and
    the stage and wait times are 14 of the table's 35 (the central authorities' waits stay,
    for the stationarity report).
    """
    kept_waits = {f"{stage}_wait_days" for stage in stationarity.CA_STAGES}
    unread = [f"{stage}_days" for stage in STAGES] + [
        f"{stage}_wait_days" for stage in STAGES if f"{stage}_wait_days" not in kept_waits
    ]
    return requests.drop(columns=[c for c in unread if c in requests.columns])


def summarise_run(result: RunResult, scenario: Scenario) -> dict[str, Any]:
    """The summary of a run: headline metrics overall and per channel, with 95% CIs."""
    warm_up = scenario.simulation.warm_up_days
    requests = _summarised_columns(result.requests)
    groups: dict[str, Any] = {}
    for by in (None, "channel", "requested"):
        table = statistics.summarise(
            statistics.replication_metrics(requests, by=by, warm_up_days=warm_up)
        )
        section: dict[str, Any] = {}
        for row in table.itertuples(index=False):
            section.setdefault(str(row.group), {})[str(row.metric)] = {
                "estimate": _clean(row.estimate),
                "ci_low": _clean(row.ci_low),
                "ci_high": _clean(row.ci_high),
                "replications": int(row.replications),
            }
        groups["overall" if by is None else f"by_{by}"] = section
    return {
        "scenario": scenario.name,
        "replications": scenario.simulation.replications,
        "seed": scenario.simulation.seed,
        "warm_up_days": warm_up,
        "confidence_interval": (
            "95%, Student t across replications; intervals of shares clipped to [0, 1]"
        ),
        "time_to_evidence": (
            "Aalen-Johansen cumulative incidence of fulfilment; refused, lost and abandoned "
            "are competing outcomes, pending requests are censored at the end of the run; "
            "median, p90 and mean are among requests eventually fulfilled"
        ),
        "requests_simulated": len(requests),
        "evidence_needs": _clean(needs.needs_summary(requests, result.unpursued, warm_up)),
        **groups,
        "loss": _clean_tree(loss.loss_summary(requests, warm_up)),
        "stationarity": stationarity_report.report(requests, scenario.simulation).to_dict(),
    }
