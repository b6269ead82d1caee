"""A request's story as lines of text: the facts, each attempt's steps with a time bar, why.

:func:`sim.analysis.trace.format_story` joins these lines; they are kept apart from the
loading of the story so that the wording can change without touching what is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.analysis.trace import RequestStory, Span

WAIT, SERVICE, PRESERVING = "░", "█", "▒"


def _days(value: float) -> str:
    return f"{value:,.1f} d"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _bar(span: Span, origin: float, length: float, width: int) -> str:
    """The span on a track of ``width`` characters from ``origin`` over ``length`` days."""
    scale = width / length if length > 0 else 0.0

    def column(day: float) -> int:
        return min(width, max(0, round((day - origin) * scale)))

    begin, start, end = column(span.entered_day), column(span.start_day), column(span.end_day)
    if end == begin:  # too short to show: one mark where it is, of the kind it mostly was
        end = min(width, begin + 1)
        begin = end - 1
        start = end if span.wait_days > span.days / 2 else begin
    fill = PRESERVING if span.stage == "preservation" else SERVICE
    track = " " * begin + WAIT * (start - begin) + fill * (end - start)
    return track.ljust(width)


def _headline(story: RequestStory) -> list[str]:
    facts = story.facts
    urgent = ", urgent" if facts.get("urgent") else ""
    provider = facts.get("provider")
    held = f" (provider: {provider})" if provider and provider != "domestic" else ""
    outcome = story.outcome
    when = "still open at the end of the run" if outcome == "pending" else f"{outcome}"
    return [
        f"Request {story.request_id} (replication {story.replication}): "
        f"{facts.get('data_type')} data for case {facts.get('case_id')} "
        f"({facts.get('crime_type')}{urgent}), asked by {facts.get('requesting')} "
        f"of {facts.get('requested')}{held}",
        f"Created on day {story.created_day:,.1f}; {when} on day {story.outcome_day:,.1f}, "
        f"after {_days(story.time_to_outcome_days)}; "
        f"{_plural(len(story.attempts), 'channel')} tried"
        + (f" ({' -> '.join(story.channels)})" if story.channels else "")
        + f", {_plural(story.clarifications, 'return')} for clarification.",
    ]


def _step_line(span: Span, story: RequestStory, width: int) -> str:
    bar = _bar(span, story.created_day, story.time_to_outcome_days, width)
    if span.stage == "preservation":
        result = "preserved" if span.preserved else "not preserved"
        what = f"preservation ({span.preservation}): {result}"
        detail = _days(span.days)
    else:
        what = span.stage + (f" (return {span.returns})" if span.returns else "")
        detail = _days(span.days)
        if span.wait_days > 0.05:
            detail += f", {_days(span.wait_days)} queued"
    more = " (the run ended here)" if span.in_progress else ""
    return f"  day {span.entered_day:8,.1f}  {what:<36} |{bar}| {detail}{more}"


def _preservation_line(story: RequestStory) -> str:
    facts = story.facts
    if facts.get("preserved"):
        return f"Data preserved (path: {facts.get('preservation')})."
    if any(span.stage == "preservation" for span in story.spans):
        return "Preservation was asked but the data were not preserved."
    return "No preservation was asked."


def _accounting(story: RequestStory) -> str:
    """How the time to outcome splits: stages (of which queued), preservation, the rest."""
    stages, waits, asking = story.stage_days, story.wait_days, story.preservation_days
    rest = story.time_to_outcome_days - stages - asking
    text = (
        f"Time to outcome {_days(story.time_to_outcome_days)} = {_days(stages)} in stages "
        f"(of which {_days(waits)} queued at central authorities)"
    )
    if asking > 0:
        text += f" + {_days(asking)} asking for preservation"
    if rest > 0.05:
        text += f" + {_days(rest)} in no recorded step"
    return text + "."


def story_lines(story: RequestStory, width: int = 40) -> list[str]:
    """The lines of a request's story (see :func:`sim.analysis.trace.format_story`)."""
    lines = _headline(story)
    lines.append(_preservation_line(story))
    if not story.attempts:
        lines.append(f"No channel was tried: {story.rule}.")
        return lines
    lines.append(
        f"Bar: day {story.created_day:,.1f} to {story.outcome_day:,.1f}; {WAIT} queued, "
        f"{SERVICE} in the stage, {PRESERVING} asking for preservation."
    )
    for attempt in story.attempts:
        lines.append("")
        lines.append(f"Attempt {attempt.number}: {attempt.channel} ({attempt.basis})")
        lines.extend(
            _step_line(span, story, width) for span in story.spans if span.attempt == attempt.number
        )
        ending = attempt.outcome + (f" ({attempt.reason})" if attempt.reason else "")
        lines.append(f"  -> {ending} on day {attempt.end_day:,.1f}: {attempt.rule}")
        if attempt.number < len(story.attempts):
            lines.append("     it went on to its next open channel (docs/model.md 7.4-7.5)")
    lines.append("")
    reason = f" ({story.reason})" if story.reason else ""
    lines.append(f"Outcome: {story.outcome}{reason}: {story.rule}.")
    lines.append(_accounting(story))
    return lines
