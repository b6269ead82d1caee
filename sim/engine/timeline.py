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

Rows come in two kinds, told by ``stage``:

- a stage of ``STAGES``: ``entered_day`` (it joined the stage, or its queue),
  ``start_day`` (a server took it; the same day for a stage without a queue) and
  ``end_day``; the stages of a request whose own clock runs ahead of the simulation (stages
  without a queue) are written when planned, so they may end after the run's horizon. The
  last stage of an attempt carries the attempt's ``outcome`` and ``reason`` (``refused`` and
  the reason for an attempt that the request then took to another channel); the others
  leave them missing;
- ``preservation``: the request for expedited preservation before an attempt, ending on
  ``end_day``; it began where the request's previous row ended (on its creation day for the
  first), since a request is never in two steps at once; ``preservation`` is the path asked,
  ``preserved`` whether it froze the data.

(Should an attempt's end ever come after another request's row, it is a row of its own,
``attempt_end``, on the day it ended: see :meth:`TimelineLog.attempt_end`.)

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
"""The kinds of a timeline row (the ``stage`` column): the stages, then the other two."""
PRESERVATION_ROW = len(STAGES)
ATTEMPT_END = len(STAGES) + 1
_NONE = -1
"""Code of "not this kind of row" in the ``outcome`` and ``reason`` columns (missing)."""
_SAME_DAY = 1e-9
"""A service start within this of the entry is the entry (a stage without a queue)."""


class TimelineLog:
    """One row per step of every request: its stages and its requests for preservation.

    A stage appends eight values; the few rows that carry more (an attempt's end, a request
    for preservation) note their row number and the rest in small arrays of their own, which
    :meth:`to_frame` spreads into whole columns.
    """

    _INTS = ("request_id", "attempt", "channel", "returns", "stage")
    _TYPECODES = ("i", "b", "b", "h", "b")
    _FLOATS = ("entered_day", "start_day", "end_day")

    def __init__(self) -> None:
        self._ints = [array(code) for code in self._TYPECODES]
        self._floats = [array("d") for _ in self._FLOATS]
        self._ends = [array("i"), array("b"), array("b")]  # row, outcome, reason
        self._kept = [array("i"), array("b"), array("b")]  # row, path, preserved
        self._id, self._attempt, self._channel, self._returns, self._stage = (
            column.append for column in self._ints
        )
        self._entered, self._start, self._end = (column.append for column in self._floats)
        self._end_row, self._end_outcome, self._end_reason = (c.append for c in self._ends)

    def __len__(self) -> int:
        return len(self._floats[0])

    def stage(self, req: Request, stage: int, entered: float, duration: float, end: float) -> None:
        """A stage of ``req``: entered on ``entered``, served for ``duration``, left on ``end``."""
        self._id(req.request_id)
        self._attempt(req.attempts)
        self._channel(req.channel)
        self._returns(req.clarifications)
        self._stage(stage)
        start = end - duration
        self._entered(entered)
        self._start(entered if start - entered < _SAME_DAY else start)
        self._end(end)

    def preservation(self, req: Request, path: int, end: float) -> None:
        """``req``'s request for preservation by ``path``, answered on ``end``."""
        self._row(req, PRESERVATION_ROW, math.nan, math.nan, end)  # begun: the previous end
        preserved = int(req.preservation == path and req.preserved)
        for column, value in zip(self._kept, (len(self) - 1, path, preserved), strict=True):
            column.append(value)

    def attempt_end(self, req: Request, outcome: int, reason: int, day: float) -> None:
        """The end of ``req``'s current attempt on ``day``: its outcome and reason.

        Noted on the attempt's last stage row when that is the log's last row (the journey
        calls this before it next yields, so no other request has written since); otherwise,
        on a row of its own (``attempt_end``).
        """
        ids, attempts = self._ints[0], self._ints[1]
        if not ids or ids[-1] != req.request_id or attempts[-1] != req.attempts:
            self._row(req, ATTEMPT_END, day, day, day)
        self._end_row(len(ids) - 1)
        self._end_outcome(outcome)
        self._end_reason(reason)

    def censor(self, req: Request, day: float) -> None:
        """The queued stage ``req`` is in when the run ends on ``day`` (none if it is in none).

        Call it before :meth:`Request.censor`, which forgets the stage.
        """
        if req.queue_stage >= 0:
            start = day if req.queue_waiting else math.nan
            self._row(req, req.queue_stage, req.queue_since, start, day)

    def _row(self, req: Request, stage: int, entered: float, start: float, end: float) -> None:
        """Append a row of ``req`` with the times given (the steps other than stages)."""
        values = (req.request_id, req.attempts, req.channel, req.clarifications, stage)
        for column, value in zip(self._ints, values, strict=True):
            column.append(value)
        for column, value in zip(self._floats, (entered, start, end), strict=True):
            column.append(value)

    def _spread(self, notes: list[array], index: int, missing: int) -> np.ndarray:
        """Column ``index`` of ``notes`` as a whole column by row (``missing`` elsewhere)."""
        whole = np.full(len(self), missing, dtype=np.int16)
        whole[np.asarray(notes[0], dtype=np.int64)] = np.asarray(notes[index], dtype=np.int16)
        return whole

    def to_frame(self, replication: int, *, release: bool = False) -> pd.DataFrame:
        """The rows as a DataFrame, by request id and, within a request, in time order.

        Each column is copied once, in request order; with ``release`` each of the log's
        columns is emptied once copied, so the log and the frame are never both whole.
        """
        count = len(self)
        ids = np.frombuffer(self._ints[0], dtype=np.int32) if count else np.zeros(0, np.int32)
        order = np.argsort(ids, kind="stable")  # a request's rows were appended in time order
        del ids
        spread = {
            "outcome": self._spread(self._ends, 1, _NONE)[order],
            "reason": self._spread(self._ends, 2, _NONE)[order],
            "preservation": self._spread(self._kept, 1, 0)[order],
            "preserved": self._spread(self._kept, 2, 0)[order].astype(bool),
        }

        def take(columns: list[array], index: int, dtype: type) -> np.ndarray:
            values = columns[index]
            taken = (
                np.frombuffer(values, dtype=np.dtype(values.typecode))[order].astype(dtype)
                if count
                else np.zeros(0, dtype)
            )
            if release:
                columns[index] = array(values.typecode)
            return taken

        def categorical(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical:
            return pd.Categorical.from_codes(codes, categories=list(names))

        ints, floats = self._ints, self._floats
        frame = {
            "replication": np.full(count, replication, dtype=np.int32),
            "request_id": take(ints, 0, np.int64),
            "attempt": take(ints, 1, np.int8),
            "channel": categorical(take(ints, 2, np.int16), RECORDED_CHANNELS),
            "returns": take(ints, 3, np.int16),
            "stage": categorical(take(ints, 4, np.int16), TIMELINE_STAGES),
            "entered_day": take(floats, 0, np.float64),
            "start_day": take(floats, 1, np.float64),
            "end_day": take(floats, 2, np.float64),
            "outcome": categorical(spread["outcome"], OUTCOMES),
            "reason": categorical(spread["reason"], REASONS),
            "preservation": categorical(spread["preservation"], PRESERVATION_PATHS),
            "preserved": spread["preserved"],
        }
        return pd.DataFrame(frame, copy=False)
