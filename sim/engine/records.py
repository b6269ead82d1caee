"""Columnar records of what happened to each request, and of each state over time.

Records are kept as typed arrays, one per column, not as one Python object per request, so a
run of millions of requests stays within memory; they become DataFrames once, at the end.
Categorical columns are stored as small integer codes into a fixed vocabulary.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.vocabulary import (
    DATA_TYPES,
    FULFILLED,
    NEUTRAL_TRUST,
    OUTCOMES,
    REASONS,
    RECORDED_CHANNELS,
    STAGES,
)


class RequestLog:
    """One row per finished (or, at the end, pending) request.

    ``stage_days`` are the days a request spent in each stage, its queue wait included, over
    all its visits (attempts on several channels, returns for clarification); ``wait_days``
    the part of them spent waiting for a server. The stages of one request never overlap, so
    their sum is at most its time to outcome; the rest is time in no stage (asking for
    preservation). A pending request is written at the end of the run and its stages stop
    there: the stage it is in counts the days up to the horizon, stages it has not reached
    count 0 (``Request.censor`` and ``journey`` in sim/request.py), though a request's own
    clock may already have run past the horizon in stages without a queue.

    Args:
        states: ISO3 codes, indexed by the state numbers the model uses.
        crime_types: Crime-type names, indexed likewise.
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
        "outcome",
        "reason",
    )
    _FLOATS = ("created_day", "outcome_day")

    def __init__(self, states: Sequence[str], crime_types: Sequence[str]) -> None:
        self.states = tuple(states)
        self.crime_types = tuple(crime_types)
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
        for append, value in zip(self._append_int, ints, strict=True):
            append(value)
        self._append_created(created_day)
        self._append_outcome_day(outcome_day)
        for append, value in zip(self._append_stage, stage_days, strict=True):
            append(value)
        for append, value in zip(self._append_wait, wait_days, strict=True):
            append(value)

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
        for i, stage in enumerate(STAGES):
            columns[f"{stage}_days"] = take(self._stage_days, i, np.float64)
        for i, stage in enumerate(STAGES):
            columns[f"{stage}_wait_days"] = take(self._wait_days, i, np.float64)
        if release:
            self._ints["request_id"] = array("q")
        return pd.DataFrame(columns, copy=False)


class TimeseriesLog:
    """Each state's backlog, staff and open requests, sampled at a fixed interval.

    ``unpursued`` counts (cumulatively) the evidence needs of the state's investigators that
    only a formal MLA channel could serve and that they did not pursue; ``trust`` is the mean
    trust other states place in its requests (0.5 when trust is off); ``budapest_party`` its
    membership of the Budapest Convention (which treaty uptake may change).
    """

    def __init__(self, states: Sequence[str]) -> None:
        self.states = tuple(states)
        self._day = array("d")
        self._state = array("q")
        self._backlog = array("q")
        self._staff = array("q")
        self._open = array("q")
        self._unpursued = array("q")
        self._trust = array("d")
        self._budapest = array("b")

    def add(
        self,
        day: float,
        state: int,
        backlog: int,
        staff: int,
        open_requests: int,
        unpursued: int = 0,
        trust: float = NEUTRAL_TRUST,
        budapest: int = 0,
    ) -> None:
        """Append one observation of one state."""
        self._trust.append(trust)
        self._budapest.append(budapest)
        self._day.append(day)
        self._state.append(state)
        self._backlog.append(backlog)
        self._staff.append(staff)
        self._open.append(open_requests)
        self._unpursued.append(unpursued)

    def to_frame(self, replication: int) -> pd.DataFrame:
        """The observations as a DataFrame (``replication, day, state, backlog, ...``)."""
        day = np.frombuffer(self._day, dtype=np.float64).copy()
        return pd.DataFrame(
            {
                "replication": np.full(len(day), replication, dtype=np.int32),
                "day": day,
                "state": pd.Categorical.from_codes(
                    np.array(self._state, dtype=np.int16),
                    categories=list(self.states),
                ),
                "backlog": np.array(self._backlog, dtype=np.int64),
                "staff": np.array(self._staff, dtype=np.int64),
                "open_requests": np.array(self._open, dtype=np.int64),
                "unpursued": np.array(self._unpursued, dtype=np.int64),
                "trust": np.frombuffer(self._trust, dtype=np.float64).copy(),
                "budapest_party": np.array(self._budapest, dtype=bool),
            }
        )
