"""Adaptive states: capacity response, reciprocity, trust and treaty uptake.

The four behaviours of DESIGN section 1, each with a strength in ``[adaptation]`` where 0
switches it off (the default, so a baseline does not drift unless a scenario asks it to):

* **Capacity response.** Every ``capacity_review_days`` a central authority compares its wait
  (waiting requests over its daily capacity) with ``backlog_target_days``; if it is over, it
  decides to close ``capacity_response`` of the gap to the staff that would meet the target,
  never past ``capacity_budget`` times its initial staff, and the hires arrive after
  ``capacity_lag_days``.
* **Reciprocity.** A state remembers how long its own fulfilled formal requests to each
  partner took (an exponentially weighted mean). A normal-priority request from a partner
  that answers more slowly than the state's partners do on average queues at its central
  authority as if it had arrived up to ``reciprocity * reciprocity_delay_days`` later
  (urgent requests keep their place).
* **Trust.** Each state trusts each partner's requests, starting at 0.5; a fulfilled formal
  exchange moves it ``trust_rate`` of the way to 1, a refusal the same way to 0 (direct
  requests to providers do not pass through the authorities, so they teach nothing). Trust
  t shortens the requested state's legal review and its returns for clarification by a factor
  ``1 - trust * (t - 0.5)``: up to halved at full trust, up to half again at none.
* **Treaty uptake.** Every ``uptake_review_days`` a state outside the Budapest Convention joins
  with probability ``treaty_uptake * unmet * ties``, where ``unmet`` is the share of its
  evidence needs of the period not met (refused, lost, abandoned or never pursued) and
  ``ties`` the share of its requests that went to Budapest parties. A new party gains a 24/7
  point of contact (Art. 35) and the Budapest channel from that day.

The behaviours' state is recorded in ``timeseries.parquet`` (staff, trust placed in each
state, Budapest membership) so their effect can be seen.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.rules.channels import FORMAL_MLA
from sim.vocabulary import CHANNELS, FULFILLED, NEUTRAL_TRUST, PENDING, REFUSED

if TYPE_CHECKING:
    from sim.engine.agents import StateAgent
    from sim.engine.model import CooperationModel
    from sim.engine.request import Request

_SMOOTHING = 0.1
"""Weight of the newest answer time in the running means of reciprocity."""
BUDAPEST = "budapest"
_FORMAL = frozenset(CHANNELS.index(name) for name in FORMAL_MLA)


class Adaptation:
    """The adaptive behaviours of one run.

    Args:
        model: The model whose states adapt (its config's ``adaptation`` section is used).
    """

    def __init__(self, model: CooperationModel) -> None:
        settings = model.config.adaptation
        self.model = model
        self.settings = settings
        size = len(model.states)
        self.reciprocity_on = settings.reciprocity > 0.0
        self.trust_on = settings.trust > 0.0
        self.uptake_on = settings.treaty_uptake > 0.0
        self.observing = self.reciprocity_on or self.trust_on or self.uptake_on
        self.answer_days = np.full((size, size), math.nan)
        """``[a, b]``: running mean of the days ``a``'s fulfilled requests to ``b`` took."""
        self.trust = np.full((size, size), NEUTRAL_TRUST)
        """``[b, a]``: how far ``b`` trusts requests from ``a``."""
        self._asked = np.zeros(size, dtype=np.int64)
        self._unmet = np.zeros(size, dtype=np.int64)
        self._to_parties = np.zeros(size, dtype=np.int64)
        self._unpursued_seen = np.zeros(size, dtype=np.int64)
        if settings.capacity_response > 0.0:
            for agent in model.states:
                model.env.process(self._capacity(agent))
        if self.uptake_on:
            model.env.process(self._uptake())

    # -- what the request processes report and ask ----------------------------------------------

    def observe(self, req: Request, outcome: int, day: float) -> None:
        """Learn from a request's final outcome (pending requests teach nothing)."""
        if outcome == PENDING:
            return
        a, b = req.requesting.number, req.requested.number
        rate = self.settings.trust_rate
        if outcome == FULFILLED:
            if self.reciprocity_on and req.channel in _FORMAL:
                took = day - req.created
                known = self.answer_days[a, b]
                if math.isnan(known):
                    self.answer_days[a, b] = took
                else:
                    self.answer_days[a, b] = known + _SMOOTHING * (took - known)
            if self.trust_on and req.channel in _FORMAL:
                self.trust[b, a] += rate * (1.0 - self.trust[b, a])
        elif outcome == REFUSED and self.trust_on and req.channel in _FORMAL:
            self.trust[b, a] -= rate * self.trust[b, a]
        if self.uptake_on:
            self._asked[a] += 1
            self._unmet[a] += outcome != FULFILLED
            if self.model.calendar.is_party(req.requested.iso3, BUDAPEST, day):
                self._to_parties[a] += 1

    def queue_delay(self, requested: int, requesting: int) -> float:
        """Days a normal request from ``requesting`` is pushed back in line at ``requested``.

        It is ``reciprocity_delay_days`` times the reciprocity strength times how much slower
        ``requesting`` has answered ``requested``'s own formal requests than ``requested``'s
        partners do on average (capped at twice as slow): the request queues as if it had
        arrived that much later.
        """
        if not self.reciprocity_on:
            return 0.0
        took = self.answer_days[requested, requesting]
        if math.isnan(took):
            return 0.0
        row = self.answer_days[requested]
        reference = float(np.nanmean(row))
        if not reference > 0.0:
            return 0.0
        slowness = min(1.0, max(0.0, took / reference - 1.0))
        return self.settings.reciprocity_delay_days * self.settings.reciprocity * slowness

    def trust_factor(self, requested: int, requesting: int) -> float:
        """Multiplier on legal review time and returns, from ``requested``'s trust."""
        if not self.trust_on:
            return 1.0
        return 1.0 - self.settings.trust * (self.trust[requested, requesting] - NEUTRAL_TRUST)

    def trust_in(self, state: int) -> float:
        """Mean trust the other states place in ``state``'s requests."""
        column = np.delete(self.trust[:, state], state)
        return float(column.mean()) if column.size else 0.5

    # -- processes -------------------------------------------------------------------------------

    def _capacity(self, agent: StateAgent) -> Generator[Any, Any, None]:
        """Review one central authority's staffing now and then; hire after a lag."""
        env, settings = self.model.env, self.settings
        authority = agent.central_authority
        ceiling = max(authority.capacity, math.floor(authority.capacity * settings.capacity_budget))
        mlat = self.model.config.channels.bilateral_mlat
        review = mlat.stages.get("legal_review")
        service_days = review.time.expected() * mlat.time_scale if review else 1.0
        pending = [0]
        while True:
            yield env.timeout(settings.capacity_review_days)
            staff = authority.capacity + pending[0]
            daily_capacity = staff / max(service_days, 1e-9)
            wait_days = authority.waiting / daily_capacity
            if wait_days <= settings.backlog_target_days:
                continue
            wanted = min(ceiling, math.ceil(staff * wait_days / settings.backlog_target_days))
            hires = round(settings.capacity_response * (wanted - staff))
            if hires > 0:
                pending[0] += hires
                env.process(self._hire(agent, hires, pending, ceiling))

    def _hire(
        self, agent: StateAgent, hires: int, pending: list[int], ceiling: int
    ) -> Generator[Any, Any, None]:
        yield self.model.env.timeout(self.settings.capacity_lag_days)
        pending[0] -= hires
        authority = agent.central_authority
        # Never below today's staff: a staffing reform may have raised it past the ceiling.
        authority.set_capacity(max(authority.capacity, min(ceiling, authority.capacity + hires)))

    def _uptake(self) -> Generator[Any, Any, None]:
        """Let states outside the Budapest Convention decide, now and then, to join it."""
        model, settings = self.model, self.settings
        draw = model.streams["adaptation/uptake"]
        while True:
            yield model.env.timeout(settings.uptake_review_days)
            now = model.env.now
            for agent in model.states:
                n = agent.number
                unpursued = agent.unpursued - self._unpursued_seen[n]
                self._unpursued_seen[n] = agent.unpursued
                asked = self._asked[n] + unpursued
                u = draw.uniform()  # drawn for every state, so the stream stays aligned
                if asked == 0 or model.calendar.is_party(agent.iso3, BUDAPEST, now):
                    continue
                unmet = (self._unmet[n] + unpursued) / asked
                ties = self._to_parties[n] / max(1, self._asked[n])
                if u < settings.treaty_uptake * unmet * ties:
                    model.calendar.set_party(agent.iso3, BUDAPEST, now)
                    model.gain_contact(agent, now)
            self._asked[:] = 0
            self._unmet[:] = 0
            self._to_parties[:] = 0
