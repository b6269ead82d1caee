"""Columnar records of what happened to each request, and of each state over time.

Records are kept as typed arrays, one per column, not as one Python object per request, so a
run of millions of requests stays within memory; they become DataFrames once, at the end.
Categorical columns are stored as small integer codes into a fixed vocabulary.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import call
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.vocabulary import (
    DATA_TYPES,
    FULFILLED,
    LOSS_DRIVERS,
    OUTCOMES,
    PRESERVATION_PATHS,
    REASONS,
    RECORDED_CHANNELS,
    STAGES,
)

if TYPE_CHECKING:
    from sim.engine.agents import StateAgent
    from sim.engine.model import CooperationModel

_consume = deque(maxlen=0).extend
"""Run an iterator to its end, keeping nothing."""


class RequestLog:
    """One row per finished (or, at the end, pending) request.

    ``stage_days`` are the days a request spent in each stage, its queue wait included, over
    all its visits (attempts on several channels, returns for clarification); ``wait_days``
    the part of them spent waiting for a server. The stages of one request never overlap, so
    their sum is at most its time to outcome; the rest is time in no stage (asking for
    preservation). A pending request is written at the end of the run and its stages stop
    there: the stage it is in counts the days up to the horizon, stages it has not reached
    count 0 (``Request.censor`` and ``journey`` in sim/engine/request.py), though a request's own
    clock may already have run past the horizon in stages without a queue.

    Args:
        states: ISO3 codes, indexed by the state numbers the model uses.
        crime_types: Crime-type names, indexed likewise.
        providers: Provider names, indexed by their codes (0: a state's domestic provider).
    """

    _INTS = (
        "request_id",
        "case_id",
        "crime_type",
        "requesting",
        "requested",
        "channel",
        "first_channel",
        "data_type",
        "urgent",
        "attempts",
        "clarifications",
        "preserved",
        "preservation",
        "outcome",
        "reason",
        "loss_driver",
        "provider",
    )
    _FLOATS = ("created_day", "outcome_day")
    _WIDTH = len(_INTS)

    def __init__(
        self,
        states: Sequence[str],
        crime_types: Sequence[str],
        providers: Sequence[str] = ("domestic",),
    ) -> None:
        self.states = tuple(states)
        self.crime_types = tuple(crime_types)
        self.providers = tuple(providers)
        self._ints = {name: array("q") for name in self._INTS}
        self._floats = {name: array("d") for name in self._FLOATS}
        self._stage_days = [array("d") for _ in STAGES]
        self._wait_days = [array("d") for _ in STAGES]
        self._append_int = [self._ints[name].append for name in self._INTS]
        self._append_created = self._floats["created_day"].append
        self._append_outcome_day = self._floats["outcome_day"].append
        self._append_stage = [column.append for column in self._stage_days]
        self._append_wait = [column.append for column in self._wait_days]

    def __len__(self) -> int:
        return len(self._ints["request_id"])

    def add(
        self,
        ints: tuple[int, ...],
        created_day: float,
        outcome_day: float,
        stage_days: Sequence[float],
        wait_days: Sequence[float],
    ) -> None:
        """Append one request; ``ints`` follows the order of ``RequestLog._INTS``.

        ``outcome_day`` is when the outcome was known (the horizon for a pending request);
        ``stage_days`` and ``wait_days`` have one value per stage of ``STAGES`` and must not
        count days after ``outcome_day`` (see the class docstring).
        """
        stages = len(STAGES)
        if len(ints) != self._WIDTH or len(stage_days) != stages or len(wait_days) != stages:
            raise ValueError(f"a row has {self._WIDTH} fields and {stages} stage and wait times")
        # map(call, ...) runs the appends in C: the log is written once per request.
        _consume(map(call, self._append_int, ints))
        self._append_created(created_day)
        self._append_outcome_day(outcome_day)
        _consume(map(call, self._append_stage, stage_days))
        _consume(map(call, self._append_wait, wait_days))

    def to_frame(self, replication: int, *, release: bool = False) -> pd.DataFrame:
        """The records as a DataFrame with DESIGN section 4's columns, sorted by request id.

        The frame is built one column at a time in request-id order (one argsort, no sorted
        copy of the whole frame), so the peak is the frame plus one column.

        Args:
            replication: The value of the ``replication`` column.
            release: Empty each of the log's columns once it is copied, so the log and the
                frame are never both whole in memory; the log is then spent (the runner's case).
        """
        request_ids = np.frombuffer(self._ints["request_id"], dtype=np.int64)
        order = np.argsort(request_ids, kind="stable")

        def take(store: dict[str, array] | list[array], key: str | int, dtype: type) -> np.ndarray:
            column = store[key]  # type: ignore[index]
            values = np.frombuffer(column, dtype=np.int64 if column.typecode == "q" else np.float64)
            taken = values[order].astype(dtype, copy=False)
            del values  # a buffer export must end before the array may be replaced
            if release:
                store[key] = array(column.typecode)  # type: ignore[index]
            return taken

        def categorical(key: str, names: Sequence[str]) -> pd.Categorical:
            return pd.Categorical.from_codes(
                take(self._ints, key, np.int16), categories=list(names)
            )

        ids = request_ids[order]
        del request_ids
        columns: dict[str, object] = {
            "replication": np.full(len(ids), replication, dtype=np.int32),
            "request_id": ids,
            "case_id": take(self._ints, "case_id", np.int64),
            "crime_type": categorical("crime_type", self.crime_types),
            "requesting": categorical("requesting", self.states),
            "requested": categorical("requested", self.states),
            "provider": categorical("provider", self.providers),
            "channel": categorical("channel", RECORDED_CHANNELS),
            "first_channel": categorical("first_channel", RECORDED_CHANNELS),
            "data_type": categorical("data_type", DATA_TYPES),
            "urgent": take(self._ints, "urgent", bool),
        }
        created = take(self._floats, "created_day", np.float64)
        to_outcome = take(self._floats, "outcome_day", np.float64)
        to_outcome -= created
        outcome = take(self._ints, "outcome", np.int16)
        columns["created_day"] = created
        columns["outcome"] = pd.Categorical.from_codes(outcome, categories=list(OUTCOMES))
        columns["reason"] = categorical("reason", REASONS)
        columns["time_to_evidence_days"] = np.where(outcome == FULFILLED, to_outcome, np.nan)
        columns["time_to_outcome_days"] = to_outcome
        columns["attempts"] = take(self._ints, "attempts", np.int8)
        columns["clarifications"] = take(self._ints, "clarifications", np.int16)
        columns["preserved"] = take(self._ints, "preserved", bool)
        columns["preservation"] = categorical("preservation", PRESERVATION_PATHS)
        columns["loss_driver"] = categorical("loss_driver", LOSS_DRIVERS)
        for i, stage in enumerate(STAGES):
            columns[f"{stage}_days"] = take(self._stage_days, i, np.float64)
        for i, stage in enumerate(STAGES):
            columns[f"{stage}_wait_days"] = take(self._wait_days, i, np.float64)
        if release:
            self._ints["request_id"] = array("q")
        return pd.DataFrame(columns, copy=False)


class UnpursuedLog:
    """One row per evidence need that its investigators did not turn into a request.

    Such a need leaves no request row, yet it is evidence a case did not get: the share of
    needs met (``sim.analysis.needs``) counts it, and the row says which channel it would
    have gone to (the fastest open one, ``none`` if no channel was open), so that unpursued
    needs can be counted per requesting state and channel. A row is a few bytes (typed
    arrays), so the roughly half a million such needs of a full-world year are cheap.

    Args:
        states: ISO3 codes, indexed by the state numbers the model uses.
        crime_types: Crime-type names, indexed likewise.
    """

    _INTS = ("case_id", "crime_type", "requesting", "requested", "channel", "data_type", "urgent")
    _TYPECODES = ("q", "b", "h", "h", "b", "b", "b")

    def __init__(self, states: Sequence[str], crime_types: Sequence[str]) -> None:
        self.states = tuple(states)
        self.crime_types = tuple(crime_types)
        self._ints = [array(code) for code in self._TYPECODES]
        self._created = array("d")
        self._appends = [column.append for column in self._ints]

    def __len__(self) -> int:
        return len(self._created)

    def add(self, ints: tuple[int, ...], created_day: float) -> None:
        """Append one need; ``ints`` follows the order of ``UnpursuedLog._INTS``."""
        if len(ints) != len(self._INTS):
            raise ValueError(f"a row has {len(self._INTS)} fields")
        _consume(map(call, self._appends, ints))
        self._created.append(created_day)

    def to_frame(self, replication: int) -> pd.DataFrame:
        """The needs as a DataFrame, in the order they arose (case, then holder)."""
        values = dict(zip(self._INTS, self._ints, strict=True))
        names = {
            "crime_type": self.crime_types,
            "requesting": self.states,
            "requested": self.states,
            "channel": RECORDED_CHANNELS,
            "data_type": DATA_TYPES,
        }
        frame: dict[str, object] = {
            "replication": np.full(len(self), replication, dtype=np.int32),
            "case_id": np.array(values["case_id"], dtype=np.int64),
        }
        for name in ("crime_type", "requesting", "requested", "channel", "data_type"):
            codes = np.array(values[name], dtype=np.int16)
            frame[name] = pd.Categorical.from_codes(codes, categories=list(names[name]))
        frame["urgent"] = np.array(values["urgent"], dtype=bool)
        frame["created_day"] = np.array(self._created, dtype=np.float64)
        return pd.DataFrame(frame)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the time series: its name, its type and how a state is observed for it.

    ``observe(model, agent, day)`` gives the value of the column for one state on the day of
    an observation. A column is recorded in every run, whether or not what it shows is
    switched on (a behaviour that is off is observed at its neutral value).
    """

    name: str
    dtype: type[np.int64] | type[np.float64] | type[np.bool_]
    observe: Callable[[CooperationModel, StateAgent, float], float]
    meaning: str


def _backlog(model: CooperationModel, agent: StateAgent, day: float) -> int:
    return agent.backlog


def _staff(model: CooperationModel, agent: StateAgent, day: float) -> int:
    return agent.central_authority.capacity


def _open_requests(model: CooperationModel, agent: StateAgent, day: float) -> int:
    return agent.open_requests


def _unpursued(model: CooperationModel, agent: StateAgent, day: float) -> int:
    return agent.unpursued


STATE_COLUMNS = (
    Column("backlog", np.int64, _backlog, "requests waiting for or under review at its CA"),
    Column("staff", np.int64, _staff, "its central authority's current staff"),
    Column("open_requests", np.int64, _open_requests, "requests to it still in progress"),
    Column(
        "unpursued",
        np.int64,
        _unpursued,
        "its evidence needs not pursued (best channel formal MLA; cumulative)",
    ),
)
"""The columns every state has, whatever behaviours are on (behaviours add theirs after)."""

_TYPECODE = {np.int64: "q", np.float64: "d", np.bool_: "b"}


class TimeseriesLog:
    """Each state's backlog, staff and the other registered columns, sampled at an interval.

    One row per observation of one state: ``replication, day, state`` and then one value per
    :class:`Column` of ``columns``, in their order (the model's registry of columns is
    ``sim.engine.adaptation.TIMESERIES_COLUMNS``: :data:`STATE_COLUMNS`, then the columns of
    each adaptive behaviour).

    Args:
        states: ISO3 codes, indexed by the state numbers the model uses.
        columns: The columns after ``day`` and ``state``.
    """

    def __init__(self, states: Sequence[str], columns: Sequence[Column]) -> None:
        self.states = tuple(states)
        self.columns = tuple(columns)
        names = [column.name for column in self.columns]
        if len(set(names)) != len(names) or {"replication", "day", "state"} & set(names):
            raise ValueError(f"time-series column names must be new and distinct: {names}")
        self._day = array("d")
        self._state = array("q")
        self._values = [array(_TYPECODE[column.dtype]) for column in self.columns]
        self._appends = [values.append for values in self._values]

    def __len__(self) -> int:
        return len(self._day)

    def add(self, day: float, state: int, values: Sequence[float]) -> None:
        """Append one observation of one state; ``values`` follow the order of the columns.

        Raises:
            ValueError: if there is not one value per column (nothing is appended then).
        """
        if len(values) != len(self._appends):
            raise ValueError(f"{len(values)} values for {len(self._appends)} columns")
        for append, value in zip(self._appends, values, strict=True):
            append(value)
        self._day.append(day)
        self._state.append(state)

    def to_frame(self, replication: int) -> pd.DataFrame:
        """The observations as a DataFrame (``replication, day, state``, then the columns)."""
        day = np.frombuffer(self._day, dtype=np.float64).copy()
        frame: dict[str, object] = {
            "replication": np.full(len(day), replication, dtype=np.int32),
            "day": day,
            "state": pd.Categorical.from_codes(
                np.array(self._state, dtype=np.int16), categories=list(self.states)
            ),
        }
        for column, values in zip(self.columns, self._values, strict=True):
            frame[column.name] = np.array(values, dtype=column.dtype)
        return pd.DataFrame(frame)
