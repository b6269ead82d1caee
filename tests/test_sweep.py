"""Running sweeps: tidy rows, common random numbers, failures kept apart, resumed after a kill.

A researcher leaves a sweep running overnight. It must give one row per point and
replication; a point equal to the base must give exactly the base's numbers (every point
shares the seed); a failing point must not stop the others; and a sweep killed outright must,
started again, run only what was missing and end with the table an unbroken sweep gives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.sweep_metrics import METRICS, replication_rows
from sim.cli import main
from sim.config.loading import NO_CALIBRATION, load_scenario
from sim.experiments import sweep_pool
from sim.experiments.runner import run_scenario

GRID = (
    'metrics = ["median_days", "p90_days", "share_met", "backlog"]\n'
    '[design]\nkind = "grid"\n[design.fields]\n'
    '"routing.pursuit_scale" = [0.12, 0.5]\n'  # 0.12: the uncalibrated default
)


def _sweep(
    directory: Path, body: str, write_tiny, replications: int = 2, scale: float = 0.05
) -> Path:
    write_tiny(directory, name="base", replications=replications, scale=scale)
    path = directory / "sweep.toml"
    path.write_text(f'base = "base.toml"\n{body}', encoding="utf-8")
    return path


def _invoke(*argv: str | Path) -> int:
    return main(["sweep", *(str(arg) for arg in argv)])


def test_a_small_sweep_gives_one_row_per_point_and_replication_and_crn(
    tmp_path, write_tiny, capsys
):
    """Tidy rows, ordered CIs, a file per point; the base's point is the base run."""
    path = _sweep(tmp_path, GRID, write_tiny)
    out = tmp_path / "out"
    assert _invoke(path, "--out", out, "--workers", "1") == 0
    capsys.readouterr()
    points = pd.read_parquet(out / "points.parquet")
    assert list(points.columns) == [
        "point",
        "routing.pursuit_scale",
        "replication",
        "median_days",
        "p90_days",
        "share_met",
        "backlog",
    ]
    assert len(points) == 2 * 2
    assert points[["point", "replication"]].values.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert pd.read_csv(out / "points.csv").shape == points.shape
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2 * 4
    assert (summary["ci_low"] <= summary["estimate"]).all()
    assert (summary["estimate"] <= summary["ci_high"]).all()
    assert (out / "figures" / "response.png").stat().st_size > 0
    assert len(list((out / "points").glob("*.json"))) == 2
    # Common random numbers: the point at the base's value is the base run, exactly.
    base = load_scenario(tmp_path / "base.toml", NO_CALIBRATION)
    assert base.routing.pursuit_scale == 0.12
    expected = replication_rows(run_scenario(base), base)
    at_base = points[points["routing.pursuit_scale"] == 0.12].reset_index(drop=True)
    metrics = ["median_days", "p90_days", "share_met", "backlog"]
    pd.testing.assert_frame_equal(at_base[metrics], expected[metrics])
    # A higher pursuit scale makes more slow formal requests: the points differ.
    assert not points.loc[points["point"] == 0, metrics].equals(
        points.loc[points["point"] == 1, metrics]
    )


def _fake_rows(scenario, broken: bool) -> pd.DataFrame:
    """Rows a point would give, made up from its pursuit scale (no simulation)."""
    value = scenario.routing.pursuit_scale
    if broken and value == 2.0:
        raise RuntimeError("the model broke\non two lines")
    rows = pd.DataFrame({name: [value, value + 1.0] for name in METRICS})
    rows.insert(0, "replication", [0, 1])
    return rows


def test_a_failed_point_is_recorded_the_others_go_on_and_retry_reruns_it(
    tmp_path, write_tiny, capsys, monkeypatch
):
    """A failing point is stored with its error; kept on resume, rerun on demand."""
    body = GRID.replace("[0.12, 0.5]", "[0.12, 0.5, 2.0]")
    path = _sweep(tmp_path, body, write_tiny)
    out = tmp_path / "out"
    calls: list[float] = []
    broken = [True]

    def fake(scenario):
        calls.append(scenario.routing.pursuit_scale)
        return _fake_rows(scenario, broken[0])

    monkeypatch.setattr(sweep_pool, "run_point", fake)
    assert _invoke(path, "--out", out, "--workers", "1") == 1
    _, err = capsys.readouterr()
    assert "1 of 3 point(s) failed" in err.splitlines()[-1]
    assert calls == [0.12, 0.5, 2.0]
    failures = pd.read_csv(out / "failures.csv")
    assert failures["point"].tolist() == [2]
    assert failures["error"].tolist() == ["RuntimeError: the model broke\\non two lines"]
    assert sorted(pd.read_csv(out / "points.csv")["point"].unique()) == [0, 1]

    calls.clear()  # started again: nothing runs, the failure is kept
    assert _invoke(path, "--out", out, "--workers", "1") == 1
    assert calls == []
    assert "1 failed before (kept" in capsys.readouterr().err

    broken[0] = False  # fixed: --retry-failed runs only the failed point again
    assert _invoke(path, "--out", out, "--workers", "1", "--retry-failed") == 0
    assert calls == [2.0]
    assert pd.read_csv(out / "failures.csv").empty
    assert sorted(pd.read_csv(out / "points.csv")["point"].unique()) == [0, 1, 2]


def test_a_sweep_never_writes_into_a_users_folder(tmp_path, write_tiny, capsys):
    """``--out`` naming a folder of notes: refused in one line, the notes untouched."""
    path = _sweep(tmp_path, GRID, write_tiny)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.txt").write_text("three years of work")
    assert _invoke(path, "--out", notes, "--quiet") == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "never replaced" in err
    assert [p.name for p in notes.iterdir()] == ["thesis.txt"]


def _stored(out: Path) -> list[Path]:
    return sorted((out / "points").glob("*.json")) if (out / "points").is_dir() else []


def test_a_killed_sweep_resumes_with_only_the_missing_points(tmp_path, write_tiny, capsys):
    """SIGKILL mid-sweep, start again: only missing points run; the table is unbroken."""
    body = GRID.replace("[0.12, 0.5]", "[0.06, 0.12, 0.5, 2.0]")
    path = _sweep(tmp_path, body, write_tiny, replications=1, scale=0.02)
    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(killed)]
    process = subprocess.Popen(
        [*command, "--workers", "1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MLATSIM_UNCALIBRATED": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while len(_stored(killed)) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    before = {p.name: p.read_bytes() for p in _stored(killed)}
    assert 1 <= len(before) < 4, "the sweep should be killed with some points stored"
    assert not (killed / "points.csv").exists()

    assert _invoke(path, "--out", killed, "--workers", "1") == 0
    err = capsys.readouterr().err
    assert f"{len(before)} stored, {4 - len(before)} to run" in err.splitlines()[0]
    ran = [line for line in err.splitlines() if line.startswith("point ")]
    assert len(ran) == 4 - len(before)
    after = {p.name: p.read_bytes() for p in _stored(killed)}
    assert len(after) == 4
    assert all(after[name] == data for name, data in before.items())  # untouched

    whole = tmp_path / "whole"
    assert _invoke(path, "--out", whole, "--workers", "1", "--quiet") == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(killed / "points.parquet"), pd.read_parquet(whole / "points.parquet")
    )
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["format"] == "mlatsim-sweep/1" and manifest["complete"] is True


@pytest.mark.slow
def test_worker_processes_give_the_rows_of_one_process(tmp_path, write_tiny, capsys):
    """Points run in worker processes give the rows they give in this process."""
    path = _sweep(tmp_path, GRID, write_tiny)
    for workers in ("1", "2"):
        assert _invoke(path, "--out", tmp_path / workers, "--workers", workers, "--quiet") == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "1" / "points.parquet"),
        pd.read_parquet(tmp_path / "2" / "points.parquet"),
    )
