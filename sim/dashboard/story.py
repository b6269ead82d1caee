"""A request's story on the page: which request, its timeline as bars, and the words around it.

The page's story panel (:mod:`sim.dashboard.story_panel`) reads the reform's run folder of
the last comparison. This module holds what it shows, without Solara: the request the
lecturer asked for (:func:`choose`: an id, or "a slow one", "a refused one", "a lost one" by
:func:`sim.analysis.trace.pick_request`), read with :func:`sim.analysis.trace.load_story`;
its steps as a table (:func:`story_table`, the CSV offered beside the figure) and as
horizontal bars (:func:`story_figure`: each stage's queue wait and service, each request for
preservation, each attempt's end); and the lines that say which channels were tried,
preservation, clarifications and why it ended as it did (:func:`story_facts`).

Bad input is never an exception here: :func:`choose` gives a one-line message instead, shown
beside the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.analysis.figure_style import OUTCOME_COLOURS, new_figure
from sim.analysis.trace import PICKS, RequestStory, load_story, pick_request
from sim.errors import InputError

PICK_LABELS = {f"a {which} one": which for which in PICKS}
"""The page's buttons, each naming what :func:`pick_request` chooses."""
WAIT_COLOUR, SERVICE_COLOUR, PRESERVATION_COLOUR = "#BBBBBB", "#0072B2", "#CC79A7"
"""Queue wait (grey), service in the stage (blue), asking for preservation (purple)."""


@dataclass(frozen=True)
class Choice:
    """What the story panel shows for the lecturer's input.

    Attributes:
        story: The request's story, or None if the input was bad.
        message: The one-line message for bad input (empty when there is a story).
        field: The field the message belongs beside (``request`` or ``replication``).
    """

    story: RequestStory | None
    message: str = ""
    field: str = "request"


def choose(directory: Path, request: str, replication: str = "0") -> Choice:
    """The story for the page's fields: an id, or a pick such as ``a refused one``.

    Args:
        directory: The run's result directory (the reform's, of the last comparison).
        request: An id, a label of :data:`PICK_LABELS` or one of ``PICKS``.
        replication: The replication, as typed.

    Returns:
        The story, or a one-line message naming the field it concerns.
    """
    try:
        number = int(replication.strip() or "0")
    except ValueError:
        return Choice(None, f"replication: '{replication}' is not a whole number", "replication")
    text = request.strip().lower()
    which = PICK_LABELS.get(text, text)
    try:
        if which in PICKS:
            ident = pick_request(directory, which, number)
        else:
            try:
                ident = int(text)
            except ValueError:
                labels = ", ".join(f"'{label}'" for label in PICK_LABELS)
                return Choice(None, f"request: '{request}' is not an id nor one of {labels}")
        return Choice(load_story(directory, ident, number))
    except InputError as exc:
        message = str(exc).replace("\n", " ")
        field = "replication" if message.startswith("replication") else "request"
        return Choice(None, message, field)


def story_table(story: RequestStory) -> pd.DataFrame:
    """The request's steps in time order, one row per stage or request for preservation.

    Returns:
        Columns ``attempt``, ``channel``, ``stage``, ``returns``, ``entered_day``,
        ``start_day``, ``end_day``, ``wait_days``, ``service_days``, ``preservation``,
        ``preserved``, ``in_progress``; then one row per attempt's end (``stage`` is
        ``attempt_end``, with its ``outcome``, ``reason`` and ``rule``).
    """
    rows = [
        {
            "attempt": span.attempt,
            "channel": span.channel,
            "stage": span.stage,
            "returns": span.returns,
            "entered_day": span.entered_day,
            "start_day": span.start_day,
            "end_day": span.end_day,
            "wait_days": span.wait_days,
            "service_days": span.end_day - span.start_day,
            "preservation": span.preservation if span.stage == "preservation" else "",
            "preserved": span.preserved if span.stage == "preservation" else "",
            "in_progress": span.in_progress,
        }
        for span in story.spans
    ]
    ends = [
        {
            "attempt": attempt.number,
            "channel": attempt.channel,
            "stage": "attempt_end",
            "end_day": attempt.end_day,
            "outcome": attempt.outcome,
            "reason": attempt.reason,
            "rule": attempt.rule,
        }
        for attempt in story.attempts
    ]
    return pd.DataFrame(rows + ends)


def _label(span_stage: str, channel: str, attempt: int, returns: int) -> str:
    again = f", return {returns}" if returns else ""
    return f"{attempt}. {channel}: {span_stage}{again}"


def _legend(story: RequestStory) -> list[Patch]:
    """Legend entries for what the figure draws: the kinds of bar and the attempts' ends."""
    stages = [span for span in story.spans if span.stage != "preservation"]
    kinds = [
        (WAIT_COLOUR, "queued", any(span.wait_days > 0 for span in stages)),
        (SERVICE_COLOUR, "in the stage", bool(stages)),
        (PRESERVATION_COLOUR, "asking for preservation", len(stages) < len(story.spans)),
    ]
    handles = [Patch(color=colour, label=label) for colour, label, shown in kinds if shown]
    outcomes = dict.fromkeys(attempt.outcome for attempt in story.attempts)
    return handles + [
        Patch(color=OUTCOME_COLOURS.get(outcome, "#000000"), label=f"attempt {outcome}")
        for outcome in outcomes
    ]


def story_figure(story: RequestStory) -> Figure:
    """The request's timeline: a horizontal bar per step, queue wait then service.

    Days run from the request's creation; each attempt's end is a mark coloured by its
    outcome, and the title gives the request's outcome and reason.
    """
    spans = story.spans
    fig = new_figure(10.0, 0.38 * max(3, len(spans)) + 1.6)
    ax = fig.subplots()
    origin = story.created_day
    rows = np.arange(len(spans), dtype=float)
    for row, span in zip(rows, spans, strict=True):
        if span.stage == "preservation":
            ax.barh(row, span.days, left=span.entered_day - origin, color=PRESERVATION_COLOUR)
            continue
        ax.barh(row, span.wait_days, left=span.entered_day - origin, color=WAIT_COLOUR)
        service = span.end_day - span.start_day
        ax.barh(row, service, left=span.start_day - origin, color=SERVICE_COLOUR)
    ax.set_yticks(rows)
    ax.set_yticklabels(
        [_label(s.stage, s.channel, s.attempt, s.returns) for s in spans], fontsize=7
    )
    ax.invert_yaxis()
    for attempt in story.attempts:
        colour = OUTCOME_COLOURS.get(attempt.outcome, "#000000")
        ax.axvline(attempt.end_day - origin, color=colour, linestyle="--", linewidth=1.2)
    ax.set_xlabel(f"days since the request was created (day {origin:,.1f} of the run)")
    reason = f" ({story.reason})" if story.reason else ""
    ax.set_title(
        f"Request {story.request_id}, replication {story.replication}: {story.outcome}{reason} "
        f"after {story.time_to_outcome_days:,.1f} days",
        fontsize=10,
    )
    ax.legend(handles=_legend(story), fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if not spans:
        ax.text(0.5, 0.5, "no channel was tried", ha="center", va="center", transform=ax.transAxes)
    return fig


def story_facts(story: RequestStory) -> list[str]:
    """Lines on the request: who asked whom, channels tried, preservation, clarifications, why."""
    facts = story.facts
    tried = " → ".join(story.channels) if story.channels else "none"
    asked = [span for span in story.spans if span.stage == "preservation"]
    if facts.get("preserved"):
        preservation = f"preserved (path: {facts.get('preservation')})"
    elif asked:
        preservation = "asked, but the data were not preserved"
    else:
        preservation = "not asked"
    rest = max(0.0, story.time_to_outcome_days - story.stage_days - story.preservation_days)
    lines = [
        f"Request {story.request_id} (replication {story.replication}): "
        f"{facts.get('data_type')} data for case {facts.get('case_id')} "
        f"({facts.get('crime_type')}), asked by {facts.get('requesting')} of "
        f"{facts.get('requested')}",
        f"Channels tried: {tried}",
        f"Preservation: {preservation}",
        f"Returns for clarification: {story.clarifications}",
        f"Time to outcome: {story.time_to_outcome_days:,.1f} days: "
        f"{story.stage_days:,.1f} in stages (of which {story.wait_days:,.1f} queued), "
        f"{story.preservation_days:,.1f} asking for preservation, "
        f"{rest:,.1f} in no recorded step",
    ]
    for attempt in story.attempts:
        ending = attempt.outcome + (f" ({attempt.reason})" if attempt.reason else "")
        lines.append(f"Attempt {attempt.number}, {attempt.channel}: {ending}: {attempt.rule}")
    reason = f" ({story.reason})" if story.reason else ""
    lines.append(f"Outcome: {story.outcome}{reason}: {story.rule}")
    return lines
