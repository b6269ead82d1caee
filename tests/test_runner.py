"""Tests of the runner's seams: executors, progress callbacks and failed replications.

``run_scenario`` (for ``mlatsim run``) ends the run at the first failed replication and
raises its error in one line; ``run_replications`` (for experiments) records each failure
and returns it with the rows of the others. Executors run replications in this process or in
worker processes, with the same rows.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence

import pandas as pd
import pytest

from sim.cli import main
from sim.config.loading import load_scenario
from sim.errors import WorldDataError
from sim.experiments import executors
from sim.experiments.executors import InProcess, Outcome
from sim.experiments.runner import (
    ReplicationError,
    WorkerProcesses,
    run_replications,
    run_scenario,
)


@pytest.fixture
def tiny(tmp_path, write_tiny):
    """The tiny scenario at a tenth of its demand: quick to run three times."""
    return load_scenario(write_tiny(tmp_path, replications=3, scale=0.005))


@pytest.fixture
def second_fails(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make replication 1 raise in this process; returns the replications started."""
    started: list[int] = []
    real = executors.run_replication

    def flaky(scenario, replication, world_dir=None, progress=None):
        started.append(replication)
        if replication == 1:
            raise RuntimeError("boom\nsecond line")
        return real(scenario, replication, world_dir, progress)

    monkeypatch.setattr(executors, "run_replication", flaky)
    return started


def test_a_failed_replication_is_recorded_and_the_others_go_on(tiny, second_fails):
    """``run_replications``: rows of 0 and 2, and a one-line record of 1's error."""
    done = run_replications(tiny, executor=InProcess())
    assert second_fails == [0, 1, 2]
    assert sorted(done.outputs) == [0, 2]
    (failure,) = done.failures
    assert failure.replication == 1
    assert failure.record() == {"replication": 1, "error": "RuntimeError: boom\\nsecond line"}
    assert "Traceback" in failure.traceback
    assert set(done.result().requests["replication"]) == {0, 2}


def test_run_scenario_stops_at_the_first_failure(tiny, second_fails):
    """``run_scenario``: replication 2 never starts; one line naming 1, the cause kept."""
    with pytest.raises(ReplicationError) as raised:
        run_scenario(tiny)
    assert second_fails == [0, 1]
    assert str(raised.value) == "replication 1 failed: RuntimeError: boom\\nsecond line"
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_run_reports_a_failed_replication_in_one_line(tmp_path, write_tiny, second_fails, capsys):
    """``mlatsim run``: exit 1, one line, no result directory."""
    argv = [
        "run",
        str(write_tiny(tmp_path, replications=3, scale=0.005)),
        "--out",
        str(tmp_path / "out"),
    ]
    code = main([*argv, "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [
        "mlatsim: error: replication 1 failed: RuntimeError: boom\\nsecond line"
    ]
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]


def test_workers_record_failures_and_go_on(tiny, tmp_path):
    """In worker processes too, each failed replication is recorded; none is left running."""
    done = run_replications(tiny, executor=WorkerProcesses(2), world_dir=tmp_path / "absent")
    assert done.outputs == {}
    assert sorted(f.replication for f in done.failures) == [0, 1, 2]
    for failure in done.failures:
        assert isinstance(failure.error, WorldDataError) and failure.remote
        assert failure.message.startswith("WorldDataError: ") and "states.csv" in failure.message
    assert multiprocessing.active_children() == []
    with pytest.raises(ValueError, match="no replication"):
        done.result()


class _Backwards:
    """An executor of this test's own: the replications in reverse order, in this process."""

    def run(self, scenario, replications: Sequence[int], world_dir=None, advance=None):
        return _reversed(scenario, replications, world_dir, advance)


def _reversed(scenario, replications, world_dir, advance) -> Iterator[Outcome]:
    yield from InProcess().run(scenario, list(replications)[::-1], world_dir, advance)


def test_any_executor_gives_the_same_rows_and_reports_progress(tiny):
    """In this process, in two workers or backwards: one table; progress reaches the end."""
    reports: dict[str, list[tuple[int, int, int]]] = {}
    results = {}
    for name, executor in (
        ("in process", InProcess()),
        ("workers", WorkerProcesses(2)),
        ("backwards", _Backwards()),
    ):
        seen: list[tuple[int, int, int]] = []
        results[name] = run_scenario(
            tiny, executor=executor, progress=lambda *report, seen=seen: seen.append(report)
        )
        reports[name] = seen
    reference = results["in process"].requests
    for name in ("workers", "backwards"):
        pd.testing.assert_frame_equal(results[name].requests, reference)
    total = tiny.simulation.horizon_days * 3
    for seen in reports.values():
        days = [report[0] for report in seen]
        assert days == sorted(days)
        assert seen[-1] == (total, total, 3)
        assert all(report[1] == total for report in seen)


def test_no_progress_is_asked_of_workers_without_a_listener(tiny, monkeypatch):
    """Without a callback or a bar, executors are given no progress function."""
    given: list[object] = []
    real = InProcess.run

    def spy(self, scenario, replications, world_dir=None, advance=None):
        given.append(advance)
        return real(self, scenario, replications, world_dir, advance)

    monkeypatch.setattr(InProcess, "run", spy)
    run_scenario(tiny)
    run_scenario(tiny, progress=lambda *_: None)
    assert given[0] is None and callable(given[1])


def test_result_keeps_replication_order_whatever_the_finishing_order(tiny):
    """Rows come in replication order and with each replication's own run time."""
    result = run_scenario(tiny, executor=_Backwards())
    assert list(pd.unique(result.requests["replication"])) == [0, 1, 2]
    assert len(result.replication_seconds) == 3
