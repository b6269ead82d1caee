"""A run's records as analysis reads them: plain records that hold DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.config.schema import Scenario


@dataclass(frozen=True)
class RunResult:
    """The records of every replication of a run.

    ``unpursued`` holds one row per evidence need that was not turned into a request
    (``sim.engine.records.UnpursuedLog``); empty for records made without it. ``timeline``
    holds each request's steps in order (``sim.engine.timeline``, read by
    :mod:`sim.analysis.trace`); empty when the scenario keeps none.
    """

    requests: pd.DataFrame
    timeseries: pd.DataFrame
    seconds: float
    replication_seconds: tuple[float, ...]
    unpursued: pd.DataFrame = field(default_factory=pd.DataFrame)
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class ScenarioRun:
    """One compared scenario: its resolved settings, records and where they are stored.

    Attributes:
        scenario: The scenario with the comparison's seed and replications.
        result: Its requests and time series.
        directory: Its result directory.
        reused: Whether the records were read from ``directory`` rather than simulated.
        note: Why the run is not in the scenario's usual directory, or empty.
    """

    scenario: Scenario
    result: RunResult
    directory: Path
    reused: bool
    note: str = ""

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name
