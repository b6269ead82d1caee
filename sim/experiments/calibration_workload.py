"""The central authorities' workload and staff, as a calibration sizes them.

A pilot run with unlimited staff gives each authority's e-evidence review work
(:func:`workload`) and the formal requests it receives; the published all-crime inflow
(``sim/data/all_crime_mla.csv``) gives its other matters (:func:`other_matters`); staff is the
whole review work over one stated utilisation (:func:`staffing`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.runs import RunResult
from sim.config.schema import Scenario

UTILISATION = 0.85
"""Share of its staff's time a central authority's steady workload takes, everywhere (an
assumption: high enough that queues exist, low enough that they are stable; docs/model.md 9.1).
A stationary authority with hundreds of staff queues little at any stable utilisation, so the
delay of formal MLA comes from its stages, not from a stock of files."""
E_EVIDENCE_SHARE = 0.5
"""Share of a central authority's incoming MLA that concerns electronic evidence, where no
all-crime figure is published (an assumption; DOJ OIG 21-097 is reported, unverified, to say a
"majority" of the US authority's incoming requests do)."""
MAIN_AUTHORITY_SHARE = 0.05
"""A central authority is a 'main' one if it does this share of the world's review work
(reported in the staff table; no rule depends on it)."""


def _ca_stage_mask(requests: pd.DataFrame, scenario: Scenario, stage: str) -> pd.Series:
    """Rows whose final channel has ``stage`` served by the central authority."""
    channels = [
        name
        for name, channel in scenario.channels.items()
        if stage in channel.stages and channel.stages[stage].servers == "central_authority"
    ]
    return requests["channel"].isin(channels)


def _window_years(scenario: Scenario) -> float:
    sim = scenario.simulation
    return (sim.window_end_days - sim.warm_up_days) / 365.0


def workload(result: RunResult, scenario: Scenario, urgent_factor: float = 1.0) -> pd.Series:
    """Days of central-authority e-evidence review work a year, per state, from a pilot run.

    With unlimited staff nobody waits, so a request's days at a review stage are its
    service time. Requests created in the window between warm-up and drain are counted.
    The pilot runs urgent formal requests at full length; ``urgent_factor`` weighs their days
    as a run with that factor would take them.
    """
    sim = scenario.simulation
    replications = result.requests["replication"].nunique()
    kept = result.requests[result.requests["created_day"] >= sim.warm_up_days]
    weight = np.where(kept["urgent"].to_numpy(), urgent_factor, 1.0)

    def days_by(state: str, stage: str) -> pd.Series:
        served = _ca_stage_mask(kept, scenario, stage).to_numpy()
        days = kept[f"{stage}_days"].to_numpy()[served] * weight[served]
        return pd.Series(days).groupby(kept[state].array[served], observed=False).sum()

    days = pd.concat(
        [days_by("requesting", "outgoing_review"), days_by("requested", "legal_review")]
    )
    per_state = days.groupby(level=0, observed=False).sum()
    per_state.index = per_state.index.astype(str)
    return per_state / (_window_years(scenario) * replications)


def read_all_crime(path: Any = None) -> dict[str, float]:
    """Published all-crime incoming MLA requests a year, by ISO3 (``all_crime_mla.csv``)."""
    source = path or resources.files("sim") / "data" / "all_crime_mla.csv"
    with source.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(line for line in handle if not line.startswith("#"))]
    return {row["iso3"]: float(row["incoming_per_year"]) for row in rows}


def other_matters(incoming: pd.Series, all_crime: Mapping[str, float]) -> pd.Series:
    """Other matters a year at each central authority, from its e-evidence requests.

    Where an all-crime inflow is published the other matters are what it leaves beyond the
    e-evidence requests (none if these exceed it: the figure is then a lower bound, and the
    calibration reports it); elsewhere they are ``(1 - E_EVIDENCE_SHARE) / E_EVIDENCE_SHARE``
    times the e-evidence requests.

    Args:
        incoming: Formal e-evidence requests a year, per requested state.
        all_crime: Published all-crime incoming MLA requests a year, by ISO3.
    """
    ratio = (1.0 - E_EVIDENCE_SHARE) / E_EVIDENCE_SHARE
    values = {
        code: max(0.0, all_crime[code] - count) if code in all_crime else count * ratio
        for code, count in incoming.items()
    }
    return pd.Series(values, dtype=float)


def staffing(
    load: pd.Series,
    other: pd.Series | None = None,
    review_days: float = 0.0,
    utilisation: float = UTILISATION,
) -> pd.DataFrame:
    """Staff for each central authority: its whole review work over ``utilisation``.

    Args:
        load: Days of e-evidence review work a year, per state (:func:`workload`).
        other: Other matters a year, per state (:func:`other_matters`); none if None.
        review_days: Mean review days of one other matter (the bilateral MLAT's legal review).
        utilisation: Target share of staff time taken by the steady workload.
    """
    other = pd.Series(dtype=float) if other is None else other
    total = float(load.sum())
    rows = []
    for code, days in load.sort_index().items():
        matters = float(other.get(code, 0.0))
        work = days + matters * review_days
        staff = max(1, math.ceil(work / 365.0 / utilisation))
        rows.append(
            {
                "iso3": code,
                "ca_staff": staff,
                "other_matters_per_year": round(matters, 1),
                "workload_days_per_year": round(work, 1),
                "utilisation": round(work / 365.0 / staff, 3),
                "main_authority": total > 0 and days / total >= MAIN_AUTHORITY_SHARE,
            }
        )
    return pd.DataFrame(rows)
