"""Figures only a comparison has: the median delay with its differences, the total backlog.

The time-to-evidence and outcome figures of a comparison are the run's builders
(:mod:`sim.analysis.figures`, :mod:`sim.analysis.outcome_figures`) given one group per
scenario; :mod:`sim.analysis.figure_registry` says which figure a comparison writes. Like
them, this module only draws tables computed elsewhere (:mod:`sim.analysis.comparison`,
:func:`sim.analysis.figure_registry.comparison_tables`) and follows
:mod:`sim.analysis.figure_style`. A scenario keeps one colour in every figure: the registry
hands colours out once, in scenario order (the reference first), and passes them in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis.figure_style import BAND_ALPHA, CI_DESCRIPTION, add_caption, new_figure

_PERIOD_COLOUR = "#f0f0f0"


def _ci(replications: int) -> str:
    return CI_DESCRIPTION.format(n=replications)


def build_median_comparison(
    table: pd.DataFrame,
    *,
    scenarios: Sequence[str],
    replications: int,
    colours: Mapping[str, str],
    metric: str = "median_days",
    label: str = "Median time to evidence",
) -> Figure:
    """Two panels: each scenario's value with its CI, and each difference from the reference.

    The difference panel draws the paired (common random numbers) interval as a thick bar
    and the unpaired Welch interval of the same difference as a thin one behind it, so the
    reader sees what the pairing buys.

    Args:
        table: The comparison table (:data:`sim.analysis.comparison.CSV_COLUMNS`); its ``all``
            group is drawn.
        scenarios: Scenario names, the reference first.
        replications: Replications per scenario, for the caption.
        colours: Scenario colours shared with the other figures.
        metric: The metric drawn (in days).
        label: What the metric is, for titles and axis labels.
    """
    rows = table[(table["group"] == "all") & (table["metric"] == metric)].set_index("scenario")
    rows = rows.reindex(list(scenarios))
    reference = scenarios[0]
    others = list(scenarios[1:])
    fig = new_figure(10.0, 1.9 + 0.55 * len(scenarios))
    left, right = fig.subplots(1, 2, width_ratios=(1.0, 1.0))
    _draw_estimates(left, rows, scenarios, colours, label)
    _draw_differences(right, rows, others, colours, reference)
    fig.suptitle(f"{label}: scenarios compared")
    add_caption(
        fig,
        [
            f"Left: mean across replications of the {label.lower()} among requests eventually "
            f"fulfilled (Aalen-Johansen, pending censored, competing outcomes), with the "
            f"{_ci(replications)}. Right: difference from {reference}, paired by replication "
            f"under common random numbers; thick bar: 95% paired-t CI, thin grey bar: unpaired "
            f"Welch 95% CI of the same difference.",
        ],
    )
    return fig


def _draw_estimates(
    left: Axes,
    rows: pd.DataFrame,
    scenarios: Sequence[str],
    colours: Mapping[str, str],
    label: str,
) -> None:
    """Left panel: each scenario's value with its confidence interval."""
    y = np.arange(len(scenarios))
    for yi, name in zip(y, scenarios, strict=True):
        row = rows.loc[name]
        if not math.isfinite(row["estimate"]):
            continue
        err = _error(row["estimate"], row["ci_low"], row["ci_high"])
        left.errorbar(
            row["estimate"], yi, xerr=err, fmt="o", color=colours[name], capsize=4, lw=1.8
        )
        left.annotate(
            f"{row['estimate']:.1f}",
            (row["estimate"], yi),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=8,
        )
    left.set_yticks(y, labels=list(scenarios))
    left.set_ylim(len(scenarios) - 0.5, -0.5)
    left.set_xlabel(f"{label} (days)")
    left.set_title(f"{label} by scenario", fontsize=10)
    left.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    left.set_axisbelow(True)


def _draw_differences(
    right: Axes,
    rows: pd.DataFrame,
    others: Sequence[str],
    colours: Mapping[str, str],
    reference: str,
) -> None:
    """Right panel: each difference from the reference, paired (thick) and Welch (thin)."""
    yo = np.arange(len(others))
    for yi, name in zip(yo, others, strict=True):
        row = rows.loc[name]
        if not math.isfinite(row["diff"]):
            continue
        unpaired = _error(row["diff"], row["diff_unpaired_ci_low"], row["diff_unpaired_ci_high"])
        paired = _error(row["diff"], row["diff_ci_low"], row["diff_ci_high"])
        right.errorbar(row["diff"], yi, xerr=unpaired, fmt="none", ecolor="#9a9a9a", capsize=6)
        right.errorbar(
            row["diff"], yi, xerr=paired, fmt="o", color=colours[name], capsize=4, lw=3.0
        )
        right.annotate(
            f"{row['diff']:+.1f}",
            (row["diff"], yi),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=8,
        )
    right.axvline(0.0, color="#444444", lw=0.8)
    right.set_yticks(yo, labels=list(others))
    right.set_ylim(len(others) - 0.5, -0.5)
    right.set_xlabel(f"Difference from {reference} (days)")
    right.set_title(f"Difference from {reference}", fontsize=10)
    right.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    right.set_axisbelow(True)
    right.legend(
        [
            Line2D([], [], color="#333333", lw=3.0, marker="o"),
            Line2D([], [], color="#9a9a9a", lw=1.0),
        ],
        ["paired 95% CI (common random numbers)", "unpaired 95% CI (Welch)"],
        loc="best",
        fontsize=7.5,
        frameon=False,
    )


def _error(estimate: float, low: float, high: float) -> np.ndarray | None:
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return np.array([[max(estimate - low, 0.0)], [max(high - estimate, 0.0)]])


def build_backlog_comparison(
    backlog: pd.DataFrame,
    *,
    scenarios: Sequence[str],
    replications: int,
    colours: Mapping[str, str],
    periods: Mapping[str, tuple[float, float]] | None = None,
) -> Figure:
    """The world's total central-authority backlog over time, one line per scenario.

    Args:
        backlog: ``scenario``, ``day``, ``estimate``, ``ci_low``, ``ci_high``.
        scenarios: Scenario names in colour order.
        replications: Replications per scenario, for the caption.
        colours: Scenario colours shared with the other figures.
        periods: Each scenario's measured period (warm-up end, start of the run-out or
            drain); when all agree the periods outside it are shaded.
    """
    fig = new_figure(9.0, 5.0)
    ax = fig.add_subplot()
    ax.set_title("Backlog of all central authorities by scenario")
    ax.set_xlabel("Time since start of simulation (days)")
    ax.set_ylabel("Requests waiting at central authorities, world total (count)")
    shown = []
    for name in scenarios:
        sub = backlog[backlog["scenario"] == name].sort_values("day")
        if sub.empty:
            continue
        shown.append(name)
        day = sub["day"].to_numpy(dtype=float)
        ax.plot(day, sub["estimate"].to_numpy(dtype=float), color=colours[name], lw=1.8)
        low, high = sub["ci_low"].to_numpy(dtype=float), sub["ci_high"].to_numpy(dtype=float)
        if np.isfinite(low).any():
            ax.fill_between(day, low, high, color=colours[name], alpha=BAND_ALPHA, lw=0)
    handles = [Line2D([], [], color=colours[name], lw=2) for name in shown]
    labels = list(shown)
    unmeasured = ""
    if periods and len(set(periods.values())) == 1 and not backlog.empty:
        start, stop = next(iter(periods.values()))
        end = float(backlog["day"].max())
        ax.axvspan(0.0, start, color=_PERIOD_COLOUR, zorder=0)
        ax.axvspan(stop, max(end, stop), color=_PERIOD_COLOUR, zorder=0)
        handles.append(Patch(color=_PERIOD_COLOUR))
        labels.append("not measured")
        unmeasured = (
            " Shaded: warm-up, run-out and drain, left out of the backlog metric "
            f"(measured from day {start:g} to day {stop:g})."
        )
    if not backlog.empty:
        ax.set_xlim(0.0, float(backlog["day"].max()))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    fig.legend(handles, labels, title="Scenario", loc="outside right upper", frameon=False)
    add_caption(
        fig,
        [
            "Line: mean across replications of the number of requests waiting at or being "
            f"processed by every central authority together. Band: {_ci(replications)}."
            + unmeasured,
        ],
    )
    return fig
