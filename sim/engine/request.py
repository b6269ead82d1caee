"""A request's journey: the SimPy process that carries it through its channels' stages.

The process keeps the time (queues, waits, the request's own clock) and takes the random
draws; what happens at each step is decided by :mod:`sim.rules.attempts`. It is the engine's
hot path (it runs once per request, millions of times in a large run), so it is one flat
generator with the stage plan compiled in advance and no per-stage sub-generators.

Every draw of a request is keyed (:mod:`sim.engine.streams`): it sits at a fixed position of
the request's key, chosen by what it is for, and is computed only when it is needed. The
positions (in units of ``STEP``) are laid out as follows: the need's own draws first (the
data type and the pursuit, two halves of one draw; the age of the data; dual criminality and
data protection, two halves of one draw); then one block per pass through a channel, a *pass*
being the first run of the channel's stages or a run after a return for clarification. Within
a block, each stage has four positions (its time; the provider's decline; the content order;
the grounds and the return for clarification, two halves of one draw) and after the stages
come the attempt's own draws (the preservation time, its success, the escalation after a
decline, a blocking statute's approval). Blocks are ordered by pass, then channel: a request's
draws depend on the request, the channel, the stage and the pass only, never on other
requests or on the order of events. Channels added after the first ten have a second layout
of their own further on (:func:`channel_blocks`), so adding a channel moves no other
channel's draws.

The module is over 400 lines because the positions of the draws, the compiled plans and
the journey that uses both must be read together: splitting them would scatter one layout.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sim.config.distributions import Sampler
from sim.config.schema import Channel
from sim.engine import preserving
from sim.engine.streams import KEYED, STEP, uniform_at, uniforms_at
from sim.rules import attempts as rules
from sim.rules.channels import FORMAL_MLA
from sim.vocabulary import (
    ABANDONED,
    BLOCKING_STATUTE,
    CHANNELS,
    CONFLICTING_LAW,
    EVIDENTIARY_STANDARD,
    FULFILLED,
    LOST,
    NO_CHANNEL,
    NO_REASON,
    PROVIDER_DECLINED,
    REFUSED,
    REQUESTING_STAGES,
    RETENTION_EXPIRED,
    STAGES,
    TIMEOUT,
)

if TYPE_CHECKING:
    from sim.engine.agents import StateAgent
    from sim.engine.model import CooperationModel
    from sim.rules.levers import Effects

UNLIMITED, CENTRAL_AUTHORITY, POOL = range(3)
_KINDS = {"unlimited": UNLIMITED, "central_authority": CENTRAL_AUTHORITY}  # or POOL (staff)
_DOMESTIC_ORDER = STAGES.index("domestic_order")
_EXECUTION = STAGES.index("execution")
_E_EVIDENCE = CHANNELS.index("e_evidence")
_EMERGENCY = CHANNELS.index("emergency_disclosure")
_NO_DAYS = [0.0] * len(STAGES)  # copied, never changed

# -- positions of a request's draws (see the module docstring), as offsets from its key ----
DATA, DATA_AGE, LEGAL_TESTS = (n * STEP for n in range(1, 4))
"""The need's draws: data type and pursuit (halves), taken when its case is opened; the age of
the data; dual criminality and data protection (halves), at each review. Positions 4 to 7 are
for the case's own draws (``sim.engine.model``) and the need's provider."""
PROVIDER_CHOICE = 5 * STEP  # which of the holder state's providers has it (if it has any)
AGREEMENT_SCOPE = 7 * STEP  # whether a CLOUD Act agreement order may serve it (if one is open)
_FIRST_BLOCK = 8
_SLOTS = 4
"""Positions per stage, and of the attempt's own draws after the stages."""
TIME, PROVIDER, CONTENT_ORDER, REVIEW = (n * STEP for n in range(4))
"""A stage's draws, from the stage's first position (``REVIEW``: grounds and return, halves)."""
CONFLICT = CONTENT_ORDER
"""At the execution stage (whose content-order position is free): the court's decision on an
order the provider objected to under a third country's law."""
PRESERVATION_TIME, PRESERVATION, ESCALATION, APPROVAL = (n * STEP for n in range(4))
"""An attempt's own draws, from the position after its channel's stages (``APPROVAL``: a
blocking statute's refusal and wait, halves of one draw)."""
_BLOCK = (len(STAGES) + 1) * _SLOTS
FIRST_LAYOUT = (
    "direct_provider",
    "sp_subscriber_order",
    "e_evidence",
    "eio",
    "cloud_act",
    "bilateral_mlat",
    "treaty_mla",
    "budapest_mla",
    "un_convention_mla",
    "letters_rogatory",
)
"""The channels whose blocks were laid out first, in that order (the second block was the Second
Protocol's single channel, now its Art. 7 order). A channel added later gets its blocks in a
second layout from ``LATER_LAYOUT``, so that adding one moves no draw of another: a run whose
new channels never open has exactly the rows it had before (tests/test_regression.py)."""
LATER_CHANNELS = tuple(name for name in CHANNELS if name not in FIRST_LAYOUT)
"""The channels of the second layout, in ``CHANNELS`` order."""
LATER_LAYOUT = 1 << 19
"""First position of the second layout: beyond the last pass of the first one (1,001 passes of
ten blocks: a channel returns a request at most 1,000 times) and, after its own 1,001 passes,
still below the case's draws (``sim.engine.model.CASE_DRAWS``)."""


def channel_blocks(name: str) -> tuple[int, int]:
    """Where a channel's draws sit: its first pass's block, and the distance to its next pass's.

    Blocks are ordered by pass, then channel, within each layout (``FIRST_LAYOUT``, then
    ``LATER_CHANNELS``); both are offsets from the request's key, multiples of ``STEP``.
    """
    if name in FIRST_LAYOUT:
        first, number, size = _FIRST_BLOCK, FIRST_LAYOUT.index(name), len(FIRST_LAYOUT)
    else:
        first, number, size = LATER_LAYOUT, LATER_CHANNELS.index(name), len(LATER_CHANNELS)
    return (first + number * _BLOCK) * STEP, size * _BLOCK * STEP


_ATTEMPT = len(STAGES) * _SLOTS * STEP


@dataclass(frozen=True, slots=True)
class StagePlan:
    """One stage of a channel, compiled: who serves it, how long it takes, what follows."""

    index: int
    at: int
    """Position of the stage's draws in its channel's block (a multiple of ``STEP``)."""
    sample: Sampler
    kind: int
    by_requesting: bool
    reviews: bool
    """The request is reviewed after this stage (legal review, or execution if none)."""
    decides: bool
    """A decision may follow this stage (review or execution; a domestic order for content)."""
    servers: int
    pool: tuple[str, int] | None
    """The key of the stage's pool at the state serving it; None if its central authority."""


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """A channel, compiled for the engine."""

    name: str
    number: int
    settings: Channel
    stages: tuple[StagePlan, ...]
    content_stages: tuple[StagePlan, ...]
    """The stages as a request for content goes through them (its domestic order decides)."""
    at: int
    """Position of the channel's block in a request's first pass (a multiple of ``STEP``)."""
    next_pass: int
    """From a pass's block to the same channel's block of the next pass (:func:`channel_blocks`)."""


def compile_channel(name: str, channel: Channel) -> ChannelPlan:
    """Turn a channel's settings into a plan whose stages draw their times keyed."""
    path = channel.path()
    review_stage = "legal_review" if "legal_review" in path else "execution"
    stages = []
    for stage_name in path:
        stage = channel.stages[stage_name]
        kind = _KINDS.get(stage.servers, POOL)
        index = STAGES.index(stage_name)
        stages.append(
            StagePlan(
                index=index,
                at=index * _SLOTS * STEP,
                sample=stage.time.sampler(KEYED, channel.time_scale),
                kind=kind,
                by_requesting=stage_name in REQUESTING_STAGES,
                reviews=stage_name == review_stage,
                decides=stage_name == review_stage or index == _EXECUTION,
                servers=int(stage.servers) if kind == POOL else 0,
                pool=(name, index) if kind == POOL else None,
            )
        )
    # A request for content may be refused after its domestic order (evidentiary standard).
    content = [replace(p, decides=True) if p.index == _DOMESTIC_ORDER else p for p in stages]
    at, next_pass = channel_blocks(name)
    return ChannelPlan(
        name, CHANNELS.index(name), channel, tuple(stages), tuple(content), at, next_pass
    )


@dataclass(slots=True, eq=False)
class Request:
    """A request in progress. Finished requests live on only as a row of the request log."""

    request_id: int
    case_id: int
    crime: int
    requesting: StateAgent
    requested: StateAgent
    data_type: int
    urgent: bool
    created: float
    expiry: float
    key: int
    """The key of the request's draws (the position of its draw 0)."""
    provider: int = 0  # who holds the data: its code in model.provider_names (0: domestic)
    direct_decline: float = 0.0  # the chance it declines a direct request from `requesting`
    emergency_decline: float = 1.0  # the chance it declines an emergency request
    channel: int = field(default=-1, init=False)
    first_channel: int = field(default=-1, init=False)
    attempts: int = field(default=0, init=False)
    clarifications: int = field(default=0, init=False)
    preserved: bool = field(default=False, init=False)
    preservation: int = field(default=0, init=False)
    """The path by which the data were preserved (``PRESERVATION_PATHS``; 0: not preserved)."""
    kept_pending: bool = field(default=False, init=False)
    """Preserved by a path that keeps the data until the decision (Budapest Art. 29(7))."""
    preservation_due: bool = field(default=False, init=False)
    """Preservation was due before some attempt (what a loss's driver needs to know)."""
    path_open: bool = field(default=False, init=False)
    """A path of preservation was open when it was due."""
    barred: bool = field(default=False, init=False)
    """This attempt's data may not leave the requested state: its approval was refused."""
    loss_driver: int = field(default=0, init=False)
    stage_days: list[float] = field(default_factory=_NO_DAYS.copy, init=False)
    wait_days: list[float] = field(default_factory=_NO_DAYS.copy, init=False)
    # The stage whose queue or server holds the request (-1: none), since when, and whether it
    # is still waiting: what ``censor`` needs if the run ends meanwhile.
    queue_stage: int = field(default=-1, init=False)
    queue_since: float = field(default=0.0, init=False)
    queue_waiting: bool = field(default=False, init=False)

    def begin_attempt(self, channel: int) -> None:
        """Count an attempt on ``channel`` (its number in ``CHANNELS``)."""
        self.channel = channel
        if self.first_channel < 0:
            self.first_channel = channel
        self.attempts += 1

    def censor(self, day: float) -> None:
        """Count the stage in progress at the end of the run (``day``) up to that day only.

        A request recorded as pending has spent, in the queued stage it is in, the days since
        it joined that stage's queue, all of them waiting if no server has taken it yet. Its
        stages without a queue were counted only up to the horizon as they were planned
        (``journey``), and stages it has not reached count 0, so its stage times add up to no
        more than its time to outcome.
        """
        stage = self.queue_stage
        if stage >= 0:
            elapsed = day - self.queue_since
            self.stage_days[stage] += elapsed
            if self.queue_waiting:
                self.wait_days[stage] += elapsed
            self.queue_stage = -1


def record(model: CooperationModel, req: Request, outcome: int, reason: int, day: float) -> None:
    """Write a request's row to the log (``day`` is when its outcome was known).

    The states observe every outcome; a request of the run-out (created on or after
    ``model.record_until``) leaves no row (``simulation.run_out_days``).
    """
    if model.adaptation.observing:
        model.adaptation.observe(req, outcome, day)
    if req.created >= model.record_until:
        return
    channel = req.channel if req.channel >= 0 else len(CHANNELS)  # records.UNROUTED
    first = req.first_channel if req.first_channel >= 0 else channel
    model.log.add(
        (
            req.request_id,
            req.case_id,
            req.crime,
            req.requesting.number,
            req.requested.number,
            channel,
            first,
            req.data_type,
            int(req.urgent),
            req.attempts,
            req.clarifications,
            int(req.preserved),
            req.preservation,
            outcome,
            reason,
            req.loss_driver if outcome == LOST else 0,  # a loss not yet known at the horizon
            req.provider,
        ),
        req.created,
        day,
        req.stage_days,
        req.wait_days,
    )


def journey(
    model: CooperationModel, req: Request, routes: tuple[str, ...]
) -> Generator[Any, Any, None]:
    """The SimPy process of one request, from the choice of channel to its outcome.

    ``routes`` are the channels open to it when it was created, fastest first (the router's
    choice, made once by the model when it decided to pursue the need).
    """
    env, horizon, priority = model.env, model.horizon, 0 if req.urgent else 1
    _enter(model, req)
    outcome, reason, trace = ABANDONED, NO_CHANNEL, model.trace_of(req)  # None: no steps kept
    tried = rules.channels_to_try(routes, model.config.routing.max_channels)
    for nth, name in enumerate(tried, 1):
        plan = model.plans[name]
        req.begin_attempt(plan.number)
        at = req.key + plan.at  # the first pass's block; a return moves it by plan.next_pass
        attempt = at + _ATTEMPT  # the attempt's own draws
        effects = model.policy.effects(req.requesting.iso3, req.requested.iso3, env.now)
        if model.preserving and (path := preserving.due(model, req, plan.settings.nominal_days)):
            yield env.timeout(model.preservation_time(attempt + PRESERVATION_TIME))
            preserving.preserve(model, req, effects.preservation_gap, attempt + PRESERVATION, path)
        terms, delay = _attempt_terms(model, req, plan, effects)
        urgency, lever_time, extra_time = terms.urgent_factor, terms.lever_time, terms.extra_time
        # The request's own clock: stages without a queue advance it with no SimPy event; it
        # catches up before a queue and the outcome. It starts after any statute's approval.
        wait, req.barred = model.approval(req, plan.number, attempt + APPROVAL)
        clock, deadline = env.now + wait, env.now + wait + plan.settings.timeout_days
        stages = plan.content_stages if terms.content else plan.stages
        count, position = len(stages), 0
        while position < count:
            stage = stages[position]
            index = stage.index
            duration = stage.sample(at + stage.at) * urgency * lever_time[index] * extra_time[index]
            if req.kept_pending:
                req.expiry = rules.expiry_pending_decision(req.expiry, clock, stage.by_requesting)
            if stage.kind == UNLIMITED:
                entered = clock
                clock += duration
                # Past the horizon the request is pending: only the days before it count.
                if entered < horizon:
                    req.stage_days[index] += (clock if clock <= horizon else horizon) - entered
            else:
                entered = env.now
                if clock > entered:
                    yield env.timeout(clock - entered)
                    entered = env.now
                agent, key = (req.requesting if stage.by_requesting else req.requested), stage.pool
                queue = agent.central_authority if key is None else agent.pool(key, stage.servers)
                req.queue_stage, req.queue_since, req.queue_waiting = index, entered, True
                yield queue.request(priority, 0.0 if stage.by_requesting else delay)
                req.queue_waiting = False
                req.wait_days[index] += env.now - entered
                yield env.timeout(duration)
                queue.release()
                req.queue_stage = -1
                clock = env.now
                req.stage_days[index] += clock - entered
            trace is None or trace.stage(req, index, entered, duration, clock)
            if stage.decides:
                outcome, reason = _decide(stage, entered, req, plan, terms, at + stage.at)
                if outcome == rules.REDRAFT:
                    position = 0  # back to drafting, with the same channel: the next pass
                    at += plan.next_pass
                    continue
                if outcome != rules.GO_ON:
                    break
            position += 1
            if clock > deadline and rules.timed_out(clock, deadline, position, count):
                outcome, reason = ABANDONED, TIMEOUT
                break
        else:
            outcome, reason = FULFILLED, NO_REASON
        trace is None or trace.attempt_end(req, outcome, reason, clock)  # before the next yield
        if clock > env.now:
            if _settled_ahead(model, req, (outcome, reason), clock, len(tried) - nth):
                return  # its outcome is final: it leaves without an event (``settle``)
            yield env.timeout(clock - env.now)
        if rules.ends_request(outcome, reason) or not _falls_back(model, req, reason, tried, nth):
            break
    _leave(model, req, outcome, reason)


def _enter(model: CooperationModel, req: Request) -> None:
    """The request's journey begins: it joins the requests in flight."""
    model.in_flight[req.request_id] = req
    req.requested.open_requests += 1


def _leave(model: CooperationModel, req: Request, outcome: int, reason: int) -> None:
    """The request's journey is over: it leaves the requests in flight for its row."""
    del model.in_flight[req.request_id]
    req.requested.open_requests -= 1
    record(model, req, outcome, reason, model.env.now)


def _settled_ahead(
    model: CooperationModel, req: Request, end: tuple[int, int], clock: float, left: int
) -> bool:
    """Whether an attempt ending at ``clock`` ends the request with no event; if so, file it.

    It does if its outcome (``end``: outcome and reason) is final (``left``: the channels
    left to try, none; or an outcome that ends the request), before the horizon, in a run in
    which no behaviour learns from outcomes: then nothing reacts to it on its day, and
    :func:`settle` lets it leave at the end of that day.
    """
    now = model.env.now
    day = now + (clock - now)  # the day as SimPy would reach it: clock, give or take a bit
    if not model.settles_ahead or day >= model.horizon or (left and not rules.ends_request(*end)):
        return False
    # The simulated day at whose end it leaves: the first whole day after its outcome's (an
    # event on a whole day comes after that day's end, which Mesa's step marks first).
    leaves, entry = int(day) + 1, (req, *end, day)
    filed = model.finishing.get(leaves)
    if filed is None:
        model.finishing[leaves] = [entry]
    else:
        filed.append(entry)
    return True


def settle(model: CooperationModel, day: float) -> None:
    """Let the requests whose final outcome came during the day ending at ``day`` leave.

    A request whose final outcome is known ahead of its day waits for no event
    (:func:`_settled_ahead`): it is filed in ``model.finishing`` under the day at whose end
    it leaves, and the model calls this at the end of every simulated day, so the requests in
    flight and the time series at the end of every day are as they were; nothing reads them
    during a day. Its row is the one it would have had (the log sorts rows by request id):
    one event fewer for most requests, some 9% of a run's time.
    """
    in_flight = model.in_flight
    for req, outcome, reason, ended in model.finishing.pop(int(day), ()):
        del in_flight[req.request_id]
        req.requested.open_requests -= 1
        record(model, req, outcome, reason, ended)


def _attempt_terms(
    model: CooperationModel, req: Request, plan: ChannelPlan, effects: Effects
) -> tuple[rules.AttemptTerms, float]:
    """An attempt's terms, and the days a normal request is put back in line (reciprocity).

    The terms depend on the channel, the crime, the data type, the pair, the urgency, the
    levers' effects and trust only, and they never change once made: where trust is neutral
    they are kept in ``model.attempt_terms``, keyed by those and by the identity of the
    effects (each is kept for the whole run by :class:`~sim.rules.levers.Policy`, or is
    ``NEUTRAL``), and made once.
    """
    requesting, requested, adaptation = req.requesting, req.requested, model.adaptation
    trust = adaptation.trust_factor(requested.number, requesting.number)
    delay = 0.0 if req.urgent else adaptation.queue_delay(requested.number, requesting.number)
    key = terms = None
    if trust == 1.0:
        key = (
            plan.number,
            req.crime,
            req.data_type,
            requesting.number,
            requested.number,
            req.urgent,
            id(effects),
        )
        terms = model.attempt_terms.get(key)
        if terms is not None:
            return terms, delay
    content = model.data_type_names[req.data_type] == "content"
    terms = rules.AttemptTerms(
        plan.settings,
        model.evidentiary[requested.profile.params.evidentiary_standard],
        effects,
        model.review_risks(
            plan, model.crime_types[req.crime], req.data_type, requesting, requested
        ),
        requesting.profile.params.clarification_factor,
        trust,
        req.urgent,
        content,
        model.conflict
        if content and plan.number == _E_EVIDENCE and requested.bars_content
        else rules.NO_CONFLICT,
    )
    if key is not None:
        model.attempt_terms[key] = terms
    return terms, delay


def _decide(
    stage: StagePlan,
    entered: float,
    req: Request,
    plan: ChannelPlan,
    terms: rules.AttemptTerms,
    at: int,
) -> tuple[int, int]:
    """The decisions after ``stage`` (entered on day ``entered``): a step or the attempt's end.

    Returns ``(GO_ON or REDRAFT, NO_REASON)`` (counting a return) or ``(outcome, reason)``.
    Decisions are taken in the order of docs/model.md section 3.2, each from the request's
    draw for it at the stage's position ``at`` of this pass (the dual-criminality and
    data-protection draws are the need's own, the same at every review). Each rule asks
    whether its uniform is below a chance; where that chance is 0 no number can decide it,
    so none is drawn and 1.0 stands in (keyed draws: a draw not taken shifts nothing; the
    two halves of a pair are drawn if either chance is positive). Most requests are direct
    ones, whose review has no chance of a refusal or a return.
    """
    if stage.index == _EXECUTION:
        if rules.evidence_lost(entered, req.expiry):
            req.loss_driver = rules.loss_driver(
                req.expiry, req.created, req.preserved, req.preservation_due, req.path_open
            )
            return LOST, RETENTION_EXPIRED
        if terms.conflict > 0.0 and rules.order_lifted(uniform_at(at + CONFLICT), terms.conflict):
            return REFUSED, CONFLICTING_LAW
        if req.barred:  # a blocking statute: the approval was refused (sim.rules.blocking)
            return REFUSED, BLOCKING_STATUTE
        # Channel 0 is direct_provider (vocabulary.CHANNELS): declined at the provider's rate;
        # so is the emergency path, at the provider's emergency rate.
        number = plan.number
        if number == 0:
            p_decline = req.direct_decline
        elif number == _EMERGENCY:
            p_decline = req.emergency_decline
        else:
            p_decline = plan.settings.p_provider_decline
        if p_decline > 0.0 and rules.provider_declines(uniform_at(at + PROVIDER), p_decline):
            return REFUSED, PROVIDER_DECLINED
    if stage.index == _DOMESTIC_ORDER and terms.content_refusal > 0.0:  # content only
        u_order = uniform_at(at + CONTENT_ORDER)
        if rules.content_order_refused(u_order, terms.content_refusal):
            return REFUSED, EVIDENTIARY_STANDARD
    if not stage.reviews:
        return rules.GO_ON, NO_REASON
    channel = plan.settings
    u_dual = u_privacy = u_grounds = u_clarify = 1.0
    if terms.dual_criminality > 0.0 or terms.data_protection > 0.0:
        u_dual, u_privacy = uniforms_at(req.key + LEGAL_TESTS)
    p_grounds, p_clarify = channel.p_refuse_grounds * terms.grounds, channel.p_clarify
    if p_grounds > 0.0 or p_clarify * terms.clarification > 0.0:
        u_grounds, u_clarify = uniforms_at(at + REVIEW)
    step = rules.review_attempt(terms, u_dual, u_privacy, u_grounds, u_clarify, req.clarifications)
    if step[0] == rules.REDRAFT:
        req.clarifications += 1
    return step


def _falls_back(
    model: CooperationModel, req: Request, reason: int, tried: tuple[str, ...], nth: int
) -> bool:
    """Whether a request goes on after attempt ``nth`` of ``tried`` ended for ``reason``.

    A declined direct request, or any request whose next channel is formal MLA, goes on only
    if the pursuit rule says so for that channel (docs/model.md 7.5), by the attempt's
    escalation draw.
    """
    if nth < len(tried) and rules.escalation_is_optional(
        reason, req.channel, tried[nth] in FORMAL_MLA
    ):
        plan = model.plans[tried[nth - 1]]
        times = model.policy.effects(req.requesting.iso3, req.requested.iso3, model.env.now)
        p = model.pursuit.escalation(
            tried[nth], req.crime, req.data_type, req.urgent, times.stage_time
        )
        return p >= 1.0 or rules.escalates(uniform_at(req.key + plan.at + _ATTEMPT + ESCALATION), p)
    return nth < len(tried)
