"""Seeded random streams, one per named random process.

Every random process in a run (the case arrivals of one state, the times of one stage, the
legal-review decisions, ...) draws from its own stream. A stream's seed is derived from the
run's seed, the replication and the process's name, never from the order in which streams are
created, so adding a process does not shift the numbers any other process draws. This is what
makes common random numbers work across scenarios.

Draws are buffered in blocks: one numpy call fills a block that is then handed out as Python
floats, which is several times faster than a numpy call per draw and gives the same sequence
whatever the block size consumers see. A block is a typed ``array`` (8 bytes a draw) rather
than a list of float objects (32): a full-world run holds thousands of streams.
"""

from __future__ import annotations

import zlib
from array import array

import numpy as np

from sim.vocabulary import check_stream_name

_BLOCK = 4096


def stream_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of the stream ``name`` in replication ``replication`` of a run.

    The name is hashed with CRC-32, which is stable across Python processes (unlike ``hash``).
    """
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication, zlib.crc32(name.encode())))


class Stream:
    """A buffered source of uniform, standard exponential and standard normal variates."""

    __slots__ = ("_e", "_ei", "_n", "_ni", "_rng", "_u", "_ui")

    def __init__(self, seed_sequence: np.random.SeedSequence) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed_sequence))
        self._u = array("d")
        self._ui = 0
        self._e = array("d")
        self._ei = 0
        self._n = array("d")
        self._ni = 0

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

    def normal(self) -> float:
        """A standard normal variate."""
        i = self._ni
        if i >= len(self._n):
            self._n = array("d", self._rng.standard_normal(_BLOCK).tobytes())
            i = 0
        self._ni = i + 1
        return self._n[i]

    def choice_index(self, cumulative: list[float]) -> int:
        """Index drawn with probabilities given by ``cumulative`` (increasing, last = total)."""
        target = self.uniform() * cumulative[-1]
        lo, hi = 0, len(cumulative) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cumulative[mid] > target:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def poisson(self, mean: float) -> int:
        """A Poisson variate (inversion; meant for small means such as extra evidence holders)."""
        if mean <= 0.0:
            return 0
        limit = np.exp(-mean)
        k, product = 0, self.uniform()
        while product > limit:
            k += 1
            product *= self.uniform()
        return k


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
