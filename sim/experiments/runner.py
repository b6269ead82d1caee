"""Running a scenario's replications, serially or in worker processes, with identical results.

Each replication builds its own world and model from the scenario and its own seed streams,
so its rows do not depend on which process ran it or in what order: a run with one worker and
a run with many give the same table.

Replications are run by an executor (:mod:`sim.experiments.executors`): by default in this
process for one worker, else in worker processes of the run's own
(:class:`sim.experiments.workers.WorkerProcesses`). Two ways to run them:

- :func:`run_scenario` (``mlatsim run``): a failed replication ends the run, the others are
  stopped at once, and its error is raised (an input error as itself, anything else as a
  :class:`ReplicationError` of one line);
- :func:`run_replications` (experiments such as sweeps): a failed replication is recorded
  and the others go on; the failures are returned with the rows of the others.

Either way an exception in this process (Ctrl-C's ``KeyboardInterrupt``,
:class:`sim.experiments.interrupt.Terminated` from SIGTERM) kills the workers at once and goes
on. Progress is reported to a callback as (days simulated, days in all, replications done).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.analysis.runs import RunResult
from sim.config.schema import Scenario
from sim.engine.replication import ReplicationOutput
from sim.errors import InputError
from sim.experiments.executors import Executor, InProcess
from sim.experiments.failures import ReplicationError, ReplicationFailure
from sim.experiments.workers import WorkerError, WorkerProcesses

__all__ = [
    "InProcess",
    "Progress",
    "ReplicationError",
    "ReplicationFailure",
    "Replications",
    "WorkerError",
    "WorkerProcesses",
    "default_executor",
    "run_replications",
    "run_scenario",
]

Progress = Callable[[int, int, int], None]
"""Called as a run advances with (days simulated so far, days in all, replications done)."""


class _RemoteTracebackError(Exception):
    """The traceback of an exception raised in a worker process (set as its cause)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


@dataclass(frozen=True)
class Replications:
    """What running a scenario's replications gave: rows of some, failures of others.

    Attributes:
        scenario: The scenario run.
        outputs: Rows and run time of each replication that finished, by number.
        failures: The replications that failed, in the order they failed.
        seconds: Wall time of the whole run.
    """

    scenario: Scenario
    outputs: Mapping[int, ReplicationOutput]
    failures: tuple[ReplicationFailure, ...]
    seconds: float

    def result(self) -> RunResult:
        """The records of the replications that finished, in replication order.

        Raises:
            ValueError: if none finished.
        """
        if not self.outputs:
            raise ValueError(f"no replication of {self.scenario.name} finished")
        order = sorted(self.outputs)
        return RunResult(
            requests=pd.concat([self.outputs[r][0] for r in order], ignore_index=True),
            timeseries=pd.concat([self.outputs[r][1] for r in order], ignore_index=True),
            seconds=self.seconds,
            replication_seconds=tuple(self.outputs[r][2] for r in order),
            unpursued=pd.concat([self.outputs[r][3] for r in order], ignore_index=True),
            timeline=pd.concat([self.outputs[r][4] for r in order], ignore_index=True),
        )


def default_executor(workers: int, replications: int) -> Executor:
    """In this process for one worker or one replication, else in worker processes."""
    if workers <= 1 or replications <= 1:
        return InProcess()
    return WorkerProcesses(min(workers, replications))


def run_replications(
    scenario: Scenario,
    *,
    workers: int = 1,
    show_progress: bool = False,
    world_dir: str | Path | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    stop_at_failure: bool = False,
) -> Replications:
    """Run every replication of a scenario; a failed one is recorded, not raised.

    Args:
        scenario: The validated scenario (its replications and seed are used as they are).
        workers: Worker processes of the default executor (ignored when ``executor`` is given).
        show_progress: Show a progress bar if standard error is a terminal.
        world_dir: Alternative world data folder.
        executor: What runs the replications (:func:`default_executor` when None).
        progress: Called as the run advances (see :data:`Progress`).
        stop_at_failure: Stop the other replications at the first failure.
    """
    began = time.perf_counter()
    count = scenario.simulation.replications
    executor = default_executor(workers, count) if executor is None else executor
    tally = _Tally(scenario.simulation.horizon_days * count, count, progress, show_progress)
    outputs: dict[int, ReplicationOutput] = {}
    failures: list[ReplicationFailure] = []
    try:
        outcomes = executor.run(scenario, range(count), world_dir, tally.reporter)
        with contextlib.closing(outcomes):  # closing it early stops the executor's work
            for replication, outcome in outcomes:
                if isinstance(outcome, ReplicationFailure):
                    failures.append(outcome)
                    if stop_at_failure:
                        break
                else:
                    outputs[replication] = outcome
                tally.replication_done()
    finally:
        tally.close()
    return Replications(scenario, outputs, tuple(failures), time.perf_counter() - began)


def run_scenario(
    scenario: Scenario,
    *,
    workers: int = 1,
    show_progress: bool = False,
    world_dir: str | Path | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run every replication of a scenario; the first failure ends the run.

    Args:
        scenario: The validated scenario (its replications and seed are used as they are).
        workers: Worker processes of the default executor; 1 runs in this process.
        show_progress: Show a progress bar if standard error is a terminal.
        world_dir: Alternative world data folder.
        executor: What runs the replications (:func:`default_executor` when None).
        progress: Called as the run advances (see :data:`Progress`).

    Raises:
        InputError: a replication's input error (bad world data, say), as raised; from a
            worker, with the worker's traceback as its cause.
        ReplicationError: a replication's other error (its cause is the original).
    """
    done = run_replications(
        scenario,
        workers=workers,
        show_progress=show_progress,
        world_dir=world_dir,
        executor=executor,
        progress=progress,
        stop_at_failure=True,
    )
    if done.failures:
        _raise(done.failures[0])
    return done.result()


def _raise(failure: ReplicationFailure) -> None:
    """Raise a failed replication's error: an input error as itself, others wrapped."""
    error = failure.error
    cause: BaseException | None = error
    if failure.remote:
        cause = _RemoteTracebackError(failure.traceback) if failure.traceback else None
    if isinstance(error, InputError):
        if failure.remote:
            raise error from cause
        raise error
    raise ReplicationError(failure) from cause


class _Tally:
    """Days and replications done so far, passed to a callback and a terminal progress bar."""

    def __init__(
        self, total_days: int, replications: int, callback: Progress | None, show: bool
    ) -> None:
        self.total_days = total_days
        self.days = 0
        self.done = 0
        self.callback = callback
        self.bar = None
        if show and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total_days,
                unit="day",
                desc=f"{replications} replication(s)",
                file=sys.stderr,
                dynamic_ncols=True,
            )
        self.replications = replications

    @property
    def reporter(self) -> Callable[[int], None] | None:
        """What an executor tells of days simulated, or None when nobody listens."""
        return None if self.callback is None and self.bar is None else self.advance

    def advance(self, days: int) -> None:
        self.days += days
        if self.bar is not None:
            self.bar.update(days)
        if self.callback is not None:
            self.callback(self.days, self.total_days, self.done)

    def replication_done(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_description(f"replications {self.done}/{self.replications}")
        if self.callback is not None:
            self.callback(self.days, self.total_days, self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
