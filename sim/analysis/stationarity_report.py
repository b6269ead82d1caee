"""The stationarity diagnostics of a run, as summary.json and the calibration check show them.

The diagnostics themselves, and why each is done as it is, are in
:mod:`sim.analysis.stationarity`; this module applies them to a run's measured window (from
the end of the warm-up to the start of the run-out or drain) and writes them out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.analysis import stationarity
from sim.analysis.stationarity import Slope, Truncation, Verdict
from sim.config.schema import Simulation

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Report:
    """The stationarity diagnostics of one run.

    Attributes:
        start_day: First day of the measured window (the configured warm-up).
        end_day: End of the window (exclusive): the start of the run-out (or drain).
        truncation: MSER-5's warm-up on ``stationarity.SERIES`` over the days before
            ``end_day``, or None if the series is too short for it.
        quarters: :func:`sim.analysis.stationarity.quarter_means` of the window.
        slope: :func:`sim.analysis.stationarity.wait_slope` over the window.
        verdict: The verdict on all three.
    """

    start_day: float
    end_day: float
    truncation: Truncation | None
    quarters: pd.DataFrame
    slope: Slope
    verdict: Verdict

    @property
    def stationary(self) -> bool | None:
        """The slope interval includes zero and the quarter means agree (None: cannot tell)."""
        return self.verdict.stationary

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (NaN becomes None)."""
        truncation = self.truncation
        return {
            "measured_window_days": [self.start_day, self.end_day],
            "requests": "formal MLA requests (final channel) created in the window",
            "warm_up": {
                "rule": "MSER-5 (White 1997; batch means of 5, d searched over the first half)",
                "series": stationarity.SERIES,
                "configured_days": self.start_day,
                "truncation_day": None if truncation is None else truncation.day,
                "at_search_limit": None if truncation is None else truncation.at_limit,
                "note": "" if truncation is not None else "series too short for MSER-5",
            },
            "quarter_time_to_evidence_days": [
                {key: _json(value) for key, value in row.items()}
                for row in self.quarters.to_dict(orient="records")
            ],
            "wait_slope": {
                "unit": "days of central-authority queue wait per day of creation",
                "method": "OLS per replication; mean and 95% Student t across replications",
                "estimate": _json(self.slope.estimate),
                "ci_low": _json(self.slope.ci_low),
                "ci_high": _json(self.slope.ci_high),
                "per_replication": [_json(value) for value in self.slope.per_replication],
                "mean_wait_days": _json(self.slope.mean_wait_days),
            },
            "verdict": {
                "slope_ci_includes_zero": self.verdict.slope_includes_zero,
                "quarter_means_agree": self.verdict.quarters_agree,
                "quarter_test": "every pair of 95% intervals overlaps (max low <= min high)",
                "configured_warm_up_covers_mser5": self.verdict.warm_up_covers_truncation,
                "stationary": self.stationary,
            },
        }


def _json(value: Any) -> Any:
    """JSON-safe scalars: numpy values become Python ones, NaN becomes None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report(requests: pd.DataFrame, simulation: Simulation) -> Report:
    """The stationarity diagnostics of a run's requests over its measured window."""
    start, end = simulation.measured_window
    series = stationarity.daily_queue_wait(requests, end)
    too_short = len(series) < stationarity.MIN_BATCHES * stationarity.BATCH_SIZE
    truncation = None if too_short else stationarity.mser5(series)
    quarters = stationarity.quarter_means(requests, start, end)
    slope = stationarity.wait_slope(requests, start, end)
    return Report(
        start_day=start,
        end_day=end,
        truncation=truncation,
        quarters=quarters,
        slope=slope,
        verdict=stationarity.verdict(quarters, slope, truncation, start),
    )


def _number(value: float, digits: int = 1) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def _answer(value: bool | None, yes: str, no: str, unknown: str = "cannot tell") -> str:
    return unknown if value is None else (yes if value else no)


def format_report(result: Report) -> str:
    """The report as text: the warm-up line, the quarter table, the slope line, the verdict."""
    truncation = result.truncation
    if truncation is None:
        warm_up = "series too short for MSER-5"
    else:
        limit = " (at the search limit: no level stretch found)" if truncation.at_limit else ""
        warm_up = f"day {truncation.day:g}{limit}"
    lines = [
        f"stationarity of the measured window, days {result.start_day:g} to "
        f"{result.end_day:g} (formal MLA requests)",
        f"warm-up by MSER-5 on the {stationarity.SERIES}: {warm_up}; configured "
        f"{result.start_day:g}, "
        + _answer(result.verdict.warm_up_covers_truncation, "covers it", "does NOT cover it"),
    ]
    table = [("cohort", "created (days)", "requests", "mean days to evidence (95% CI)")]
    for row in result.quarters.itertuples(index=False):
        table.append(
            (
                f"Q{row.quarter}",
                f"{round(row.start_day, 1):g} to {round(row.end_day, 1):g}",
                f"{row.requests:,}",
                f"{_number(row.estimate)} ({_number(row.ci_low)} to {_number(row.ci_high)})",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in table]
    slope = result.slope
    lines.append(
        f"queue wait against creation day: {_number(slope.estimate * DAYS_PER_YEAR)} days "
        f"per year ({_number(slope.ci_low * DAYS_PER_YEAR)} to "
        f"{_number(slope.ci_high * DAYS_PER_YEAR)}), mean wait "
        f"{_number(slope.mean_wait_days)} days; "
        + _answer(result.verdict.slope_includes_zero, "CI includes zero", "CI EXCLUDES zero")
    )
    lines.append(
        "quarter means: "
        + _answer(result.verdict.quarters_agree, "agree (all CIs overlap)", "DISAGREE")
    )
    lines.append(
        "verdict: "
        + _answer(
            result.stationary,
            "stationary",
            "NOT stationary",
            "cannot tell (needs two replications and two quarters)",
        )
    )
    return "\n".join(line.rstrip() for line in lines)
