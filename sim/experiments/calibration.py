"""Calibration of the baseline to the published delays and volumes of cross-border evidence.

The targets and the check of a run against them are in :mod:`sim.experiments.calibration_targets`.
Two steps, both reproducible from a seed:

1. *Workload and staffing.* A pilot run with unlimited staff measures each central
   authority's e-evidence review work and the formal requests it receives. Its other matters
   (mutual legal assistance for every other kind of crime, ``other_matters_per_year``) are
   the published all-crime inflow less the e-evidence requests where a figure exists
   (``sim/data/all_crime_mla.csv``), and otherwise as many as its e-evidence requests
   (``E_EVIDENCE_SHARE``, an assumption). Staff is the whole review work over a stated
   utilisation (``UTILISATION``). Nothing is queued before the run: the queues start empty,
   the warm-up fills them and the measured period is stationary.
2. *Fitting.* Three free parameters (``FREE_PARAMETERS``: the time scale of the formal MLA
   channels' stages, how readily investigators pursue formal MLA, and how much faster an
   urgent formal request's stages are) are solved for three targets (``FIT_TARGETS``: the US
   mean time to evidence, the formal requests the US authority receives a year, and the 10th
   percentile of formal MLA): a linear response surface is fitted by least squares to every
   evaluation so far and solved for the targets, and the solution is evaluated and added,
   until all are within the tolerance. Every evaluation runs with the same seed (common
   random numbers), so the objective is a deterministic function of the parameters.

No target echoes one input: the US mean depends on every stage, the queues, the mix of
urgent and normal requests and the requests lost; the US volume on demand, the routes open,
the providers' declines and the investigators' pursuit and escalation.

The fitted values are written by :mod:`sim.experiments.calibration_files` into a directory of
the user's choosing (``mlatsim calibrate --out DIR``), never into the installed package; a run
uses them when given that calibration (``--calibration DIR``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.runs import RunResult
from sim.config.loading import with_changes
from sim.config.schema import Scenario
from sim.experiments.calibration_targets import formal_requests_per_year, measured
from sim.experiments.runner import run_scenario
from sim.rules.channels import FORMAL_MLA

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
FIT_TARGETS = {
    "us_formal_mean_months": 10.0,
    "us_formal_per_year": 2_000.0,
    "formal_p10_months": 4.6,
}
"""The values the fit aims at: the published US mean (accepted 8.5-11.5); formal e-evidence
requests reaching the US authority a year, two thirds of its more than 3,000 all-crime MLA
requests (a "majority" concern electronic evidence; accepted 1,500-3,000); a 10th percentile
inside the accepted 4-30 months with room for simulation noise at the low end. The median and
the 90th percentile are left free and checked."""
PURSUIT = ("routing", "pursuit_scale")
"""The scenario field the pursuit parameter sets."""


@dataclass(frozen=True, slots=True)
class FreeParameter:
    """A parameter the fit moves, with its first value, first step and bounds."""

    key: str
    start: float
    step: float
    low: float
    high: float


FREE_PARAMETERS = (
    FreeParameter("formal_time_scale", start=1.0, step=0.15, low=0.3, high=4.0),
    FreeParameter("pursuit_scale", start=0.5, step=0.15, low=0.01, high=1.0),
    FreeParameter("formal_urgent_factor", start=0.75, step=0.1, low=0.1, high=1.0),
)
"""The fitted parameters, in the order of a parameter vector."""
PILOT_PURSUIT = FREE_PARAMETERS[1].start
"""The pursuit scale of the pilot run, whose volumes the fit scales to its own."""


# -- workload and staffing ---------------------------------------------------------------------


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
    return (sim.horizon_days - sim.drain_days - sim.warm_up_days) / 365.0


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


# -- scenarios for the pilot and the fit ------------------------------------------------------


def _with(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    return with_changes(scenario, changes)


def _state_codes(scenario: Scenario) -> list[str]:
    from sim.world.data import load_world_data

    return list(scenario.world.states) or sorted(load_world_data().states)


def pilot_scenario(scenario: Scenario, replications: int) -> Scenario:
    """The scenario with unqueued staff, no other matters and unscaled formal channels.

    Staff so large that nobody queues makes review days service days; the formal channels
    run at time scale 1 and urgent factor 1, and investigators at the starting pursuit scale,
    because the fit applies its own scale, factor and pursuit to the measured load.
    """
    codes = _state_codes(scenario)
    section, field = PURSUIT
    return _with(
        scenario,
        {
            "simulation": {"replications": replications},
            section: {field: PILOT_PURSUIT},
            "channels": {name: {"time_scale": 1.0, "urgent_factor": 1.0} for name in FORMAL_MLA},
            "states": {
                code: {"ca_staff": 1_000_000, "other_matters_per_year": 0.0} for code in codes
            },
        },
    )


def fitted_scenario(
    scenario: Scenario,
    staff: pd.DataFrame,
    time_scale: float,
    replications: int,
    urgent_factor: float,
    pursuit: float,
) -> Scenario:
    """The scenario with a staffing table, a formal time scale, urgent factor and pursuit."""
    formal = {"time_scale": time_scale, "urgent_factor": urgent_factor}
    section, field = PURSUIT
    return _with(
        scenario,
        {
            "simulation": {"replications": replications},
            "channels": {name: dict(formal) for name in FORMAL_MLA},
            section: {field: pursuit},
            "states": {
                row.iso3: {
                    "ca_staff": int(row.ca_staff),
                    "other_matters_per_year": float(row.other_matters_per_year),
                }
                for row in staff.itertuples()
            },
        },
    )


# -- the fit -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fit:
    """The result of a calibration."""

    parameters: dict[str, float]
    """The fitted value of each of ``FREE_PARAMETERS``, by key."""
    staff: pd.DataFrame
    objective: dict[str, float]
    evaluations: int
    history: tuple[tuple[float, ...], ...]
    """The parameters then the fitted targets' values, per evaluation."""

    @property
    def time_scale(self) -> float:
        """The fitted time scale of the formal MLA channels."""
        return self.parameters["formal_time_scale"]

    @property
    def pursuit(self) -> float:
        """The fitted pursuit scale of formal MLA."""
        return self.parameters["pursuit_scale"]

    @property
    def urgent_factor(self) -> float:
        """The fitted stage-time factor of urgent formal requests."""
        return self.parameters["formal_urgent_factor"]


def calibrate(
    scenario: Scenario,
    *,
    replications: int = 2,
    workers: int = 2,
    iterations: int = 4,
    tolerance: float = 0.03,
    report: Callable[[str], None] = lambda _: None,
) -> Fit:
    """Size every central authority and fit the free parameters to the targets.

    Args:
        scenario: The baseline scenario (its seed is used for every evaluation).
        replications: Replications per evaluation (common random numbers across evaluations).
        workers: Worker processes.
        iterations: Response-surface steps at most (after the starting evaluations).
        tolerance: Stop when every fitted target is within this relative error.
        report: Receives a line per step (progress for the command line).
    """
    pilot = run_scenario(pilot_scenario(scenario, replications), workers=workers)
    report(f"pilot: {len(pilot.requests):,} requests")
    pilot_pursuit = PILOT_PURSUIT
    incoming = formal_requests_per_year(pilot.requests, scenario)
    all_crime = read_all_crime()
    mlat = scenario.channels.bilateral_mlat
    review_days = (
        mlat.stages["legal_review"].time.expected() if "legal_review" in mlat.stages else 0
    )
    history: list[tuple[float, ...]] = []
    keys = tuple(FIT_TARGETS)
    goal = np.array([FIT_TARGETS[k] for k in keys])
    lower = np.array([p.low for p in FREE_PARAMETERS])
    upper = np.array([p.high for p in FREE_PARAMETERS])

    def staff_for(theta: np.ndarray) -> pd.DataFrame:
        scale, pursuit, urgent = (float(x) for x in theta)
        # Formal requests (and their review work) grow in proportion to the pursuit scale,
        # since it multiplies every formal pursuit and escalation probability; review stages
        # belong to the formal channels, so their work grows with the time scale too.
        volume = pursuit / pilot_pursuit
        load = workload(pilot, scenario, urgent) * scale * volume
        other = other_matters(incoming * volume, all_crime)
        return staffing(load, other, review_days * scale)

    def evaluate(theta: np.ndarray) -> np.ndarray:
        scale, pursuit, urgent = (float(x) for x in theta)
        chosen = fitted_scenario(scenario, staff_for(theta), scale, replications, urgent, pursuit)
        run = run_scenario(chosen, workers=workers)
        values = measured(run.requests, scenario).mean()
        got = np.array([values[k] for k in keys])
        history.append((*theta.tolist(), *got.tolist()))
        settings = ", ".join(
            f"{p.key} {x:.3f}" for p, x in zip(FREE_PARAMETERS, theta, strict=True)
        )
        report(f"{settings} -> " + _pairs(keys, got))
        return got

    # A linear response surface fitted to every evaluation so far, solved for the targets and
    # evaluated there: more robust to simulation noise than a finite-difference Newton step,
    # and every evaluation (not only the last few) informs the next guess.
    theta = np.array([p.start for p in FREE_PARAMETERS])
    points = [theta]
    for index, parameter in enumerate(FREE_PARAMETERS):
        step = np.zeros(len(FREE_PARAMETERS))
        step[index] = parameter.step
        points.append(theta + step)
    values = [evaluate(point) for point in points]
    for _ in range(iterations):
        design = np.column_stack([np.ones(len(points)), np.array(points)])
        coefficients, *_ = np.linalg.lstsq(design, np.array(values), rcond=None)
        try:
            guess = np.linalg.solve(coefficients[1:].T, goal - coefficients[0])
        except np.linalg.LinAlgError:
            break
        theta = np.clip(guess, lower, upper)
        points.append(theta)
        values.append(evaluate(theta))
        if np.all(np.abs(values[-1] / goal - 1.0) <= tolerance):
            break
    errors = [float(np.max(np.abs(v / goal - 1.0))) for v in values]
    best = int(np.argmin(errors))
    theta, value = points[best], values[best]
    return Fit(
        parameters={p.key: float(x) for p, x in zip(FREE_PARAMETERS, theta, strict=True)},
        staff=staff_for(theta),
        objective=dict(zip(keys, value.tolist(), strict=True)),
        evaluations=len(history),
        history=tuple(history),
    )


def _pairs(keys: tuple[str, ...], values: np.ndarray) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in zip(keys, values, strict=True))
