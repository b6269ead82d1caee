"""A central authority's work besides the requests the model follows.

A continuous stream of other matters, mutual legal assistance for every kind of crime
(``other_matters_per_year``): they occupy the authority's staff at normal priority and leave
no row; their review times are keyed draws (docs/model.md, sections 4.9 and 7.11). There is no
one-off caseload: an authority starts empty and the warm-up fills its queues, so the measured
period is stationary (shown by :mod:`sim.analysis.stationarity`). Staffing levers that change
the staff on a day are here too: they act on the same servers.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.config.distributions import Sampler
from sim.engine import driver
from sim.engine.agents import StateAgent
from sim.engine.arrivals import DAYS_PER_YEAR, next_arrival
from sim.engine.streams import KEYED, STEP, state_key

if TYPE_CHECKING:
    from sim.engine.model import CooperationModel


def start_other_matters(model: CooperationModel) -> None:
    """Start each central authority's stream of other matters, if it has one.

    A central authority handles mutual legal assistance for every kind of crime, so the
    cyber requests the model follows compete for its staff with a continuous stream of
    other matters (``other_matters_per_year``; docs/model.md). Each takes one review of
    the bilateral MLAT's legal-review time and normal priority, and leaves no row. The
    stream runs from the first day to the last (warm-up, measurement and drain alike), so
    the load it puts on the authority is stationary, or grows steadily with
    ``demand.growth_per_year``.
    """
    mlat = model.config.channels.bilateral_mlat
    review = mlat.stages.get("legal_review")
    if review is None:
        return
    sample = review.time.sampler(KEYED, mlat.time_scale)
    root = model.streams.root("other_matters")
    for agent in model.states:
        rate = agent.profile.params.other_matters_per_year / DAYS_PER_YEAR
        if rate > 0.0:
            key = state_key(root, agent.iso3)
            model.env.process(_other_matters(model, agent, rate, sample, key))


def _other_matters(
    model: CooperationModel, agent: StateAgent, rate: float, sample: Sampler, key: int
) -> Generator[Any, Any, None]:
    """Poisson arrivals of the other matters at ``agent``'s central authority.

    Arrival times come from the authority's stream in turn; the ``n``-th matter's review
    time is keyed by its number (one position a matter: a time is one draw).
    """
    env, growth = model.env, model.config.demand.growth_per_year
    arrivals = model.streams[f"other_matters/{agent.iso3}"]
    matter = 0
    while True:
        arrival = next_arrival(env.now, arrivals.exponential(), rate, growth)
        if arrival >= model.horizon:
            return
        yield env.timeout(arrival - env.now)
        duration = sample(key + (matter + 1) * STEP)
        driver.start(_matter(model.env, agent, duration))
        matter += 1


def restaff(
    env: simpy.Environment, agent: StateAgent, day: float, factor: float
) -> Generator[Any, Any, None]:
    """A staffing reform: the authority's staff is multiplied from ``day``."""
    if day > env.now:
        yield env.timeout(day - env.now)
    authority = agent.central_authority
    # Half a post rounds up (round() would round halves to even: 2.5 -> 2, 3.5 -> 4).
    authority.set_capacity(max(1, math.floor(authority.capacity * factor + 0.5)))


def _matter(
    env: simpy.Environment, agent: StateAgent, duration: float
) -> Generator[Any, Any, None]:
    """One other matter: a review at normal priority."""
    authority = agent.central_authority
    yield authority.request(1)
    yield env.timeout(duration)
    authority.release()
