"""The house style of every figure: palette, colours, captions, empty figures, saving.

Figures are drawn on standalone :class:`matplotlib.figure.Figure` objects with an Agg canvas
(never ``pyplot``, which keeps global state, and never ``rcParams``), so worker processes can
draw in parallel. Every figure carries a caption saying how its bands were computed.
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


BAND_ALPHA = 0.18


_TAB20_ORDER = (6, 8, 10, 16, 18, 14, 12, 7, 9, 11, 17, 19, 15, 13, 1, 3, 5, 0, 2, 4)
"""Order in which tab20 colours follow Okabe–Ito: hues Okabe–Ito lacks first (red,
purple, brown, olive, cyan, grey, pink), then light shades, and last tab:blue,
tab:orange and tab:green, which are near-copies of Okabe–Ito colours."""


def palette(count: int) -> list[str]:
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
    return dict(zip(unique, palette(len(unique)), strict=True))


def resolve_colours(groups: Sequence[str], colours: Mapping[str, str] | None) -> dict[str, str]:
    """Complete a caller-supplied colour mapping for the groups actually present.

    A caller normally passes the mapping of every group it knows; a group missing
    from it gets the first palette colour not already used, rather than an error,
    so a figure is still produced.
    """
    if colours is None:
        return group_colours(groups)
    resolved = {str(k): v for k, v in colours.items()}
    used = {to_hex(v) for v in resolved.values()}
    spare = (c for c in palette(len(resolved) + len(groups) + 28) if c not in used)
    for group in groups:
        if group not in resolved:
            resolved[group] = next(spare)
    return resolved


def outcome_colours(outcomes: Iterable[str]) -> dict[str, str]:
    """Fixed outcome colours, with spare colours for outcomes not in :data:`OUTCOMES`."""
    colours = dict(OUTCOME_COLOURS)
    extra = iter(_EXTRA_OUTCOME_COLOURS + tuple(palette(48)[8:]))
    for outcome in outcomes:
        if outcome not in colours:
            colours[outcome] = next(extra)
    return colours


def text_colour_on(colour: str) -> str:
    """Black or white, whichever reads better on a segment of ``colour``."""
    r, g, b = to_rgb(colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.45 else "white"


def check_replications(replications: int) -> None:
    """Reject a replication count that would make the caption lie."""
    if isinstance(replications, bool) or int(replications) != replications or replications < 1:
        raise ValueError(f"replications must be a positive integer, got {replications!r}")


def prepare(table: pd.DataFrame, columns: Sequence[str], name: str) -> pd.DataFrame | None:
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


def ordered(values: pd.Series) -> list[str]:
    """Distinct values as strings, in order of first appearance in the table."""
    return [str(v) for v in pd.unique(values)]


def new_figure(width: float, height: float) -> Figure:
    """A standalone figure (no pyplot) with an Agg canvas and constrained layout."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def panels(
    count: int, width: float, height: float, margin: float = 0.8, columns: int = 3
) -> tuple[Figure, list[Axes]]:
    """A figure of ``count`` panels, ``columns`` a row at most, the unused ones hidden.

    Args:
        count: Panels wanted.
        width: Width of one panel (inches).
        height: Height of one panel (inches).
        margin: Height added for the title and caption (inches).
        columns: Most panels in a row.
    """
    across = min(count, columns)
    rows = -(-count // across)
    fig = new_figure(width * across, height * rows + margin)
    axes = fig.subplots(rows, across, squeeze=False).ravel().tolist()
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, axes[:count]


def add_caption(fig: Figure, lines: Sequence[str]) -> None:
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


def band_caption(has_band: bool, replications: int, what: str = "Shaded") -> str:
    """Say how the uncertainty shown was computed, or why none is shown."""
    if has_band:
        return f"{what}: {CI_DESCRIPTION.format(n=replications)}."
    if replications == 1:
        return "Single replication: no confidence band drawn (a CI needs at least 2)."
    return f"No confidence band drawn: CI bounds unavailable ({replications} replications)."


def mean_words(replications: int) -> str:
    """Caption word for the estimate: a mean only if there was more than one run."""
    return "mean across replications of the " if replications > 1 else ""


def guides_caption(days: Sequence[int]) -> str:
    """Name the guide delays actually drawn, e.g. " Dotted: 30, 90 and 180 days."."""
    if not days:
        return ""
    names = [str(d) for d in days]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f" Dotted: {listed} days."


def has_band(data: pd.DataFrame) -> bool:
    """Whether any row has both CI bounds finite, i.e. a band can be drawn."""
    return bool((np.isfinite(data["ci_low"]) & np.isfinite(data["ci_high"])).any())


def draw_no_data(ax: Axes, message: str = "No data") -> None:
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


def save(fig: Figure, path: Path | str) -> Path:
    """Save ``fig`` as PNG at :data:`DPI`, creating the parent directory."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=DPI, format="png")
    return target


def line_legend(fig: Figure, groups: Sequence[str], colours: Mapping[str, str], title: str):
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
