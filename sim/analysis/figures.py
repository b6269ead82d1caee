"""Figures of a simulation run: time to evidence, outcome shares and backlogs.

This module only draws. It receives tables that the statistics module has already
aggregated across replications (estimate and 95% confidence bounds) and writes PNG
files; it never computes a statistic itself, so that every number in a figure can be
traced back to a table that is also saved alongside it.

Two constraints shape the code:

* Runs are drawn by worker processes in parallel, so ``matplotlib.pyplot`` (which
  keeps a global registry of open figures and a global current axes) is never used.
  Each figure is a standalone :class:`matplotlib.figure.Figure` saved through the Agg
  canvas, and nothing touches ``rcParams``.
* A figure must be readable without the code that produced it: every figure carries
  a title, axis labels with units, a legend and a caption line stating how the shaded
  bands were computed and over how many replications.

Colours are assigned per group by :func:`group_colours` from the order the caller
gives, so passing the same ordering to every figure keeps a channel (or scenario) in
the same colour everywhere. Outcome colours are fixed once and for all in
:data:`OUTCOME_COLOURS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from sim.analysis.figure_style import (
    BAND_ALPHA,
    CI_DESCRIPTION,
    DPI,
    OKABE_ITO,
    OUTCOME_COLOURS,
    TIME_GUIDES,
    add_caption,
    band_caption,
    check_replications,
    draw_no_data,
    group_colours,
    guides_caption,
    has_band,
    line_legend,
    mean_words,
    new_figure,
    ordered,
    outcome_colours,
    prepare,
    resolve_colours,
    save,
    text_colour_on,
)
from sim.vocabulary import OUTCOMES

__all__ = [
    "CI_DESCRIPTION",
    "DPI",
    "OKABE_ITO",
    "OUTCOMES",
    "OUTCOME_COLOURS",
    "TIME_GUIDES",
    "build_backlog",
    "build_outcome_shares",
    "build_time_to_evidence",
    "group_colours",
    "plot_backlog",
    "plot_outcome_shares",
    "plot_time_to_evidence",
    "write_figures",
]


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
            from it get spare colours. Defaults to :func:`group_colours` in table order.
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


def plot_time_to_evidence(
    curves: pd.DataFrame,
    path: Path,
    *,
    replications: int,
    title: str = "Time to evidence by channel",
    colours: dict[str, str] | None = None,
    group_label: str = "channel",
) -> Path:
    """Write the time-to-evidence figure to ``path``; see :func:`build_time_to_evidence`.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    fig = build_time_to_evidence(
        curves, replications=replications, title=title, colours=colours, group_label=group_label
    )
    return save(fig, path)


# ---------------------------------------------------------------------- outcome shares


def build_outcome_shares(
    shares: pd.DataFrame,
    *,
    replications: int,
    title: str = "Outcome of requests by channel",
    group_label: str = "channel",
) -> Figure:
    """Build horizontal stacked bars of outcome shares, one bar per group.

    Outcomes are stacked in the fixed order of :data:`OUTCOMES` with fixed colours,
    so bars can be compared across figures at a glance. Stacked bars cannot show a
    CI per segment without clutter, so only the fulfilled share, the headline
    number, gets its interval, written at the right of each bar.

    Args:
        shares: Columns ``group``, ``outcome``, ``estimate``, ``ci_low``, ``ci_high``;
            shares in 0..1. A missing (group, outcome) pair counts as 0.
            Outcomes not in :data:`OUTCOMES` are stacked after the known ones.
        replications: Number of replications behind the estimates, for the caption.
        title: Figure title.
        group_label: What a group is, for the y-axis label.

    Returns:
        The figure, not yet saved.

    Raises:
        ValueError: If ``replications`` is not a positive integer, the table is
            non-empty but lacks a column, or a (group, outcome) pair appears twice.
    """
    check_replications(replications)
    data = prepare(shares, ("group", "outcome", "estimate", "ci_low", "ci_high"), "shares")
    n_groups = 0 if data is None else data["group"].nunique()
    fig = new_figure(9.0, max(3.8, 2.2 + 0.45 * n_groups))
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel("Share of requests (%)")
    ax.set_ylabel(group_label.capitalize())
    if data is None:
        draw_no_data(ax)
        add_caption(fig, [f"No requests to show ({replications} replications)."])
        return fig

    data["group"] = data["group"].astype(str)
    data["outcome"] = data["outcome"].astype(str)
    duplicated = data.duplicated(["group", "outcome"])
    if duplicated.any():
        pairs = data.loc[duplicated, ["group", "outcome"]].drop_duplicates()
        raise ValueError(f"shares table repeats (group, outcome) pairs: {pairs.values.tolist()}")
    groups = ordered(data["group"])
    present = ordered(data["outcome"])
    outcomes = [o for o in OUTCOMES if o in present] + [o for o in present if o not in OUTCOMES]
    colours = outcome_colours(outcomes)
    table = data.set_index(["group", "outcome"])
    estimate = (
        table["estimate"].unstack("outcome").reindex(index=groups, columns=outcomes).fillna(0.0)
        * 100
    )

    y = np.arange(len(groups))
    _stack_bars(ax, estimate, y, outcomes, colours)
    has_band = _label_fulfilled(ax, table, groups, y, outcomes)
    ax.set_yticks(y, labels=groups)
    ax.set_ylim(len(groups) - 0.5, -0.5)  # first group on top, as in the table
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _outcome_legend_and_caption(fig, outcomes, colours, has_band, replications)
    return fig


def _outcome_legend_and_caption(
    fig: Figure,
    outcomes: Sequence[str],
    colours: Mapping[str, str],
    has_band: bool,
    replications: int,
) -> None:
    """The outcome legend right of the bars, and the caption saying what the numbers are."""
    fig.legend(
        [Patch(color=colours[o]) for o in outcomes],
        list(outcomes),
        title="Outcome",
        loc="outside right upper",
        fontsize=8,
        title_fontsize=9,
        frameon=False,
    )
    if has_band:
        ci_note = (
            f"Right of each bar: share fulfilled and its {CI_DESCRIPTION.format(n=replications)}."
        )
    else:
        ci_note = band_caption(False, replications).replace("band", "interval")
    add_caption(
        fig,
        [
            "Bars: " + mean_words(replications) + "share of requests by final outcome; "
            "segments under 6% are not labelled. " + ci_note
        ],
    )


def _stack_bars(
    ax: Axes,
    estimate: pd.DataFrame,
    y: np.ndarray,
    outcomes: Sequence[str],
    colours: Mapping[str, str],
) -> None:
    """Horizontal bars stacked by outcome, each segment of 6% or more labelled."""
    left = np.zeros(len(y))
    for outcome in outcomes:
        widths = estimate[outcome].to_numpy()
        colour = colours[outcome]
        ax.barh(y, widths, left=left, height=0.7, color=colour, edgecolor="white", lw=0.6)
        for yi, x0, w in zip(y, left, widths, strict=True):
            if w >= 6:
                ax.text(
                    x0 + w / 2,
                    yi,
                    f"{w:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=text_colour_on(colour),
                )
        left += widths


def _label_fulfilled(
    ax: Axes, table: pd.DataFrame, groups: Sequence[str], y: np.ndarray, outcomes: Sequence[str]
) -> bool:
    """Write the fulfilled share and its interval right of each bar; whether any had one."""
    has_band = False
    if "fulfilled" in outcomes:
        fulfilled = table.xs("fulfilled", level="outcome").reindex(groups)
        for yi, (_, row) in zip(y, fulfilled.iterrows(), strict=True):
            est, low, high = row["estimate"], row["ci_low"], row["ci_high"]
            if not np.isfinite(est):
                continue
            label = f"fulfilled {est * 100:.1f}%"
            if np.isfinite(low) and np.isfinite(high):
                has_band = True
                label += f"\n[{low * 100:.1f}–{high * 100:.1f}]"
            ax.text(101.5, yi, label, ha="left", va="center", fontsize=7.5, clip_on=False)
    return has_band


def plot_outcome_shares(
    shares: pd.DataFrame,
    path: Path,
    *,
    replications: int,
    title: str = "Outcome of requests by channel",
    group_label: str = "channel",
) -> Path:
    """Write the outcome-share figure to ``path``; see :func:`build_outcome_shares`.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    fig = build_outcome_shares(
        shares, replications=replications, title=title, group_label=group_label
    )
    return save(fig, path)


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
            :func:`group_colours` in table order.

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


def plot_backlog(
    backlog: pd.DataFrame,
    path: Path,
    *,
    replications: int,
    title: str = "Backlog of the busiest central authorities",
    colours: dict[str, str] | None = None,
) -> Path:
    """Write the backlog figure to ``path``; see :func:`build_backlog`.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    fig = build_backlog(backlog, replications=replications, title=title, colours=colours)
    return save(fig, path)


# ------------------------------------------------------------------------------- all


def write_figures(
    curves: pd.DataFrame,
    shares: pd.DataFrame,
    backlog: pd.DataFrame,
    directory: Path,
    *,
    replications: int,
    colours: dict[str, str] | None = None,
    state_colours: dict[str, str] | None = None,
    group_label: str = "channel",
) -> list[Path]:
    """Write the standard figures of a run into ``directory``.

    Args:
        curves: Time-to-evidence table, see :func:`build_time_to_evidence`.
        shares: Outcome-share table, see :func:`build_outcome_shares`.
        backlog: Backlog table, see :func:`build_backlog`.
        directory: Output directory, created if needed.
        replications: Number of replications behind the tables.
        colours: Group colours to share with other runs' figures; defaults to
            :func:`group_colours` in the order of ``curves``.
        state_colours: State colours for the backlog; defaults to table order.
        group_label: What a group is, for legends and axis labels.

    Returns:
        Paths of ``time_to_evidence.png``, ``outcome_shares.png`` and
        ``backlog.png``, in that order.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    return [
        plot_time_to_evidence(
            curves,
            out / "time_to_evidence.png",
            replications=replications,
            colours=colours,
            group_label=group_label,
        ),
        plot_outcome_shares(
            shares,
            out / "outcome_shares.png",
            replications=replications,
            group_label=group_label,
        ),
        plot_backlog(
            backlog, out / "backlog.png", replications=replications, colours=state_colours
        ),
    ]
