"""Figures of a run drawn as lines over time: time to evidence and backlogs.

This module only draws. It receives tables that the statistics module has already
aggregated across replications (estimate and 95% confidence bounds, see
:func:`sim.analysis.figure_registry.run_tables`) and returns figures; it never computes a
statistic itself, so every number in a figure can be traced back to the table the registry
saves beside it. The house rules (no ``pyplot``, a caption stating how bands were computed,
colours handed out by :func:`~sim.analysis.figure_style.group_colours` in the caller's order
so a channel or scenario keeps its colour everywhere) live in :mod:`sim.analysis.figure_style`.
Outcome shares, drawn as bars, are in :mod:`sim.analysis.outcome_figures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.analysis.figure_style import (
    BAND_ALPHA,
    TIME_GUIDES,
    add_caption,
    band_caption,
    check_replications,
    draw_no_data,
    guides_caption,
    has_band,
    line_legend,
    mean_words,
    new_figure,
    ordered,
    prepare,
    resolve_colours,
)

# ------------------------------------------------------------------- time to evidence


def build_time_to_evidence(
    curves: pd.DataFrame,
    *,
    replications: int,
    title: str = "Time to evidence by channel",
    colours: dict[str, str] | None = None,
    group_label: str = "channel",
) -> Figure:
    """Build the cumulative share of requests fulfilled against days since request.

    Drawn as steps because the statistic is evaluated at whole days and holds until
    the next one; a sloped line would suggest fulfilments between days. The CI band
    is drawn as steps too, so it matches the curve it belongs to.

    Args:
        curves: Columns ``group``, ``day``, ``estimate``, ``ci_low``, ``ci_high``;
            shares in 0..1. NaN CI bounds mean no band for those days.
        replications: Number of replications behind the estimates, for the caption.
        title: Figure title.
        colours: Group-to-colour mapping shared with other figures; groups missing
            from it get spare colours. Defaults to
            :func:`~sim.analysis.figure_style.group_colours` in table order.
        group_label: What a group is (``"channel"``, ``"scenario"``), for the legend.

    Returns:
        The figure, not yet saved.

    Raises:
        ValueError: If ``replications`` is not a positive integer, or the table is
            non-empty but lacks a required column.
    """
    check_replications(replications)
    data = prepare(curves, ("group", "day", "estimate", "ci_low", "ci_high"), "curves")
    fig = new_figure(9.0, 5.0)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel("Time since request (days)")
    ax.set_ylabel("Requests fulfilled, cumulative (% of requests)")
    if data is None:
        draw_no_data(ax)
        add_caption(fig, [f"No requests to show ({replications} replications)."])
        return fig

    data["group"] = data["group"].astype(str)
    groups = ordered(data["group"])
    palette = resolve_colours(groups, colours)
    _draw_curves(ax, data, groups, palette)
    guides = _time_axis(ax, data)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    line_legend(fig, groups, palette, group_label.capitalize())
    add_caption(
        fig,
        [
            "Line: "
            + mean_words(replications)
            + "cumulative share of requests fulfilled by each day. "
            + band_caption(has_band(data), replications)
            + guides_caption(list(guides))
        ],
    )
    return fig


def _draw_curves(
    ax: Axes, data: pd.DataFrame, groups: Sequence[str], palette: Mapping[str, str]
) -> None:
    """One step curve per group, with its confidence band where both bounds are finite."""
    for group in groups:
        sub = data[data["group"] == group].sort_values("day", kind="stable")
        day = sub["day"].to_numpy()
        colour = palette[group]
        ax.step(day, sub["estimate"].to_numpy() * 100, where="post", color=colour, lw=1.8)
        low, high = sub["ci_low"].to_numpy() * 100, sub["ci_high"].to_numpy() * 100
        finite = np.isfinite(low) & np.isfinite(high)
        if finite.any():
            ax.fill_between(
                day,
                np.where(finite, low, np.nan),
                np.where(finite, high, np.nan),
                step="post",
                color=colour,
                alpha=BAND_ALPHA,
                linewidth=0,
            )


def _time_axis(ax: Axes, data: pd.DataFrame) -> dict[int, str]:
    """Axes in days and percent, with the usual delays marked; returns the guides drawn."""
    max_day = float(np.nanmax(data["day"].to_numpy())) if data["day"].notna().any() else 0.0
    ax.set_xlim(0, max(max_day, 1.0))
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    guides = {d: label for d, label in TIME_GUIDES.items() if d < max_day}
    for day in guides:
        ax.axvline(day, color="#666666", linestyle=":", linewidth=1)
    if guides:
        top = ax.secondary_xaxis("top")
        top.set_xticks(list(guides), labels=list(guides.values()), fontsize=8, color="#444444")
        top.tick_params(length=0)
    return guides


# ----------------------------------------------------------------------------- backlog


def build_backlog(
    backlog: pd.DataFrame,
    *,
    replications: int,
    title: str = "Backlog of the busiest central authorities",
    colours: dict[str, str] | None = None,
) -> Figure:
    """Build the number of requests waiting at each central authority over time.

    A backlog is a count observed at a day, so it is drawn as a line (not steps).
    The y axis starts at 0 so that the height of a line is its size; a t-interval
    on counts may dip below 0 and is simply cut by the axis.

    Args:
        backlog: Columns ``state`` (ISO3), ``day``, ``estimate``, ``ci_low``,
            ``ci_high``. The caller chooses which states to include.
        replications: Number of replications behind the estimates, for the caption.
        title: Figure title.
        colours: State-to-colour mapping shared with other figures; defaults to
            :func:`~sim.analysis.figure_style.group_colours` in table order.

    Returns:
        The figure, not yet saved.

    Raises:
        ValueError: If ``replications`` is not a positive integer, or the table is
            non-empty but lacks a required column.
    """
    check_replications(replications)
    data = prepare(backlog, ("state", "day", "estimate", "ci_low", "ci_high"), "backlog")
    fig = new_figure(9.0, 5.0)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel("Time since start of simulation (days)")
    ax.set_ylabel("Requests waiting or in process (count)")
    if data is None:
        draw_no_data(ax)
        add_caption(fig, [f"No backlog to show ({replications} replications)."])
        return fig

    data["state"] = data["state"].astype(str)
    states = ordered(data["state"])
    palette = resolve_colours(states, colours)
    for state in states:
        sub = data[data["state"] == state].sort_values("day", kind="stable")
        day = sub["day"].to_numpy()
        colour = palette[state]
        ax.plot(day, sub["estimate"].to_numpy(), color=colour, lw=1.8)
        low, high = sub["ci_low"].to_numpy(), sub["ci_high"].to_numpy()
        finite = np.isfinite(low) & np.isfinite(high)
        if finite.any():
            ax.fill_between(
                day,
                np.where(finite, low, np.nan),
                np.where(finite, high, np.nan),
                color=colour,
                alpha=BAND_ALPHA,
                linewidth=0,
            )
    days = data["day"].to_numpy()
    if np.isfinite(days).any():
        ax.set_xlim(float(np.nanmin(days)), max(float(np.nanmax(days)), 1.0))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    line_legend(fig, states, palette, "Central authority")
    add_caption(
        fig,
        [
            "Line: "
            + mean_words(replications)
            + "number of requests waiting at or being processed by each "
            "central authority (ISO 3166 alpha-3 code). "
            + band_caption(has_band(data), replications)
        ],
    )
    return fig
