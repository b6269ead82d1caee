"""An executor that lets the page watch one replication while it runs.

The command line's executors report only days simulated. The dashboard wants to show the
model itself, day by day: the backlog at the busiest central authorities (each state's
``backlog``, the time-series column the model records) and the requests in flight by channel
(the model's ``in_flight`` requests). :class:`LiveExecutor` runs the first replication in a
thread of this process, stepping the model as :func:`sim.engine.replication.run_replication`
does and publishing a :class:`Snapshot` every few simulated days, and the others in worker
processes (:class:`sim.experiments.workers.WorkerProcesses`), so a run on two cores uses
both. Every replication builds its own world and model from the scenario and its own seed
streams, so the rows are the same whichever executor runs them (``tests/test_dashboard.py``
checks the live replication against ``run_replication``).

A run is stopped with :meth:`LiveExecutor.stop`: the live replication ends at its next day,
the workers are killed at the next report, and :class:`Stopped` ends the run.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.config.schema import Scenario
from sim.engine.model import CooperationModel
from sim.engine.replication import ReplicationOutput, run_replication
from sim.experiments.executors import Advance, Outcome
from sim.experiments.failures import ReplicationFailure
from sim.experiments.workers import WorkerProcesses
from sim.vocabulary import CHANNELS

SNAPSHOT_DAYS = 7
"""Simulated days between two snapshots of the live replication."""
_PROGRESS_DAYS = 30
_POLL_SECONDS = 0.2


class Stopped(Exception):  # noqa: N818 - what it says: the run was stopped, not an error
    """The run was stopped from the page."""


@dataclass(frozen=True)
class Snapshot:
    """The live replication's state on one day.

    Attributes:
        day: The simulated day.
        backlog: Each state's central-authority backlog (requests waiting or under review).
        in_flight: Requests in progress by the channel they are on (``none`` not yet routed).
    """

    day: int
    backlog: dict[str, int]
    in_flight: dict[str, int]


def snapshot(model: CooperationModel) -> Snapshot:
    """What the page shows of a model now."""
    counts = [0] * (len(CHANNELS) + 1)
    for request in model.in_flight.values():
        counts[request.channel] += 1  # -1 (not yet routed) counts as the last, "none"
    in_flight = {name: counts[i] for i, name in enumerate(CHANNELS)}
    in_flight["none"] = counts[-1]
    backlog = {agent.iso3: agent.backlog for agent in model.states}
    return Snapshot(model.day, backlog, in_flight)


def live_replication(
    scenario: Scenario,
    replication: int,
    world_dir: str | Path | None = None,
    *,
    watch: Callable[[Snapshot], None] | None = None,
    advance: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> ReplicationOutput:
    """One replication, as ``run_replication`` runs it, showing its state as it goes.

    Args:
        scenario: The validated scenario.
        replication: The replication number.
        world_dir: Alternative world data folder (the packaged data when None).
        watch: Given a :class:`Snapshot` every :data:`SNAPSHOT_DAYS` simulated days.
        advance: Told of simulated days now and then (progress).
        stop: When set, the replication ends after the day in progress with :class:`Stopped`.

    Raises:
        Stopped: if ``stop`` was set.
    """
    reported = watched = 0

    def each_day(model: CooperationModel) -> None:
        nonlocal reported, watched
        if stop is not None and stop.is_set():
            raise Stopped
        day = model.day
        if watch is not None and day - watched >= SNAPSHOT_DAYS:
            watch(snapshot(model))
            watched = day
        due = day - reported >= _PROGRESS_DAYS or (model.finished and day > reported)
        if advance is not None and due:
            advance(day - reported)
            reported = day

    return run_replication(scenario, replication, world_dir, each_day=each_day)


class LiveExecutor:
    """Runs the first replication here, watched, and the others in worker processes.

    Args:
        workers: Worker processes for the replications after the first (as many as there
            are, at most this many); the live one runs beside them in this process.
        watch: Given the live replication's snapshots.
    """

    def __init__(self, workers: int, watch: Callable[[Snapshot], None] | None = None) -> None:
        self.workers = max(1, workers)
        self.watch = watch
        self._stop = threading.Event()

    def stop(self) -> None:
        """Stop the run: the live replication after the day in progress, the workers at once."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stop.is_set()

    def run(
        self,
        scenario: Scenario,
        replications: Sequence[int],
        world_dir: str | Path | None = None,
        advance: Advance | None = None,
    ) -> Iterator[Outcome]:
        """Run the replications; see ``Executor.run``. Raises :class:`Stopped` if stopped."""
        numbers = list(replications)
        if not numbers:
            return
        lock = threading.Lock()

        def told(days: int) -> None:
            # Called from the live thread and from this one: one at a time.
            with lock:
                if advance is not None:
                    advance(days)
            if self._stop.is_set():
                raise Stopped

        outcomes: queue.Queue[Outcome] = queue.Queue()
        live = threading.Thread(
            target=self._live,
            args=(scenario, numbers[0], world_dir, told, outcomes),
            name="mlatsim-live-replication",
            daemon=True,
        )
        live.start()
        try:
            if numbers[1:]:
                # As many workers as cores (not one fewer): the live replication ends before
                # the others' spawn-and-import start is over, and a core left idle after it
                # would make three replications take two rounds instead of one and a half.
                others = WorkerProcesses(min(self.workers, len(numbers) - 1))
                inner = others.run(scenario, numbers[1:], world_dir, told)
                with contextlib.closing(inner):
                    yield from inner
            while live.is_alive() and outcomes.empty():
                if self._stop.is_set():
                    raise Stopped
                live.join(_POLL_SECONDS)
            if self._stop.is_set():
                raise Stopped
            yield outcomes.get()
        finally:
            if live.is_alive():
                self._stop.set()
                live.join()

    def _live(
        self,
        scenario: Scenario,
        replication: int,
        world_dir: str | Path | None,
        told: Callable[[int], None],
        outcomes: queue.Queue[Outcome],
    ) -> None:
        try:
            output = live_replication(
                scenario,
                replication,
                world_dir,
                watch=self.watch,
                advance=told,
                stop=self._stop,
            )
        except Stopped:
            return
        except Exception as exc:  # recorded as the replication's failure, as executors do
            outcomes.put(
                (replication, ReplicationFailure(replication, exc, traceback.format_exc()))
            )
            return
        outcomes.put((replication, output))
