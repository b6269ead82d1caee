"""The rules of a request's channel attempts: before one, at its decision points, after it.

A request tries the channels open to it one after another; each try is an *attempt*. Before an
attempt the requesting state may ask the 24/7 network to preserve the data; during it,
decisions fall at fixed points of the channel's path; after it, the request ends or falls back
to the next channel (docs/model.md, sections 3.2 and 7.4 to 7.10).

Each function here decides one of those steps from plain values and returns plain values. The
engine (:func:`sim.engine.request.journey`) keeps the time, takes each random draw where the
rules need it, keyed by the request and the draw's purpose (docs/model.md, section 4.9), and
passes it in as a uniform number: so the same seed gives the same decisions, a request's
decisions do not depend on other requests, and a rule can be tested without a model.
"""

from __future__ import annotations

import math

from sim.config.schema import Channel, EvidentiaryRule
from sim.rules.legal_review import review
from sim.rules.levers import Effects
from sim.vocabulary import (
    ABANDONED,
    ACCEPT,
    CHANNELS,
    CLARIFY,
    FULFILLED,
    LOST,
    NO_REASON,
    PROVIDER_DECLINED,
    REFUSED,
    STAGES,
    TOO_MANY_CLARIFICATIONS,
    LossDriver,
)

GO_ON = -1
"""Not an outcome: the attempt goes on to the next stage."""

REDRAFT = -2
"""Not an outcome: the request goes back to drafting on the same channel (a clarification)."""

_DOMESTIC_ORDER = STAGES.index("domestic_order")
_LEGAL_REVIEW = STAGES.index("legal_review")
_EXECUTION = STAGES.index("execution")
_DIRECT_PROVIDER = CHANNELS.index("direct_provider")
_EMERGENCY_NAME = "emergency_disclosure"
_UNSCALED = (1.0,) * len(STAGES)
NO_CONFLICT = (0.0, 1.0)
"""An attempt that meets no conflicting third-country law: (chance lifted, time factor)."""


# -- before the first attempt ----------------------------------------------------------------


def channels_to_try(routes: tuple[str, ...], max_channels: int) -> tuple[str, ...]:
    """The channels a request will try, in order: the first ``max_channels`` of its routes.

    Investigators give up after a few channels however many are open (``routing.max_channels``,
    3 in the defaults); the routes come ranked fastest first, so the slowest are dropped. An
    emergency request to the provider, first in the routes of a need in danger, is not one of
    them: it is asked on top of the ordinary channels, which stay as they were if it fails.
    """
    if routes and routes[0] == _EMERGENCY_NAME:
        return routes[: max_channels + 1]
    return routes[:max_channels]


# -- preservation before an attempt ----------------------------------------------------------


def data_held(day: float, expiry: float) -> bool:
    """Whether the provider still holds the data on ``day`` (before their expiry)."""
    return day < expiry


def asks_preservation(
    enabled: bool,
    preserved: bool,
    expiry: float,
    day: float,
    nominal_days: float,
    margin_days: float,
) -> bool:
    """Whether to ask for preservation before an attempt, if both states have a 24/7 contact.

    Preservation is asked when it is enabled, the data are not yet preserved, still held, and
    would expire before the channel is expected to answer (its ``nominal_days``) plus a margin:
    data that will outlive the request need no preservation, and deleted data cannot be saved.
    Whether both states have a 24/7 point of contact is the caller's to check.
    """
    return (
        enabled
        and not preserved
        and expiry - day < nominal_days + margin_days
        and data_held(day, expiry)
    )


def preservation_succeeds(u_preserve: float, p_success: float, lever_gap: float) -> bool:
    """Whether a preservation request freezes the data (draw only if they are still held).

    It succeeds with probability ``1 - (1 - p_success) * lever_gap``: ``preservation_24_7``
    levers close part of the gap of failed requests (``lever_gap`` is the part left, 1 without).

    Args:
        u_preserve: The attempt's uniform number for preservation.
        p_success: The chance that a preservation request succeeds without levers.
        lever_gap: The share of the chance of failure that the levers leave.
    """
    return u_preserve < 1.0 - (1.0 - p_success) * lever_gap


def preserved_expiry(expiry: float, day: float, hold_days: float) -> float:
    """The data's expiry once preserved on ``day``: held ``hold_days`` at least, never less."""
    return max(expiry, day + hold_days)


def renewed_hold(hold_days: float, renewal_days: float, renewals: int) -> float:
    """How long a preservation can hold data while the formal request is pending.

    The first hold is ``hold_days``; when it would run out while the request still waits, the
    requesting state renews it, ``renewal_days`` at a time, at most ``renewals`` times (18
    U.S.C. 2703(f)(2): 90 days and one more 90; EPOC-PR: 60 and 30 more). A request that
    has ended needs no renewal, and whether the data are there matters only to one that is
    still pending, so holding them for the whole renewed period is the same as renewing each
    hold as it runs out; renewals are asked in time and granted (no draw).
    """
    return hold_days + renewals * renewal_days


def expiry_pending_decision(expiry: float, day: float, by_requesting: bool) -> float:
    """Preserved data's expiry as a stage starts: infinite once the requested state has it.

    Budapest Art. 29(7): preservation "shall continue until a decision is taken" on the formal
    request. So when preserved data are still held (``day <= expiry``) as the request reaches
    a stage of the requested state, they are kept for good; a request that arrives after the
    preservation ran out finds them gone like any other.
    """
    if not by_requesting and day <= expiry:
        return math.inf
    return expiry


def loss_driver(
    expiry: float, created: float, preserved: bool, asked: bool, path_open: bool
) -> int:
    """Why the data of a lost request were gone when execution began (``LOSS_DRIVERS``).

    Args:
        expiry: The data's expiry at execution (for data never preserved, the retention's).
        created: The day the request was created.
        preserved: Whether the data were preserved.
        asked: Whether preservation was due before some attempt (data held, expiring within
            the channel's nominal time plus the margin, preservation enabled).
        path_open: Whether a path was open when it was due (so it was asked and failed).
    """
    if preserved:
        return int(LossDriver.HOLD_EXPIRED)
    if expiry <= created:
        return int(LossDriver.GONE_AT_REQUEST)
    if not asked:
        return int(LossDriver.NOT_ASKED)
    if not path_open:
        return int(LossDriver.NO_PRESERVATION_OPEN)
    return int(LossDriver.PRESERVATION_FAILED)


# -- the terms of an attempt -----------------------------------------------------------------


class AttemptTerms:
    """An attempt's chances and time factors, fixed when it starts (docs/model.md, 3.2, 7.7-7.10).

    The levers in force, the requested state's trust and the urgency are read once, at the
    start of the attempt (after any preservation), and hold until it ends. The pair's
    dual-criminality and data-protection risks are scaled by the levers; the requesting
    state's clarification factor by the levers and by the requested state's trust, which also
    scales the legal review's time (7.12.3). Under the requested state's evidentiary standard
    a content order takes longer and may be refused, both eased by levers (7.8). An urgent
    request's stages all take the channel's ``urgent_factor`` of their time (7.10).

    Args:
        channel: The channel's settings.
        standard: The requested state's evidentiary standard.
        effects: The levers in force for the pair when the attempt starts.
        risks: The pair's dual-criminality and data-protection risks on this channel.
        clarification_factor: The requesting state's multiplier on returns.
        trust: The requested state's trust factor for the requesting state (1 if neutral).
        urgent: Whether the request is urgent.
        content: Whether the request is for content.
        conflict: For an order the provider objects to under a third country's law
            (Regulation (EU) 2023/1543 Art. 17): the chance the court lifts it and the factor
            on the execution stage's time that the objection and review add (7.9).
    """

    __slots__ = (
        "channel",
        "clarification",
        "conflict",
        "content",
        "content_refusal",
        "data_protection",
        "dual_criminality",
        "extra_time",
        "grounds",
        "lever_time",
        "urgent_factor",
    )

    def __init__(
        self,
        channel: Channel,
        standard: EvidentiaryRule,
        effects: Effects,
        risks: tuple[float, float],
        clarification_factor: float,
        trust: float,
        urgent: bool,
        content: bool,
        conflict: tuple[float, float] = NO_CONFLICT,
    ) -> None:
        self.channel = channel
        """The channel's settings (its chances of refusal, return and decline)."""
        self.dual_criminality = risks[0] * effects.dual_criminality
        """Chance of a refusal for dual criminality."""
        self.data_protection = risks[1] * effects.data_protection
        """Chance of a refusal for data protection."""
        self.clarification = clarification_factor * effects.clarification * trust
        """Multiplier on the channel's chance of a return for clarification."""
        self.grounds = effects.grounds
        """Multiplier on the channel's chance of a refusal for insufficient grounds."""
        self.content = content
        """Whether the request is for content (the evidentiary standard applies)."""
        self.content_refusal = standard.p_refuse_content * effects.content_refusal
        """Chance that the domestic order for content is refused."""
        self.urgent_factor = channel.urgent_factor if urgent else 1.0
        """Multiplier on every stage time."""
        self.lever_time = effects.stage_time
        """Multiplier on each stage's time from the levers, by stage index."""
        self.extra_time = _UNSCALED
        """A further multiplier by stage index: content orders, and trust at the legal review."""
        self.conflict = conflict[0]
        """Chance that the order is lifted for a conflicting third-country law (Art. 17)."""
        if trust != 1.0 or content:
            scaled = list(_UNSCALED)
            scaled[_LEGAL_REVIEW] = trust
            scaled[_EXECUTION] = conflict[1]
            if content:
                scaled[_DOMESTIC_ORDER] = (
                    1.0 + (standard.content_time_factor - 1.0) * effects.content_extra_time
                )
            self.extra_time = tuple(scaled)


# -- decisions after a stage -----------------------------------------------------------------


def evidence_lost(execution_start: float, expiry: float) -> bool:
    """Whether the data were gone when execution began: the evidence is lost.

    Execution is when the provider or the police look for the data; if they were deleted
    before, nothing is found, however fast the rest was.
    """
    return execution_start > expiry


def order_lifted(u_conflict: float, p_lifted: float) -> bool:
    """Whether the issuing state's court lifts an order for a conflicting third-country law.

    Regulation (EU) 2023/1543 Art. 17(7): where the third country's law prohibits the
    disclosure, the court weighs the interests it protects, the case's links with each state
    and the provider's exposure, and upholds or lifts the order.
    """
    return u_conflict < p_lifted


def provider_declines(u_provider: float, p_decline: float) -> bool:
    """Whether the provider declines to answer after execution (the data were there).

    Args:
        u_provider: The stage's uniform number for the provider's decline.
        p_decline: The channel's ``p_provider_decline``.
    """
    return u_provider < p_decline


def content_order_refused(u_order: float, p_refuse: float) -> bool:
    """Whether the domestic order for content is refused under the evidentiary standard.

    Only content is tested: a court or prosecutor of the requested state applies its own
    standard (probable cause in the United States) before content is handed over.

    Args:
        u_order: The stage's uniform number for the content order.
        p_refuse: The attempt's ``content_refusal``.
    """
    return u_order < p_refuse


def review_attempt(
    terms: AttemptTerms,
    u_dual: float,
    u_privacy: float,
    u_grounds: float,
    u_clarify: float,
    clarifications: int,
) -> tuple[int, int]:
    """The review of an attempt and what its verdict does: ``(step or outcome, reason)``.

    The requested state reviews the request under the attempt's terms
    (:func:`sim.rules.legal_review.review`). An accepted request goes on (``GO_ON``); a
    refused one ends the attempt refused, for the review's reason. A return for clarification
    sends the request back to drafting on the same channel (``REDRAFT``) while it has had
    fewer than the channel's ``max_clarifications`` returns; after that the requesting state
    gives up and the request is abandoned (``too_many_clarifications``).

    Args:
        terms: The attempt's terms.
        u_dual: The request's own uniform number for the dual-criminality test.
        u_privacy: The request's own uniform number for the data-protection test.
        u_grounds: The review's uniform number for the grounds.
        u_clarify: The review's uniform number for a return.
        clarifications: Returns the request has had so far.
    """
    verdict, why = review(
        terms.dual_criminality,
        terms.data_protection,
        terms.channel,
        terms.clarification,
        u_dual,
        u_privacy,
        u_grounds,
        u_clarify,
        terms.grounds,
    )
    if verdict == ACCEPT:
        return GO_ON, NO_REASON
    if verdict == CLARIFY:
        if clarifications >= terms.channel.max_clarifications:
            return ABANDONED, TOO_MANY_CLARIFICATIONS
        return REDRAFT, NO_REASON
    return REFUSED, why


def timed_out(clock: float, deadline: float, position: int, stage_count: int) -> bool:
    """Whether an attempt is abandoned for a timeout before the stage at ``position``.

    After each stage but the last, an attempt whose clock has passed its deadline
    (``timeout_days`` after it started; clarifications do not reset it) is given up. Evidence
    returned by the last stage is in hand, however late: that is no timeout.
    """
    return position < stage_count and clock > deadline


# -- after an attempt ------------------------------------------------------------------------


def ends_request(outcome: int, reason: int) -> bool:
    """Whether an attempt's outcome ends the request, whatever channels remain.

    Fulfilment needs no other channel, no channel brings back lost data, and a request
    withdrawn after too many returns is not sent again. Refusals and timeouts fall back.
    """
    return outcome in (FULFILLED, LOST) or reason == TOO_MANY_CLARIFICATIONS


def escalation_is_optional(reason: int, channel: int, to_formal: bool) -> bool:
    """Whether going on to the next channel is the investigators' choice.

    It is after a provider declined a direct (voluntary) request, whatever the next channel
    (every next step is a compelled order or a formal request), and before any formal MLA
    request, whatever ended the last attempt: starting a formal request after a refused
    European Production Order or CLOUD Act order weighs the same as starting one for a new
    need. Either is decided like the pursuit of a new need, with the next channel's expected
    delay (``sim.rules.pursuit``, docs/model.md sections 7.4-7.5). Any other fallback (a fast
    channel after a fast one failed) is always made.

    Args:
        reason: Why the last attempt ended.
        channel: The last attempt's channel (its number in ``CHANNELS``).
        to_formal: Whether the next channel is formal mutual legal assistance.
    """
    return to_formal or (reason == PROVIDER_DECLINED and channel == _DIRECT_PROVIDER)


def escalates(u_escalate: float, p_escalate: float) -> bool:
    """Whether the investigators pursue a declined direct request on the next channel.

    Args:
        u_escalate: The attempt's uniform number for the escalation.
        p_escalate: The pursuit rule's chance for the next channel
            (:meth:`sim.rules.pursuit.PursuitRule.escalation`).
    """
    return u_escalate < p_escalate
