"""The dashboard's page (Solara): reforms, scenario fields, run and stop, live view, results.

A view only: the fields come from :mod:`sim.dashboard.controls`, a run is a
:class:`sim.dashboard.session.DashboardRun` read every second while it works, the figures
are the files the run wrote (each downloadable as PNG with its table as CSV). A bad value is
the command line's one-line message, shown beside the field it names; nothing on the page
shows a traceback. Elements the browser test looks for carry ``mlatsim-*`` classes.

The server (:mod:`sim.dashboard.server`) gives the page its settings (:func:`configure`): the
scenario, the calibration, the workers and the folder of results.
"""

from __future__ import annotations

import dataclasses
import io
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import solara
from matplotlib.figure import Figure

from sim.config.loading import (
    Calibration,
)
from sim.config.schema import Scenario
from sim.dashboard import controls, world_graph
from sim.dashboard.figures import live_figure
from sim.dashboard.session import DashboardRun, Outcome, RunState
from sim.dashboard.story_panel import StoryPanel
from sim.errors import InputError
from sim.experiments import preflight

POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Settings:
    """What the server was started with."""

    scenario: Scenario
    path: Path
    calibration: Calibration
    workers: int
    root: Path


_configured: list[Settings] = []


def configure(given: Settings) -> None:
    """Set what the page runs on (the server calls this before serving)."""
    _configured[:] = [given]


def settings() -> Settings:
    """What the server was started with.

    Raises:
        RuntimeError: if the server has not called :func:`configure`.
    """
    if not _configured:
        raise RuntimeError("the dashboard's page is served by `mlatsim dashboard` only")
    return _configured[0]


def check(
    base: Scenario, values: dict[str, str], levers: list[controls.LeverChoice], workers: int
) -> tuple[tuple[Scenario, Scenario] | None, dict[str, str]]:
    """The page's scenarios, or the error keyed by the field it names."""
    try:
        baseline, reform = controls.build_scenarios(base, values, levers)
        world = preflight.resolve(reform)
        preflight.check_size(reform, world, workers, False, Path("dashboard"))
    except InputError as exc:
        key = controls.field_key(exc, levers)
        message = str(exc).replace("\n", " ")
        return None, {key: message}
    return (baseline, reform), {}


def png_bytes(figure: Figure) -> bytes:
    """A figure as PNG bytes (for the page and its downloads)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


# -- components --------------------------------------------------------------------------------


@solara.component
def FieldInput(spec: controls.FieldSpec, value: str, error: str, on_value) -> None:
    """A scenario field: its value, the schema's description, its error beside it."""
    solara.InputText(
        spec.path,
        value=value,
        on_value=on_value,
        error=error or False,
        message=spec.description,
        continuous_update=False,
        classes=[f"mlatsim-field-{spec.path.replace('.', '-')}"],
    )


@solara.component
def LeverPanel(
    spec: controls.LeverSpec,
    choice: controls.LeverChoice,
    errors: dict[str, str],
    on_choice,
) -> None:
    """A reform: a switch, its strength and start date, and the fields its kind takes."""

    def update(**changes: object) -> None:
        on_choice(dataclasses.replace(choice, **changes))

    def extra(name: str, text: str) -> None:
        update(extras={**choice.extras, name: text})

    prefix = f"lever.{spec.name}"
    with solara.Card(spec.name, subtitle=spec.description, classes=[f"mlatsim-lever-{spec.name}"]):
        solara.Switch(
            label="on",
            value=choice.on,
            on_value=lambda on: update(on=on),
            classes=[f"mlatsim-switch-{spec.name}"],
        )
        if choice.on:
            solara.InputText(
                f"strength (0 to {spec.max_strength:g})",
                value=choice.strength,
                on_value=lambda text: update(strength=text),
                error=errors.get(f"{prefix}.strength") or False,
                continuous_update=False,
                classes=[f"mlatsim-strength-{spec.name}"],
            )
            solara.InputText(
                "start (YYYY-MM-DD; empty: the run's start)",
                value=choice.start,
                on_value=lambda text: update(start=text),
                error=errors.get(f"{prefix}.start") or False,
                continuous_update=False,
                classes=[f"mlatsim-start-{spec.name}"],
            )
            for field in spec.extras:
                current = choice.extras.get(field.name, "")
                if field.choices:
                    solara.Select(
                        field.name,
                        values=list(field.choices),
                        value=current or field.choices[0],
                        on_value=lambda text, name=field.name: extra(name, text),
                    )
                else:
                    solara.InputText(
                        f"{field.name} (ISO3 codes, commas)",
                        value=current,
                        on_value=lambda text, name=field.name: extra(name, text),
                        error=errors.get(f"{prefix}.{field.name}") or False,
                        continuous_update=False,
                    )
            other = [
                message
                for key, message in errors.items()
                if key.startswith(prefix)
                and key not in (f"{prefix}.strength", f"{prefix}.start")
                and not any(key == f"{prefix}.{f.name}" for f in spec.extras if not f.choices)
            ]
            for message in other:
                solara.Error(message, dense=True, classes=["mlatsim-error"])


@solara.component
def FigureBlock(title: str, png: Path, csv: Path) -> None:
    """A figure of the run, with its PNG and its table's CSV to download."""
    with solara.Card(title, classes=["mlatsim-figure"]):
        solara.Image(png.read_bytes(), width="100%")
        with solara.Row():
            solara.FileDownload(
                png.read_bytes(), filename=png.name, label=f"PNG: {png.name}", mime_type="image/png"
            )
            solara.FileDownload(
                csv.read_bytes(), filename=csv.name, label=f"CSV: {csv.name}", mime_type="text/csv"
            )


@solara.component
def Results(outcome: Outcome, reform: Scenario) -> None:
    """The finished run: figures, the paired differences, the world, a request's story."""
    runs = ", ".join(f"{run.name} ({'read back' if run.reused else 'run'})" for run in outcome.runs)
    solara.Success(
        f"Done in {outcome.seconds:.1f} s: {runs}; {outcome.comparison.replications} "
        f"replications, seed {outcome.comparison.seed}. Files: {outcome.directory}",
        classes=["mlatsim-done"],
    )
    with solara.Card("Paired differences, reform minus baseline (95% CI, common random numbers)"):
        table = outcome.differences.round(3)
        solara.HTML(
            tag="div",
            unsafe_innerHTML=table.to_html(index=False, classes="mlatsim-differences", na_rep="–"),
        )
        solara.FileDownload(
            outcome.differences_csv.read_bytes(),
            filename="differences.csv",
            label="CSV: differences.csv",
            mime_type="text/csv",
        )
    for figure in outcome.figures:
        FigureBlock(figure.title, figure.png, figure.csv)
    WorldPanel(outcome, reform)
    StoryPanel(outcome.runs[-1].directory)


@solara.component
def WorldPanel(outcome: Outcome, reform: Scenario) -> None:
    """The treaty network of the reform's world, coloured as chosen."""
    colouring, set_colouring = solara.use_state(world_graph.MEDIAN)
    graph = solara.use_memo(lambda: world_graph.treaty_graph(reform), [reform.name, id(outcome)])
    summary = json.loads((outcome.runs[-1].directory / "summary.json").read_text())
    medians = {
        code: metrics["median_days"]["estimate"]
        for code, metrics in summary.get("by_requested", {}).items()
        if metrics.get("median_days", {}).get("estimate") is not None
    }
    figure = world_graph.world_figure(graph, colouring, medians)
    image = png_bytes(figure)
    rows = ["state,median_days,parties"] + [
        f"{code},{medians.get(code, '')},{' '.join(graph.nodes[code]['parties'])}"
        for code in sorted(graph.nodes)
    ]
    with solara.Card("The world: treaty ties (reform, last day)", classes=["mlatsim-world"]):
        solara.Select(
            "colour by",
            values=list(world_graph.COLOURINGS),
            value=colouring,
            on_value=set_colouring,
        )
        solara.Image(image, width="80%")
        with solara.Row():
            solara.FileDownload(image, filename="world.png", label="PNG: world.png")
            solara.FileDownload(
                "\n".join(rows) + "\n", filename="world.csv", label="CSV: world.csv"
            )


@solara.component
def Page() -> None:
    """The dashboard."""
    config = settings()
    base = config.scenario
    fields = solara.use_memo(
        lambda: (controls.scenario_fields(base), controls.behaviour_fields(base)), []
    )
    values, set_values = solara.use_state(
        {spec.path: spec.text() for spec in [*fields[0], *fields[1]]}
    )
    levers, set_levers = solara.use_state(controls.lever_choice_defaults())
    errors, set_errors = solara.use_state({})
    run, set_run = solara.use_state(None)
    state, set_state = solara.use_state(RunState(phase="idle", message=""))
    scenarios, set_scenarios = solara.use_state(None)

    def revalidate(new_values: dict[str, str], new_levers: list[controls.LeverChoice]) -> None:
        _, found = check(base, new_values, new_levers, config.workers)
        set_errors(found)

    def set_value(path: str, text: str) -> None:
        new = {**values, path: text}
        set_values(new)
        revalidate(new, levers)

    def set_choice(choice: controls.LeverChoice) -> None:
        new = [choice if c.name == choice.name else c for c in levers]
        set_levers(new)
        revalidate(values, new)

    def start() -> None:
        made, found = check(base, values, levers, config.workers)
        set_errors(found)
        if made is None:
            return
        started = DashboardRun(made[0], made[1], config.calibration, config.root, config.workers)
        set_scenarios(made)
        set_state(RunState(message="starting"))
        started.start()
        set_run(started)

    def stop() -> None:
        if run is not None:
            run.stop()

    def poll(cancel: threading.Event) -> None:
        if run is None:
            return
        while not cancel.is_set():
            now = run.state()
            set_state(now)
            if now.phase != "running":
                return
            cancel.wait(POLL_SECONDS)

    solara.use_thread(poll, dependencies=[run])
    running = state.phase == "running"
    solara.Title("mlatsim dashboard")
    with solara.Sidebar():
        solara.Markdown(f"**Scenario:** `{config.path.name}` — {base.description}")
        with solara.Row():
            solara.Button(
                "Run", on_click=start, disabled=running, color="primary", classes=["mlatsim-run"]
            )
            solara.Button("Stop", on_click=stop, disabled=not running, classes=["mlatsim-stop"])
        Controls(fields, values, levers, errors, set_value, set_choice)
    solara.Markdown("# Cross-border evidence: a reform against the teaching world")
    Status(state, scenarios)


@solara.component
def Controls(fields, values, levers, errors, set_value, set_choice) -> None:
    """The sidebar's fields: reforms, adaptive behaviours, scenario fields, and their errors."""
    for key, message in errors.items():
        if not key.startswith("lever.") and key not in values:  # names no field shown
            solara.Error(message, classes=["mlatsim-error"])
    with solara.Details("Reforms", expand=True):
        for spec in controls.lever_specs():
            choice = next(c for c in levers if c.name == spec.name)
            LeverPanel(spec, choice, errors, set_choice)
    with solara.Details("Adaptive behaviours (0: off)"):
        for spec in fields[1]:
            FieldInput(spec, values[spec.path], errors.get(spec.path, ""), _setter(set_value, spec))
    with solara.Details("Scenario fields (defaults from the scenario and the schema)"):
        for spec in fields[0]:
            FieldInput(spec, values[spec.path], errors.get(spec.path, ""), _setter(set_value, spec))


@solara.component
def Status(state: RunState, scenarios: tuple[Scenario, Scenario] | None) -> None:
    """The run: progress, the live replication, then the results."""
    running = state.phase == "running"
    if state.phase == "idle":
        solara.Info(
            "Switch reforms on in the sidebar, then Run: the baseline and the reform run with "
            "common random numbers, and their comparison appears here."
        )
        return
    solara.ProgressLinear(
        value=100.0 * state.fraction if running else (100.0 if state.phase == "done" else 0),
        classes=["mlatsim-progress"],
    )
    solara.Text(state.message, classes=["mlatsim-status"])
    if state.phase == "failed":
        solara.Error(state.message, classes=["mlatsim-error"])
    if state.phase == "stopped":
        solara.Warning("Stopped.", classes=["mlatsim-stopped"])
    if running or state.snapshots:
        with solara.Card("Live: the replication being run", classes=["mlatsim-live"]):
            image = png_bytes(live_figure(state.snapshots, state.scenario))
            solara.Image(image, width="100%")
    if state.outcome is not None and scenarios is not None:
        Results(state.outcome, scenarios[1])


def _setter(set_value, spec: controls.FieldSpec):
    return lambda text: set_value(spec.path, text)
