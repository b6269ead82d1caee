"""The requested state's legal review: dual criminality, data protection, sufficiency.

A review accepts the request, returns it for clarification (a loop back to drafting) or refuses
it with a recorded reason. Dual-criminality and data-protection failures are properties of the
request and the pair of states, not luck of the draw at each attempt: each request carries one
uniform number per test, drawn when it is created, so a request refused for dual criminality
under one channel is refused again under a channel that applies the test as strictly or more.

Dual criminality is tested only where the channel's instrument requires it, for the data types
whose measure is coercive, judged by conduct between Budapest Parties (Art. 25(5)); it is never
a condition of preservation (Art. 29(3)), which has no review here. The other refusal grounds
(political offence, sovereignty, security, ordre public, ne bis in idem, death penalty) have
no published rates and are folded into the channel's ``p_refuse_grounds``.
"""

from __future__ import annotations

from sim.config.schema import Channel, CrimeType, PrivacyTables
from sim.vocabulary import (
    ACCEPT,
    CLARIFY,
    DATA_PROTECTION,
    DUAL_CRIMINALITY,
    INSUFFICIENT_GROUNDS,
    NO_REASON,
    REFUSE,
)
from sim.world.build import StateProfile


def dual_criminality_applies(channel: Channel, data_type: str) -> bool:
    """Whether the requested state may test dual criminality for a request of ``data_type``.

    Only where the channel's instrument allows the test (``dual_criminality``), and only for
    the data types whose measure is coercive in its law (``dual_criminality_data_types``):
    the 1959 European Convention lets a Party reserve the test for letters rogatory for
    search or seizure only (Art. 5(1)(a)); many bilateral treaties require it only for
    coercive measures (EU-Japan MLA Agreement) or not at all (AIT-TECRO Art. 2(3)).
    """
    return channel.dual_criminality and data_type in channel.dual_criminality_data_types


def dual_criminality_risk(
    channel: Channel, crime: CrimeType, requested: StateProfile, data_type: str
) -> float:
    """Chance that the conduct is not an offence in the requested state's law.

    It grows with the gaps in the requested state's substantive cybercrime law and with how
    unevenly the crime type is defined across states (its ``dual_criminality_factor``). It is
    0 where the test does not apply to the data type (:func:`dual_criminality_applies`).
    Where the channel judges the condition by conduct (``conduct_test``, Budapest Art. 25(5))
    and the crime type is an offence of Budapest Arts 2-11, differences of label and category
    do not count: the crime factor is capped at 1, so the risk falls to the gap in the
    requested state's law (a state that does not criminalise the conduct still refuses).
    """
    if not dual_criminality_applies(channel, data_type):
        return 0.0
    gap = 1.0 - requested.params.cyber_law_completeness
    factor = crime.dual_criminality_factor
    if channel.conduct_test and crime.budapest_offence:
        factor = min(factor, 1.0)
    return min(1.0, channel.p_refuse_dual_criminality * factor * gap)


def data_protection_risk(
    channel: Channel, privacy: PrivacyTables, requesting: StateProfile, requested: StateProfile
) -> float:
    """Chance that the requested state's data-protection review blocks the transfer.

    EU/EEA states trust each other fully, and trust a state with a law-enforcement adequacy
    decision (only the United Kingdom has one); otherwise the requested regime's strictness
    meets the requesting regime's safeguards.
    """
    if not channel.data_protection:
        return 0.0
    regime = requested.facts.privacy_regime
    if regime == "eu_eea" and (
        requesting.facts.privacy_regime == "eu_eea" or requesting.facts.led_adequacy
    ):
        return 0.0
    strictness = privacy.strictness[regime]
    safeguards = privacy.safeguards[requesting.facts.privacy_regime]
    return channel.p_refuse_data_protection * strictness * (1.0 - safeguards)


def review(
    dual_criminality: float,
    data_protection: float,
    channel: Channel,
    clarification_factor: float,
    u_dual: float,
    u_privacy: float,
    u_grounds: float,
    u_clarify: float,
    grounds_factor: float = 1.0,
) -> tuple[int, int]:
    """Decide a review: ``(ACCEPT | CLARIFY | REFUSE, reason code)``.

    Args:
        dual_criminality: The pair's dual-criminality risk for this request.
        data_protection: The pair's data-protection risk.
        channel: The channel's settings (grounds and clarification chances).
        clarification_factor: The requesting state's multiplier on clarification requests.
        u_dual: The request's own uniform number for the dual-criminality test.
        u_privacy: The request's own uniform number for the data-protection test.
        u_grounds: A fresh uniform number for the sufficiency of grounds.
        u_clarify: A fresh uniform number for a return for clarification.
        grounds_factor: Multiplier on refusals for insufficient grounds (policy levers).
    """
    if u_dual < dual_criminality:
        return REFUSE, DUAL_CRIMINALITY
    if u_privacy < data_protection:
        return REFUSE, DATA_PROTECTION
    if u_grounds < channel.p_refuse_grounds * grounds_factor:
        return REFUSE, INSUFFICIENT_GROUNDS
    if u_clarify < channel.p_clarify * clarification_factor:
        return CLARIFY, NO_REASON
    return ACCEPT, NO_REASON
