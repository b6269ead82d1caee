"""The share of evidence needs met: of every need, pursued or not, and of every case.

Per-request statistics describe the requests made; a need its investigators never turned
into a request (``unpursued``: the formal route was too slow for what the case was worth,
docs/model.md section 7.4) leaves no request row, yet it is evidence the case did not get.
This module counts both. At request level the share met is fulfilled requests over all
needs (requests plus unpursued needs); at case level a case got all, some or none of its
evidence. Needs are those of cases opened after the warm-up, like every other statistic; a
request still pending at the end of the run counts as not met (its evidence had not come).
Each figure is computed per replication, then averaged with a 95% Student t interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.analysis import statistics
from sim.vocabulary import RECORDED_CHANNELS

CASE_SHARES = ("all", "some", "none")
"""How much of its evidence a case got: every need met, some of them, or none."""


def _after_warm_up(frame: pd.DataFrame, warm_up_days: float) -> pd.DataFrame:
    """The rows of needs created after the warm-up (an empty frame stays empty)."""
    if frame.empty or "created_day" not in frame:
        return frame.iloc[0:0]
    return frame[frame["created_day"].to_numpy(dtype=float) >= warm_up_days]


def _integers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as int64 values (none for an empty frame, which may lack the column)."""
    if frame.empty:
        return np.zeros(0, dtype=np.int64)
    return frame[column].to_numpy(dtype=np.int64)


def replication_needs(
    requests: pd.DataFrame, unpursued: pd.DataFrame, warm_up_days: float
) -> pd.DataFrame:
    """One row per replication: needs, requests, unpursued, fulfilled and the shares met.

    Columns: ``replication``, ``needs``, ``requests``, ``unpursued``, ``fulfilled``,
    ``share_pursued``, ``share_met`` (fulfilled over needs), ``cases`` and ``cases_all``,
    ``cases_some``, ``cases_none`` (shares of cases, adding up to 1).
    """
    requests = _after_warm_up(requests, warm_up_days)
    unpursued = _after_warm_up(unpursued, warm_up_days)
    made_replication = _integers(requests, "replication")
    made_met = (
        (requests["outcome"] == "fulfilled").to_numpy(dtype=np.int64)
        if len(requests)
        else np.zeros(0, dtype=np.int64)
    )
    dropped_replication = _integers(unpursued, "replication")
    replication = np.concatenate([made_replication, dropped_replication])
    case = np.concatenate([_integers(requests, "case_id"), _integers(unpursued, "case_id")])
    met = np.concatenate([made_met, np.zeros(len(unpursued), dtype=np.int64)])
    # A case is (replication, case id): numbered together by one sort, then counted.
    order = np.lexsort((case, replication))
    replication, case, met = replication[order], case[order], met[order]
    first = np.ones(len(case), dtype=bool)
    first[1:] = (case[1:] != case[:-1]) | (replication[1:] != replication[:-1])
    starts = np.flatnonzero(first)
    case_needs = np.diff(np.append(starts, len(case)))
    case_met = np.add.reduceat(met, starts) if len(starts) else met[:0]
    case_replication = replication[starts]
    rows = []
    for number in np.unique(case_replication):
        block = case_replication == number
        total, met_in = case_needs[block], case_met[block]
        n_requests = int(np.count_nonzero(made_replication == number))
        n_unpursued = int(np.count_nonzero(dropped_replication == number))
        rows.append(
            {
                "replication": int(number),
                "needs": int(total.sum()),
                "requests": n_requests,
                "unpursued": n_unpursued,
                "fulfilled": int(met_in.sum()),
                "share_pursued": n_requests / total.sum(),
                "share_met": met_in.sum() / total.sum(),
                "cases": int(block.sum()),
                "cases_all": float(np.mean(met_in == total)),
                "cases_some": float(np.mean((met_in > 0) & (met_in < total))),
                "cases_none": float(np.mean(met_in == 0)),
            }
        )
    return pd.DataFrame(rows)


def unpursued_counts(unpursued: pd.DataFrame, warm_up_days: float, by: str) -> dict[str, float]:
    """Mean unpursued needs per replication, by ``channel`` or ``requesting`` state.

    Only groups with at least one unpursued need are listed (every channel for ``channel``).
    """
    unpursued = _after_warm_up(unpursued, warm_up_days)
    if unpursued.empty:
        return {name: 0.0 for name in RECORDED_CHANNELS} if by == "channel" else {}
    replications = unpursued["replication"].nunique()
    counts = unpursued[by].astype(str).value_counts(sort=False)
    if by == "channel":
        return {name: float(counts.get(name, 0)) / replications for name in RECORDED_CHANNELS}
    return {name: float(counts[name]) / replications for name in sorted(counts.index)}


def needs_summary(
    requests: pd.DataFrame, unpursued: pd.DataFrame, warm_up_days: float
) -> dict[str, Any]:
    """The ``evidence_needs`` section of summary.json: shares met with CIs, unpursued counts.

    Shares and counts are means over replications with 95% intervals; the unpursued counts
    per channel (the fastest channel open to the need, the one it would have gone to) and
    per requesting state are means per replication over the measured period.
    """
    table = replication_needs(requests, unpursued, warm_up_days)
    section: dict[str, Any] = {}
    for metric in ("share_met", "share_pursued", *(f"cases_{s}" for s in CASE_SHARES)):
        values = table[metric].to_numpy(dtype=float) if len(table) else np.array([])
        estimate, low, high = statistics.share_interval(values)
        section[metric] = {"estimate": estimate, "ci_low": low, "ci_high": high}
    for count in ("needs", "requests", "unpursued", "fulfilled", "cases"):
        section[count] = float(table[count].mean()) if len(table) else 0.0
    section["unpursued_by_channel"] = unpursued_counts(unpursued, warm_up_days, "channel")
    section["unpursued_by_requesting"] = unpursued_counts(unpursued, warm_up_days, "requesting")
    section["method"] = (
        "needs of cases opened after the warm-up, per replication: share_met = fulfilled "
        "requests / (requests + unpursued needs); a case has all, some or none of its needs "
        "met (pending requests count as not met); counts are means per replication"
    )
    return section
