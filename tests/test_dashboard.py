"""The dashboard's logic without a browser: fields, bad input, the live executor, a run.

The page itself is tested in a real browser by ``tests/test_dashboard_browser.py``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.config.loading import NO_CALIBRATION, load_scenario
from sim.config.schema import LEVER_MODELS
from sim.dashboard import controls
from sim.dashboard.live import LiveExecutor, Snapshot, live_replication
from sim.dashboard.session import DashboardRun
from sim.engine.replication import run_replication
from sim.errors import ScenarioError
from sim.experiments.runner import run_scenario

TEACHING = Path(__file__).resolve().parent.parent / "scenarios" / "teaching.toml"


def _choices(**on: dict[str, str]) -> list[controls.LeverChoice]:
    choices = controls.lever_choice_defaults()
    for choice in choices:
        if choice.name in on:
            choice.on = True
            for key, value in on[choice.name].items():
                if key in ("strength", "start"):
                    setattr(choice, key, value)
                else:
                    choice.extras[key] = value
    return choices


def test_every_field_shown_has_the_schema_description() -> None:
    """The page's fields and reforms come from the schema, each with its description."""
    scenario = load_scenario(TEACHING)
    fields = [*controls.scenario_fields(scenario), *controls.behaviour_fields(scenario)]
    paths = {spec.path for spec in fields}
    assert {"demand.scale", "simulation.replications", "adaptation.trust"} <= paths
    assert all(spec.description for spec in fields)
    scale = next(spec for spec in fields if spec.path == "demand.scale")
    assert scale.default == 0.03 and scale.description.startswith("Multiplies every state's")
    assert [spec.name for spec in controls.lever_specs()] == [m.kind_name() for m in LEVER_MODELS]


@pytest.mark.parametrize(
    ("lever", "table", "field"),
    [
        ("ca_staffing", {"start": "2032-01-01"}, "start"),
        ("ca_staffing", {"strength": "9"}, "strength"),
        ("training", {"strength": "-1"}, "strength"),
    ],
)
def test_bad_input_is_the_command_lines_message(
    lever: str, table: dict[str, str], field: str, tmp_path: Path, capsys
) -> None:
    """A start date outside the run or a strength out of range: the CLI's line, by its field."""
    base = load_scenario(TEACHING)
    choices = _choices(**{lever: table})
    with pytest.raises(ScenarioError) as caught:
        controls.build_scenarios(base, {}, choices)
    assert controls.field_key(caught.value, choices) == f"lever.{lever}.{field}"
    # The same lever in a scenario file: the command line's one line ends with the same text.
    value = table[field] if field == "start" else float(table[field])
    start = f"start = {value}\n" if field == "start" else ""
    strength = f"strength = {value}\n" if field == "strength" else ""
    path = tmp_path / "bad.toml"
    path.write_text(
        TEACHING.read_text(encoding="utf-8").replace(
            "[demand]", f'[[levers]]\nlever = "{lever}"\n{strength}{start}\n[demand]'
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["validate", str(path)]) == 2
    line = capsys.readouterr().err.strip()
    assert line.endswith(str(caught.value)), (line, str(caught.value))
    assert "\n" not in line


def test_a_field_that_is_not_a_number_names_itself() -> None:
    """Text where a number is wanted: one line naming the field, never a traceback."""
    base = load_scenario(TEACHING)
    with pytest.raises(ScenarioError, match=r"^demand.scale: 'lots' is not a number$"):
        controls.build_scenarios(base, {"demand.scale": "lots"}, controls.lever_choice_defaults())


def test_reform_is_the_baseline_with_the_levers_switched_on() -> None:
    """The reform differs from the baseline by its name, description and levers only."""
    base = load_scenario(TEACHING)
    baseline, reform = controls.build_scenarios(
        base,
        {"simulation.replications": "2"},
        _choices(ca_staffing={"strength": "2", "start": "2027-01-01"}),
    )
    assert baseline.simulation.replications == reform.simulation.replications == 2
    assert reform.name == "teaching_reform"
    assert [(lever.lever, lever.strength) for lever in reform.levers] == [("ca_staffing", 2.0)]
    keep = {"name", "description", "levers"}
    assert baseline.model_dump(exclude=keep) == reform.model_dump(exclude=keep)


def test_live_replication_gives_the_rows_of_run_replication(write_tiny, tmp_path: Path) -> None:
    """Watching a replication does not change it: same rows as the command line's."""
    scenario = load_scenario(write_tiny(tmp_path, replications=1), NO_CALIBRATION)
    seen: list[Snapshot] = []
    live = live_replication(scenario, 0, watch=seen.append)
    plain = run_replication(scenario, 0)
    for mine, theirs in zip(live[:2], plain[:2], strict=True):
        pd.testing.assert_frame_equal(mine, theirs)
    pd.testing.assert_frame_equal(live[3], plain[3])
    assert len(seen) >= 40 and seen[-1].day >= seen[0].day
    assert set(seen[-1].backlog) == set(scenario.world.states)
    assert any(sum(s.in_flight.values()) > 0 for s in seen)


def test_live_executor_gives_the_rows_of_the_default_executor(write_tiny, tmp_path: Path) -> None:
    """The first replication here, the others in workers: the run's table is the same."""
    scenario = load_scenario(write_tiny(tmp_path, replications=3), NO_CALIBRATION)
    seen: list[Snapshot] = []
    live = run_scenario(scenario, executor=LiveExecutor(2, watch=seen.append))
    plain = run_scenario(scenario, workers=1)
    pd.testing.assert_frame_equal(live.requests, plain.requests)
    assert seen


def test_a_run_writes_what_compare_writes_and_can_be_stopped(write_tiny, tmp_path: Path) -> None:
    """Baseline and reform through the store, the comparison as the CLI writes it; Stop works."""
    base = load_scenario(write_tiny(tmp_path, replications=2), NO_CALIBRATION)
    baseline, reform = controls.build_scenarios(base, {}, _choices(ca_staffing={"strength": "4"}))
    run = DashboardRun(baseline, reform, NO_CALIBRATION, tmp_path / "root", workers=1)
    run.start()
    run.join(120)
    state = run.state()
    assert state.phase == "done", state.message
    outcome = state.outcome
    assert outcome is not None
    names = {p.name for p in outcome.directory.iterdir()}
    assert {"comparison.csv", "comparison.md", "manifest.json", "figures"} <= names
    for figure in outcome.figures:
        assert figure.png.stat().st_size > 1000 and figure.csv.exists()
    assert {"baseline", "reform", "difference", "ci_low", "ci_high"} <= set(outcome.differences)
    assert set(outcome.differences["group"]) >= {"all"}
    again = DashboardRun(baseline, reform, NO_CALIBRATION, tmp_path / "root", workers=1)
    again.start()
    again.join(120)
    assert all(r.reused for r in again.state().outcome.runs)  # same inputs: read back
    slow = controls.build_scenarios(base, {"simulation.seed": "5"}, _choices())
    stopped = DashboardRun(*slow, NO_CALIBRATION, tmp_path / "root", workers=1)
    stopped.start()
    stopped.stop()
    stopped.join(60)
    assert stopped.state().phase == "stopped"


def _busy_port() -> tuple[socket.socket, int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder, holder.getsockname()[1]


def test_dashboard_command_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    """A bad scenario or a port in use: one line, exit 2, no server, no traceback."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[demand]\nscale = -1.0\n", encoding="utf-8")
    command = [sys.executable, "-m", "sim", "dashboard"]
    done = subprocess.run([*command, str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("mlatsim: error: ") and done.stderr.count("\n") == 1
    assert "demand.scale" in done.stderr
    holder, port = _busy_port()
    with holder:
        done = subprocess.run(
            [*command, str(TEACHING), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert (
        done.stderr == f"mlatsim: error: --port: {port} is in use; choose another or leave it out\n"
    )
