"""Seeded random numbers: sequential streams per process, keyed draws per request.

Two kinds of source, both seeded from the run's seed, the replication and a registered name
(:data:`sim.vocabulary.STREAM_NAMES`), never from the order in which they are created, so
adding a process does not shift the numbers any other process draws.

*Streams* (:class:`Stream`) hand out numbers in sequence. They serve the processes whose
order of draws no policy can change: the case arrivals of one state, the ``join`` levers at
construction, the treaty-uptake reviews. Draws are buffered in blocks: one numpy call fills a
block that is then handed out as Python floats, which is several times faster than a numpy
call per draw and gives the same sequence whatever the block size consumers see. A block is
a typed ``array`` (8 bytes a draw) rather than a list of float objects (32).

*Keyed draws* serve everything that belongs to one case or one request (its crime, holders,
data, every stage time and every decision). A draw is addressed, not taken in turn: it is a
pure function of a 64-bit *key* and a *position*, so it never depends on which other
requests drew before it, in what order events happened, or which other draws the same
request took. This is what makes common random numbers hold request by request across
scenarios (docs/model.md, section 4.9). The generator is wyrand (Wang Yi's generator from
wyhash, in the form of Lemire's testingRNG and Go's runtime, which passes BigCrush and
PractRand) read at random access: the draw at position ``n`` of key ``k`` is
``wymix(k + n * STEP mod 2**64)``, the value wyrand seeded with ``k`` gives at step ``n``,
where ``wymix(s)`` folds the 128-bit product ``s * (s ^ XOR)`` to 64 bits (high half xor low
half). It needs one multiplication where SplitMix64 needs two, which matters in pure Python:
a request takes a dozen draws. Keys form a tree: the root key of a name comes from the run's
seed, the replication and the name, and the key of child ``i`` of ``k`` is the generator's
output at position ``CHILDREN + i`` (positions below ``CHILDREN`` are the key's draws, so a
child's key is never one of its parent's draws). Callers hold a position as the integer
``k + n * STEP`` (it may exceed 64 bits; it is reduced when drawn), so moving to another
purpose is one addition. An output gives one 53-bit uniform, or a pair of 32-bit ones (two
decisions, or the two uniforms of a normal variate by Box-Muller).
"""

from __future__ import annotations

import math
import zlib
from array import array
from bisect import bisect_right as _bisect_right

import numpy as np

from sim.vocabulary import check_stream_name

_BLOCK = 4096

DERIVATION = (
    "streams: numpy SeedSequence(entropy=seed, spawn_key=(replication, crc32(name))) -> PCG64; "
    "keyed draws: wyrand at positions of keys derived from (replication, requesting state, "
    "case number, holder index) and the draw's purpose (docs/model.md 4.9)"
)
"""How the random numbers are derived: recorded in a run's manifest and part of its key, so
that a run stored under another derivation is never reused as if it had the same rows."""

STEP = 0xA0761D6478BD642F
"""Distance between consecutive positions of a keyed source (wyrand's increment)."""
XOR = 0xE7037ED1A0B428DB
"""wyrand's second constant: ``wymix(s)`` multiplies ``s`` by ``s ^ XOR``."""
CHILDREN = 1 << 62
"""Position of a key's first child key; its draws use the positions below."""
_MASK = (1 << 64) - 1
_UNIT = 2.0**-53
_HALF = 2.0**-32
_WHOLE = 2.0**-64
_LOW = 0xFFFFFFFF
_TAU = 2.0 * math.pi
_FIRST_CHILD = CHILDREN * STEP
_log = math.log


def stream_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of the stream ``name`` in replication ``replication`` of a run.

    The name is hashed with CRC-32, which is stable across Python processes (unlike ``hash``).
    """
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication, zlib.crc32(name.encode())))


class Stream:
    """A buffered sequence of uniform and standard exponential variates."""

    __slots__ = ("_e", "_ei", "_rng", "_u", "_ui")

    def __init__(self, seed_sequence: np.random.SeedSequence) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed_sequence))
        self._u = array("d")
        self._ui = 0
        self._e = array("d")
        self._ei = 0

    def uniform(self) -> float:
        """A uniform variate on [0, 1)."""
        i = self._ui
        if i >= len(self._u):
            self._u = array("d", self._rng.random(_BLOCK).tobytes())
            i = 0
        self._ui = i + 1
        return self._u[i]

    def exponential(self) -> float:
        """A standard exponential variate (mean 1)."""
        i = self._ei
        if i >= len(self._e):
            self._e = array("d", self._rng.standard_exponential(_BLOCK).tobytes())
            i = 0
        self._ei = i + 1
        return self._e[i]


class RandomStreams:
    """The streams of one replication, created on first use and looked up by name.

    Args:
        seed: The run's seed.
        replication: The replication number (0-based).
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._streams: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        stream = self._streams.get(name)
        if stream is None:
            check_stream_name(name)  # a typo would otherwise be a new, silent stream
            stream = Stream(stream_seed(self.seed, self.replication, name))
            self._streams[name] = stream
        return stream

    def root(self, name: str) -> int:
        """The root key of the keyed draws named ``name`` (a 64-bit integer)."""
        check_stream_name(name)
        state = stream_seed(self.seed, self.replication, name).generate_state(1, np.uint64)
        return int(state[0])


# -- keyed draws --------------------------------------------------------------------------


def wymix(at: int) -> int:
    """The 64-bit output at position ``at``: ``s * (s ^ XOR)`` folded, ``s = at mod 2**64``."""
    s = at & _MASK
    r = s * (s ^ XOR)
    return ((r >> 64) ^ r) & _MASK


def wymix_array(at: np.ndarray) -> np.ndarray:
    """:func:`wymix` of every position of a ``uint64`` array (positions taken mod 2**64).

    numpy has no 128-bit product, so it is assembled from four 32-bit ones; the result is
    exactly :func:`wymix`'s (``tests/test_streams.py``).
    """
    s = at.astype(np.uint64, copy=False)
    t = s ^ np.uint64(XOR)
    s_hi, s_lo, t_hi, t_lo = s >> 32, s & _LOW, t >> 32, t & _LOW
    low_low, low_high, high_low = s_lo * t_lo, s_lo * t_hi, s_hi * t_lo
    middle = (low_low >> 32) + (low_high & _LOW) + (high_low & _LOW)
    low = (low_low & _LOW) | (middle << 32)
    high = s_hi * t_hi + (low_high >> 32) + (high_low >> 32) + (middle >> 32)
    return high ^ low


def child(key: int, index: int) -> int:
    """The key of child ``index`` (0, 1, ...) of ``key``: of a state, or of a case's need."""
    s = (key + _FIRST_CHILD + index * STEP) & _MASK
    r = s * (s ^ XOR)
    return ((r >> 64) ^ r) & _MASK


def state_key(root: int, iso3: str) -> int:
    """The key of a state's draws under ``root``: child CRC-32 of its code (process-stable)."""
    return child(root, zlib.crc32(iso3.encode()))


def uniform_at(at: int) -> float:
    """The uniform variate on [0, 1) at position ``at`` (53 high bits of the output)."""
    s = at & _MASK
    r = s * (s ^ XOR)
    return ((((r >> 64) ^ r) & _MASK) >> 11) * _UNIT


def exponential_at(at: int) -> float:
    """The standard exponential variate at position ``at`` (inversion: ``-log U``).

    ``U`` is the output with its lowest bit set, over 2**64 (rounded to a double): in (0, 1],
    never 0, so the log is finite.
    """
    s = at & _MASK
    r = s * (s ^ XOR)
    return -_log(((((r >> 64) ^ r) & _MASK) | 1) * _WHOLE)


def uniforms_at(at: int) -> tuple[float, float]:
    """Two uniforms on [0, 1) at position ``at``: the output's high and low 32 bits.

    For a pair of decisions or choices, whose chances need no finer grain than 2**-32: one
    draw instead of two.
    """
    s = at & _MASK
    r = s * (s ^ XOR)
    z = ((r >> 64) ^ r) & _MASK
    return (z >> 32) * _HALF, (z & _LOW) * _HALF


def normal_at(at: int) -> float:
    """The standard normal variate at ``at``: Box-Muller on the output's two 32-bit halves.

    The radius is ``sqrt(-2 log U)``, ``U`` the high half's cell midpoint (never 0, so the
    radius is at most 6.7); the angle ``2 pi`` times the low half.
    """
    s = at & _MASK
    r = s * (s ^ XOR)
    z = ((r >> 64) ^ r) & _MASK
    radius = math.sqrt(-2.0 * _log(((z >> 32) + 0.5) * _HALF))
    return radius * math.cos(_TAU * (z & _LOW) * _HALF)


def choice_index(cumulative: list[float], u: float) -> int:
    """Index chosen by the uniform ``u`` with weights given as increasing cumulative sums.

    The last cumulative value is the total, so weights need not sum to one; an index of
    zero weight is never chosen. The first index whose cumulative sum exceeds ``u`` times
    the total, found by the C bisection (called millions of times a run); ``u`` < 1, so it
    exists, and the clamp only guards the last index against rounding.
    """
    index = _bisect_right(cumulative, u * cumulative[-1])
    last = len(cumulative) - 1
    return index if index < last else last


def poisson_at(mean: float, at: int, first: float | None = None) -> int:
    """A Poisson variate by inversion from the uniforms at ``at``, ``at + STEP``, ...

    Meant for small means (the extra evidence holders of a case); a mean of zero or less
    gives 0 and draws nothing. ``first``, if given, is the uniform at ``at`` already drawn.
    """
    if mean <= 0.0:
        return 0
    limit = math.exp(-mean)
    k, product = 0, uniform_at(at) if first is None else first
    while product > limit:
        k += 1
        at += STEP
        product *= uniform_at(at)
    return k


class Keyed:
    """Keyed draws as a stage-time sampler takes them (``sim.config.distributions.Variates``).

    Stateless: every method is a function of the position it is given.
    """

    uniform = staticmethod(uniform_at)
    exponential = staticmethod(exponential_at)
    normal = staticmethod(normal_at)


KEYED = Keyed()
"""The keyed variates, for :meth:`sim.config.distributions.Exponential.sampler` and kin."""
