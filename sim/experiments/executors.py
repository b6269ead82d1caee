"""Executors: what runs a scenario's replications, and what each replication gives back.

An executor runs replications and yields, as each one ends, its number and either its rows
(:data:`~sim.engine.replication.ReplicationOutput`) or a :class:`ReplicationFailure`
recording its error; a failed replication does not stop the others. Whoever consumes the
iterator decides what a failure means (:mod:`sim.experiments.runner`), and closing the
iterator early stops the executor's work at once.

Two executors: :class:`InProcess` runs them one after another in this process (simple, and
what a debugger or profiler wants); :class:`sim.experiments.workers.WorkerProcesses` runs
them in worker processes of its own. Each replication builds its own world and model from
the scenario and its own seed streams, so the rows are the same whichever runs them.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from sim.config.schema import Scenario
from sim.engine.replication import ReplicationOutput, run_replication
from sim.experiments.failures import ReplicationFailure

Advance = Callable[[int], None]
"""Told how many more days a running replication has simulated."""


Outcome = tuple[int, ReplicationOutput | ReplicationFailure]
"""A replication's number and its rows, or its failure."""


class Executor(Protocol):
    """Something that runs replications of a scenario."""

    def run(
        self,
        scenario: Scenario,
        replications: Sequence[int],
        world_dir: str | Path | None = None,
        advance: Advance | None = None,
    ) -> Iterator[Outcome]:
        """Run the replications, yielding each one's outcome as it ends (in any order).

        Args:
            scenario: The validated scenario.
            replications: The replication numbers to run.
            world_dir: Alternative world data folder (the packaged data when None).
            advance: Told of simulated days as they pass, or None for no progress reports.

        Closing the returned iterator before it is exhausted stops the work at once.
        """
        ...


class InProcess:
    """Runs replications one after another in this process.

    An exception of a replication is recorded as its failure and the next one runs;
    ``KeyboardInterrupt`` and other non-``Exception`` errors propagate at once.
    """

    def run(
        self,
        scenario: Scenario,
        replications: Sequence[int],
        world_dir: str | Path | None = None,
        advance: Advance | None = None,
    ) -> Iterator[Outcome]:
        """Run each replication in turn; see :meth:`Executor.run`."""
        sink = None if advance is None else _DaysSink(advance)
        for replication in replications:
            try:
                output = run_replication(scenario, replication, world_dir, sink)
            except Exception as exc:
                failure = ReplicationFailure(replication, exc, traceback.format_exc())
                yield replication, failure
                continue
            yield replication, output


class _DaysSink:
    """Progress reports of a replication (``(replication, days)`` items) passed to ``advance``."""

    def __init__(self, advance: Advance) -> None:
        self._advance = advance

    def put(self, item: tuple[int, int]) -> None:
        self._advance(item[1])
