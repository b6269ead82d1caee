"""The first draws of every case, computed for a block of a state's cases at once.

Every case takes the same few keyed draws when it opens (:meth:`CooperationModel._open_case
<sim.engine.model.CooperationModel._open_case>`): the key of its first need, its crime and
urgency, the first uniform of its number of extra holders, its first choice of holder, and
its first need's data type, pursuit and age of the data. Keyed draws are functions of the
state's key and the case's number alone (:mod:`sim.engine.streams`), so they need not be
taken case by case: :class:`CaseDraws` computes them with numpy for the next :data:`BLOCK`
cases of a state at once, and hands them out in case order. They are exactly the numbers
the scalar functions give (``tests/test_common_random_numbers.py``): in pure Python each
keyed draw costs a dozen big-integer operations, and these would be half of a direct
request's draws.
"""

from __future__ import annotations

import math
from array import array

import numpy as np

from sim.engine.streams import CHILDREN, STEP, wymix_array

BLOCK = 1024
"""Cases whose first draws are computed at once (numpy's cost per call is then small)."""
_MOD = 1 << 64
_HALF, _UNIT, _WHOLE = 2.0**-32, 2.0**-53, 2.0**-64

CaseRow = tuple[int, float, float, float, float, float, float, float]
"""A case's first draws: its first need's key, then the uniforms of its crime, urgency,
extra holders and holder choice, its first need's data type and pursuit, and that need's
standard exponential age of the data."""


class CaseDraws:
    """The first draws of one state's cases, a block of cases at a time.

    A block is kept as typed arrays (8 bytes a value), as :class:`~sim.engine.streams.Stream`
    keeps its draws: a full-world run has a block for each of some 200 states.

    Args:
        state_key: The state's key; case ``c``'s first need is its child ``per_case * c``.
        per_case: Child keys per case.
        case_at: Offset of the crime and urgency (the two halves of one draw).
        extra_at: Offset of the first uniform of the number of extra holders.
        holder_at: Offset of the first choice of holder (a 53-bit uniform).
        data_at: Offset of the data type and pursuit (halves).
        age_at: Offset of the age of the data (a standard exponential).
    """

    __slots__ = ("_columns", "_first", "_keys", "_offsets", "_start", "_stride")

    def __init__(
        self,
        state_key: int,
        per_case: int,
        case_at: int,
        extra_at: int,
        holder_at: int,
        data_at: int,
        age_at: int,
    ) -> None:
        self._first = (state_key + CHILDREN * STEP) % _MOD
        self._stride = per_case * STEP % _MOD
        offsets = (case_at, extra_at, holder_at, data_at, age_at)
        self._offsets = tuple(np.uint64(offset % _MOD) for offset in offsets)
        self._keys = array("Q")
        self._columns: tuple[array, ...] = ()
        self._start = 0

    def case(self, number: int) -> CaseRow:
        """The first draws of the state's case ``number`` (0, 1, ...)."""
        index = number - self._start
        if not 0 <= index < len(self._keys):
            self._fill(number)
            index = 0
        crime, urgent, extra, holder, data, pursue, age = self._columns
        return (
            self._keys[index],
            crime[index],
            urgent[index],
            extra[index],
            holder[index],
            data[index],
            pursue[index],
            age[index],
        )

    def _fill(self, number: int) -> None:
        """Compute the draws of cases ``number`` to ``number + BLOCK - 1``."""
        numbers = np.arange(number, number + BLOCK, dtype=np.uint64)
        keys = wymix_array(numbers * np.uint64(self._stride) + np.uint64(self._first))
        case, extra, holder, data, age = (wymix_array(keys + at) for at in self._offsets)
        ages = _exact_log(((age | 1).astype(np.float64) * _WHOLE).tolist())
        columns = (
            (case >> 32) * _HALF,
            (case & 0xFFFFFFFF) * _HALF,
            (extra >> 11) * _UNIT,
            (holder >> 11) * _UNIT,
            (data >> 32) * _HALF,
            (data & 0xFFFFFFFF) * _HALF,
        )
        self._keys = array("Q", keys.tobytes())
        self._columns = (*(array("d", column.tobytes()) for column in columns), ages)
        self._start = number


def _exact_log(values: list[float]) -> array:
    """``-log`` of each value with :func:`math.log`, as the scalar draws take it.

    numpy's vectorised log may differ from the C library's in the last bit, and a case's age
    must be the very number :func:`sim.engine.streams.exponential_at` gives.
    """
    log = math.log
    return array("d", [-log(value) for value in values])
