"""The page's story panel (Solara): pick a request of the last run and follow it.

A view only: the request comes from :func:`sim.dashboard.story.choose` (an id typed, or a
button: "a slow one", "a refused one", "a lost one"), read from the reform's run folder of the
last comparison; its timeline is :func:`sim.dashboard.story.story_figure`, downloadable as
PNG with its table as CSV like the page's other figures. Bad input is the one-line message
beside the field it names, never a traceback. Elements the browser test looks for carry
``mlatsim-story*`` classes.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import solara

from sim.analysis.trace import RequestStory
from sim.dashboard.story import PICK_LABELS, Choice, choose, story_facts, story_figure, story_table


def _png(story: RequestStory) -> bytes:
    """The story's figure as PNG bytes."""
    buffer = io.BytesIO()
    story_figure(story).savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


@solara.component
def StoryPanel(directory: Path) -> None:
    """A request's story: a field for its id, buttons for a typical one, then its timeline.

    Args:
        directory: The run's result directory (the reform's run of the last comparison).
    """
    request, set_request = solara.use_state("")
    replication, set_replication = solara.use_state("0")
    asked, set_asked = solara.use_state(("", "0"))
    choice = solara.use_memo(
        lambda: choose(directory, *asked) if asked[0] else None, [str(directory), asked]
    )

    def ask(text: str, number: str) -> None:
        set_asked((text, number))

    def pick(label: str) -> None:
        set_request(label)
        ask(label, replication)

    def typed(text: str) -> None:
        set_request(text)
        ask(text, replication)

    def typed_replication(text: str) -> None:
        set_replication(text)
        if request:
            ask(request, text)

    bad = choice is not None and choice.story is None
    with solara.Card(
        "A request's story (the reform's run)",
        subtitle="Type a request's id, or pick a typical one.",
        classes=["mlatsim-story"],
    ):
        with solara.Row():
            solara.InputText(
                "request id",
                value=request,
                on_value=typed,
                error=(choice.message if bad and choice.field == "request" else False),
                continuous_update=False,
                classes=["mlatsim-story-request"],
            )
            solara.InputText(
                "replication",
                value=replication,
                on_value=typed_replication,
                error=(choice.message if bad and choice.field == "replication" else False),
                continuous_update=False,
                classes=["mlatsim-story-replication"],
            )
            for label, which in PICK_LABELS.items():
                solara.Button(
                    label,
                    on_click=lambda label=label: pick(label),
                    classes=[f"mlatsim-pick-{which}"],
                )
        if choice is not None and choice.story is not None:
            StoryView(directory, choice)


@solara.component
def StoryView(directory: Path, choice: Choice) -> None:
    """The chosen request: its facts, its timeline's bars, and the downloads."""
    story = choice.story
    assert story is not None
    key = [str(directory), story.replication, story.request_id]
    image = solara.use_memo(lambda: _png(story), key)
    table = solara.use_memo(lambda: story_table(story).to_csv(index=False), key)
    name = f"story_{story.replication}_{story.request_id}"
    lines = story_facts(story)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines[:-1])
    solara.HTML(tag="ul", unsafe_innerHTML=items, classes=["mlatsim-story-facts"])
    solara.Text(lines[-1], classes=["mlatsim-story-reason"])
    solara.Image(image, width="100%", classes=["mlatsim-story-figure"])
    with solara.Row():
        solara.FileDownload(
            image, filename=f"{name}.png", label=f"PNG: {name}.png", mime_type="image/png"
        )
        solara.FileDownload(
            table, filename=f"{name}.csv", label=f"CSV: {name}.csv", mime_type="text/csv"
        )
