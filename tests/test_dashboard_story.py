"""The dashboard's story panel without a browser: the request, its bars, its bad input.

The page itself is tested in a real browser by ``tests/test_dashboard_browser.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from matplotlib.patches import Rectangle

from sim.analysis.trace import load_story, pick_request
from sim.cli import main
from sim.dashboard.story import (
    PRESERVATION_COLOUR,
    SERVICE_COLOUR,
    WAIT_COLOUR,
    choose,
    story_facts,
    story_figure,
    story_table,
)


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory, write_tiny) -> Path:
    """A run of the tiny world, written by ``mlatsim run`` (with its timeline)."""
    folder = tmp_path_factory.mktemp("dashboard_story")
    scenario = write_tiny(folder, seed=5, replications=1)
    out = folder / "run"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    return out


def _same(mine, theirs) -> bool:
    """Two stories of the same request (the facts hold NaN, which equals nothing)."""
    keys = ("replication", "request_id", "spans", "attempts", "outcome", "reason", "rule")
    return all(getattr(mine, key) == getattr(theirs, key) for key in keys)


def _bars(figure) -> list[tuple[str, float, float]]:
    """The figure's bars as (colour, left, width), in drawing order."""
    colours = {WAIT_COLOUR: "wait", SERVICE_COLOUR: "service", PRESERVATION_COLOUR: "preserve"}
    (ax,) = figure.axes
    out = []
    for patch in ax.patches:
        if isinstance(patch, Rectangle):
            hex_colour = "#{:02X}{:02X}{:02X}".format(
                *(round(255 * c) for c in patch.get_facecolor()[:3])
            )
            out.append((colours[hex_colour], patch.get_x(), patch.get_width()))
    return out


@pytest.mark.parametrize("label", ["a refused one", "a slow one", "refused"])
def test_the_panel_shows_the_story_load_story_gives(result_dir: Path, label: str) -> None:
    """A pick is pick_request's request; its table and bars are load_story's spans."""
    which = label.removeprefix("a ").removesuffix(" one")
    choice = choose(result_dir, label)
    assert choice.message == "" and choice.story is not None
    expected = load_story(result_dir, pick_request(result_dir, which))
    assert _same(choice.story, expected)
    table = story_table(expected)
    steps = table[table["stage"] != "attempt_end"]
    assert list(steps["stage"]) == [span.stage for span in expected.spans]
    assert steps["end_day"].tolist() == [span.end_day for span in expected.spans]
    ends = table[table["stage"] == "attempt_end"]
    assert list(ends["outcome"]) == [attempt.outcome for attempt in expected.attempts]
    origin = expected.created_day
    drawn = []
    for span in expected.spans:
        if span.stage == "preservation":
            drawn.append(("preserve", span.entered_day - origin, span.days))
        else:
            drawn.append(("wait", span.entered_day - origin, span.wait_days))
            drawn.append(("service", span.start_day - origin, span.end_day - span.start_day))
    bars = _bars(story_figure(expected))
    assert len(bars) == len(drawn)
    for (kind, left, width), (want, at, days) in zip(bars, drawn, strict=True):
        assert kind == want and math.isclose(left, at) and math.isclose(width, days)
    lines = story_facts(expected)
    assert lines[-1] == f"Outcome: {expected.outcome}" + (
        f" ({expected.reason}): {expected.rule}" if expected.reason else f": {expected.rule}"
    )
    if which == "refused":
        assert expected.reason and expected.rule in lines[-1]


def test_a_request_by_id_is_that_request(result_dir: Path) -> None:
    """An id typed (with spaces) is that request of the replication asked."""
    choice = choose(result_dir, " 3 ", "0")
    assert choice.story is not None and _same(choice.story, load_story(result_dir, 3, 0))


@pytest.mark.parametrize(
    ("typed", "replication", "field", "words"),
    [
        ("123456789", "0", "request", "replication 0 has no request 123456789 (its ids run"),
        ("lots", "0", "request", "request: 'lots' is not an id nor one of 'a slow one'"),
        ("3", "x", "replication", "replication: 'x' is not a whole number"),
        ("3", "7", "replication", "the run has no replication 7"),
    ],
)
def test_bad_input_is_one_line_beside_its_field(
    result_dir: Path, typed: str, replication: str, field: str, words: str
) -> None:
    """An unknown id or replication, or text: no story, one line naming the field."""
    choice = choose(result_dir, typed, replication)
    assert choice.story is None
    assert choice.field == field
    assert words in choice.message and "\n" not in choice.message


def test_the_panel_renders_a_pick_and_a_bad_id(result_dir: Path) -> None:
    """The Solara component: a button shows the story, a bad id the message, no traceback."""
    import ipyvuetify as v
    import ipywidgets
    import solara

    from sim.dashboard.story_panel import StoryPanel

    _box, rc = solara.render(StoryPanel(result_dir), handle_error=False)
    rc.find(v.Btn, children=["a refused one"]).widget.click()
    rc.find(ipywidgets.Image).assert_single()
    reason = rc.find(v.Html, class_="mlatsim-story-reason")
    assert reason.widget.children[0].startswith("Outcome: refused (")
    field = rc.find(v.TextField, label="request id")
    field.widget.v_model = "123456789"
    field.widget.fire_event("keyup.enter")
    widget = rc.find(v.TextField, label="request id").widget
    assert widget.error and "has no request 123456789" in widget.messages[0]
    rc.find(ipywidgets.Image).assert_empty()
