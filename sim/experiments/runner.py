"""Running replications, serially or in worker processes, with identical results.

Each replication builds its own world and model from the scenario and its own seed streams,
so its rows do not depend on which process ran it or in what order: a run with one worker and
a run with many give the same table.

Worker processes are the runner's own: each gets one replication number at a time over its
own pipe and sends back progress and its rows. On any exception in this process (Ctrl-C's
``KeyboardInterrupt``, :class:`sim.experiments.interrupt.Terminated` from SIGTERM, a failed
replication)
the workers are killed at once, without finishing their replications, and the exception goes
on. Workers ignore Ctrl-C and die with this process even when it is killed
(:func:`sim.experiments.interrupt.prepare_worker`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sys
import time
import traceback
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, cast

import pandas as pd

from sim.analysis.runs import RunResult
from sim.config.schema import Scenario
from sim.engine.replication import ReplicationOutput, run_replication
from sim.experiments import interrupt

_STOP_SECONDS = 5.0  # for idle workers to exit after a finished run, before they are killed
_KILL_SECONDS = 2.0  # for killed workers to be reaped


class _Progress:
    """A progress bar of simulated days on a terminal; nothing elsewhere or when quiet."""

    def __init__(self, total_days: int, replications: int, enabled: bool) -> None:
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total_days * replications,
                unit="day",
                desc=f"{replications} replication(s)",
                file=sys.stderr,
                dynamic_ncols=True,
            )

    def advance(self, days: int) -> None:
        if self.bar is not None:
            self.bar.update(days)

    def replication_done(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.set_description(f"replications {done}/{total}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_scenario(
    scenario: Scenario,
    *,
    workers: int = 1,
    show_progress: bool = False,
    world_dir: str | Path | None = None,
) -> RunResult:
    """Run every replication of a scenario.

    An exception while running (``KeyboardInterrupt``,
    :class:`sim.experiments.interrupt.Terminated`, an
    error in a replication) kills the worker processes at once and is raised again.

    Args:
        scenario: The validated scenario (its replications and seed are used as they are).
        workers: Worker processes; 1 runs in this process.
        show_progress: Show a progress bar if standard error is a terminal.
        world_dir: Alternative world data folder.
    """
    began = time.perf_counter()
    count = scenario.simulation.replications
    progress = _Progress(scenario.simulation.horizon_days, count, show_progress)
    outputs: dict[int, ReplicationOutput] = {}
    try:
        if workers <= 1 or count == 1:
            sink = _DirectSink(progress)
            for replication in range(count):
                outputs[replication] = run_replication(scenario, replication, world_dir, sink)
                progress.replication_done(replication + 1, count)
        else:
            _run_in_workers(scenario, min(workers, count), world_dir, progress, outputs)
    finally:
        progress.close()
    order = sorted(outputs)
    return RunResult(
        requests=pd.concat([outputs[r][0] for r in order], ignore_index=True),
        timeseries=pd.concat([outputs[r][1] for r in order], ignore_index=True),
        seconds=time.perf_counter() - began,
        replication_seconds=tuple(outputs[r][2] for r in order),
    )


class _DirectSink:
    """Progress reports from a replication running in this process."""

    def __init__(self, progress: _Progress) -> None:
        self._progress = progress

    def put(self, item: tuple[int, int]) -> None:
        self._progress.advance(item[1])


class WorkerError(RuntimeError):
    """A worker process ended without sending its replication's rows (it crashed or was killed)."""


class _RemoteTracebackError(Exception):
    """The traceback of an exception raised in a worker process (set as its cause)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


def _run_in_workers(
    scenario: Scenario,
    workers: int,
    world_dir: str | Path | None,
    progress: _Progress,
    outputs: dict[int, ReplicationOutput],
) -> None:
    """Run every replication in ``workers`` processes, filling ``outputs`` as rows arrive."""
    context = multiprocessing.get_context("spawn")
    count = scenario.simulation.replications
    processes: list[BaseProcess] = []
    links: dict[Connection, BaseProcess] = {}
    finished = False
    try:
        # Started with SIGINT and SIGTERM blocked: see interrupt.signals_held.
        with interrupt.signals_held():
            for number in range(workers):
                here, there = context.Pipe()
                process = context.Process(
                    target=interrupt.start_worker,
                    args=(os.getpid(), "sim.experiments.runner:_work", there),
                    name=f"mlatsim-worker-{number}",
                    daemon=True,
                )
                processes.append(process)
                links[here] = process
                process.start()
                there.close()  # so that this end reads end-of-file when the worker dies
        for link, process in links.items():
            _send(link, process, (scenario, world_dir, progress.bar is not None))
        waiting = list(range(count))
        busy: dict[Connection, int] = {}  # the replication each working worker runs
        for link in links:
            if waiting:
                busy[link] = _send(link, links[link], waiting.pop(0))
        while busy:
            for ready in wait(list(busy)):
                link = cast(Connection, ready)
                message = _receive(link, links[link], busy[link])
                if message[0] == "progress":
                    progress.advance(message[1])
                    continue
                if message[0] == "error":
                    _, error, text = message
                    raise error from _RemoteTracebackError(text)
                _, replication, output = message
                outputs[replication] = output
                progress.replication_done(len(outputs), count)
                del busy[link]
                if waiting:
                    busy[link] = _send(link, links[link], waiting.pop(0))
        finished = True
    finally:
        _stop(processes, links, finished)


def _send(link: Connection, process: BaseProcess, item: Any) -> Any:
    """Send a worker its work (the run's settings, or a replication number) and return it."""
    try:
        link.send(item)
    except OSError:
        raise WorkerError(_ended(process, item if isinstance(item, int) else None)) from None
    return item


def _receive(link: Connection, process: BaseProcess, replication: int) -> tuple[Any, ...]:
    """The next message of a worker running a replication."""
    try:
        return link.recv()
    except (EOFError, OSError):
        raise WorkerError(_ended(process, replication)) from None


def _ended(process: BaseProcess, replication: int | None) -> str:
    process.join(_KILL_SECONDS)
    doing = "starting" if replication is None else f"running replication {replication}"
    return (
        f"worker process {process.name} ended unexpectedly while {doing} "
        f"(exit code {process.exitcode})"
    )


def _stop(
    processes: list[BaseProcess],
    links: dict[Connection, BaseProcess],
    finished: bool,
) -> None:
    """End the workers: told to stop after a finished run, killed at once otherwise."""
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
    scenario,
    world data folder and whether to report progress.
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
        except Exception as exc:  # sent to the parent, which raises it
            link.send(("error", _portable(exc), traceback.format_exc()))
            return
        link.send(("done", replication, output))


def _portable(error: Exception) -> Exception:
    """The exception if it survives pickling, else a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
