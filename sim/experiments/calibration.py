"""Calibration of the baseline to the published delays and volumes of cross-border evidence.

The targets and the check of a run against them are in :mod:`sim.experiments.calibration_targets`.
Three steps, all reproducible from a seed:

1. *Fitting, on unqueued runs.* Two free parameters (``FREE_PARAMETERS``: the time scale of
   the formal MLA channels' stages, and how readily investigators pursue formal MLA) are
   solved for two targets (``FIT_TARGETS``: the US mean time to evidence and the formal
   requests the US authority receives a year). Each evaluation is a *pilot* run with
   unlimited staff: a central authority sized at a stable utilisation queues little (its
   staff are pooled and many), so an unqueued run measures the two targets as a staffed one
   would, and it measures the work the staff must then do. A linear response surface is
   fitted by least squares to every evaluation so far and solved for the targets, and the
   solution is evaluated and added, until both are within the tolerance. Every evaluation
   runs with the same seed (common random numbers), so the objective is a deterministic
   function of the parameters.
2. *Workload and staffing.* The pilot at the fitted values gives each central authority's
   e-evidence review work and the formal requests it receives. Its other matters (mutual
   legal assistance for every other kind of crime, ``other_matters_per_year``) are the
   published all-crime inflow less the e-evidence requests where a figure exists
   (``sim/data/all_crime_mla.csv``), and otherwise as many as its e-evidence requests
   (``E_EVIDENCE_SHARE``, an assumption). Staff is the whole review work over one stated
   utilisation (``UTILISATION``). Nothing is queued before the run: the queues start empty,
   the warm-up fills them and the measured period is stationary.
3. *Confirmation.* The staffed scenario is run once; its values of the targets are the ones
   the calibration reports as achieved.

No target echoes one input: the US mean depends on every stage, the queues, the mix of
urgent and normal requests and the requests lost; the US volume on demand, the routes open,
the providers' declines, the fallbacks and the investigators' pursuit and escalation. The
10th percentile, median and 90th percentile of formal MLA are checked, not fitted.

The fitted values are written by :mod:`sim.experiments.calibration_files` into a directory of
the user's choosing (``mlatsim calibrate --out DIR``), never into the installed package; a run
uses them when given that calibration (``--calibration DIR``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config.loading import with_changes
from sim.config.schema import Scenario
from sim.experiments.calibration_targets import formal_requests_per_year, measured
from sim.experiments.calibration_workload import (
    other_matters,
    read_all_crime,
    staffing,
    workload,
)
from sim.experiments.runner import run_scenario
from sim.rules.channels import CALIBRATED_MLA

FIT_TARGETS = {"us_formal_mean_months": 10.0, "us_formal_per_year": 2_000.0}
"""The values the fit aims at: the published US mean (accepted 8.5-11.5); formal e-evidence
requests reaching the US authority a year, two thirds of its more than 3,000 all-crime MLA
requests (a "majority" concern electronic evidence; accepted 1,500-3,000)."""
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
    FreeParameter("formal_time_scale", start=1.93, step=0.1, low=0.3, high=4.0),
    FreeParameter("pursuit_scale", start=0.02, step=0.01, low=0.001, high=1.0),
)
"""The fitted parameters, in the order of a parameter vector. Starting values from a first
fit on 2026-12-06 (`docs/calibration-history.md`): US mean about 10 months near time scale
1.9; about 2,900 formal requests a year to the USA at pursuit 0.06 and 3,300 at 0.08, about
1,550 of them fallbacks the pursuit rule does not decide, so 2,000 near 0.02."""


# -- scenarios for the pilot and the fit ------------------------------------------------------


def _with(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    return with_changes(scenario, changes)


def _state_codes(scenario: Scenario) -> list[str]:
    from sim.world.data import load_world_data

    return list(scenario.world.states) or sorted(load_world_data().states)


def _fitted_settings(time_scale: float, pursuit: float) -> dict[str, Any]:
    section, field = PURSUIT
    return {
        "channels": {name: {"time_scale": time_scale} for name in CALIBRATED_MLA},
        section: {field: pursuit},
    }


def pilot_scenario(
    scenario: Scenario, replications: int, time_scale: float, pursuit: float
) -> Scenario:
    """The scenario with unqueued staff and no other matters, at a time scale and pursuit.

    Staff so large that nobody queues makes review days service days, which the staffing
    needs; the formal channels run at ``time_scale`` and investigators at ``pursuit``.
    """
    codes = _state_codes(scenario)
    unqueued = {code: {"ca_staff": 1_000_000, "other_matters_per_year": 0.0} for code in codes}
    changes = _fitted_settings(time_scale, pursuit)
    changes.update(simulation={"replications": replications}, states=unqueued)
    return _with(scenario, changes)


def fitted_scenario(
    scenario: Scenario, staff: pd.DataFrame, time_scale: float, pursuit: float, replications: int
) -> Scenario:
    """The scenario with a staffing table, a formal time scale and a pursuit scale applied."""
    changes = _fitted_settings(time_scale, pursuit)
    changes["simulation"] = {"replications": replications}
    changes["states"] = {
        row.iso3: {
            "ca_staff": int(row.ca_staff),
            "other_matters_per_year": float(row.other_matters_per_year),
        }
        for row in staff.itertuples()
    }
    return _with(scenario, changes)


# -- the fit -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fit:
    """The result of a calibration."""

    parameters: dict[str, float]
    """The fitted value of each of ``FREE_PARAMETERS``, by key."""
    staff: pd.DataFrame
    objective: dict[str, float]
    """The fitted targets' values in the staffed confirmation run."""
    evaluations: int
    history: tuple[tuple[float, ...], ...]
    """The parameters then the fitted targets' values, per pilot evaluation."""

    @property
    def time_scale(self) -> float:
        """The fitted time scale of the formal MLA channels."""
        return self.parameters["formal_time_scale"]

    @property
    def pursuit(self) -> float:
        """The fitted pursuit scale of formal MLA."""
        return self.parameters["pursuit_scale"]


def staff_from(pilot: pd.DataFrame, scenario: Scenario, time_scale: float) -> pd.DataFrame:
    """Staff and other matters of every central authority, from a pilot's requests.

    Args:
        pilot: The requests of a pilot run (unlimited staff) at the fitted values.
        scenario: The scenario calibrated (its window and channels).
        time_scale: The fitted formal time scale (other matters' review is scaled by it).
    """
    from sim.analysis.runs import RunResult

    result = RunResult(pilot, pd.DataFrame(), 0.0, (0.0,))
    incoming = formal_requests_per_year(pilot, scenario)
    other = other_matters(incoming, read_all_crime())
    mlat = scenario.channels.bilateral_mlat
    review = mlat.stages.get("legal_review")
    review_days = review.time.expected() * time_scale if review is not None else 0.0
    return staffing(workload(result, scenario), other, review_days)


def calibrate(
    scenario: Scenario,
    *,
    replications: int = 2,
    workers: int = 2,
    iterations: int = 4,
    tolerance: float = 0.03,
    report: Callable[[str], None] = lambda _: None,
) -> Fit:
    """Fit the free parameters on unqueued runs, then size every central authority.

    Args:
        scenario: The baseline scenario (its seed is used for every evaluation).
        replications: Replications per evaluation (common random numbers across evaluations).
        workers: Worker processes.
        iterations: Response-surface steps at most (after the starting evaluations).
        tolerance: Stop when every fitted target is within this relative error.
        report: Receives a line per step (progress for the command line).
    """
    history: list[tuple[float, ...]] = []
    keys = tuple(FIT_TARGETS)
    goal = np.array([FIT_TARGETS[k] for k in keys])
    pilots: dict[tuple[float, ...], pd.DataFrame] = {}

    def evaluate(theta: np.ndarray) -> np.ndarray:
        scale, pursuit = (float(x) for x in theta)
        chosen = pilot_scenario(scenario, replications, scale, pursuit)
        requests = run_scenario(chosen, workers=workers).requests
        values = measured(requests, scenario).mean()
        got = np.array([values[k] for k in keys])
        history.append((*theta.tolist(), *got.tolist()))
        best = min(history, key=lambda row: _error(np.array(row[len(theta) :]), goal))
        if best is history[-1]:  # keep only the best pilot's requests (they size the staff)
            pilots.clear()
            pilots[tuple(theta.tolist())] = requests
        settings = ", ".join(
            f"{p.key} {x:.3f}" for p, x in zip(FREE_PARAMETERS, theta, strict=True)
        )
        report(f"pilot {settings} -> " + _pairs(keys, got))
        return got

    points, values = response_surface(evaluate, goal, iterations, tolerance)
    best = int(np.argmin([_error(v, goal) for v in values]))
    theta = points[best]
    scale, pursuit = (float(x) for x in theta)
    if tuple(theta.tolist()) not in pilots:  # an earlier pilot was best: run it again
        chosen = pilot_scenario(scenario, replications, scale, pursuit)
        pilots[tuple(theta.tolist())] = run_scenario(chosen, workers=workers).requests
    staff = staff_from(pilots[tuple(theta.tolist())], scenario, scale)
    staffed = run_scenario(
        fitted_scenario(scenario, staff, scale, pursuit, replications), workers=workers
    )
    achieved = measured(staffed.requests, scenario).mean()
    objective = {k: float(achieved[k]) for k in keys}
    report("staffed: " + _pairs(keys, np.array(list(objective.values()))))
    return Fit(
        parameters={p.key: float(x) for p, x in zip(FREE_PARAMETERS, theta, strict=True)},
        staff=staff,
        objective=objective,
        evaluations=len(history),
        history=tuple(history),
    )


def _error(values: np.ndarray, goal: np.ndarray) -> float:
    return float(np.max(np.abs(values / goal - 1.0)))


def response_surface(
    evaluate: Callable[[np.ndarray], np.ndarray],
    goal: np.ndarray,
    iterations: int,
    tolerance: float,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Evaluate the start and one step along each parameter, then solve a linear surface.

    A linear response surface fitted to every evaluation so far, solved for the targets and
    evaluated there: more robust to simulation noise than a finite-difference Newton step,
    and every evaluation (not only the last few) informs the next guess. Stops when every
    target is within ``tolerance`` (relative), the surface is singular, or after
    ``iterations`` steps. Returns the points evaluated and their values.
    """
    lower = np.array([p.low for p in FREE_PARAMETERS])
    upper = np.array([p.high for p in FREE_PARAMETERS])
    theta = np.array([p.start for p in FREE_PARAMETERS])
    points = [theta]
    for index, parameter in enumerate(FREE_PARAMETERS):
        step = np.zeros(len(FREE_PARAMETERS))
        step[index] = parameter.step
        points.append(theta + step)
    values = [evaluate(point) for point in points]
    for _ in range(iterations):
        if min(_error(v, goal) for v in values) <= tolerance:
            break
        design = np.column_stack([np.ones(len(points)), np.array(points)])
        coefficients, *_ = np.linalg.lstsq(design, np.array(values), rcond=None)
        try:
            guess = np.linalg.solve(coefficients[1:].T, goal - coefficients[0])
        except np.linalg.LinAlgError:
            break
        theta = np.clip(guess, lower, upper)
        points.append(theta)
        values.append(evaluate(theta))
    return points, values


def _pairs(keys: tuple[str, ...], values: np.ndarray) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in zip(keys, values, strict=True))
