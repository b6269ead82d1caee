"""Columnar records of what happened to each request, and of each state over time.

Records are kept as typed arrays, one per column, not as one Python object per request, so a
run of millions of requests stays within memory; they become DataFrames once, at the end.
Categorical columns are stored as small integer codes into a fixed vocabulary.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

CHUNK_ROWS = 1 << 15
"""Rows of the request log per chunk (some 9 MB): what ``to_frame`` releases at a time."""


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
    _FLOAT_WIDTH = len(_FLOATS) + 2 * len(STAGES)
    """A row's floats: created and outcome day, then its stage days, then its wait days."""

    def __init__(
        self,
        states: Sequence[str],
        crime_types: Sequence[str],
        providers: Sequence[str] = ("domestic",),
    ) -> None:
        self.states = tuple(states)
        self.crime_types = tuple(crime_types)
        self.providers = tuple(providers)
        self._chunks: list[tuple[array, array]] = []
        self._start_chunk()

    def _start_chunk(self) -> None:
        """Begin a new chunk of rows: one array of their integers, one of their floats.

        A row is written with a few C-level extends into two arrays instead of one append per
        column (the log is written once per request, a million times a run); chunks of
        :data:`CHUNK_ROWS` rows let ``to_frame`` release the log as it builds the frame.
        """
        ints, floats = array("q"), array("d")
        self._chunks.append((ints, floats))
        self._extend_ints, self._extend_floats = ints.extend, floats.extend
        self._append_float = floats.append
        self._room = CHUNK_ROWS

    def __len__(self) -> int:
        return sum(len(ints) for ints, _ in self._chunks) // self._WIDTH

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
        self._extend_ints(ints)
        append = self._append_float
        append(created_day)
        append(outcome_day)
        self._extend_floats(stage_days)
        self._extend_floats(wait_days)
        self._room -= 1
        if not self._room:
            self._start_chunk()

    def _columns(self, release: bool) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The log's integer and float columns, each whole, in the order rows were added.

        With ``release`` each chunk is emptied once its columns are copied out, so the log and
        its columns are never both whole in memory.
        """
        int_pieces: list[list[np.ndarray]] = [[] for _ in range(self._WIDTH)]
        float_pieces: list[list[np.ndarray]] = [[] for _ in range(self._FLOAT_WIDTH)]
        for ints, floats in self._chunks:
            for chunk, dtype, pieces in (
                (ints, np.int64, int_pieces),
                (floats, np.float64, float_pieces),
            ):
                rows = np.frombuffer(chunk, dtype=dtype).reshape(-1, len(pieces))
                for index, piece in enumerate(pieces):
                    piece.append(rows[:, index].copy())
                del rows  # a buffer export must end before the array may be emptied
                if release:
                    del chunk[:]
        if release:
            self._chunks = []
            self._start_chunk()

        def joined(pieces: list[list[np.ndarray]], dtype: type) -> list[np.ndarray]:
            return [
                np.concatenate(piece) if piece else np.empty(0, dtype=dtype) for piece in pieces
            ]

        return joined(int_pieces, np.int64), joined(float_pieces, np.float64)

    def to_frame(self, replication: int, *, release: bool = False) -> pd.DataFrame:
        """The records as a DataFrame with DESIGN section 4's columns, sorted by request id.

        The frame is built one column at a time in request-id order (one argsort, no sorted
        copy of the whole frame), so the peak is the frame plus the log's columns not yet
        taken.

        Args:
            replication: The value of the ``replication`` column.
            release: Empty the log's chunks as their columns are copied out, so the log and
                the frame are never both whole in memory; the log is then spent (the
                runner's case).
        """
        ints, floats = self._columns(release)
        int_at = {name: n for n, name in enumerate(self._INTS)}
        request_ids = ints[int_at["request_id"]]
        order = np.argsort(request_ids, kind="stable")

        def take(store: list[np.ndarray], index: int, dtype: type) -> np.ndarray:
            taken = store[index][order].astype(dtype, copy=False)
            store[index] = np.empty(0)  # each column is taken once: free it now
            return taken

        def integer(key: str, dtype: type) -> np.ndarray:
            return take(ints, int_at[key], dtype)

        def categorical(key: str, names: Sequence[str]) -> pd.Categorical:
            return pd.Categorical.from_codes(integer(key, np.int16), categories=list(names))

        ids = integer("request_id", np.int64)
        del request_ids
        columns: dict[str, object] = {
            "replication": np.full(len(ids), replication, dtype=np.int32),
            "request_id": ids,
            "case_id": integer("case_id", np.int64),
            "crime_type": categorical("crime_type", self.crime_types),
            "requesting": categorical("requesting", self.states),
            "requested": categorical("requested", self.states),
            "provider": categorical("provider", self.providers),
            "channel": categorical("channel", RECORDED_CHANNELS),
            "first_channel": categorical("first_channel", RECORDED_CHANNELS),
            "data_type": categorical("data_type", DATA_TYPES),
            "urgent": integer("urgent", bool),
        }
        created = take(floats, 0, np.float64)
        to_outcome = take(floats, 1, np.float64)
        to_outcome -= created
        outcome = integer("outcome", np.int16)
        columns["created_day"] = created
        columns["outcome"] = pd.Categorical.from_codes(outcome, categories=list(OUTCOMES))
        columns["reason"] = categorical("reason", REASONS)
        columns["time_to_evidence_days"] = np.where(outcome == FULFILLED, to_outcome, np.nan)
        columns["time_to_outcome_days"] = to_outcome
        columns["attempts"] = integer("attempts", np.int8)
        columns["clarifications"] = integer("clarifications", np.int16)
        columns["preserved"] = integer("preserved", bool)
        columns["preservation"] = categorical("preservation", PRESERVATION_PATHS)
        columns["loss_driver"] = categorical("loss_driver", LOSS_DRIVERS)
        first_stage, first_wait = len(self._FLOATS), len(self._FLOATS) + len(STAGES)
        for i, stage in enumerate(STAGES):
            columns[f"{stage}_days"] = take(floats, first_stage + i, np.float64)
        for i, stage in enumerate(STAGES):
            columns[f"{stage}_wait_days"] = take(floats, first_wait + i, np.float64)
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

    _CODES = ("crime_type", "requesting", "requested", "channel", "data_type", "urgent")
    """A need's small codes, kept together as 16-bit integers (states number fewer than 512)."""

    def __init__(self, states: Sequence[str], crime_types: Sequence[str]) -> None:
        self.states = tuple(states)
        self.crime_types = tuple(crime_types)
        self._case_ids = array("q")
        self._codes = array("h")
        self._created = array("d")

    def __len__(self) -> int:
        return len(self._created)

    def add(self, case_id: int, codes: tuple[int, ...], created_day: float) -> None:
        """Append one need; ``codes`` follows the order of ``UnpursuedLog._CODES``."""
        if len(codes) != len(self._CODES):
            raise ValueError(f"a need has {len(self._CODES)} codes")
        self._case_ids.append(case_id)
        self._codes.extend(codes)
        self._created.append(created_day)

    def to_frame(self, replication: int) -> pd.DataFrame:
        """The needs as a DataFrame, in the order they arose (case, then holder)."""
        rows = np.frombuffer(self._codes, dtype=np.int16).reshape(-1, len(self._CODES))
        values = {name: rows[:, n] for n, name in enumerate(self._CODES)}
        names = {
            "crime_type": self.crime_types,
            "requesting": self.states,
            "requested": self.states,
            "channel": RECORDED_CHANNELS,
            "data_type": DATA_TYPES,
        }
        frame: dict[str, object] = {
            "replication": np.full(len(self), replication, dtype=np.int32),
            "case_id": np.array(self._case_ids, dtype=np.int64),
        }
        for name in ("crime_type", "requesting", "requested", "channel", "data_type"):
            codes = np.array(values[name], dtype=np.int16)  # a copy: the log may grow on
            frame[name] = pd.Categorical.from_codes(codes, categories=list(names[name]))
        frame["urgent"] = np.array(values["urgent"], dtype=bool)
        frame["created_day"] = np.array(self._created, dtype=np.float64)
        del rows, values  # the buffer export ends here, so rows may be added after
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
