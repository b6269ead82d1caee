"""Running sweep points: in this process, or in worker processes owned by the sweep.

A point is a whole task: a worker runs all its replications one after another and sends back
only its metric rows (:func:`run_point`), a few hundred bytes, so many points run side by side
without their request records ever crossing a pipe. The pool yields events as they happen:
a point started, finished (its rows) or failed (its one-line error); a point's failure, or
the death of its worker, does not stop the others.

Workers start like the run's (:func:`sim.experiments.interrupt.start_worker`): they ignore
Ctrl-C and die with the sweep even when it is killed, and are killed at once when the sweep
stops early (an exception, or the iterator closed).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, cast

import pandas as pd

from sim.analysis.sweep_metrics import replication_rows
from sim.config.schema import Scenario
from sim.experiments.executors import InProcess
from sim.experiments.failures import ReplicationError
from sim.experiments.workers import send, start_workers, stop_workers

_KILL_SECONDS = 2.0  # for a dead worker to be reaped


@dataclass(frozen=True)
class PointEvent:
    """Something that happened to a point.

    Attributes:
        index: The point's number.
        kind: ``"started"``, ``"done"`` or ``"failed"``.
        rows: Its metric rows when done.
        error: Its one-line error when failed.
        seconds: Wall time it took (done or failed).
    """

    index: int
    kind: str
    rows: pd.DataFrame | None = None
    error: str = ""
    seconds: float = 0.0


def run_point(scenario: Scenario) -> pd.DataFrame:
    """Run every replication of a point in this process and return its metric rows.

    Raises:
        ReplicationError: the first failed replication's error, in one line.
    """
    from sim.config.loading import with_changes
    from sim.experiments.runner import run_replications

    # A point keeps its metrics only, so its runs keep no timeline (the rows are the same).
    untraced = with_changes(scenario, {"simulation": {"timeline": False}})
    done = run_replications(untraced, executor=InProcess())
    if done.failures:
        raise ReplicationError(done.failures[0])
    return replication_rows(done.result(), scenario)


def one_line(error: BaseException) -> str:
    """An error in one line: its type and text (line breaks escaped)."""
    text = str(error).replace("\r", "\\r").replace("\n", "\\n")
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def attempt(scenario: Scenario) -> tuple[str, Any, float]:
    """Run a point: ``("done", rows, seconds)`` or ``("failed", one-line error, seconds)``."""
    began = time.perf_counter()
    try:
        rows = run_point(scenario)
    except Exception as exc:
        return "failed", one_line(exc), time.perf_counter() - began
    return "done", rows, time.perf_counter() - began


def run_in_process(points: Sequence[tuple[int, Scenario]]) -> Iterator[PointEvent]:
    """Run the points one after another in this process (one worker, or a debugger)."""
    for index, scenario in points:
        yield PointEvent(index, "started")
        kind, outcome, seconds = attempt(scenario)
        if kind == "done":
            yield PointEvent(index, "done", rows=outcome, seconds=seconds)
        else:
            yield PointEvent(index, "failed", error=outcome, seconds=seconds)


def run_in_workers(points: Sequence[tuple[int, Scenario]], workers: int) -> Iterator[PointEvent]:
    """Run the points in up to ``workers`` processes, yielding events as they happen."""
    waiting = list(points)
    processes: list[BaseProcess] = []
    links: dict[Connection, BaseProcess] = {}
    finished = False
    try:
        start_workers(
            min(max(1, workers), len(waiting)),
            "sim.experiments.sweep_pool:_work",
            "mlatsim-sweep-worker",
            processes,
            links,
        )
        idle = list(links)
        busy: dict[Connection, tuple[int, float]] = {}
        while waiting or busy:
            while waiting and idle:
                link = idle.pop()
                index, scenario = waiting.pop(0)
                if send(link, (index, scenario)):
                    busy[link] = (index, time.perf_counter())
                    yield PointEvent(index, "started")
                else:
                    yield _lost(links[link], index, 0.0)
            if not busy:
                for index, _ in waiting:
                    yield PointEvent(index, "failed", error="no worker process was left")
                break
            for ready in wait(list(busy)):
                link = cast(Connection, ready)
                index, began = busy.pop(link)
                try:
                    kind, _, outcome, seconds = link.recv()
                except (EOFError, OSError):
                    yield _lost(links[link], index, time.perf_counter() - began)
                    continue
                idle.append(link)
                if kind == "done":
                    yield PointEvent(index, "done", rows=outcome, seconds=seconds)
                else:
                    yield PointEvent(index, "failed", error=outcome, seconds=seconds)
        finished = True
    finally:
        stop_workers(processes, links, finished)


def _lost(process: BaseProcess, index: int, seconds: float) -> PointEvent:
    process.join(_KILL_SECONDS)
    error = (
        f"WorkerError: worker process {process.name} ended unexpectedly while running the "
        f"point (exit code {process.exitcode})"
    )
    return PointEvent(index, "failed", error=error, seconds=seconds)


def _work(link: Connection) -> None:
    """A worker: run each point received and send back its outcome, until told to stop."""
    while True:
        try:
            task = link.recv()
        except EOFError:
            return
        if task is None:
            return
        index, scenario = task
        try:
            kind, outcome, seconds = attempt(scenario)
        except Exception as exc:  # pragma: no cover - attempt catches what a point raises
            kind, outcome, seconds = "failed", one_line(exc), 0.0
            traceback.print_exc()
        link.send((kind, index, outcome, seconds))
