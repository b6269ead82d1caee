"""The outcome-share figure: one stacked bar per channel or scenario.

Split from the line figures of :mod:`sim.analysis.figures` because bars need their own
machinery (fixed outcome order and colours, segment labels, the fulfilled share's interval
written beside each bar). Like every figure module it only draws a table computed elsewhere
(:func:`sim.analysis.statistics.outcome_shares`) and follows :mod:`sim.analysis.figure_style`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from sim.analysis.figure_style import (
    CI_DESCRIPTION,
    add_caption,
    band_caption,
    check_replications,
    draw_no_data,
    mean_words,
    new_figure,
    ordered,
    outcome_colours,
    prepare,
    text_colour_on,
)
from sim.vocabulary import OUTCOMES


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
