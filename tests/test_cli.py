"""Tests for the ``mlatsim`` command line (DESIGN section 4).

``run`` writes a complete result directory (tables, summary, manifest, figures) atomically;
``validate`` checks scenario files; every user mistake ends with exit status 2 and one line on
standard error naming the field, never a traceback or a half-written result directory.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.config.loading import load_scenario
from sim.vocabulary import CHANNELS, OUTCOMES

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
DESIGN_COLUMNS = [
    "replication",
    "request_id",
    "case_id",
    "crime_type",
    "requesting",
    "requested",
    "channel",
    "data_type",
    "urgent",
    "created_day",
    "outcome",
    "reason",
    "time_to_evidence_days",
]
RESULT_FILES = {"requests.parquet", "timeseries.parquet", "summary.json", "manifest.json"}
FIGURES = {"time_to_evidence.png", "outcome_shares.png", "backlog.png"}


def _invoke(argv: list[str | Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Call ``sim.cli.main`` and return its exit status, standard output and standard error.

    Argument errors leave ``main`` by ``SystemExit``; that is an exit status like any other.
    """
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _run_argv(scenario: Path, out: Path, *options: str) -> list[str | Path]:
    """Arguments of a quiet, single-process ``run``."""
    return ["run", scenario, "--out", out, "--workers", "1", "--quiet", *options]


def _assert_one_line_error(code: int, err: str, where: str) -> None:
    """Exit status 2 and exactly one line on stderr that names ``where``, no traceback."""
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert err.endswith("\n")
    assert where in lines[0], lines[0]
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory, write_tiny) -> tuple[Path, Path]:
    """One completed ``mlatsim run`` of the tiny scenario: (scenario file, result directory)."""
    base = tmp_path_factory.mktemp("cli_run")
    scenario = write_tiny(base)
    out = base / "results" / "tiny"
    assert main([str(arg) for arg in _run_argv(scenario, out)]) == 0
    return scenario, out


# --- run: what it writes ----------------------------------------------------------------------


def test_run_writes_tables_summary_manifest_and_figures(finished_run):
    """``run --out DIR`` writes both tables, summary.json, manifest.json and the figures."""
    _, out = finished_run
    names = {path.name for path in out.iterdir()}
    assert names >= RESULT_FILES | {"figures"}
    figures = {path.name for path in (out / "figures").glob("*.png")}
    assert figures >= FIGURES
    for name in FIGURES:
        assert (out / "figures" / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_run_leaves_no_staging_directory(finished_run):
    """After a successful run the output's parent holds the result and nothing else."""
    _, out = finished_run
    assert [path.name for path in out.parent.iterdir()] == [out.name]


def test_requests_table_has_design_columns(finished_run):
    """requests.parquet has DESIGN's columns, rows from each replication and valid outcomes."""
    _, out = finished_run
    requests = pd.read_parquet(out / "requests.parquet")
    missing = set(DESIGN_COLUMNS) - set(requests.columns)
    assert not missing
    assert len(requests) > 0
    assert set(requests["replication"].unique()) == {0, 1}
    assert set(requests["outcome"].astype(str).unique()) <= set(OUTCOMES)
    assert set(requests["channel"].astype(str).unique()) <= set(CHANNELS)
    codes = {"GBR", "USA", "DEU", "IRL", "FRA"}
    assert set(requests["requesting"].astype(str)) <= codes
    assert set(requests["requested"].astype(str)) <= codes
    fulfilled = requests["outcome"].astype(str) == "fulfilled"
    assert requests.loc[fulfilled, "time_to_evidence_days"].notna().all()
    assert requests.loc[~fulfilled, "time_to_evidence_days"].isna().all()
    assert not requests.duplicated(["replication", "request_id"]).any()


def test_timeseries_table_covers_each_replication(finished_run):
    """timeseries.parquet has rows for every replication and only the scenario's states."""
    _, out = finished_run
    series = pd.read_parquet(out / "timeseries.parquet")
    assert {"replication", "day", "state"} <= set(series.columns)
    assert set(series["replication"].unique()) == {0, 1}
    assert set(series["state"].astype(str)) <= {"GBR", "USA", "DEU", "IRL", "FRA"}


def test_manifest_records_resolved_scenario_seed_versions_and_time(finished_run):
    """manifest.json holds the resolved scenario, the seed, package versions and run time."""
    scenario_path, out = finished_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    resolved = load_scenario(scenario_path).model_dump(mode="json")
    assert manifest["scenario"] == resolved
    assert manifest["seed"] == 11
    assert manifest["replications"] == 2
    for package in ("numpy", "pandas", "mesa", "simpy"):
        assert manifest["packages"][package] == metadata.version(package)
    assert isinstance(manifest["run_seconds"], float)
    assert manifest["run_seconds"] >= 0
    assert len(manifest["replication_seconds"]) == 2


def _check_metrics(metrics: dict) -> None:
    """Every metric has an estimate and a 95% interval around it (when defined)."""
    assert metrics
    for name, value in metrics.items():
        assert {"estimate", "ci_low", "ci_high"} <= set(value), name
        low, est, high = value["ci_low"], value["estimate"], value["ci_high"]
        if None not in (low, est, high):
            assert low <= est + 1e-9, name
            assert est <= high + 1e-9, name


def test_summary_has_overall_and_by_channel_metrics_with_intervals(finished_run):
    """summary.json has overall and per-channel metrics, each with ci_low and ci_high."""
    _, out = finished_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["replications"] == 2
    assert summary["seed"] == 11
    assert len(summary["overall"]) == 1
    (overall,) = summary["overall"].values()
    assert "share_fulfilled" in overall
    _check_metrics(overall)
    assert summary["by_channel"]
    assert set(summary["by_channel"]) <= set(CHANNELS)
    for metrics in summary["by_channel"].values():
        _check_metrics(metrics)
    share = overall["share_fulfilled"]["estimate"]
    assert math.isfinite(share)
    assert 0 <= share <= 1


def test_run_options_override_the_scenario(tmp_path, write_tiny, capsys):
    """``--replications`` and ``--seed`` replace the scenario's values in every output."""
    scenario = write_tiny(tmp_path)
    out = tmp_path / "out"
    code, _, err = _invoke(_run_argv(scenario, out, "--replications", "3", "--seed", "5"), capsys)
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 5
    assert manifest["replications"] == 3
    assert manifest["scenario"]["simulation"]["seed"] == 5
    requests = pd.read_parquet(out / "requests.parquet", columns=["replication"])
    assert set(requests["replication"].unique()) == {0, 1, 2}


def test_default_output_directory_is_results_slash_name(tmp_path, write_tiny, monkeypatch, capsys):
    """Without ``--out``, results go to ``results/<scenario name>/`` under the working directory.

    The name defaults to the file's stem; the report's first line names the destination and
    the next two give the share of evidence needs met, of needs and of cases, and the last
    the share of formal requests whose evidence was lost.
    """
    (tmp_path / "scenarios").mkdir()
    scenario = write_tiny(tmp_path / "scenarios", name="my_stem")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, err = _invoke(["run", scenario, "--workers", "1"], capsys)
    assert code == 0, err
    destination = work / "results" / "my_stem"
    assert {path.name for path in destination.iterdir()} >= RESULT_FILES | {"figures"}
    assert [path.name for path in (work / "results").iterdir()] == [destination.name]
    lines = out.splitlines()
    assert len(lines) == 4
    assert str(Path("results") / destination.name) in lines[0]
    assert lines[1].startswith("evidence needs met: ")
    assert lines[2].startswith("cases with all / some / none of their evidence: ")
    assert lines[3].startswith("evidence lost: ")


def test_default_output_directory_uses_scenario_name(tmp_path, write_tiny, monkeypatch, capsys):
    """A ``name`` in the scenario file, not the file's stem, names the default directory."""
    path = write_tiny(tmp_path, name="file_stem")
    path.write_text('name = "given_name"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = _invoke(["run", path, "--workers", "1", "--quiet"], capsys)
    assert code == 0, err
    assert (tmp_path / "results" / "given_name" / "manifest.json").is_file()
    assert not (tmp_path / "results" / "file_stem").exists()


def test_rerun_replaces_existing_result_directory(tmp_path, write_tiny, capsys):
    """A second run into the same directory replaces it whole: no stale file survives."""
    scenario = write_tiny(tmp_path)
    parent = tmp_path / "out"
    out = parent / "tiny"
    assert _invoke(_run_argv(scenario, out), capsys)[0] == 0
    (out / "stale.txt").write_text("from an earlier run", encoding="utf-8")
    (out / "figures" / "old_figure.png").write_bytes(b"old")
    (out / "old_dir").mkdir()

    code, _, err = _invoke(_run_argv(scenario, out, "--seed", "12"), capsys)
    assert code == 0, err
    assert not (out / "stale.txt").exists()
    assert not (out / "figures" / "old_figure.png").exists()
    assert not (out / "old_dir").exists()
    assert {path.name for path in out.iterdir()} >= RESULT_FILES
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 12
    assert [path.name for path in parent.iterdir()] == ["tiny"]


# --- run: failures while writing ------------------------------------------------------------


def _fail_writing(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Make the figure step of ``write_results`` raise ``error`` after the tables are written."""

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr("sim.experiments.results.write_figures", broken)


def test_error_while_writing_leaves_no_directory(tmp_path, write_tiny, monkeypatch):
    """An exception inside result writing leaves neither the destination nor a temp dir."""
    scenario = write_tiny(tmp_path)
    parent = tmp_path / "out"
    parent.mkdir()
    _fail_writing(monkeypatch, RuntimeError("disk on fire"))
    with pytest.raises(RuntimeError, match="disk on fire"):
        main([str(arg) for arg in _run_argv(scenario, parent / "tiny")])
    assert list(parent.iterdir()) == []


def test_interrupt_while_writing_leaves_no_directory(tmp_path, write_tiny, monkeypatch, capsys):
    """Ctrl-C while writing exits 130 with one line and leaves nothing behind."""
    scenario = write_tiny(tmp_path)
    parent = tmp_path / "out"
    parent.mkdir()
    _fail_writing(monkeypatch, KeyboardInterrupt())
    code, _, err = _invoke(_run_argv(scenario, parent / "tiny"), capsys)
    assert code == 130
    assert len(err.splitlines()) == 1
    assert list(parent.iterdir()) == []


def test_failed_rerun_keeps_previous_result(tmp_path, write_tiny, monkeypatch, capsys):
    """If writing a rerun fails, the previous result directory stays as it was."""
    scenario = write_tiny(tmp_path)
    parent = tmp_path / "out"
    out = parent / "tiny"
    assert _invoke(_run_argv(scenario, out), capsys)[0] == 0
    before = {path.relative_to(out): path.read_bytes() for path in out.rglob("*") if path.is_file()}
    _fail_writing(monkeypatch, RuntimeError("disk on fire"))
    with pytest.raises(RuntimeError):
        main([str(arg) for arg in _run_argv(scenario, out, "--seed", "99")])
    after = {path.relative_to(out): path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert after == before
    assert [path.name for path in parent.iterdir()] == ["tiny"]


def test_result_directory_permissions_follow_umask(tmp_path, write_tiny, capsys):
    """The result directory gets the usual permissions (0777 less the umask), like its files."""
    scenario = write_tiny(tmp_path)
    out = tmp_path / "out"
    previous = os.umask(0o022)
    try:
        code, _, err = _invoke(_run_argv(scenario, out), capsys)
    finally:
        os.umask(previous)
    assert code == 0, err
    assert (out / "summary.json").stat().st_mode & 0o777 == 0o644
    assert out.stat().st_mode & 0o777 == 0o755


# --- validate ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SHIPPED_SCENARIOS, ids=lambda path: path.stem)
def test_validate_accepts_shipped_scenario(scenario, capsys):
    """Every scenario in ``scenarios/`` passes ``mlatsim validate`` (exit status 0)."""
    code, out, err = _invoke(["validate", scenario], capsys)
    assert code == 0, err
    assert err == ""
    assert "valid" in out


def test_shipped_scenarios_exist():
    """The glob behind the parametrised check finds the baseline (so it cannot be vacuous)."""
    assert ROOT / "scenarios" / "baseline.toml" in SHIPPED_SCENARIOS


def test_validate_reports_every_file_good_and_bad(tmp_path, write_tiny, capsys):
    """``validate A B C D`` checks them all: a line per valid file, an error line per bad one.

    A user validating a folder of scenarios learns every mistake in one pass; the exit status
    is 2 if any file is bad.
    """
    good = write_tiny(tmp_path, name="good")
    bad = tmp_path / "bad.toml"
    bad.write_text("[demand]\nscale = -1\n", encoding="utf-8")
    worse = tmp_path / "worse.toml"
    worse.write_text("[simulation]\nreplications = 0\n", encoding="utf-8")
    code, out, err = _invoke(["validate", good, bad, good, worse], capsys)
    assert code == 2
    assert out.splitlines() == [f"{good}: valid (good)"] * 2
    lines = err.splitlines()
    assert len(lines) == 2
    assert "bad.toml" in lines[0] and "demand.scale" in lines[0]
    assert "worse.toml" in lines[1] and "simulation.replications" in lines[1]
    assert "Traceback" not in err


# --- bad input ---------------------------------------------------------------------------------

DIRECTORY = object()
"""Marker: the scenario path is a directory."""


@dataclass(frozen=True)
class BadInput:
    """A mistaken scenario file or option and the field its error line must name."""

    id: str
    content: str | bytes | object | None
    where: str
    options: tuple[str, ...] = ()
    file: str = "bad.toml"


TINY_VALID = (
    "[simulation]\nstart = 2026-01-01\nend = 2027-01-01\nwarm_up_days = 30\ndrain_days = 60\n"
    'replications = 2\nseed = 1\n[world]\nstates = ["GBR", "USA"]\n[demand]\nscale = 0.05\n'
)
BAD_INPUTS = [
    BadInput("unknown-field", "[simulation]\nseeed = 3\n", "simulation.seeed"),
    BadInput("unknown-top-level-field", "colour = 'blue'\n", "colour"),
    BadInput("wrong-type", '[simulation]\nseed = "three"\n', "simulation.seed"),
    BadInput("wrong-type-table", 'demand = "lots"\n', "demand"),
    BadInput("negative-rate", "[demand]\nscale = -1\n", "demand.scale"),
    BadInput(
        "negative-stage-time",
        "[channels.eio.stages.drafting]\ntime = { distribution = 'exponential', mean = -2.0 }\n",
        "channels.eio.stages.drafting.time.mean",
    ),
    BadInput(
        "negative-fixed-time",
        "[channels.eio.stages.transmission]\ntime = { distribution = 'fixed', value = -1.0 }\n",
        "channels.eio.stages.transmission.time.value",
    ),
    BadInput(
        "probability-above-one", "[channels.eio]\np_clarify = 1.5\n", "channels.eio.p_clarify"
    ),
    BadInput(
        "probability-below-zero",
        "[crime_types.csam]\nurgent_share = -0.1\n",
        "crime_types.csam.urgent_share",
    ),
    BadInput(
        "unknown-iso-in-world-states",
        '[world]\nstates = ["GBR", "XYZ"]\n',
        "world.states[1]",
    ),
    BadInput(
        "unknown-iso-in-states-table",
        '[world]\nstates = ["GBR", "USA"]\n[states.XYZ]\nca_staff = 3\n',
        "states.XYZ",
    ),
    BadInput(
        "unknown-channel",
        "[channels.pigeon_post]\nenabled = true\n",
        "channels.pigeon_post",
    ),
    BadInput(
        "unknown-distribution",
        "[channels.eio.stages.drafting]\ntime = { distribution = 'weibull', mean = 3.0 }\n",
        "channels.eio.stages.drafting.time",
    ),
    BadInput(
        "end-before-start",
        "[simulation]\nstart = 2026-01-01\nend = 2025-06-01\n",
        "simulation.end",
    ),
    BadInput("missing-file", None, "absent.toml", file="absent.toml"),
    BadInput("directory-as-file", DIRECTORY, "folder.toml", file="folder.toml"),
    BadInput("malformed-toml", "[simulation\nseed = 3\n", "bad.toml"),
    BadInput("non-utf8", b"[simulation]\nseed = 3\n# caf\xe9\n", "bad.toml"),
    BadInput("zero-replications", TINY_VALID, "--replications", ("--replications", "0")),
    BadInput("negative-seed", TINY_VALID, "--seed", ("--seed", "-1")),
    BadInput("non-numeric-seed", TINY_VALID, "--seed", ("--seed", "x")),
]


def _place(case: BadInput, directory: Path) -> Path:
    """Create the scenario path of ``case`` in ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / case.file
    if case.content is DIRECTORY:
        path.mkdir()
    elif isinstance(case.content, bytes):
        path.write_bytes(case.content)
    elif isinstance(case.content, str):
        path.write_text(case.content, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda case: case.id)
def test_run_refuses_bad_input_with_one_line(case, tmp_path, capsys):
    """Bad input to ``run``: exit 2, one stderr line naming the field, no result directory."""
    scenario = _place(case, tmp_path / "in")
    parent = tmp_path / "out"
    parent.mkdir()
    code, out, err = _invoke(_run_argv(scenario, parent / "result", *case.options), capsys)
    _assert_one_line_error(code, err, case.where)
    assert out == ""
    assert list(parent.iterdir()) == []


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda case: case.id)
def test_run_bad_input_creates_no_default_directory(case, tmp_path, monkeypatch, capsys):
    """Bad input to ``run`` without ``--out`` creates no ``results/`` in the working directory."""
    scenario = _place(case, tmp_path / "in")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _, err = _invoke(["run", scenario, "--workers", "1", "--quiet", *case.options], capsys)
    _assert_one_line_error(code, err, case.where)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize(
    "case", [case for case in BAD_INPUTS if not case.options], ids=lambda case: case.id
)
def test_validate_refuses_bad_input_with_one_line(case, tmp_path, capsys):
    """Bad input to ``validate``: exit 2 and one stderr line naming the field."""
    scenario = _place(case, tmp_path / "in")
    code, out, err = _invoke(["validate", scenario], capsys)
    _assert_one_line_error(code, err, case.where)
    assert out == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions say")
def test_unreadable_file_is_refused_with_one_line(tmp_path, capsys):
    """A scenario file without read permission: exit 2 and one line naming the file."""
    scenario = tmp_path / "locked.toml"
    scenario.write_text("[simulation]\nseed = 3\n", encoding="utf-8")
    scenario.chmod(0)
    parent = tmp_path / "out"
    parent.mkdir()
    try:
        code, _, err = _invoke(_run_argv(scenario, parent / "result"), capsys)
    finally:
        scenario.chmod(0o600)
    _assert_one_line_error(code, err, "locked.toml")
    assert list(parent.iterdir()) == []


def test_out_that_is_a_file_is_refused(tmp_path, write_tiny, capsys):
    """``--out`` naming an existing file: exit 2, one line naming ``--out``, file untouched."""
    scenario = write_tiny(tmp_path)
    target = tmp_path / "taken"
    target.write_text("keep me", encoding="utf-8")
    code, _, err = _invoke(_run_argv(scenario, target), capsys)
    _assert_one_line_error(code, err, "--out")
    assert target.read_text(encoding="utf-8") == "keep me"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["taken", "tiny.toml"]


def test_out_below_a_file_is_refused(tmp_path, write_tiny, capsys):
    """``--out FILE/sub`` (a parent is a file): exit 2 and one line, not a traceback."""
    scenario = write_tiny(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="utf-8")
    code, _, err = _invoke(_run_argv(scenario, blocker / "result"), capsys)
    _assert_one_line_error(code, err, "--out")


def test_missing_command_is_one_line(capsys):
    """``mlatsim`` with no subcommand: exit 2 and a single line, not argparse's usage block."""
    code, out, err = _invoke([], capsys)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1


# --- as processes -----------------------------------------------------------------------------


def _assert_process_error(process: subprocess.CompletedProcess[str], where: str) -> None:
    """A process's exit status 2 and its stderr exactly one line naming ``where``."""
    assert process.returncode == 2, process.stderr
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert where in lines[0]
    assert "Traceback" not in process.stderr


def test_python_dash_m_sim_reports_bad_scenario(tmp_path):
    """``python -m sim validate BAD`` exits 2 with one stderr line and no traceback."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[simulation]\nseeed = 3\n", encoding="utf-8")
    process = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    _assert_process_error(process, "simulation.seeed")
    assert process.stdout == ""


def test_console_script_reports_bad_scenario(tmp_path):
    """The ``mlatsim`` script: ``run BAD`` exits 2 with one stderr line and writes nothing."""
    script = Path(sys.executable).parent / "mlatsim"
    assert script.exists(), f"console script not installed at {script}"
    bad = tmp_path / "bad.toml"
    bad.write_text("[demand]\nscale = -1\n", encoding="utf-8")
    process = subprocess.run(
        [str(script), "run", str(bad), "--workers", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    _assert_process_error(process, "demand.scale")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.toml"]


def test_console_script_reports_bad_option(tmp_path):
    """The ``mlatsim`` script: ``run --replications 0`` exits 2 with one stderr line."""
    script = Path(sys.executable).parent / "mlatsim"
    scenario = tmp_path / "any.toml"
    scenario.write_text(TINY_VALID, encoding="utf-8")
    process = subprocess.run(
        [str(script), "run", str(scenario), "--replications", "0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    _assert_process_error(process, "--replications")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["any.toml"]
