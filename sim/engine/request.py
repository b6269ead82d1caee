"""A request's journey: the SimPy process that carries it through its channels' stages.

The process is the engine's hot path (it runs once per request, millions of times in a large
run), so it is one flat generator with the stage plan compiled in advance and no per-stage
sub-generators; the logic reads in DESIGN order all the same.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.config.distributions import Sampler
from sim.config.schema import Channel
from sim.rules.legal_review import review
from sim.vocabulary import (
    ABANDONED,
    ACCEPT,
    CHANNELS,
    CLARIFY,
    EVIDENTIARY_STANDARD,
    FULFILLED,
    LOST,
    NO_CHANNEL,
    NO_REASON,
    PENDING,
    PROVIDER_DECLINED,
    REFUSED,
    REQUESTING_STAGES,
    RETENTION_EXPIRED,
    STAGES,
    TIMEOUT,
    TOO_MANY_CLARIFICATIONS,
)

if TYPE_CHECKING:
    from sim.engine.agents import StateAgent
    from sim.engine.model import CooperationModel

UNLIMITED, CENTRAL_AUTHORITY, POOL = range(3)
_DOMESTIC_ORDER = STAGES.index("domestic_order")
_EXECUTION = STAGES.index("execution")
_LEGAL_REVIEW = STAGES.index("legal_review")
_DIRECT_PROVIDER = CHANNELS.index("direct_provider")


@dataclass(frozen=True, slots=True)
class StagePlan:
    """One stage of a channel, compiled: who serves it, how long it takes, what follows."""

    index: int
    sample: Sampler
    kind: int
    servers: int
    by_requesting: bool
    reviews: bool
    """The request is reviewed after this stage (legal review, or execution if none)."""


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """A channel, compiled for the engine."""

    name: str
    number: int
    settings: Channel
    stages: tuple[StagePlan, ...]


def compile_channel(name: str, channel: Channel, model: CooperationModel) -> ChannelPlan:
    """Turn a channel's settings into a plan with one random stream per stage."""
    path = channel.path()
    review_stage = "legal_review" if "legal_review" in path else "execution"
    stages = []
    for stage_name in path:
        stage = channel.stages[stage_name]
        if stage.servers == "unlimited":
            kind, servers = UNLIMITED, 0
        elif stage.servers == "central_authority":
            kind, servers = CENTRAL_AUTHORITY, 0
        else:
            kind, servers = POOL, int(stage.servers)
        stream = model.streams[f"time/{name}/{stage_name}"]
        stages.append(
            StagePlan(
                index=STAGES.index(stage_name),
                sample=stage.time.sampler(stream, channel.time_scale),
                kind=kind,
                servers=servers,
                by_requesting=stage_name in REQUESTING_STAGES,
                reviews=stage_name == review_stage,
            )
        )
    return ChannelPlan(name, CHANNELS.index(name), channel, tuple(stages))


class Request:
    """A request in progress. Finished requests live on only as a row of the request log."""

    __slots__ = (
        "attempts",
        "case_id",
        "channel",
        "clarifications",
        "created",
        "crime",
        "data_type",
        "expiry",
        "first_channel",
        "preserved",
        "queue_since",
        "queue_stage",
        "queue_waiting",
        "request_id",
        "requested",
        "requesting",
        "stage_days",
        "u_dual",
        "u_privacy",
        "urgent",
        "wait_days",
    )

    def __init__(
        self,
        request_id: int,
        case_id: int,
        crime: int,
        requesting: StateAgent,
        requested: StateAgent,
        data_type: int,
        urgent: bool,
        created: float,
        expiry: float,
        u_dual: float,
        u_privacy: float,
    ) -> None:
        self.request_id = request_id
        self.case_id = case_id
        self.crime = crime
        self.requesting = requesting
        self.requested = requested
        self.data_type = data_type
        self.urgent = urgent
        self.created = created
        self.expiry = expiry
        self.u_dual = u_dual
        self.u_privacy = u_privacy
        self.channel = -1
        self.first_channel = -1
        self.attempts = 0
        self.clarifications = 0
        self.preserved = False
        self.stage_days = [0.0] * len(STAGES)
        self.wait_days = [0.0] * len(STAGES)
        # The stage whose queue or server holds the request (-1: none), since when, and
        # whether it is still waiting: what ``censor`` needs if the run ends meanwhile.
        self.queue_stage = -1
        self.queue_since = 0.0
        self.queue_waiting = False

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
    """Write a request's row to the log (``day`` is when its outcome was known)."""
    if model.adaptation.observing:
        model.adaptation.observe(req, outcome, day)
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
            outcome,
            reason,
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
    env = model.env
    horizon = model.horizon
    requesting, requested = req.requesting, req.requested
    crime = model.crime_types[req.crime]
    data_type = model.data_type_names[req.data_type]
    is_content = data_type == "content"
    priority = 0 if req.urgent else 1
    decisions = model.streams["decide/review"]
    provider = model.streams["decide/provider"]
    preservation = model.config.preservation
    preserve_draw = model.streams["decide/preservation"]
    standard = model.evidentiary[requested.profile.params.evidentiary_standard]
    escalate = model.streams["decide/escalate"]
    pursue_formal = model.config.routing.p_formal_after_direct_decline

    open_channels = routes[: model.config.routing.max_channels]
    model.in_flight[req.request_id] = req
    requested.open_requests += 1
    outcome, reason = ABANDONED, NO_CHANNEL
    for name in open_channels:
        plan = model.plans[name]
        settings = plan.settings
        req.channel = plan.number
        if req.first_channel < 0:
            req.first_channel = plan.number
        req.attempts += 1

        effects = model.policy.effects(requesting.iso3, requested.iso3, env.now)
        if (
            preservation.enabled
            and not req.preserved
            and model.preservation_open(requesting, requested, env.now)
            and req.expiry - env.now < settings.nominal_days + preservation.margin_days
            and env.now < req.expiry
        ):
            yield env.timeout(model.preservation_time())
            p_preserved = 1.0 - (1.0 - preservation.p_success) * effects.preservation_gap
            if env.now < req.expiry and preserve_draw.uniform() < p_preserved:
                req.preserved = True
                req.expiry = max(req.expiry, env.now + preservation.hold_days)

        dual, privacy = model.review_risks(plan, crime, requesting, requested)
        dual *= effects.dual_criminality
        privacy *= effects.data_protection
        clarification = requesting.profile.params.clarification_factor * effects.clarification
        stage_time = effects.stage_time
        adaptation = model.adaptation
        trust = adaptation.trust_factor(requested.number, requesting.number)
        clarification *= trust
        delay = 0.0 if req.urgent else adaptation.queue_delay(requested.number, requesting.number)
        content_time = 1.0 + (standard.content_time_factor - 1.0) * effects.content_extra_time
        content_refusal = standard.p_refuse_content * effects.content_refusal
        urgent_factor = settings.urgent_factor if req.urgent else 1.0
        # The request's own clock: stages without a queue advance it without a SimPy event,
        # which is what makes millions of direct requests cheap; it is caught up with the
        # environment before any queue and before the outcome is recorded.
        clock = env.now
        deadline = clock + settings.timeout_days
        outcome = PENDING
        position = 0
        stages = plan.stages
        while position < len(stages):
            stage = stages[position]
            duration = stage.sample() * urgent_factor * stage_time[stage.index]
            if is_content and stage.index == _DOMESTIC_ORDER:
                duration *= content_time
            elif stage.index == _LEGAL_REVIEW:
                duration *= trust
            if req.preserved and not stage.by_requesting and clock <= req.expiry:
                # Budapest Art. 29(7): once the formal request is received, preserved data
                # stays preserved pending the decision on it.
                req.expiry = math.inf
            if stage.kind == UNLIMITED:
                entered = clock
                clock += duration
                # The request's own clock may run past the horizon; the run ends there and the
                # request is recorded as pending, so only the days before the horizon count.
                if clock <= horizon:
                    req.stage_days[stage.index] += clock - entered
                elif entered < horizon:
                    req.stage_days[stage.index] += horizon - entered
            else:
                if clock > env.now:
                    yield env.timeout(clock - env.now)
                entered = env.now
                agent = requesting if stage.by_requesting else requested
                resource = (
                    agent.central_authority
                    if stage.kind == CENTRAL_AUTHORITY
                    else agent.pool((name, stage.index), stage.servers)
                )
                req.queue_stage, req.queue_since, req.queue_waiting = stage.index, entered, True
                yield resource.request(priority, 0.0 if stage.by_requesting else delay)
                req.queue_waiting = False
                req.wait_days[stage.index] += env.now - entered
                yield env.timeout(duration)
                resource.release()
                req.queue_stage = -1
                clock = env.now
                req.stage_days[stage.index] += clock - entered

            if stage.index == _EXECUTION:
                if entered > req.expiry:
                    outcome, reason = LOST, RETENTION_EXPIRED
                    break
                if provider.uniform() < settings.p_provider_decline:
                    outcome, reason = REFUSED, PROVIDER_DECLINED
                    break
            if (
                is_content
                and stage.index == _DOMESTIC_ORDER
                and decisions.uniform() < content_refusal
            ):
                outcome, reason = REFUSED, EVIDENTIARY_STANDARD
                break
            if stage.reviews:
                verdict, why = review(
                    dual,
                    privacy,
                    settings,
                    clarification,
                    req.u_dual,
                    req.u_privacy,
                    decisions.uniform(),
                    decisions.uniform(),
                    effects.grounds,
                )
                if verdict == CLARIFY:
                    if req.clarifications >= settings.max_clarifications:
                        outcome, reason = ABANDONED, TOO_MANY_CLARIFICATIONS
                        break
                    req.clarifications += 1
                    position = 0  # back to drafting, with the same channel
                    continue
                if verdict != ACCEPT:
                    outcome, reason = REFUSED, why
                    break
            position += 1
            # Evidence back from the last stage has arrived, however late: not a timeout.
            if position < len(stages) and clock > deadline:
                outcome, reason = ABANDONED, TIMEOUT
                break
        else:
            outcome, reason = FULFILLED, NO_REASON
        if clock > env.now:
            yield env.timeout(clock - env.now)
        if outcome in (FULFILLED, LOST) or reason == TOO_MANY_CLARIFICATIONS:
            break  # no other channel would bring back lost data or a withdrawn request
        if (
            reason == PROVIDER_DECLINED
            and plan.number == _DIRECT_PROVIDER
            and escalate.uniform() >= pursue_formal
        ):
            break  # most investigators drop a declined direct request rather than go formal
    del model.in_flight[req.request_id]
    requested.open_requests -= 1
    record(model, req, outcome, reason, env.now)
