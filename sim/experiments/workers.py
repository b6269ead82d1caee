"""Replications in worker processes owned by the run, killed at once when the run stops.

:class:`WorkerProcesses` is an executor (:mod:`sim.experiments.executors`). Its workers are
``spawn`` processes, each with one pipe: it gets the run's settings once, then one replication
number at a time, and sends back progress, then the rows or the error of each replication. A
worker whose replication fails goes on with the next one; a worker that dies (its replication
is then recorded as failed) is not replaced.

When the iterator of outcomes is closed early, or any exception passes through it in this
process (Ctrl-C's ``KeyboardInterrupt``, :class:`sim.experiments.interrupt.Terminated` from
SIGTERM), the workers are killed at once, without finishing their replications. Workers
ignore Ctrl-C and die with this process even when it is killed
(:func:`sim.experiments.interrupt.prepare_worker`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import time
import traceback
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, cast

from sim.config.schema import Scenario
from sim.engine.replication import run_replication
from sim.experiments import interrupt
from sim.experiments.executors import Advance, Outcome
from sim.experiments.failures import ReplicationFailure

_STOP_SECONDS = 5.0  # for idle workers to exit after a finished run, before they are killed
_KILL_SECONDS = 2.0  # for killed workers to be reaped


class WorkerError(RuntimeError):
    """A worker process ended without sending its replication's rows (it crashed or was killed)."""


class WorkerProcesses:
    """Runs replications in up to ``workers`` processes of its own (one per replication at most).

    Args:
        workers: The most worker processes to start.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def run(
        self,
        scenario: Scenario,
        replications: Sequence[int],
        world_dir: str | Path | None = None,
        advance: Advance | None = None,
    ) -> Iterator[Outcome]:
        """Run the replications in worker processes; see ``Executor.run``."""
        waiting = list(replications)
        processes: list[BaseProcess] = []
        links: dict[Connection, BaseProcess] = {}
        finished = False
        try:
            start_workers(
                min(self.workers, len(waiting)),
                "sim.experiments.workers:_work",
                "mlatsim-worker",
                processes,
                links,
            )
            settings = (scenario, world_dir, advance is not None)
            idle = [link for link in links if send(link, settings)]
            busy: dict[Connection, int] = {}  # the replication each working worker runs
            while waiting or busy:
                while waiting and idle:
                    link, replication = idle.pop(), waiting.pop(0)
                    if send(link, replication):
                        busy[link] = replication
                    else:
                        yield replication, _lost(links[link], replication)
                if not busy:  # every worker died: nothing can run the rest
                    for replication in waiting:
                        yield replication, _lost(None, replication)
                    break
                for ready in wait(list(busy)):
                    link = cast(Connection, ready)
                    replication = busy[link]
                    message = _receive(link)
                    if message is None:
                        del busy[link]
                        yield replication, _lost(links[link], replication)
                    elif message[0] == "progress":
                        if advance is not None:
                            advance(message[1])
                    else:
                        del busy[link]
                        idle.append(link)
                        yield replication, _outcome(replication, message)
            finished = True
        finally:
            stop_workers(processes, links, finished)


def start_workers(
    count: int,
    target: str,
    label: str,
    processes: list[BaseProcess],
    links: dict[Connection, BaseProcess],
) -> None:
    """Start ``count`` worker processes, adding each to ``processes`` and its pipe to ``links``.

    Shared by the replications' workers and a sweep's (:mod:`sim.experiments.sweep_pool`),
    so both start, die with their parent and are stopped the same way.

    Args:
        count: How many to start.
        target: The function each runs with its pipe, as ``"module:function"``.
        label: The first part of their names (``mlatsim-worker``: ``mlatsim-worker-0``, ...).
        processes: Gets each process started.
        links: Gets each one's pipe end in this process.
    """
    context = multiprocessing.get_context("spawn")
    # Started with SIGINT and SIGTERM blocked: see interrupt.signals_held.
    with interrupt.signals_held():
        for number in range(count):
            here, there = context.Pipe()
            process = context.Process(
                target=interrupt.start_worker,
                args=(os.getpid(), target, there),
                name=f"{label}-{number}",
                daemon=True,
            )
            processes.append(process)
            links[here] = process
            process.start()
            there.close()  # so that this end reads end-of-file when the worker dies


def _outcome(replication: int, message: tuple[Any, ...]) -> Any:
    """The rows of a finished replication, or the failure of one that raised."""
    if message[0] == "error":
        _, error, text = message
        return ReplicationFailure(replication, error, text, remote=True)
    return message[1]


def send(link: Connection, item: Any) -> bool:
    """Send a worker its work (settings, a replication, a point, or None: stop); False if dead."""
    try:
        link.send(item)
    except OSError:
        return False
    return True


def _receive(link: Connection) -> tuple[Any, ...] | None:
    """The next message of a worker, or None if it has died."""
    try:
        return link.recv()
    except (EOFError, OSError):
        return None


def _lost(process: BaseProcess | None, replication: int) -> ReplicationFailure:
    """The failure of a replication whose worker died (or of one no worker was left for)."""
    if process is None:
        problem = f"no worker process was left to run replication {replication}"
    else:
        process.join(_KILL_SECONDS)
        problem = (
            f"worker process {process.name} ended unexpectedly while running replication "
            f"{replication} (exit code {process.exitcode})"
        )
    return ReplicationFailure(replication, WorkerError(problem))


def stop_workers(
    processes: list[BaseProcess],
    links: dict[Connection, BaseProcess],
    finished: bool,
) -> None:
    """End the workers: told to stop (sent None) after a finished run, killed at once otherwise."""
    if finished:
        for link in links:
            with contextlib.suppress(OSError):
                link.send(None)
    deadline = time.monotonic() + (_STOP_SECONDS if finished else 0.0)
    for process in processes:
        if process.pid is None:
            continue  # never started
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            process.kill()
    for process in processes:
        if process.pid is not None:
            process.join(_KILL_SECONDS)
        if process.exitcode is not None:
            process.close()
    for link in links:
        link.close()


class _LinkSink:
    """Progress reports from a replication in a worker, sent to the parent over its pipe."""

    def __init__(self, link: Connection) -> None:
        self._link = link

    def put(self, item: tuple[int, int]) -> None:
        self._link.send(("progress", item[1]))


def _work(link: Connection) -> None:
    """A worker process: run each replication number received until told to stop.

    Started by :func:`sim.experiments.interrupt.start_worker`; the first message is the run's
    scenario, world data folder and whether to report progress. A replication's error is sent
    to the parent, and the worker goes on with the next replication it is given.
    """
    try:
        scenario, world_dir, report_progress = link.recv()
    except EOFError:
        return
    sink = _LinkSink(link) if report_progress else None
    while True:
        try:
            replication = link.recv()
        except EOFError:
            return
        if replication is None:
            return
        try:
            output = run_replication(scenario, replication, world_dir, sink)
        except Exception as exc:  # sent to the parent, which decides what it means
            link.send(("error", _portable(exc), traceback.format_exc()))
            continue
        link.send(("done", output))


def _portable(error: Exception) -> Exception:
    """The exception if it survives pickling, else a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
