"""``mlatsim trace`` as a person uses it: a story on stdout, or one error line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory, write_tiny):
    """A run of the tiny world, written by ``mlatsim run``."""
    folder = tmp_path_factory.mktemp("cli_trace")
    scenario = write_tiny(folder, seed=5, replications=1)
    out = folder / "run"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    return out


def _mlatsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_trace_prints_a_story(result_dir):
    """``trace --pick refused`` prints the request, its attempts and the rule; exit 0."""
    done = _mlatsim("trace", str(result_dir), "--pick", "refused")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Request ")
    assert "Attempt 1:" in done.stdout
    assert "Outcome: refused (" in done.stdout
    assert done.stderr == ""


def test_trace_by_id_and_replication(result_dir, capsys):
    """``--request ID --replication 0`` tells that request."""
    assert main(["trace", str(result_dir), "--request", "3", "--replication", "0"]) == 0
    assert capsys.readouterr().out.startswith("Request 3 (replication 0)")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["{missing}", "--request", "1"], "is not a directory"),
        (["{tmp}", "--request", "1"], "holds no requests.parquet"),
        (["{run}", "--request", "123456789"], "has no request 123456789"),
        (["{run}", "--request", "1", "--replication", "3"], "has no replication 3"),
        (["{run}", "--request", "x"], "argument --request"),
        (["{run}"], "one of the arguments --request --pick is required"),
        (["{run}", "--pick", "fast"], "argument --pick: invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(result_dir, tmp_path, args, words):
    """Each bad input: exit 2, one line on stderr naming it, no traceback, nothing on stdout."""
    names = {"missing": tmp_path / "missing", "tmp": tmp_path, "run": result_dir}
    done = _mlatsim("trace", *(a.format(**names) for a in args))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def test_a_run_without_timeline_is_one_line(tmp_path, write_tiny):
    """A result made with --no-timeline: the error says how to get a timeline."""
    scenario = write_tiny(tmp_path, seed=5, replications=1)
    out = tmp_path / "plain"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--no-timeline"]) == 0
    done = _mlatsim("trace", str(out), "--request", "0")
    assert done.returncode == 2
    assert "holds no timeline.parquet" in done.stderr
    assert "Traceback" not in done.stderr
