"""Tests for the run figures: valid PNGs, labelled figures, stable colours.

Covers the line figures (``sim.analysis.figures``), the outcome bars
(``sim.analysis.outcome_figures``), their house style (``sim.analysis.figure_style``) and a
run's figures as the registry writes them (``sim.analysis.figure_registry``).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.image import imread

from sim.analysis import figure_registry, figure_style, figures, outcome_figures
from sim.analysis.figure_registry import RUN, FigureContext
from sim.vocabulary import OUTCOMES

CHANNELS = ["bilateral MLAT", "EIO", "direct to provider"]
STATES = ["USA", "DEU", "IRL"]


def _curves(groups: list[str] = CHANNELS, days: int = 400, with_ci: bool = True) -> pd.DataFrame:
    """Cumulative fulfilled shares rising towards a plateau, one curve per group."""
    rows = []
    for i, group in enumerate(groups):
        for day in range(days + 1):
            est = 0.8 * (1 - np.exp(-day / (30.0 * (i + 1))))
            low, high = (est - 0.03, est + 0.03) if with_ci else (np.nan, np.nan)
            rows.append((group, day, est, low, high))
    return pd.DataFrame(rows, columns=["group", "day", "estimate", "ci_low", "ci_high"])


def _shares(groups: list[str] = CHANNELS, with_ci: bool = True) -> pd.DataFrame:
    """Outcome shares summing to 1 per group, outcomes deliberately not in stack order."""
    rows = []
    for i, group in enumerate(groups):
        parts = {
            "pending": 0.1,
            "refused": 0.1 + 0.05 * i,
            "fulfilled": 0.6 - 0.05 * i,
            "lost": 0.1,
            "abandoned": 0.1,
        }
        for outcome, est in parts.items():
            low, high = (est - 0.02, est + 0.02) if with_ci else (np.nan, np.nan)
            rows.append((group, outcome, est, low, high))
    return pd.DataFrame(rows, columns=["group", "outcome", "estimate", "ci_low", "ci_high"])


def _backlog(states: list[str] = STATES) -> pd.DataFrame:
    """Backlog counts per central authority, sampled weekly."""
    rows = []
    for i, state in enumerate(states):
        for day in range(0, 365, 7):
            est = (100 - 20 * i) * (1 - np.exp(-day / 60))
            rows.append((state, day, est, est - 10, est + 10))
    return pd.DataFrame(rows, columns=["state", "day", "estimate", "ci_low", "ci_high"])


def _assert_png(path: Path) -> np.ndarray:
    """Read a file back as an image and check it is a plausible, non-blank PNG."""
    assert path.is_file()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.ndim == 3
    assert image.shape[2] in (3, 4)
    assert image.shape[0] > 300
    assert image.shape[1] > 600
    assert image[..., :3].std() > 0  # something was drawn
    return image


def _legend_texts(fig: Figure) -> list[str]:
    """Labels of every legend in the figure (figure- or axes-level)."""
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def _all_text(fig: Figure) -> str:
    """All figure-level text (where the caption lives), unwrapped into one line."""
    return " ".join(t.get_text().replace("\n", " ") for t in fig.texts)


# ---------------------------------------------------------------------------- colours


def test_group_colours_stable_and_distinct() -> None:
    """The same ordering always gives the same colours, all different, as hex strings."""
    groups = [f"g{i}" for i in range(28)]
    first = figure_style.group_colours(groups)
    second = figure_style.group_colours(list(groups))
    assert first == second
    assert list(first) == groups
    assert len(set(first.values())) == len(groups)
    assert all(c.startswith("#") and len(c) == 7 for c in first.values())


def test_group_colours_start_with_okabe_ito_in_given_order() -> None:
    """The first 8 groups get Okabe–Ito colours, assigned by position, not by name."""
    colours = figure_style.group_colours(["b", "a", "c"])
    assert list(colours.values()) == [c.lower() for c in figure_style.OKABE_ITO[:3]]
    assert figure_style.group_colours(["a", "b"])["a"] == colours["b"]


def test_group_colours_ignores_duplicates_and_cycles_past_palette() -> None:
    """Repeated names keep their first colour; more groups than colours still get one."""
    colours = figure_style.group_colours(["x", "y", "x"])
    assert list(colours) == ["x", "y"]
    many = figure_style.group_colours([str(i) for i in range(40)])
    assert len(many) == 40


def test_outcome_colours_fixed_and_distinct() -> None:
    """Every standard outcome has its own fixed colour."""
    assert set(figure_style.OUTCOME_COLOURS) == set(OUTCOMES)
    assert len(set(figure_style.OUTCOME_COLOURS.values())) == len(OUTCOMES)


def test_time_to_evidence_uses_supplied_colours() -> None:
    """A caller's colour mapping is honoured, so a group keeps its colour across figures."""
    colours = figure_style.group_colours(["EIO", *CHANNELS])  # EIO first: gets the first colour
    fig = figures.build_time_to_evidence(_curves(), replications=5, colours=colours)
    drawn = [to_hex(line.get_color()) for line in fig.axes[0].get_lines()[: len(CHANNELS)]]
    assert drawn == [colours[g] for g in CHANNELS]


def test_missing_colour_gets_unused_spare() -> None:
    """A group absent from the supplied mapping gets a colour no other group uses."""
    colours = {"bilateral MLAT": "#0072b2", "EIO": "#e69f00"}
    fig = figures.build_time_to_evidence(_curves(), replications=5, colours=colours)
    drawn = [to_hex(line.get_color()) for line in fig.axes[0].get_lines()[: len(CHANNELS)]]
    assert drawn[:2] == ["#0072b2", "#e69f00"]
    assert drawn[2] not in drawn[:2]


# ---------------------------------------------------------------------------- labels


def test_time_to_evidence_labelled() -> None:
    """Title, axis labels with units, legend in table order and CI caption are present."""
    fig = figures.build_time_to_evidence(_curves(), replications=12, title="TTE")
    ax = fig.axes[0]
    assert ax.get_title() == "TTE"
    assert "days" in ax.get_xlabel()
    assert "%" in ax.get_ylabel()
    assert _legend_texts(fig) == CHANNELS
    caption = _all_text(fig)
    assert "95% CI across 12 replications (Student t)" in caption
    assert ax.get_ylim() == (0.0, 100.0)


def test_time_to_evidence_guides_only_within_range() -> None:
    """Dotted guides mark 30/90/180/365 days strictly inside the x range, named in the caption.

    A guide on the right edge would be hidden by the axes frame, so it is left out.
    """
    for days, expected in [(200, [30, 90, 180]), (180, [30, 90]), (20, [])]:
        fig = figures.build_time_to_evidence(_curves(days=days), replications=3)
        guides = sorted(
            line.get_xdata()[0] for line in fig.axes[0].get_lines() if line.get_linestyle() == ":"
        )
        assert guides == expected
    assert "Dotted: 30, 90 and 180 days." in _all_text(
        figures.build_time_to_evidence(_curves(days=200), replications=3)
    )


def test_group_order_is_first_appearance() -> None:
    """Groups keep the order in which they first appear, not alphabetical order."""
    curves = _curves(["zeta", "alpha", "mid"])
    curves = pd.concat([curves.iloc[::-1][curves.iloc[::-1]["group"] == "zeta"], curves])
    fig = figures.build_time_to_evidence(curves, replications=2)
    assert _legend_texts(fig) == ["zeta", "alpha", "mid"]


def test_single_replication_caption_says_no_band() -> None:
    """With NaN CI bounds no band is drawn and the caption explains why."""
    fig = figures.build_time_to_evidence(_curves(with_ci=False), replications=1)
    assert not fig.axes[0].collections  # no fill_between band
    assert "no confidence band" in _all_text(fig).lower()


def test_outcome_shares_labelled_and_stacked_in_fixed_order() -> None:
    """Bars stack outcomes in the fixed order with fixed colours and a CI note."""
    fig = outcome_figures.build_outcome_shares(_shares(), replications=8, title="Shares")
    ax = fig.axes[0]
    assert ax.get_title() == "Shares"
    assert "%" in ax.get_xlabel()
    assert ax.get_ylabel() == "Channel"
    assert _legend_texts(fig) == list(OUTCOMES)
    assert [t.get_text() for t in ax.get_yticklabels()] == CHANNELS
    bars = ax.patches
    assert len(bars) == len(CHANNELS) * len(OUTCOMES)
    first_segment = bars[0]
    fulfilled_colour = figure_style.OUTCOME_COLOURS["fulfilled"].lower()
    assert to_hex(first_segment.get_facecolor()) == fulfilled_colour
    assert first_segment.get_width() == pytest.approx(60.0)
    assert "95% CI across 8 replications (Student t)" in _all_text(fig)
    notes = [t.get_text() for t in ax.texts if t.get_text().startswith("fulfilled")]
    assert len(notes) == len(CHANNELS)
    assert "[58.0–62.0]" in notes[0]


def test_outcome_shares_missing_outcome_counts_as_zero() -> None:
    """A group without a row for some outcome is drawn with a zero-width segment."""
    shares = _shares()
    shares = shares[~((shares["group"] == "EIO") & (shares["outcome"] == "lost"))]
    fig = outcome_figures.build_outcome_shares(shares, replications=3)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert len(widths) == len(CHANNELS) * len(OUTCOMES)
    assert 0.0 in widths


def test_outcome_shares_unknown_outcome_stacked_last() -> None:
    """An outcome this module does not know is still drawn, after the known ones."""
    shares = pd.concat(
        [
            _shares(),
            pd.DataFrame([["EIO", "withdrawn", 0.05, 0.04, 0.06]], columns=_shares().columns),
        ]
    )
    fig = outcome_figures.build_outcome_shares(shares, replications=3)
    assert _legend_texts(fig) == [*OUTCOMES, "withdrawn"]


def test_outcome_shares_duplicate_pairs_rejected() -> None:
    """A (group, outcome) pair appearing twice is an upstream bug and raises."""
    shares = pd.concat([_shares(), _shares().iloc[:1]])
    with pytest.raises(ValueError, match="repeats"):
        outcome_figures.build_outcome_shares(shares, replications=3)


def test_backlog_labelled() -> None:
    """Backlog figure has title, labelled axes with units, one line per state, CI caption."""
    fig = figures.build_backlog(_backlog(), replications=4)
    ax = fig.axes[0]
    assert ax.get_title() == "Backlog of the busiest central authorities"
    assert "days" in ax.get_xlabel()
    assert "count" in ax.get_ylabel()
    assert _legend_texts(fig) == STATES
    assert len(ax.collections) == len(STATES)  # one band per state
    assert ax.get_ylim()[0] == 0
    assert "95% CI across 4 replications (Student t)" in _all_text(fig)


def test_missing_column_raises() -> None:
    """A non-empty table without a required column raises instead of drawing nothing."""
    with pytest.raises(ValueError, match="ci_high"):
        figures.build_backlog(_backlog().drop(columns="ci_high"), replications=2)


@pytest.mark.parametrize("replications", [0, -1, 1.5, True])
def test_bad_replications_rejected(replications: object) -> None:
    """The caption must not claim an impossible number of replications."""
    with pytest.raises(ValueError, match="replications"):
        figures.build_time_to_evidence(_curves(), replications=replications)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- files


def _write_run(
    directory: Path,
    curves: pd.DataFrame,
    shares: pd.DataFrame,
    backlog: pd.DataFrame,
    replications: int,
) -> list[Path]:
    """Write a run's figures from these tables through the registry, as a run writes them."""
    tables = {"time_to_evidence": curves, "outcome_shares": shares, "backlog": backlog}
    context = FigureContext(kind=RUN, tables=tables, replications=replications)
    return figure_registry.write(context, directory)


def test_run_figures_are_valid_pngs_with_their_tables(tmp_path: Path) -> None:
    """A run's three figures are readable PNGs in a directory created on demand.

    The file names are those a run has always written, and each table drawn is saved as
    CSV beside its figure, row for row.
    """
    out = tmp_path / "run" / "figures"
    paths = _write_run(out, _curves(), _shares(), _backlog(), replications=10)
    assert [p.name for p in paths] == ["time_to_evidence.png", "outcome_shares.png", "backlog.png"]
    assert all(p.parent == out for p in paths)
    for path, table in zip(paths, (_curves(), _shares(), _backlog()), strict=True):
        _assert_png(path)
        saved = pd.read_csv(path.with_suffix(".csv"))
        pd.testing.assert_frame_equal(saved, table, check_dtype=False)


def test_saved_figure_is_at_the_house_resolution(tmp_path: Path) -> None:
    """``save`` returns the path it wrote; a 9-inch-wide figure at 150 dpi is 1350 px."""
    fig = figures.build_time_to_evidence(_curves(), replications=3)
    path = figure_style.save(fig, tmp_path / "t.png")
    assert path == tmp_path / "t.png"
    assert _assert_png(path).shape[1] == 9 * figure_style.DPI


@pytest.mark.parametrize(
    "empty",
    [pd.DataFrame(), pd.DataFrame(columns=["group", "day", "estimate", "ci_low", "ci_high"])],
    ids=["no-columns", "no-rows"],
)
def test_empty_tables_give_no_data_figures(tmp_path: Path, empty: pd.DataFrame) -> None:
    """Empty inputs produce labelled "No data" figures instead of raising."""
    paths = _write_run(tmp_path, empty, empty, empty, replications=2)
    assert len(paths) == 3
    for path in paths:
        _assert_png(path)
        assert path.with_suffix(".csv").is_file()
    fig = outcome_figures.build_outcome_shares(empty, replications=2)
    assert fig.axes[0].get_title()
    assert any(t.get_text() == "No data" for t in fig.axes[0].texts)


def test_single_replication_writes_without_warnings(tmp_path: Path) -> None:
    """NaN CI bounds (one replication) draw without any warning, even outside pytest."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = _write_run(
            tmp_path,
            _curves(with_ci=False),
            _shares(with_ci=False),
            _backlog().assign(ci_low=np.nan, ci_high=np.nan),
            replications=1,
        )
    for path in paths:
        _assert_png(path)


def test_partial_nan_ci_draws_band_where_defined(tmp_path: Path) -> None:
    """A band with NaN bounds on some days is drawn where finite, without warnings."""
    curves = _curves()
    curves.loc[curves["day"] < 5, ["ci_low", "ci_high"]] = np.nan
    fig = figures.build_time_to_evidence(curves, replications=5)
    assert len(fig.axes[0].collections) == len(CHANNELS)
    _assert_png(figure_style.save(fig, tmp_path / "p.png"))


def test_pyplot_not_imported() -> None:
    """Importing and drawing never loads pyplot, whose global state is unsafe in workers."""
    code = (
        "import sys; import pandas as pd; from sim.analysis import figure_registry, figures; "
        "figures.build_backlog(pd.DataFrame(), replications=1); "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
