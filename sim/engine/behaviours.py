"""The registry of adaptive behaviours: capacity response, reciprocity, trust, treaty uptake.

Each behaviour of DESIGN section 1 is one entry of :data:`BEHAVIOURS`, a :class:`Behaviour`
subclass that says everything about it in one place:

* its ``name`` and its ``strength``, the field of ``[adaptation]`` that switches it on (0, the
  default, is off, so a baseline does not drift unless a scenario asks it to);
* how it starts: constructing it sets up its memory and schedules its reviews, SimPy events at
  which every state decides for itself, activated in state order through Mesa's agent set;
* what it does on a request outcome (``on_outcome``, if it ``learns``);
* the ``modifiers`` it gives the request process, each a method named after a key of
  :data:`MODIFIERS` (a review-time factor from trust, a queue delay from reciprocity);
* the time-series ``columns`` it adds (recorded whether it is on or not).

Adding a behaviour is writing one such class, adding it to :data:`BEHAVIOURS` and its strength
to the ``[adaptation]`` settings. :class:`sim.engine.adaptation.Adaptation` starts the
behaviours a scenario switches on and combines what they give.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from sim.engine.records import Column
from sim.rules.channels import FORMAL_MLA
from sim.vocabulary import CHANNELS, FULFILLED, NEUTRAL_TRUST, REFUSED

if TYPE_CHECKING:
    from sim.engine.agents import StateAgent
    from sim.engine.model import CooperationModel
    from sim.engine.request import Request

BUDAPEST = "budapest"
_SMOOTHING = 0.1
"""Weight of the newest answer time in the running means of reciprocity."""
_FORMAL = frozenset(CHANNELS.index(name) for name in FORMAL_MLA)


class Modifier(NamedTuple):
    """How a request is changed by behaviours: the value with none, and how two combine."""

    neutral: float
    combine: Callable[[float, float], float]


MODIFIERS = {
    "review_time_factor": Modifier(1.0, operator.mul),
    "queue_delay": Modifier(0.0, operator.add),
}
"""``review_time_factor(requested, requesting)`` multiplies the requested state's legal review
time and its returns for clarification; ``queue_delay(requested, requesting)`` is the days a
normal request is put back in line at the requested state's central authority."""


class Behaviour:
    """One adaptive behaviour in one run; constructing it starts it.

    Args:
        model: The model whose states adapt (its config's ``adaptation`` section is used).
    """

    name: ClassVar[str]
    strength: ClassVar[str]
    """The field of ``[adaptation]`` giving its strength; 0 switches it off."""
    learns: ClassVar[bool] = False
    """Whether :meth:`on_outcome` does anything."""
    modifiers: ClassVar[tuple[str, ...]] = ()
    """Keys of :data:`MODIFIERS` it gives, each implemented by a method of that name."""
    columns: ClassVar[tuple[Column, ...]] = ()
    """Time-series columns it adds; their ``observe`` must work when it is off too."""

    def __init__(self, model: CooperationModel) -> None:
        self.model = model
        self.settings = model.config.adaptation

    def on_outcome(self, req: Request, outcome: int, day: float) -> None:
        """Learn from a request's final outcome (never called for pending requests)."""


class CapacityResponse(Behaviour):
    """Every ``capacity_review_days`` each central authority reviews its staff.

    It compares its wait (waiting requests over its daily capacity) with
    ``backlog_target_days``; if it is over, it decides to close ``capacity_response`` of the
    gap to the staff that would meet the target, never past ``capacity_budget`` times its
    staff at the start (after any day-0 staffing reform), and the hires arrive after
    ``capacity_lag_days``.
    """

    name = "capacity_response"
    strength = "capacity_response"

    def __init__(self, model: CooperationModel) -> None:
        super().__init__(model)
        size = len(model.states)
        self._ceiling = [0] * size
        self._pending = [0] * size
        """Hires decided but not yet arrived, by state."""
        mlat = model.config.channels.bilateral_mlat
        review = mlat.stages.get("legal_review")
        self._service_days = review.time.expected() * mlat.time_scale if review else 1.0
        model.env.process(self._reviews())

    def _reviews(self) -> Generator[Any, Any, None]:
        env, agents = self.model.env, self.model.agents
        agents.do(self._set_ceiling)  # once day 0's staffing reforms have been made
        while True:
            yield env.timeout(self.settings.capacity_review_days)
            agents.do(self.review)

    def _set_ceiling(self, agent: StateAgent) -> None:
        capacity = agent.central_authority.capacity
        budget = self.settings.capacity_budget
        self._ceiling[agent.number] = max(capacity, math.floor(capacity * budget))

    def review(self, agent: StateAgent) -> None:
        """``agent`` reviews its central authority's staff and decides how many to hire."""
        settings, number = self.settings, agent.number
        authority = agent.central_authority
        staff = authority.capacity + self._pending[number]
        daily_capacity = staff / max(self._service_days, 1e-9)
        wait_days = authority.waiting / daily_capacity
        if wait_days <= settings.backlog_target_days:
            return
        wanted = min(
            self._ceiling[number], math.ceil(staff * wait_days / settings.backlog_target_days)
        )
        hires = round(settings.capacity_response * (wanted - staff))
        if hires > 0:
            self._pending[number] += hires
            self.model.env.process(self._hire(agent, hires))

    def _hire(self, agent: StateAgent, hires: int) -> Generator[Any, Any, None]:
        yield self.model.env.timeout(self.settings.capacity_lag_days)
        self._pending[agent.number] -= hires
        authority = agent.central_authority
        ceiling = self._ceiling[agent.number]
        # Never below today's staff: a staffing reform may have raised it past the ceiling.
        authority.set_capacity(max(authority.capacity, min(ceiling, authority.capacity + hires)))


class Reciprocity(Behaviour):
    """States put slow partners' requests back in line.

    A state remembers how long its own fulfilled formal requests to each partner took (an
    exponentially weighted mean). A normal-priority request from a partner that answers more
    slowly than the state's partners do on average queues at its central authority as if it
    had arrived up to ``reciprocity * reciprocity_delay_days`` later (urgent requests keep
    their place).
    """

    name = "reciprocity"
    strength = "reciprocity"
    learns = True
    modifiers = ("queue_delay",)

    def __init__(self, model: CooperationModel) -> None:
        super().__init__(model)
        size = len(model.states)
        self.answer_days = np.full((size, size), math.nan)
        """``[a, b]``: running mean of the days ``a``'s fulfilled requests to ``b`` took."""

    def on_outcome(self, req: Request, outcome: int, day: float) -> None:
        """Remember how long a fulfilled formal request took its requested state to answer."""
        if outcome != FULFILLED or req.channel not in _FORMAL:
            return
        a, b = req.requesting.number, req.requested.number
        took = day - req.created
        known = self.answer_days[a, b]
        if math.isnan(known):
            self.answer_days[a, b] = took
        else:
            self.answer_days[a, b] = known + _SMOOTHING * (took - known)

    def queue_delay(self, requested: int, requesting: int) -> float:
        """Days a normal request from ``requesting`` is pushed back in line at ``requested``.

        It is ``reciprocity_delay_days`` times the reciprocity strength times how much slower
        ``requesting`` has answered ``requested``'s own formal requests than ``requested``'s
        partners do on average (capped at twice as slow): the request queues as if it had
        arrived that much later.
        """
        took = self.answer_days[requested, requesting]
        if math.isnan(took):
            return 0.0
        row = self.answer_days[requested]
        reference = float(np.nanmean(row))
        if not reference > 0.0:
            return 0.0
        slowness = min(1.0, max(0.0, took / reference - 1.0))
        return self.settings.reciprocity_delay_days * self.settings.reciprocity * slowness


def _trust_placed(model: CooperationModel, agent: StateAgent, day: float) -> float:
    trust = model.adaptation.active.get(Trust.name)
    return NEUTRAL_TRUST if trust is None else trust.trust_in(agent.number)


class Trust(Behaviour):
    """States trust each partner's requests, starting at 0.5, and review trusted ones faster.

    A fulfilled formal exchange moves trust ``trust_rate`` of the way to 1, a refusal the same
    way to 0 (direct requests to providers do not pass through the authorities, so they teach
    nothing). Trust t shortens the requested state's legal review and its returns for
    clarification by a factor ``1 - trust * (t - 0.5)``: up to halved at full trust, up to half
    again at none.
    """

    name = "trust"
    strength = "trust"
    learns = True
    modifiers = ("review_time_factor",)
    columns = (Column("trust", np.float64, _trust_placed, "mean trust other states place in it"),)

    def __init__(self, model: CooperationModel) -> None:
        super().__init__(model)
        size = len(model.states)
        self.trust = np.full((size, size), NEUTRAL_TRUST)
        """``[b, a]``: how far ``b`` trusts requests from ``a``."""

    def on_outcome(self, req: Request, outcome: int, day: float) -> None:
        """A fulfilled formal exchange raises the requested state's trust; a refusal lowers it."""
        if req.channel not in _FORMAL:
            return
        a, b = req.requesting.number, req.requested.number
        if outcome == FULFILLED:
            self.trust[b, a] += self.settings.trust_rate * (1.0 - self.trust[b, a])
        elif outcome == REFUSED:
            self.trust[b, a] -= self.settings.trust_rate * self.trust[b, a]

    def review_time_factor(self, requested: int, requesting: int) -> float:
        """Multiplier on legal review time and returns, from ``requested``'s trust."""
        return 1.0 - self.settings.trust * (self.trust[requested, requesting] - NEUTRAL_TRUST)

    def trust_in(self, state: int) -> float:
        """Mean trust the other states place in ``state``'s requests."""
        column = np.delete(self.trust[:, state], state)
        return float(column.mean()) if column.size else NEUTRAL_TRUST


def _budapest_party(model: CooperationModel, agent: StateAgent, day: float) -> bool:
    return model.calendar.is_party(agent.iso3, BUDAPEST, day)


class TreatyUptake(Behaviour):
    """Every ``uptake_review_days`` each state outside the Budapest Convention considers joining.

    It joins with probability ``treaty_uptake * unmet * ties``, where ``unmet`` is the share of
    its evidence needs of the period not met (refused, lost, abandoned or never pursued) and
    ``ties`` the share of its requests that went to Budapest parties. It joins the run's own
    treaty calendar, and so gains the Budapest channel and a 24/7 point of contact (Art. 35,
    :mod:`sim.rules.preservation`) from that day.
    """

    name = "treaty_uptake"
    strength = "treaty_uptake"
    learns = True
    columns = (
        Column("budapest_party", np.bool_, _budapest_party, "party to the Budapest Convention"),
    )

    def __init__(self, model: CooperationModel) -> None:
        super().__init__(model)
        size = len(model.states)
        self._asked = np.zeros(size, dtype=np.int64)
        self._unmet = np.zeros(size, dtype=np.int64)
        self._to_parties = np.zeros(size, dtype=np.int64)
        self._unpursued_seen = np.zeros(size, dtype=np.int64)
        model.env.process(self._reviews())

    def on_outcome(self, req: Request, outcome: int, day: float) -> None:
        """Count the requesting state's finished requests, unmet ones and those to parties."""
        a = req.requesting.number
        self._asked[a] += 1
        self._unmet[a] += outcome != FULFILLED
        if self.model.calendar.is_party(req.requested.iso3, BUDAPEST, day):
            self._to_parties[a] += 1

    def _reviews(self) -> Generator[Any, Any, None]:
        env, agents = self.model.env, self.model.agents
        draw = self.model.streams["adaptation/uptake"]
        while True:
            yield env.timeout(self.settings.uptake_review_days)
            agents.do(self.consider, draw.uniform, env.now)
            self._asked[:] = 0
            self._unmet[:] = 0
            self._to_parties[:] = 0

    def consider(self, agent: StateAgent, uniform: Callable[[], float], now: float) -> None:
        """``agent`` decides whether to join the Budapest Convention on day ``now``.

        One number is drawn for every state, party or not, so the stream stays aligned.
        """
        number = agent.number
        unpursued = agent.unpursued - self._unpursued_seen[number]
        self._unpursued_seen[number] = agent.unpursued
        asked = self._asked[number] + unpursued
        u = uniform()
        calendar = self.model.calendar
        if asked == 0 or calendar.is_party(agent.iso3, BUDAPEST, now):
            return
        unmet = (self._unmet[number] + unpursued) / asked
        ties = self._to_parties[number] / max(1, self._asked[number])
        if u < self.settings.treaty_uptake * unmet * ties:
            calendar.set_party(agent.iso3, BUDAPEST, now)


BEHAVIOURS: dict[str, type[Behaviour]] = {
    entry.name: entry for entry in (CapacityResponse, Reciprocity, Trust, TreatyUptake)
}
"""The adaptive behaviours, by name, in the order they start (which fixes their SimPy events)."""
