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

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

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

DPI = 150
"""Resolution of every saved PNG: sharp enough for a report, small enough for git."""

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow: last, it is faint as a thin line on white
)
"""Okabe–Ito palette, distinguishable under the common colour-vision deficiencies.

The order differs from the published one so that the first groups, the ones every
figure has, get the colours that read best as thin lines on a white background.
"""

"""Outcomes of a request in the order they are stacked, best outcome first."""

OUTCOME_COLOURS: dict[str, str] = {
    "fulfilled": "#009E73",  # green: evidence obtained
    "refused": "#D55E00",  # vermillion: a decision against the request
    "lost": "#E69F00",  # orange: dropped by the system, nobody decided
    "abandoned": "#999999",  # grey: the requesting side gave up
    "pending": "#56B4E9",  # light blue: still open at the end of the run
}
"""Fixed colour per outcome, the same in every figure and every run."""

_EXTRA_OUTCOME_COLOURS: tuple[str, ...] = ("#CC79A7", "#0072B2", "#000000", "#F0E442")
"""Colours for outcomes unknown to this module, so a new outcome still gets drawn."""

TIME_GUIDES: dict[int, str] = {30: "1 mo", 90: "3 mo", 180: "6 mo", 365: "1 yr"}
"""Delays (days) marked on the time-to-evidence figure, the horizons people quote."""

CI_DESCRIPTION = "95% CI across {n} replications (Student t)"
"""How the statistics module computes the bounds; stated on every figure with a band."""

_CAPTION_FONTSIZE = 8
_CAPTION_WIDTH_CHARS = 120
_BAND_ALPHA = 0.18


# --------------------------------------------------------------------------- colours


_TAB20_ORDER = (6, 8, 10, 16, 18, 14, 12, 7, 9, 11, 17, 19, 15, 13, 1, 3, 5, 0, 2, 4)
"""Order in which tab20 colours follow Okabe–Ito: hues Okabe–Ito lacks first (red,
purple, brown, olive, cyan, grey, pink), then light shades, and last tab:blue,
tab:orange and tab:green, which are near-copies of Okabe–Ito colours."""


def _palette(count: int) -> list[str]:
    """Return ``count`` colours: Okabe–Ito first, then tab20, then cycling.

    Beyond 28 colours no qualitative palette stays distinguishable anyway, so the
    list cycles rather than inventing near-duplicates.
    """
    tab20 = colormaps["tab20"].colors  # type: ignore[attr-defined]
    base = [c.lower() for c in OKABE_ITO] + [to_hex(tab20[i]) for i in _TAB20_ORDER]
    return [base[i % len(base)] for i in range(count)]


def group_colours(groups: Sequence[str]) -> dict[str, str]:
    """Assign a colour to each group in the order given.

    The mapping depends only on the order of ``groups``, never on the data, so a
    caller that passes the same ordering (for instance all channels of the model, or
    all scenarios compared) gets the same colour for a group in every figure, even in
    a figure where some groups have no data.

    Args:
        groups: Group names in the order colours should be handed out. Duplicates
            are ignored after their first occurrence.

    Returns:
        Mapping from group name to a hex colour string (``"#rrggbb"``). The first 8
        groups get the colour-blind-safe Okabe–Ito palette, the next 20 tab20; past
        28 groups colours repeat.
    """
    unique = list(dict.fromkeys(str(g) for g in groups))
    return dict(zip(unique, _palette(len(unique)), strict=True))


def _resolve_colours(groups: Sequence[str], colours: Mapping[str, str] | None) -> dict[str, str]:
    """Complete a caller-supplied colour mapping for the groups actually present.

    A caller normally passes the mapping of every group it knows; a group missing
    from it gets the first palette colour not already used, rather than an error,
    so a figure is still produced.
    """
    if colours is None:
        return group_colours(groups)
    resolved = {str(k): v for k, v in colours.items()}
    used = {to_hex(v) for v in resolved.values()}
    spare = (c for c in _palette(len(resolved) + len(groups) + 28) if c not in used)
    for group in groups:
        if group not in resolved:
            resolved[group] = next(spare)
    return resolved


def _outcome_colours(outcomes: Iterable[str]) -> dict[str, str]:
    """Fixed outcome colours, with spare colours for outcomes not in :data:`OUTCOMES`."""
    colours = dict(OUTCOME_COLOURS)
    extra = iter(_EXTRA_OUTCOME_COLOURS + tuple(_palette(48)[8:]))
    for outcome in outcomes:
        if outcome not in colours:
            colours[outcome] = next(extra)
    return colours


def _text_colour_on(colour: str) -> str:
    """Black or white, whichever reads better on a segment of ``colour``."""
    r, g, b = to_rgb(colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.45 else "white"


# --------------------------------------------------------------------------- helpers


def _check_replications(replications: int) -> None:
    """Reject a replication count that would make the caption lie."""
    if isinstance(replications, bool) or int(replications) != replications or replications < 1:
        raise ValueError(f"replications must be a positive integer, got {replications!r}")


def _prepare(table: pd.DataFrame, columns: Sequence[str], name: str) -> pd.DataFrame | None:
    """Validate a table and return it, or ``None`` when there is nothing to draw.

    An empty table (even one without columns) is a legitimate result, e.g. no
    request reached a channel, and gives a "no data" figure. A non-empty table with
    missing columns is a bug upstream and raises, so that it is not silently drawn
    as empty.
    """
    if table is None or table.empty:
        return None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} table lacks column(s) {missing}; has {list(table.columns)}")
    data = table.loc[:, list(columns)].copy()
    for column in ("day", "estimate", "ci_low", "ci_high"):
        if column in data.columns:
            data[column] = pd.to_numeric(data[column], errors="coerce").astype(float)
    return data


def _ordered(values: pd.Series) -> list[str]:
    """Distinct values as strings, in order of first appearance in the table."""
    return [str(v) for v in pd.unique(values)]


def _new_figure(width: float, height: float) -> Figure:
    """A standalone figure (no pyplot) with an Agg canvas and constrained layout."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _add_caption(fig: Figure, lines: Sequence[str]) -> None:
    """Write a caption under the plot and reserve room for it in the layout.

    Constrained layout ignores figure-level text, so the height of the caption is
    removed from the rectangle the layout may use; otherwise the caption would sit
    on top of the x-axis label.
    """
    wrapped = [textwrap.fill(line, _CAPTION_WIDTH_CHARS) for line in lines if line]
    text = "\n".join(wrapped)
    n_lines = text.count("\n") + 1
    height_in = fig.get_figheight()
    caption_in = (n_lines * _CAPTION_FONTSIZE * 1.35 + 8) / 72
    bottom = min(caption_in / height_in, 0.4)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0.0, bottom, 1.0, 1.0 - bottom))  # type: ignore[call-arg]
    fig.text(
        0.01,
        0.5 * 8 / 72 / height_in,
        text,
        ha="left",
        va="bottom",
        fontsize=_CAPTION_FONTSIZE,
        color="#333333",
    )


def _band_caption(has_band: bool, replications: int, what: str = "Shaded") -> str:
    """Say how the uncertainty shown was computed, or why none is shown."""
    if has_band:
        return f"{what}: {CI_DESCRIPTION.format(n=replications)}."
    if replications == 1:
        return "Single replication: no confidence band drawn (a CI needs at least 2)."
    return f"No confidence band drawn: CI bounds unavailable ({replications} replications)."


def _mean(replications: int) -> str:
    """Caption word for the estimate: a mean only if there was more than one run."""
    return "mean across replications of the " if replications > 1 else ""


def _guides_caption(days: Sequence[int]) -> str:
    """Name the guide delays actually drawn, e.g. " Dotted: 30, 90 and 180 days."."""
    if not days:
        return ""
    names = [str(d) for d in days]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f" Dotted: {listed} days."


def _has_band(data: pd.DataFrame) -> bool:
    """Whether any row has both CI bounds finite, i.e. a band can be drawn."""
    return bool((np.isfinite(data["ci_low"]) & np.isfinite(data["ci_high"])).any())


def _draw_no_data(ax: Axes, message: str = "No data") -> None:
    """Mark an axes as empty so an empty result is visibly empty, not broken."""
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=14,
        color="#777777",
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _save(fig: Figure, path: Path | str) -> Path:
    """Save ``fig`` as PNG at :data:`DPI`, creating the parent directory."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=DPI, format="png")
    return target


def _line_legend(fig: Figure, groups: Sequence[str], colours: Mapping[str, str], title: str):
    """Legend outside the axes, right of the plot, so it never hides a curve."""
    handles = [Line2D([], [], color=colours[g], linewidth=2) for g in groups]
    fig.legend(
        handles,
        list(groups),
        title=title,
        loc="outside right upper",
        ncols=1 if len(groups) <= 18 else 2,
        fontsize=8,
        title_fontsize=9,
        frameon=False,
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
            from it get spare colours. Defaults to :func:`group_colours` in table order.
        group_label: What a group is (``"channel"``, ``"scenario"``), for the legend.

    Returns:
        The figure, not yet saved.

    Raises:
        ValueError: If ``replications`` is not a positive integer, or the table is
            non-empty but lacks a required column.
    """
    _check_replications(replications)
    data = _prepare(curves, ("group", "day", "estimate", "ci_low", "ci_high"), "curves")
    fig = _new_figure(9.0, 5.0)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel("Time since request (days)")
    ax.set_ylabel("Requests fulfilled, cumulative (% of requests)")
    if data is None:
        _draw_no_data(ax)
        _add_caption(fig, [f"No requests to show ({replications} replications)."])
        return fig

    data["group"] = data["group"].astype(str)
    groups = _ordered(data["group"])
    palette = _resolve_colours(groups, colours)
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
                alpha=_BAND_ALPHA,
                linewidth=0,
            )

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
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    _line_legend(fig, groups, palette, group_label.capitalize())
    _add_caption(
        fig,
        [
            "Line: "
            + _mean(replications)
            + "cumulative share of requests fulfilled by each day. "
            + _band_caption(_has_band(data), replications)
            + _guides_caption(list(guides))
        ],
    )
    return fig


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
    return _save(fig, path)


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
    _check_replications(replications)
    data = _prepare(shares, ("group", "outcome", "estimate", "ci_low", "ci_high"), "shares")
    n_groups = 0 if data is None else data["group"].nunique()
    fig = _new_figure(9.0, max(3.8, 2.2 + 0.45 * n_groups))
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel("Share of requests (%)")
    ax.set_ylabel(group_label.capitalize())
    if data is None:
        _draw_no_data(ax)
        _add_caption(fig, [f"No requests to show ({replications} replications)."])
        return fig

    data["group"] = data["group"].astype(str)
    data["outcome"] = data["outcome"].astype(str)
    duplicated = data.duplicated(["group", "outcome"])
    if duplicated.any():
        pairs = data.loc[duplicated, ["group", "outcome"]].drop_duplicates()
        raise ValueError(f"shares table repeats (group, outcome) pairs: {pairs.values.tolist()}")
    groups = _ordered(data["group"])
    present = _ordered(data["outcome"])
    outcomes = [o for o in OUTCOMES if o in present] + [o for o in present if o not in OUTCOMES]
    colours = _outcome_colours(outcomes)
    table = data.set_index(["group", "outcome"])
    estimate = (
        table["estimate"].unstack("outcome").reindex(index=groups, columns=outcomes).fillna(0.0)
        * 100
    )

    y = np.arange(len(groups))
    left = np.zeros(len(groups))
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
                    color=_text_colour_on(colour),
                )
        left += widths

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

    ax.set_yticks(y, labels=groups)
    ax.set_ylim(len(groups) - 0.5, -0.5)  # first group on top, as in the table
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(
        [Patch(color=colours[o]) for o in outcomes],
        outcomes,
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
        ci_note = _band_caption(False, replications).replace("band", "interval")
    _add_caption(
        fig,
        [
            "Bars: " + _mean(replications) + "share of requests by final outcome; "
            "segments under 6% are not labelled. " + ci_note
        ],
    )
    return fig


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
    return _save(fig, path)


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
    _check_replications(replications)
    data = _prepare(backlog, ("state", "day", "estimate", "ci_low", "ci_high"), "backlog")
    fig = _new_figure(9.0, 5.0)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel("Time since start of simulation (days)")
    ax.set_ylabel("Requests waiting or in process (count)")
    if data is None:
        _draw_no_data(ax)
        _add_caption(fig, [f"No backlog to show ({replications} replications)."])
        return fig

    data["state"] = data["state"].astype(str)
    states = _ordered(data["state"])
    palette = _resolve_colours(states, colours)
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
                alpha=_BAND_ALPHA,
                linewidth=0,
            )
    days = data["day"].to_numpy()
    if np.isfinite(days).any():
        ax.set_xlim(float(np.nanmin(days)), max(float(np.nanmax(days)), 1.0))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    _line_legend(fig, states, palette, "Central authority")
    _add_caption(
        fig,
        [
            "Line: "
            + _mean(replications)
            + "number of requests waiting at or being processed by each "
            "central authority (ISO 3166 alpha-3 code). "
            + _band_caption(_has_band(data), replications)
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
    return _save(fig, path)


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
