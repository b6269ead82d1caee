"""Running replications, serially or in worker processes, with identical results.

Each replication builds its own world and model from the scenario and its own seed streams,
so its rows do not depend on which process ran it or in what order: a run with one worker and
a run with many give the same table.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import pandas as pd

from sim.model import CooperationModel
from sim.scenario import Scenario
from sim.world import build_world
from sim.world_data import load_world_data

_PROGRESS_EVERY_DAYS = 30


@dataclass(frozen=True)
class RunResult:
    """The records of every replication of a run."""

    requests: pd.DataFrame
    timeseries: pd.DataFrame
    seconds: float
    replication_seconds: tuple[float, ...]


def run_replication(
    scenario: Scenario,
    replication: int,
    world_dir: str | Path | None = None,
    progress: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Simulate one replication and return its requests and time series.

    Args:
        scenario: The validated scenario.
        replication: The replication number.
        world_dir: Alternative world data folder (the packaged data when None).
        progress: A queue receiving ``(replication, days advanced)`` now and then, or None.
    """
    began = time.perf_counter()
    world = build_world(load_world_data(world_dir), scenario)
    model = CooperationModel(scenario, world, replication)
    reported = 0
    while not model.finished:
        model.step()
        if progress is not None and model.day - reported >= _PROGRESS_EVERY_DAYS:
            progress.put((replication, model.day - reported))
            reported = model.day
    model.close()
    if progress is not None and model.day > reported:
        progress.put((replication, model.day - reported))
    return (
        model.log.to_frame(replication, release=True),
        model.timeseries.to_frame(replication),
        time.perf_counter() - began,
    )


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

    Args:
        scenario: The validated scenario (its replications and seed are used as they are).
        workers: Worker processes; 1 runs in this process.
        show_progress: Show a progress bar if standard error is a terminal.
        world_dir: Alternative world data folder.
    """
    began = time.perf_counter()
    count = scenario.simulation.replications
    progress = _Progress(scenario.simulation.horizon_days, count, show_progress)
    outputs: dict[int, tuple[pd.DataFrame, pd.DataFrame, float]] = {}
    try:
        if workers <= 1 or count == 1:
            sink = _DirectSink(progress)
            for replication in range(count):
                outputs[replication] = run_replication(scenario, replication, world_dir, sink)
                progress.replication_done(replication + 1, count)
        else:
            context = multiprocessing.get_context("spawn")
            with context.Manager() as manager:
                queue = manager.Queue() if progress.bar is not None else None
                with ProcessPoolExecutor(min(workers, count), mp_context=context) as pool:
                    futures = {
                        pool.submit(run_replication, scenario, r, world_dir, queue): r
                        for r in range(count)
                    }
                    pending = set(futures)
                    while pending:
                        _drain(queue, progress)
                        finished = {f for f in pending if f.done()}
                        for future in finished:
                            outputs[futures[future]] = future.result()
                            progress.replication_done(len(outputs), count)
                        pending -= finished
                        if pending and queue is None:
                            next(as_completed(pending))
                    _drain(queue, progress)
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


def _drain(queue: Any, progress: _Progress) -> None:
    if queue is None:
        return
    try:
        item = queue.get(timeout=0.2)
        while True:
            progress.advance(item[1])
            item = queue.get_nowait()
    except Empty:
        return
