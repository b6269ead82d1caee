"""A request's timeline: when it entered, began and left each stage, attempt by attempt.

The request log (:mod:`sim.engine.records`) keeps one row per request with the days summed
per stage; a request's *story* (``mlatsim trace``, :mod:`sim.analysis.trace`) needs the
order: which channel was tried first, where it queued, when it was returned for
clarification, where it was refused. :class:`TimelineLog` keeps that as one row per step of
a request, in typed arrays like the request log (a few dozen bytes a row, no Python object
per step), and becomes ``timeline.parquet``.

The journey (:func:`sim.engine.request.journey`) calls it through ``model.timeline``, which
is None when the scenario switches the timeline off (``simulation.timeline = false``), so a
run without it pays one test of a local variable per stage. Recording takes no draw and
changes no state of the request, so the request rows are the same with it or without it.

Rows come in three kinds, told by ``stage``:

- a stage of ``STAGES``: ``entered_day`` (it joined the stage, or its queue),
  ``start_day`` (a server took it; the same day for a stage without a queue) and
  ``end_day``; the stages of a request whose own clock runs ahead of the simulation (stages
  without a queue) are written when planned, so they may end after the run's horizon;
- ``preservation``: the request for expedited preservation before an attempt, ending on
  ``end_day``; it began where the request's previous row ended (on its creation day for the
  first), since a request is never in two steps at once; ``preservation`` is the path asked,
  ``preserved`` whether it froze the data;
- ``attempt_end``: the attempt's outcome and reason on ``end_day`` (``refused`` and the
  reason for an attempt that the request then took to another channel).

A request still in a queued stage when the run ends gets that stage's row at the horizon
(:meth:`TimelineLog.censor`): ``start_day`` is the horizon if it was still waiting, and
unknown (NaN) if a server had it; the reader takes the wait from the request's row.
"""

from __future__ import annotations

import math
from array import array
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.vocabulary import OUTCOMES, PRESERVATION_PATHS, REASONS, RECORDED_CHANNELS, STAGES

if TYPE_CHECKING:
    from sim.engine.request import Request

TIMELINE_STAGES = (*STAGES, "preservation", "attempt_end")
"""The kinds of a timeline row (the ``stage`` column): the stages, then the two others."""
PRESERVATION_ROW = len(STAGES)
ATTEMPT_END = len(STAGES) + 1
_NONE = -1
"""Code of "not this kind of row" in the ``outcome`` and ``reason`` columns (missing)."""
_SAME_DAY = 1e-9
"""A service start within this of the entry is the entry (a stage without a queue)."""


class TimelineLog:
    """One row per step of every request: its stages, preservation and attempts' ends."""

    _INTS = ("request_id", "attempt", "channel", "returns", "stage", "outcome", "reason")
    _TYPECODES = ("q", "b", "b", "h", "b", "b", "b")
    _FLOATS = ("entered_day", "start_day", "end_day")

    def __init__(self) -> None:
        self._ints = [array(code) for code in self._TYPECODES]
        self._floats = [array("d") for _ in self._FLOATS]
        self._preservation = array("b")
        self._preserved = array("b")
        (
            self._id,
            self._attempt,
            self._channel,
            self._returns,
            self._stage,
            self._outcome,
            self._reason,
        ) = (column.append for column in self._ints)
        self._entered, self._start, self._end = (column.append for column in self._floats)

    def __len__(self) -> int:
        return len(self._floats[0])

    def _step(self, req: Request, stage: int) -> None:
        """Append the identity of a step of ``req`` (its attempt, channel, returns so far)."""
        self._id(req.request_id)
        self._attempt(req.attempts)
        self._channel(req.channel)
        self._returns(req.clarifications)
        self._stage(stage)

    def stage(self, req: Request, stage: int, entered: float, duration: float, end: float) -> None:
        """A stage of ``req``: entered on ``entered``, served for ``duration``, left on ``end``."""
        self._step(req, stage)
        self._outcome(_NONE)
        self._reason(_NONE)
        start = end - duration
        self._entered(entered)
        self._start(entered if start - entered < _SAME_DAY else start)
        self._end(end)
        self._preservation.append(0)
        self._preserved.append(0)

    def preservation(self, req: Request, path: int, end: float) -> None:
        """``req``'s request for preservation by ``path``, answered on ``end``."""
        self._step(req, PRESERVATION_ROW)
        self._outcome(_NONE)
        self._reason(_NONE)
        self._entered(math.nan)  # where the previous row ended (the module docstring)
        self._start(math.nan)
        self._end(end)
        self._preservation.append(path)
        self._preserved.append(int(req.preservation == path and req.preserved))

    def attempt_end(self, req: Request, outcome: int, reason: int, day: float) -> None:
        """The end of ``req``'s current attempt on ``day``: its outcome and reason."""
        self._step(req, ATTEMPT_END)
        self._outcome(outcome)
        self._reason(reason)
        self._entered(day)
        self._start(day)
        self._end(day)
        self._preservation.append(0)
        self._preserved.append(0)

    def censor(self, req: Request, day: float) -> None:
        """The queued stage ``req`` is in when the run ends on ``day`` (none if it is in none).

        Call it before :meth:`Request.censor`, which forgets the stage.
        """
        if req.queue_stage < 0:
            return
        self._step(req, req.queue_stage)
        self._outcome(_NONE)
        self._reason(_NONE)
        self._entered(req.queue_since)
        self._start(day if req.queue_waiting else math.nan)
        self._end(day)
        self._preservation.append(0)
        self._preserved.append(0)

    def to_frame(self, replication: int) -> pd.DataFrame:
        """The rows as a DataFrame, by request id and, within a request, in time order."""
        ids = np.frombuffer(self._ints[0], dtype=np.int64) if len(self) else np.zeros(0, np.int64)
        order = np.argsort(ids, kind="stable")  # a request's rows were appended in time order

        def column(values: array, dtype: type) -> np.ndarray:
            return np.asarray(values, dtype=dtype)[order]

        def categorical(values: array, names: tuple[str, ...]) -> pd.Categorical:
            return pd.Categorical.from_codes(column(values, np.int16), categories=list(names))

        _, attempt, channel, returns, stage, outcome, reason = self._ints
        frame = {
            "replication": np.full(len(self), replication, dtype=np.int32),
            "request_id": ids[order],
            "attempt": column(attempt, np.int8),
            "channel": categorical(channel, RECORDED_CHANNELS),
            "returns": column(returns, np.int16),
            "stage": categorical(stage, TIMELINE_STAGES),
            "entered_day": column(self._floats[0], np.float64),
            "start_day": column(self._floats[1], np.float64),
            "end_day": column(self._floats[2], np.float64),
            "outcome": categorical(outcome, OUTCOMES),
            "reason": categorical(reason, REASONS),
            "preservation": categorical(self._preservation, PRESERVATION_PATHS),
            "preserved": column(self._preserved, bool),
        }
        return pd.DataFrame(frame)
