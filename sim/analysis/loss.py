"""Evidence lost: how often, on which channels and data types, and why; time to evidence two ways.

A request is ``lost`` when its data were gone as execution began (docs/model.md, sections 7.2,
7.6 and 7.9); its record says which channel it was on, which data it wanted and the driver of
the loss (``loss_driver``: gone at request, preservation not asked, no path open, preservation
failed, hold expired). A researcher asking why evidence is lost needs these shares side by
side, and needs to see that loss also changes what "time to evidence" means: among the
requests fulfilled (a lost request simply drops out) or with each lost request counted as
never fulfilled (the cumulative incidence, where loss competes with fulfilment).

Every share is computed per replication and summarised across replications (mean, Student-t
95% interval clipped to [0, 1]), as the other statistics are; requests created in the warm-up
are left out. Shares are of all requests of the group, pending ones included, so the drivers'
shares add up to the share lost.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.analysis import statistics
from sim.analysis.competing_risks import MILESTONE_DAYS, cumulative_incidence
from sim.rules.channels import FORMAL_MLA
from sim.vocabulary import CHANNELS, DATA_TYPES, LOSS_DRIVERS

_DRIVERS = LOSS_DRIVERS[1:]


def _interval(values: list[float], share: bool = True) -> dict[str, float | int | None]:
    """Mean and 95% interval of per-replication values (a share's clipped to [0, 1])."""
    array = np.asarray(values, dtype=float)
    if share:
        mean, low, high = statistics.share_interval(array)
    else:
        mean, low, high = statistics.confidence_interval(array)
    return {
        "estimate": _finite(mean),
        "ci_low": _finite(low),
        "ci_high": _finite(high),
        "replications": int(np.isfinite(array).sum()),
    }


_READ = (
    "replication",
    "created_day",
    "outcome",
    "time_to_outcome_days",
    "loss_driver",
    "channel",
    "data_type",
)
"""The columns the loss summary reads."""


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _lost_share(frame: pd.DataFrame) -> float:
    return float((frame["outcome"] == "lost").mean()) if len(frame) else float("nan")


def _shares_by(
    replications: list[pd.DataFrame], column: str, groups: tuple[str, ...]
) -> dict[str, Any]:
    """The share lost in each group of ``column`` (groups with no request are left out)."""
    out: dict[str, Any] = {}
    for group in groups:
        values = [_lost_share(rep[rep[column] == group]) for rep in replications]
        if any(np.isfinite(values)):
            out[group] = _interval(values)
    return out


def _time_two_ways(frame: pd.DataFrame) -> dict[str, float]:
    """Time to evidence among fulfilled requests, and with lost ones as never fulfilled."""
    fulfilled = frame.loc[frame["outcome"] == "fulfilled", "time_to_outcome_days"]
    durations = frame["time_to_outcome_days"].to_numpy(dtype=float)
    outcomes = frame["outcome"].astype(str).to_numpy()
    grid = np.asarray(MILESTONE_DAYS, dtype=float)
    cif = cumulative_incidence(durations, outcomes, grid) if len(frame) else grid * np.nan
    times = {
        "fulfilled_only_mean_days": float(fulfilled.mean()) if len(fulfilled) else np.nan,
        "fulfilled_only_median_days": float(fulfilled.median()) if len(fulfilled) else np.nan,
    }
    for day, value in zip(MILESTONE_DAYS, cif, strict=True):
        times[f"lost_as_never_fulfilled_{day}d"] = float(value)
    return times


def _group_summary(replications: list[pd.DataFrame]) -> dict[str, Any]:
    """Loss shares and time to evidence of one set of requests, per replication summarised."""
    drivers = {
        driver: _interval(
            [
                float((rep["loss_driver"] == driver).mean()) if len(rep) else np.nan
                for rep in replications
            ]
        )
        for driver in _DRIVERS
    }
    times = [_time_two_ways(rep) for rep in replications]
    return {
        "requests": int(sum(len(rep) for rep in replications)),
        "lost": int(sum(int((rep["outcome"] == "lost").sum()) for rep in replications)),
        "share_lost": _interval([_lost_share(rep) for rep in replications]),
        "share_lost_by_driver": drivers,
        "share_lost_by_channel": _shares_by(replications, "channel", CHANNELS),
        "share_lost_by_data_type": _shares_by(replications, "data_type", DATA_TYPES),
        "time_to_evidence": {
            key: _interval([t[key] for t in times], share=key.startswith("lost_as"))
            for key in times[0]
        },
    }


def loss_summary(requests: pd.DataFrame, warm_up_days: float) -> dict[str, Any]:
    """Loss of evidence overall and among formal MLA requests, with its drivers.

    Args:
        requests: The run's request records (every replication).
        warm_up_days: Requests created before this day are left out.

    Returns:
        ``overall`` and ``formal_mla`` (requests whose last channel is a formal MLA channel),
        each with the counts of requests and losses, the share lost, the share lost by driver
        (adding up to the share lost), by channel and by data type, and ``time_to_evidence``:
        the mean and median among fulfilled requests (``fulfilled_only_*``, lost requests left
        out) beside the share fulfilled within 30/90/180/365 days with lost requests counted
        as never fulfilled (``lost_as_never_fulfilled_*``, Aalen-Johansen).
    """
    # Only the columns read below, so that each selection copies 7 columns, not the table.
    requests = requests[list(_READ)]
    kept = requests[requests["created_day"] >= warm_up_days]
    replications = [
        kept[kept["replication"] == r] for r in sorted(requests["replication"].unique())
    ]
    formal = [rep[rep["channel"].isin(FORMAL_MLA)] for rep in replications]
    return {
        "drivers": {
            "gone_at_request": "the data were already deleted when the need arose",
            "not_asked": "preservation not asked (data expected to outlive the channel, or off)",
            "no_preservation_open": "preservation was due but no path was open to the pair",
            "preservation_failed": "preservation was asked but failed",
            "hold_expired": "preserved, but the hold and its renewals ran out before execution",
        },
        "overall": _group_summary(replications),
        "formal_mla": _group_summary(formal),
    }
