"""Running sweep points on a Dask distributed cluster (``--scheduler ADDRESS`` or ``local``).

A point is one task, as in the local pool (:mod:`sim.experiments.sweep_pool`): a Dask worker
runs all its replications with :func:`sim.experiments.sweep_pool.attempt` and sends back only
its metric rows, or its one-line error. Each point builds its own world and model from its
scenario and seed streams, so the rows are the ones the local pool gives, whichever machine
runs them.

The sweep keeps only as many points submitted as the cluster has worker threads, and submits
the next as each finishes: the progress line's "running" is then what runs, a sweep stopped
early (Ctrl-C, SIGTERM) cancels at most that many, and the points finished before it are
already stored. A worker that dies while running a point makes Dask retry it elsewhere; when
Dask gives up (``KilledWorker``) the point is recorded as failed and the sweep goes on.

``"local"`` starts a :class:`distributed.LocalCluster` of ``workers`` single-threaded worker
processes (the model is pure Python: threads would share one interpreter lock) and closes it
at the end; an address connects to a running scheduler and leaves its cluster running.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sim.config.schema import Scenario
from sim.errors import InputError
from sim.experiments.sweep_pool import PointEvent, attempt, one_line

LOCAL = "local"
"""The ``--scheduler`` value that starts a local cluster."""
CONNECT_SECONDS = 30
"""How long to try reaching a scheduler before saying it cannot be reached."""


def run_on_dask(
    points: Sequence[tuple[int, Scenario]],
    scheduler: str,
    workers: int,
    connect_seconds: float = CONNECT_SECONDS,
) -> Iterator[PointEvent]:
    """Run the points on a Dask cluster, yielding events as they happen.

    Args:
        points: Each point's number and scenario.
        scheduler: A scheduler's address (``tcp://host:8786``) or :data:`LOCAL`.
        workers: The local cluster's worker processes (ignored for an address).
        connect_seconds: How long to try reaching a scheduler's address.

    Raises:
        InputError: if the scheduler cannot be reached.
    """
    if not points:
        return
    with _client(scheduler, workers, connect_seconds) as client:
        yield from _run(client, list(points))


@contextlib.contextmanager
def _client(scheduler: str, workers: int, connect_seconds: float) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if scheduler == LOCAL:
        with (
            LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout=connect_seconds)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            "--scheduler", f"cannot reach the Dask scheduler at '{scheduler}' ({exc})"
        ) from None
    with client:
        yield client


def _slots(client: Any) -> int:
    """Worker threads of the cluster (at least 1: a cluster still starting gets one point)."""
    return max(1, sum(client.nthreads().values()))


def _run(client: Any, waiting: list[tuple[int, Scenario]]) -> Iterator[PointEvent]:
    from distributed import as_completed

    running: dict[Any, tuple[int, float]] = {}
    finished = as_completed()

    def submit() -> PointEvent:
        index, scenario = waiting.pop(0)
        # A key of its own: two sweeps sharing a cluster must never share a task.
        key = f"mlatsim-point-{index}-{uuid.uuid4().hex}"
        future = client.submit(attempt, scenario, pure=False, key=key)
        running[future] = (index, time.perf_counter())
        finished.add(future)
        return PointEvent(index, "started")

    try:
        while waiting and len(running) < _slots(client):
            yield submit()
        for future in finished:
            index, began = running.pop(future)
            try:
                kind, outcome, seconds = future.result()
            except Exception as exc:  # the worker died and Dask gave up, or it was cancelled
                kind, outcome, seconds = "failed", one_line(exc), time.perf_counter() - began
            future.release()
            if kind == "done":
                yield PointEvent(index, "done", rows=outcome, seconds=seconds)
            else:
                yield PointEvent(index, "failed", error=outcome, seconds=seconds)
            while waiting and len(running) < _slots(client):
                yield submit()
    finally:
        for future in running:
            future.cancel()
