"""One replication: a world and a model built from the scenario, run to the horizon.

Each replication builds its own world and model from the scenario and its own seed
streams, so its rows do not depend on which process ran it or in what order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.schema import Scenario
from sim.engine.collector import collector_for_a_run
from sim.engine.model import CooperationModel
from sim.world.build import build_world
from sim.world.data import load_world_data

_PROGRESS_EVERY_DAYS = 30


ReplicationOutput = tuple[pd.DataFrame, pd.DataFrame, float, pd.DataFrame, pd.DataFrame]
"""Requests, time series, seconds taken, the evidence needs not pursued and the timeline
(each request's steps, ``sim.engine.timeline``; empty if the scenario keeps none)."""


def run_replication(
    scenario: Scenario,
    replication: int,
    world_dir: str | Path | None = None,
    progress: Any = None,
    *,
    each_day: Callable[[CooperationModel], None] | None = None,
) -> ReplicationOutput:
    """Simulate one replication: requests, time series, run time, unpursued needs, timeline.

    Args:
        scenario: The validated scenario.
        replication: The replication number.
        world_dir: Alternative world data folder (the packaged data when None).
        progress: A queue receiving ``(replication, days advanced)`` now and then, or None.
        each_day: Called with the model after each simulated day (a live view); an
            exception it raises ends the replication there.
    """
    began = time.perf_counter()
    with collector_for_a_run():
        world = build_world(load_world_data(world_dir), scenario)
        model = CooperationModel(scenario, world, replication)
        reported = 0
        while not model.finished:
            model.step()
            if each_day is not None:
                each_day(model)
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
        model.unpursued.to_frame(replication),
        pd.DataFrame()
        if model.timeline is None
        else model.timeline.to_frame(replication, release=True),
    )
