"""Arrival times of a Poisson process whose rate may grow at a steady yearly rate.

Demand that outgrows a central authority's staff is modelled as growth of the arrival rate,
not as a one-off stock: with ``growth_per_year`` g the rate on day t is r (1 + g)^(t / 365).
The next arrival after day t is found by inverting the cumulative intensity, so each arrival
takes exactly one standard exponential draw, as a homogeneous process does: with g = 0 the
times are the homogeneous process's, draw for draw (no thinning, which would use extra draws).
"""

from __future__ import annotations

import math
from collections.abc import Callable

DAYS_PER_YEAR = 365.0


def next_arrival(now: float, exponential: float, rate: float, growth_per_year: float) -> float:
    """The day of the next arrival after ``now``.

    Args:
        now: The current day (days since the run's start, where the rate is ``rate``).
        exponential: A standard exponential variate (mean 1).
        rate: The arrival rate per day on day 0.
        growth_per_year: The rate's yearly growth (0.05: 5% more each year; negative: decline).

    Returns:
        The day of the next arrival; infinity if a declining rate never produces one.
    """
    if growth_per_year == 0.0:
        return now + exponential / rate
    # Cumulative intensity L(t) = r (e^{kt} - 1) / k with k = ln(1 + g) / 365; the next
    # arrival solves L(t') - L(now) = exponential.
    k = math.log1p(growth_per_year) / DAYS_PER_YEAR
    level = math.exp(k * now) + k * exponential / rate
    if level <= 0.0:
        return math.inf
    return math.log(level) / k


def expected_arrivals(rate: float, growth_per_year: float, start: float, end: float) -> float:
    """The expected number of arrivals between days ``start`` and ``end``."""
    if growth_per_year == 0.0:
        return rate * (end - start)
    k = math.log1p(growth_per_year) / DAYS_PER_YEAR
    return rate * (math.exp(k * end) - math.exp(k * start)) / k


class Arrivals:
    """One state's arrival days, in turn: each from the one before and one exponential draw.

    Each day is reached as SimPy reaches a timeout's (the day before plus the delay), so the
    days are those of a process that waits for each arrival with ``env.timeout``, bit for bit.

    Args:
        exponential: The state's source of standard exponential variates, drawn in turn.
        rate: The arrival rate per day on day 0.
        growth_per_year: The rate's yearly growth (0: a homogeneous Poisson process).

    Attributes:
        day: The day of the next arrival (infinity if a declining rate produces no more).
    """

    __slots__ = ("_exponential", "_growth", "_rate", "day")

    def __init__(self, exponential: Callable[[], float], rate: float, growth_per_year: float):
        self._exponential, self._rate, self._growth = exponential, rate, growth_per_year
        self.day = 0.0
        self.advance()

    def advance(self) -> float:
        """Move on to the next arrival and return its day."""
        now = self.day
        if self._growth:
            self.day = now + (
                next_arrival(now, self._exponential(), self._rate, self._growth) - now
            )
        else:
            self.day = now + self._exponential() / self._rate
        return self.day
