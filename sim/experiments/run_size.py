"""What a run will create, estimated before it starts, and the limits it must stay within.

A scenario can be valid field by field and still describe a run that never finishes or does
not fit in memory: a demand scale of 1e9, a century of simulated days, a billion other
matters a year at a central authority. Such a run would be discovered only hours later, or by
the operating system killing it. So before the first replication starts, the expected number
of requests, other matters and days is computed from the resolved world, and a run beyond the
limits below is
refused with one line naming the field that makes it so. ``--force`` lets a user who means it
go ahead; the estimate is an expectation, not a bound.

The cost figures come from ``bench/full_world.py`` (about 0.8 kB of memory per request kept,
about 10,000 requests per second per worker) with a safety margin; docs/limits.md lists the
limits.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from sim.config.schema import Scenario
from sim.engine.arrivals import DAYS_PER_YEAR, expected_arrivals
from sim.errors import InputError
from sim.world.build import World

MAX_HORIZON_DAYS = 100 * 365
"""The longest run: a century (the model's calendar and treaty dates mean nothing beyond)."""
BYTES_PER_REQUEST = 1_000
"""Memory per request row held until the run is written (measured about 800 B; margin)."""
TIMELINE_BYTES_PER_REQUEST = 250
"""More memory per request when the run keeps its timeline: some three steps of about 50 B
in the frame and 37 B in the log (bench/timeline_cost.py; margin)."""
REQUESTS_PER_SECOND = 5_000
"""Requests simulated per second per worker (measured about 10,000; margin)."""
MAX_SECONDS = 24 * 3600
"""A run expected to take longer than a day is refused unless forced."""
MEMORY_SHARE = 0.75
"""Share of the machine's physical memory a run's records may be expected to take."""


@dataclass(frozen=True)
class RunSize:
    """The expected size of one run.

    Attributes:
        requests_per_replication: Expected evidence needs of one replication: an upper
            bound of its requests (rows), since some needs are never pursued.
        other_matters_per_replication: Other matters (all-crime MLA) that central
            authorities receive in one replication: processes, not rows.
        replications: Replications of the run.
        horizon_days: Simulated days per replication.
        largest_state: The state with the most expected requests (names the culprit).
    """

    requests_per_replication: float
    replications: int
    horizon_days: int
    largest_state: str
    other_matters_per_replication: float = 0.0
    busiest_authority: str = ""
    timeline: bool = False
    """The run keeps each request's steps (``simulation.timeline``)."""

    @property
    def rows(self) -> float:
        """Request rows of the whole run."""
        return self.requests_per_replication * self.replications

    @property
    def memory_bytes(self) -> float:
        """Expected memory: the run's records."""
        per_request = BYTES_PER_REQUEST + (TIMELINE_BYTES_PER_REQUEST if self.timeline else 0)
        return self.rows * per_request

    def seconds(self, workers: int) -> float:
        """Expected wall time with ``workers`` processes."""
        work = (self.requests_per_replication + self.other_matters_per_replication) * (
            self.replications
        )
        return work / REQUESTS_PER_SECOND / max(1, min(workers, self.replications))


def estimate(scenario: Scenario, world: World) -> RunSize:
    """Expected requests, other matters and days of a run of ``scenario`` on ``world``."""
    simulation = scenario.simulation
    opening_days = max(0.0, simulation.horizon_days - simulation.drain_days)
    holders = 1.0 + scenario.demand.extra_holders_mean
    requests = other = 0.0
    largest, largest_count = "", -1.0
    busiest, busiest_count = "", -1.0
    growth = scenario.demand.growth_per_year
    for profile in world.states:
        params = profile.params
        matters = expected_arrivals(
            params.other_matters_per_year / DAYS_PER_YEAR, growth, 0.0, simulation.horizon_days
        )
        other += matters
        if matters > busiest_count:
            busiest, busiest_count = profile.iso3, matters
        count = params.cases_per_year * scenario.demand.scale / 365.0 * opening_days * holders
        requests += count
        if count > largest_count:
            largest, largest_count = profile.iso3, count
    return RunSize(
        requests_per_replication=requests,
        replications=simulation.replications,
        horizon_days=simulation.horizon_days,
        largest_state=largest,
        other_matters_per_replication=other,
        busiest_authority=busiest,
        timeline=simulation.timeline,
    )


def physical_memory() -> int | None:
    """The machine's physical memory in bytes, or None where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def _human(count: float) -> str:
    if not math.isfinite(count):
        return "infinitely many"
    return f"{count:,.0f}" if count < 1e12 else f"{count:.2e}"


def check(size: RunSize, *, workers: int, force: bool = False, memory: int | None = None) -> None:
    """Refuse a run that would not finish or not fit in memory.

    Non-finite sizes are refused even with ``force``: no machine runs them.

    Args:
        size: The run's expected size.
        workers: Worker processes the run will use.
        force: Run anyway when only the limits (not infinity) are exceeded.
        memory: Physical memory in bytes; the machine's when None.

    Raises:
        InputError: naming the field that makes the run too large.
    """
    demand = (
        f"demand.scale (states' cases_per_year; {size.largest_state} the largest)"
        if size.largest_state
        else "demand.scale"
    )
    if not math.isfinite(size.requests_per_replication):
        raise InputError(demand, "expected requests overflow to infinity")
    matters = f"states.{size.busiest_authority}.other_matters_per_year"
    if not math.isfinite(size.other_matters_per_replication):
        raise InputError(matters, "expected other matters overflow to infinity")
    if force:
        return
    hint = " (--force to run anyway)"
    if size.horizon_days > MAX_HORIZON_DAYS:
        raise InputError(
            "simulation.end",
            f"a run of {size.horizon_days:,} days exceeds the limit of "
            f"{MAX_HORIZON_DAYS:,} days (100 years){hint}",
        )
    memory = physical_memory() if memory is None else memory
    if memory is not None and size.memory_bytes > MEMORY_SHARE * memory:
        remedy = "lower demand.scale or simulation.replications"
        raise InputError(
            demand,
            f"about {_human(size.rows)} request rows "
            f"({size.memory_bytes / 2**30:,.1f} GiB) "
            f"would not fit in {MEMORY_SHARE:.0%} of this machine's "
            f"{memory / 2**30:,.1f} GiB of memory; {remedy}{hint}",
        )
    seconds = size.seconds(workers)
    if seconds > MAX_SECONDS:
        counts = {
            demand: size.requests_per_replication,
            matters: size.other_matters_per_replication,
        }
        culprit = max(counts, key=counts.__getitem__)
        raise InputError(
            culprit,
            f"about {_human(sum(counts.values()))} requests and other matters "
            f"per replication would take about "
            f"{seconds / 3600:,.0f} hours on {max(1, workers)} worker(s), over the limit of "
            f"{MAX_SECONDS // 3600} hours{hint}",
        )
