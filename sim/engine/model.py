"""The Mesa model: states, the investigations they open, and the requests those create.

One model is one replication, with one clock in days. A Mesa step is one day: Mesa 3.5
advances its ``time`` and ``steps`` by one and calls :meth:`CooperationModel.step`, which runs
SimPy (the requests' stages, in continuous time) up to that day, so after every step
``env.now == time == steps``; ``running`` turns False at the horizon, so Mesa's
``run_model()`` runs a replication. The state agents live in Mesa's agent set; they are not
stepped daily but decide at their behaviours' reviews, SimPy events that activate each state
in turn through that set. The model never reads files or prints: it receives a validated
scenario and a resolved world, which it leaves unchanged (it works on its own fork of the
treaty calendar), and leaves its records in :attr:`CooperationModel.log` and
:attr:`CooperationModel.timeseries`.

The module is over 400 lines because opening a case (its holders, their providers, each
need's routes and pursuit) is the model's one hot path besides the journey, and its steps
share the model's precomputed tables; the stages themselves live in :mod:`sim.engine.request`.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from heapq import heapify, heappop, heappush, heapreplace
from typing import Any

import mesa
import numpy as np
import simpy
from simpy.core import NORMAL, URGENT

from sim.config.schema import CrimeType, Scenario
from sim.engine import driver, workload
from sim.engine.adaptation import TIMESERIES_COLUMNS, Adaptation
from sim.engine.agents import StateAgent
from sim.engine.arrivals import Arrivals
from sim.engine.case_draws import CaseDraws, CaseRow
from sim.engine.records import RequestLog, TimeseriesLog, UnpursuedLog
from sim.engine.request import (
    AGREEMENT_SCOPE,
    DATA,
    DATA_AGE,
    PROVIDER_CHOICE,
    ChannelPlan,
    Request,
    compile_channel,
    journey,
    record,
    settle,
)
from sim.engine.streams import (
    KEYED,
    STEP,
    RandomStreams,
    child,
    choice_index,
    exponential_at,
    poisson_at,
    state_key,
    stream_seed,
    uniform_at,
    uniforms_at,
)
from sim.engine.timeline import TimelineLog
from sim.rules import levers, retention
from sim.rules.agreements import CLOUD_ACT, AgreementScope
from sim.rules.attempts import NO_CONFLICT, AttemptTerms
from sim.rules.blocking import TO_PROVIDERS, approval, barrier_on, barrier_steps
from sim.rules.channels import EMERGENCY, emergency_open
from sim.rules.legal_review import data_protection_risk, dual_criminality_risk
from sim.rules.levers import Policy
from sim.rules.providers import provider_tables
from sim.rules.pursuit import UNCHANGED, PursuitRule
from sim.rules.routing import ChannelRouter
from sim.vocabulary import CHANNELS, DATA_TYPES, NO_REASON, PENDING, PRESERVATION_PATHS
from sim.world.build import StateProfile, World

_HOLDER_TRIES = 20
_CHANNEL_NUMBER = {name: number for number, name in enumerate(CHANNELS)}
# Positions of a case's own draws: under the key of its first need, at positions no request
# uses (tests/test_common_random_numbers.py checks that a request's stay below CASE_DRAWS).
_CASE = 4 * STEP
"""The crime type and the urgency (halves of one draw)."""
_EMERGENCY = 6 * STEP
"""Whether an urgent case involves danger of death or serious physical injury (the emergency
path's condition): drawn only for an urgent case of a crime type with an ``emergency_share``."""
CASE_DRAWS = 1 << 20
"""The first position of a case's variable-length draws: its requests draw below it."""
_EXTRA_HOLDERS = CASE_DRAWS * STEP
"""The Poisson number of extra holders: its uniforms from here on."""
_HOLDERS = (1 << 40) * STEP
"""The choices of holders (repeats rejected): from here on."""
PER_CASE = 512
"""Child keys of a state per case: ``PER_CASE * c + i`` for the need of case ``c``'s
``i``-th holder (a case has at most one holder per other state, so at most ``PER_CASE``)."""


def _conflict_terms(scenario: Scenario) -> tuple[float, float]:
    """(chance lifted, execution-time factor) of an order meeting a conflicting law (7.9).

    The objection and the review add ``objection_days`` on average: the execution stage's
    time is scaled so that its mean grows by that much.
    """
    law, channel = scenario.conflicting_law, scenario.channels["e_evidence"]
    stage = channel.stages.get("execution")
    if stage is None or not channel.enabled:
        return NO_CONFLICT
    mean = stage.time.expected() * channel.time_scale
    return law.p_order_lifted, 1.0 + law.objection_days / mean if mean > 0.0 else 1.0


class CooperationModel(mesa.Model):
    """International cooperation on electronic evidence, one replication.

    Args:
        scenario: The validated scenario.
        world: The world resolved for the scenario.
        replication: Which replication this is; with the scenario's seed it fixes every stream.
    """

    def __init__(self, scenario: Scenario, world: World, replication: int = 0) -> None:
        seed = scenario.simulation.seed
        super().__init__(rng=np.random.default_rng(stream_seed(seed, replication, "mesa")))
        self.config = scenario  # not `scenario`: mesa.Model owns that name
        self.replication = replication
        self.env = simpy.Environment()
        self.streams = RandomStreams(seed, replication)
        self.calendar = world.calendar.fork()
        """This run's treaty calendar: the world's, with its levers' and accessions' changes."""
        self.policy = Policy(
            levers.resolve(scenario, world.states, self.calendar, self.streams["levers/join"])
        )
        self.router = ChannelRouter(scenario.channels, self.calendar)
        self.horizon = float(scenario.simulation.horizon_days)
        self.case_cutoff = self.horizon - scenario.simulation.drain_days
        self.record_until = float(scenario.simulation.window_end_days)
        """Requests and needs created from this day on (the run-out) load the authorities but
        leave no row: they are outside the measured window and would only be filtered out."""

        self.crime_type_names = tuple(scenario.crime_types)
        self.crime_types: tuple[CrimeType, ...] = tuple(scenario.crime_types.values())
        self._data_weights = tuple(
            np.cumsum([c.subscriber, c.traffic, c.content]).tolist() for c in self.crime_types
        )
        """Cumulative weights of the data types each crime type wants (by crime number)."""
        self.data_type_names = DATA_TYPES
        self.evidentiary = scenario.evidentiary_standards
        self.states = tuple(StateAgent(self, profile, n) for n, profile in enumerate(world.states))
        """The agents of Mesa's agent set (``self.agents``) by state number, for lookups."""
        if len(self.states) > PER_CASE:
            raise ValueError(f"at most {PER_CASE} states: a case's needs are keyed by holder")
        self.contact_days = {
            agent.iso3: self.policy.contact_day(agent.iso3) for agent in self.states
        }
        """First day a lever gives each state a 24/7 point of contact (infinity if none does)."""
        for day, code, factor in self.policy.staffing_changes():
            agent = next(a for a in self.states if a.iso3 == code)
            self.env.process(workload.restaff(self.env, agent, day, factor))
        self.plans: dict[str, ChannelPlan] = {
            name: compile_channel(name, channel)
            for name, channel in scenario.channels.items()
            if channel.enabled
        }
        self._use_world(world)
        codes = [s.iso3 for s in self.states]
        self.log = RequestLog(codes, self.crime_type_names, self.provider_names)
        self.unpursued = UnpursuedLog([s.iso3 for s in self.states], self.crime_type_names)
        """The evidence needs not turned into requests, with the channel each would have taken."""
        self.timeseries = TimeseriesLog([s.iso3 for s in self.states], TIMESERIES_COLUMNS)
        self._observers = tuple(column.observe for column in TIMESERIES_COLUMNS)
        self.timeline = TimelineLog() if scenario.simulation.timeline else None  # or no steps
        self.in_flight: dict[int, Request] = {}
        self._next_request = 0
        self._next_case = 0

        self._use_decision_rules(scenario)
        self.preserving = scenario.preservation.enabled
        """Whether requests ask for preservation at all (the journey skips the rules if not)."""
        self.preservation_time = scenario.preservation.time.sampler(KEYED)
        """A preservation request's time, drawn at a request's position for it."""
        self._risks: dict[tuple[str, int, int, int, int], tuple[float, float]] = {}
        self.attempt_terms: dict[tuple, AttemptTerms] = {}  # made once (request._attempt_terms)
        self._holder_cumulative = [self._holders_of(agent) for agent in self.states]
        self._retention = tuple(
            retention.retention_periods(agent.profile.params, scenario.retention)
            for agent in self.states
        )
        """Days each state's providers keep each data type, by state number and data type."""
        paths = scenario.preservation.paths
        self.preservation_paths = (None, *(paths[name] for name in PRESERVATION_PATHS[1:]))
        """Each path's hold and renewals, by its code (``PRESERVATION_PATHS``; 0: none)."""
        workload.start_other_matters(self)
        self.env.process(self._open_cases())
        self.adaptation = Adaptation(self)
        self.settles_ahead = not self.adaptation.observing  # nobody learns: see request.settle
        self.finishing: dict[int, list[tuple[Request, int, int, float]]] = {}  # by day to leave
        self._observe_every = scenario.simulation.timeseries_interval_days
        self._observe()

    def _use_providers(self, world: World) -> None:
        """Take the run's provider tables (``sim.rules.providers``): who holds what, and rates."""
        channels = self.config.channels
        direct = channels["direct_provider"].p_provider_decline
        emergency = channels[EMERGENCY].p_provider_decline
        states = [a.profile for a in self.states]
        tables = provider_tables(states, world, self.calendar, direct, emergency)
        self.provider_names = tables.names
        """The providers by code (0: a state's domestic provider), as the records name them."""
        self._provider_choice, self._direct_decline = tables.choice, tables.direct_decline
        self._emergency_decline = tables.emergency_decline
        """By provider code, the chance it declines an emergency request."""
        plan = self.plans.get(EMERGENCY)
        self._emergency_types = (
            frozenset(DATA_TYPES.index(name) for name in plan.settings.data_types)
            if plan is not None
            else frozenset()
        )
        """The data types the emergency path serves (none if the channel is disabled)."""

    def _use_world(self, world: World) -> None:
        """Take what the run needs of its world's providers and blocking statutes."""
        self._use_providers(world)
        self._use_blocking_statutes(world)

    def _use_blocking_statutes(self, world: World) -> None:
        """Each state's barriers by day (``sim.rules.blocking``), from its blocking statutes."""
        by_state: dict[str, list] = {}
        for statute in world.blocking_statutes:
            by_state.setdefault(statute.state, []).append(statute)
        start = self.config.simulation.start
        self._barriers = tuple(barrier_steps(by_state.get(a.iso3, ()), start) for a in self.states)
        self.to_provider = frozenset(_CHANNEL_NUMBER[name] for name in TO_PROVIDERS)
        """The channels (by number) on which a blocking statute stands in a request's way."""

    def approval(self, req: Request, channel: int, at: int) -> tuple[float, bool]:
        """The days an attempt waits for a blocking statute's approval, and whether it is refused.

        ``(0.0, False)`` unless the channel (its number) reaches the provider without the
        requested state's authorities and a statute is in force there today; else from the
        attempt's draw at ``at`` (``sim.rules.blocking``).
        """
        steps = self._barriers[req.requested.number] if channel in self.to_provider else ()
        barrier = barrier_on(steps, self.env.now) if steps else None
        return (0.0, False) if barrier is None else approval(barrier, *uniforms_at(at))

    def _use_decision_rules(self, scenario: Scenario) -> None:
        """The rules that turn a need into a request: pursuit and the agreements' scope."""
        self.pursuit = PursuitRule(
            scenario.routing,
            self.crime_types,
            {name: channel for name, channel in scenario.channels.items() if channel.enabled},
        )
        """Whether a need is pursued, or a declined direct request escalated (section 7.4)."""
        self.agreement_scope = AgreementScope.from_settings(
            scenario.cloud_act_orders,
            self.crime_types,
            [agent.iso3 for agent in self.states],
            self.policy.agreement_uptake(),
        )
        """Which needs a CLOUD Act agreement order may serve (section 7.3)."""
        self.conflict = _conflict_terms(scenario)
        """An EU production order for content that meets a third country's bar: the chance
        its court lifts it and the factor on its execution time (section 7.9)."""

    # -- the investigations ------------------------------------------------------------------

    def _open_cases(self) -> Generator[Any, Any, None]:
        """Every state's investigations that need evidence abroad, in the order they arrive.

        Each state's cases arrive as a Poisson process of its own (:class:`Arrivals`, from
        the state's stream, in turn); one process opens every state's cases, the earliest
        first. A case due before anything else in SimPy's schedule opens at once, the clock
        moved to its day with no event: most cases arrive between two other events (at a quarter
        of the baseline's demand, 292,000 of 397,000 open without one; an event a case had been
        nearly half a run's events). (The day ends with Mesa's marker, so no case opens past
        it.) Everything else about a case is drawn keyed by its state and its
        number among that state's cases (``_open_case``).
        """
        env, demand, root = self.env, self.config.demand, self.streams.root("requests")
        schedule = env._queue  # SimPy's heap of (day, priority, number, event): what is due
        crime_weights = np.cumsum([c.share for c in self.crime_types]).tolist()
        due = []  # [day of the next case, state number, arrivals, state, key, draws, cases]
        for agent in self.states:
            rate = agent.profile.params.cases_per_year * demand.scale / 365.0
            if rate > 0.0:
                arrivals = Arrivals(
                    self.streams[f"arrivals/{agent.iso3}"].exponential,
                    rate,
                    demand.growth_per_year,
                )
                key = state_key(root, agent.iso3)
                draws = CaseDraws(key, PER_CASE, _CASE, _EXTRA_HOLDERS, _HOLDERS, DATA, DATA_AGE)
                due.append([arrivals.day, agent.number, arrivals, agent, key, draws, 0])
        heapify(due)
        while due:
            entry = due[0]
            day = entry[0]
            if day >= self.case_cutoff:
                heappop(due)  # this state opens no more cases
                continue
            if day != env._now:
                if not schedule or day >= schedule[0][0]:
                    yield self._wake_on(day)
                    continue
                env._now = day  # nothing else is due before: no event needed
            _, _, arrivals, agent, key, draws, number = entry
            row = draws.case(number)
            self._open_case(
                agent, key, number * PER_CASE, row, crime_weights, demand.extra_holders_mean
            )
            entry[0], entry[6] = arrivals.advance(), number + 1
            heapreplace(due, entry)

    def _wake_on(self, day: float) -> simpy.Event:
        """An event on ``day`` exactly (a timeout's day is now plus a delay: off by a bit)."""
        env = self.env
        event = simpy.Event(env)
        event._ok, event._value = True, None
        heappush(env._queue, (day, NORMAL, next(env._eid), event))
        return event

    def _open_case(
        self,
        agent: StateAgent,
        key: int,
        first_child: int,
        row: CaseRow,
        crime_weights: list[float],
        extra_holders: float,
    ) -> None:
        """Open a case: its crime, urgency and holders, then one request per pursued need.

        The need for the evidence its ``i``-th holder has, and the request made of it, are
        keyed by child ``first_child + i`` of the state's ``key`` (:data:`PER_CASE`); the
        case's own draws by its first need's key, at positions its request never uses (the
        first need's key exists before the holders are drawn: it depends on the index only).
        ``row`` holds the case's first draws, computed ahead (:mod:`sim.engine.case_draws`).
        """
        draws, u_crime, u_urgent, u_extra, u_holder, u_data, u_pursue, age = row
        crime_number = choice_index(crime_weights, u_crime)
        crime = self.crime_types[crime_number]
        urgent = u_urgent < crime.urgent_share
        danger = self._in_danger(urgent, crime, draws)
        wanted = 1 + poisson_at(extra_holders, draws + _EXTRA_HOLDERS, u_extra)
        holders = self._evidence_holders(agent, wanted, draws + _HOLDERS, u_holder)
        if not holders:
            return
        case_id = self._next_case
        self._next_case += 1
        data_weights = self._data_weights[crime_number]
        now = self.env.now
        pursues = self.pursuit.pursues
        effects = self.policy.effects if self.policy.active else None
        age_days, retention_factor = self.config.demand.data_age_days, self.policy.retention_factor
        provider_choice, direct_decline = self._provider_choice, self._direct_decline
        for index, holder in enumerate(holders):
            need = draws
            if index > 0:  # the first need's draws came with the case's
                need = child(key, first_child + index)
                u_data, u_pursue = uniforms_at(need + DATA)
                age = exponential_at(need + DATA_AGE)
            data_type = choice_index(data_weights, u_data)
            period = self._retention[holder.number][data_type]
            expiry = now - age * age_days + period * retention_factor(holder.iso3, now)
            choice = provider_choice[holder.number]
            if choice is None:
                provider, profile = 0, holder.profile
            else:  # the need's own draw: which of the holder state's providers has the data
                nth = choice_index(choice[0], uniform_at(need + PROVIDER_CHOICE))
                provider, profile = choice[1][nth], choice[2][nth]
            routes = self._routes(agent, profile, data_type, (crime_number, urgent), need)
            if danger and data_type in self._emergency_types and emergency_open(profile):
                routes = (EMERGENCY, *routes)  # fastest of all: tried first (section 7.3)
            # Levers that speed a formal channel up make investigators expect less delay.
            times = (
                UNCHANGED if effects is None else effects(agent.iso3, holder.iso3, now).stage_time
            )
            if not pursues(routes, u_pursue, crime_number, data_type, urgent, times):
                self._leave_unpursued(
                    agent, holder, (case_id, crime_number), routes, data_type, urgent
                )
                continue
            request = Request(
                self._next_request,
                case_id,
                crime_number,
                agent,
                holder,
                data_type,
                urgent,
                now,
                expiry,
                need,
                provider,
                direct_decline[provider][agent.number],
                self._emergency_decline[provider],
            )
            self._next_request += 1
            driver.start(journey(self, request, routes))

    def _routes(
        self,
        agent: StateAgent,
        holder: StateProfile,
        data_type: int,
        case: tuple[int, bool],
        need: int,
    ) -> tuple[str, ...]:
        """The channels open to a need today, fastest first, within the agreements' scope.

        The router answers for the pair, the holder, the data type and the urgency (``case``:
        the crime number and whether the case is urgent); whether a CLOUD Act agreement order
        may serve the need depends on its case too (section 7.3), by the need's own draw.
        """
        crime, urgent = case
        routes = self.router.open_channels(
            agent.profile, holder, DATA_TYPES[data_type], self.env.now, urgent
        )
        if CLOUD_ACT in routes:
            u_scope = uniform_at(need + AGREEMENT_SCOPE)
            routes = self.agreement_scope.narrow(routes, agent.number, crime, u_scope)
        return routes

    def _in_danger(self, urgent: bool, crime: CrimeType, case_key: int) -> bool:
        """Whether a case meets the emergency path's condition: urgent, and in danger.

        18 U.S.C. 2702(b)(8) and (c)(4) let a provider disclose when it believes in good faith
        that an emergency involving danger of death or serious physical injury requires it: of
        the crime type's urgent cases, ``emergency_share`` are such emergencies. The draw is
        the case's own, at a fixed position under its first need's key (``case_key``), so it
        depends on the case's identity only; it is taken only for an urgent case of a crime
        type with a positive share while the path is enabled (a draw not taken shifts none).
        """
        share = crime.emergency_share
        if not urgent or share <= 0.0 or not self._emergency_types:
            return False
        return uniform_at(case_key + _EMERGENCY) < share

    def _leave_unpursued(
        self,
        agent: StateAgent,
        holder: StateAgent,
        case: tuple[int, int],
        routes: tuple[str, ...],
        data_type: int,
        urgent: bool,
    ) -> None:
        """Count a need nobody pursued and write its row (``case``: its id and crime type).

        A need of the run-out is counted (the time series shows it) but leaves no row.
        """
        agent.unpursued += 1
        if self.env.now >= self.record_until:
            return
        codes = (
            case[1],
            agent.number,
            holder.number,
            _CHANNEL_NUMBER[routes[0]],
            data_type,
            urgent,
        )
        self.unpursued.add(case[0], codes, self.env.now)

    def _evidence_holders(
        self, agent: StateAgent, wanted: int, at: int, first: float
    ) -> list[StateAgent]:
        """Distinct foreign states holding the evidence, drawn by their share of providers.

        The draws are the uniforms at ``at``, ``at + STEP``, ... in turn; ``first`` is the
        one at ``at``, already drawn.
        """
        cumulative = self._holder_cumulative[agent.number]
        if cumulative is None:
            return []
        chosen: list[int] = []
        u: float | None = first
        for _ in range(wanted):
            # Rejection of repeats keeps the weights; a few tries suffice except in tiny worlds.
            for _try in range(_HOLDER_TRIES):
                index = choice_index(cumulative, uniform_at(at) if u is None else u)
                u, at = None, at + STEP
                if index not in chosen:
                    chosen.append(index)
                    break
        return [self.states[index] for index in chosen]

    def _holders_of(self, agent: StateAgent) -> list[float] | None:
        """Cumulative holder weights seen from ``agent`` (itself excluded); None if no holder."""
        weights = [
            0.0 if other is agent else other.profile.params.provider_share for other in self.states
        ]
        if math.fsum(weights) <= 0.0:
            return None
        return np.cumsum(weights).tolist()

    # -- helpers of the request process ------------------------------------------------------

    def review_risks(
        self,
        plan: ChannelPlan,
        crime: CrimeType,
        data_type: int,
        requesting: StateAgent,
        requested: StateAgent,
    ) -> tuple[float, float]:
        """Dual-criminality and data-protection risks of a channel, crime, data type and pair.

        Cached by all five: dual criminality depends on the data type (docs/model.md 7.7).
        """
        key = (plan.name, id(crime), data_type, requesting.number, requested.number)
        risks = self._risks.get(key)
        if risks is None:
            risks = (
                dual_criminality_risk(
                    plan.settings, crime, requested.profile, self.data_type_names[data_type]
                ),
                data_protection_risk(
                    plan.settings, self.config.privacy, requesting.profile, requested.profile
                ),
            )
            self._risks[key] = risks
        return risks

    def trace_of(self, request: Request) -> TimelineLog | None:
        """Where a request's steps are written: the run's timeline, or None.

        None if the run keeps no timeline, or if the request is of the run-out (which leaves
        no row, so no steps either).
        """
        return self.timeline if request.created < self.record_until else None

    # -- time --------------------------------------------------------------------------------

    def step(self) -> None:
        """One day: SimPy runs the requests up to the day Mesa's ``time`` has just reached.

        Mesa 3.5 calls this from ``model.step()`` (and ``run_for``, ``run_until``,
        ``run_model``) once per whole day, after advancing ``time``; so after each call
        ``env.now == time == steps``. At the horizon ``running`` turns False. Every
        ``timeseries_interval_days`` the states are observed, at the end of the day. (Here,
        not as a recurring Mesa event: that would cost a Mesa event per observation, some 1%
        of a run's time.)
        """
        env = self.env
        # env.run(until=self.time) without its StopSimulation exception every day: the same
        # marker event, at the same URGENT priority (before regular events of that instant).
        marker = simpy.Event(env)
        marker._ok, marker._value = True, None
        env.schedule(marker, URGENT, self.time - env.now)
        step = env.step
        while marker.callbacks is not None:
            step()
        day = env.now
        settle(self, day)
        self.running = day < self.horizon
        if day % self._observe_every == 0:
            self._observe()

    def _observe(self) -> None:
        """One time-series row per state, a value for each registered column."""
        day = float(self.env.now)
        add, observers = self.timeseries.add, self._observers
        for agent in self.states:
            add(day, agent.number, [observe(self, agent, day) for observe in observers])

    @property
    def day(self) -> int:
        """The whole days simulated so far: the clock, as a count (for progress reports)."""
        return int(self.env.now)

    @property
    def finished(self) -> bool:
        """Whether the run has reached its horizon (Mesa's ``running`` is False)."""
        return not self.running

    def close(self) -> None:
        """Record every request still in progress as pending (censored at the horizon).

        Called once the run has reached its horizon: a pending request's stage times stop
        there (``Request.censor``; ``journey`` counts stages without a queue up to it).
        """
        for request in sorted(self.in_flight.values(), key=lambda r: r.request_id):
            if (trace := self.trace_of(request)) is not None:
                trace.censor(request, self.env.now)
            request.censor(self.env.now)
            record(self, request, PENDING, NO_REASON, self.env.now)
        self.in_flight.clear()
        self.finishing.clear()  # (in a run cut short) pending: their rows are written above
