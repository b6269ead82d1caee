"""The model's vocabulary: channels, stages, data types, instruments, outcomes, reasons.

One place for every closed list the model uses, so that no module spells one of them
again. Records store these as small integer codes (their index here), which is why each
list is a tuple in a fixed order and has an :class:`~enum.IntEnum` twin for readable code.
This module imports nothing from the project or from third parties; every layer may use it.
"""

from __future__ import annotations

STAGES = (
    "drafting",
    "outgoing_review",
    "transmission",
    "legal_review",
    "domestic_order",
    "execution",
    "return_transmission",
)
"""The formal request's path (DESIGN section 1), in order."""


REQUESTING_STAGES = frozenset({"drafting", "outgoing_review", "transmission"})
"""Stages performed by the requesting state; the others are the requested state's."""


CHANNELS = (
    "direct_provider",
    "second_protocol",
    "e_evidence",
    "eio",
    "cloud_act",
    "bilateral_mlat",
    "budapest_mla",
    "un_convention_mla",
    "letters_rogatory",
)


DATA_TYPES = ("subscriber", "traffic", "content")


PRIVACY_REGIMES = (
    "eu_eea",
    "adequate",
    "partial_adequate",
    "law_and_authority",
    "law_only",
    "none",
)


LEVER_NAMES = (
    "harmonised_definitions",
    "standard_procedures",
    "harmonised_evidence",
    "privacy_bridge",
    "electronic_transmission",
    "ca_staffing",
    "training",
    "preservation_24_7",
    "data_retention",
    "join",
    "in_force",
    "new_agreement",
)
"""The policy levers of sim/levers.py (their mechanisms are documented there)."""


INSTRUMENTS = ("budapest", "second_protocol", "eu", "eio", "e_evidence", "un_cybercrime")


TIE_KINDS = ("mlat", "cloud_act")


UNROUTED = "none"
"""The channel recorded for a request that no channel was open to."""


RECORDED_CHANNELS = (*CHANNELS, UNROUTED)


OUTCOMES = ("fulfilled", "refused", "lost", "abandoned", "pending")


FULFILLED, REFUSED, LOST, ABANDONED, PENDING = range(len(OUTCOMES))


REASONS = (
    "",
    "dual_criminality",
    "data_protection",
    "insufficient_grounds",
    "evidentiary_standard",
    "provider_declined",
    "retention_expired",
    "too_many_clarifications",
    "timeout",
    "no_channel",
)


(
    NO_REASON,
    DUAL_CRIMINALITY,
    DATA_PROTECTION,
    INSUFFICIENT_GROUNDS,
    EVIDENTIARY_STANDARD,
    PROVIDER_DECLINED,
    RETENTION_EXPIRED,
    TOO_MANY_CLARIFICATIONS,
    TIMEOUT,
    NO_CHANNEL,
) = range(len(REASONS))


ACCEPT, CLARIFY, REFUSE = range(3)
