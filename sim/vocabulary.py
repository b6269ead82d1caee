"""The model's vocabulary: channels, stages, data types, instruments, outcomes, reasons.

One place for every closed list the model uses, so that no module spells one of them
again. Records store these as small integer codes (their index here), which is why each
list is a tuple in a fixed order and has an :class:`~enum.IntEnum` twin for readable code.
This module imports nothing from the project or from third parties; every layer may use it.
"""

from __future__ import annotations

from enum import IntEnum

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
    "sp_domain_registration",
    "sp_subscriber_order",
    "sp_expedited_production",
    "sp_emergency_disclosure",
    "sp_emergency_mla",
    "e_evidence",
    "eio",
    "cloud_act",
    "bilateral_mlat",
    "treaty_mla",
    "budapest_mla",
    "un_convention_mla",
    "letters_rogatory",
    "emergency_disclosure",
)
"""The cooperation channels, in DESIGN's order (records store the index). Each has one spec in
``sim.rules.channels.CHANNEL_SPECS``, in this order, and one ``[channels.NAME]`` block in
``sim/data/defaults.toml``; both are checked against this list. ``emergency_disclosure`` comes
last so that adding it moved no other channel's code (it is opened per request, not by the
router: ``sim.rules.channels``). The five ``sp_`` channels are the Second Additional
Protocol to the Budapest Convention (CETS 224), one per article that moves evidence: Arts. 6,
7, 8, 9 and 10 (docs/model.md section 7.3)."""


RETIRED_CHANNELS = {
    "second_protocol": (
        "the Second Protocol's single channel was split by article (issue #12): name "
        "sp_domain_registration (Art. 6), sp_subscriber_order (Art. 7), sp_expedited_production "
        "(Art. 8), sp_emergency_disclosure (Art. 9) or sp_emergency_mla (Art. 10); the "
        "instrument is still second_protocol"
    ),
}
"""Channels a scenario may still name from an earlier release, each with what replaced it: a
scenario naming one is refused with this message, never silently ignored."""


DATA_TYPES = ("subscriber", "traffic", "content")
"""Kinds of data a case needs, in rising order of intrusiveness."""


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
"""The policy levers, in the order of their registry (``sim.rules.lever_kinds.LEVERS``) and of
their scenario models (``sim.config.schema.LEVER_MODELS``); both refuse to load otherwise."""


TREATY_MLA_INSTRUMENTS = (
    "untoc",
    "ecma_1959",
    "iacmla",
    "asean_mla",
    "eu_us_mla",
    "eu_japan_mla",
    "eu_uk_tca",
    "harare",
)
"""The multilateral and regional treaty bases of formal MLA (channel ``treaty_mla``)."""

INSTRUMENTS = (
    "budapest",
    "second_protocol",
    "eu",
    "eio",
    "e_evidence",
    "un_cybercrime",
    *TREATY_MLA_INSTRUMENTS,
)
"""Multilateral instruments whose parties and dates the world data holds. The last eight are
the treaty bases of formal mutual legal assistance (``TREATY_MLA_INSTRUMENTS`` above, used by
``sim.rules.channels``): UNTOC Art. 18, the 1959 European Convention (ETS 030), the
Inter-American Convention (1992), the ASEAN MLA Treaty, the EU's agreements with the US, Japan
and the UK (TCA Part Three), and the Commonwealth's Harare Scheme."""


PROTOCOL_RESERVATIONS: dict[str, int] = {
    "7(9)(a)": 7,
    "7(9)(b)": 7,
    "8(13)": 8,
    "9(5)": 9,
}
"""The reservations a Party may make to the Second Protocol's evidence articles (CETS 224 Art.
19(1)), by clause, each with its article: not to apply Art. 7 (7(9)(a)); not to apply it to
certain access numbers (7(9)(b)); not to apply Art. 8 to traffic data (8(13)); not to apply
Art. 9 (9(5)). ``sim/data/second_protocol_reservations.csv`` holds those each party made."""


TIE_KINDS = ("mlat", "cloud_act", "mla_agreement", "suspended")
"""Bilateral ties between two states: a mutual legal assistance treaty, a CLOUD Act agreement,
a mutual legal assistance agreement that is not a treaty (US-China 2000, AIT-TECRO 2002), and
a suspension of cooperation in criminal matters (from its date, the pair has no formal
channel)."""


UNROUTED = "none"
"""The channel recorded for a request that no channel was open to."""


RECORDED_CHANNELS = (*CHANNELS, UNROUTED)
"""Channels as a request's record names them (its code is the index here)."""


def _codes(name: str, members: tuple[str, ...]) -> type[IntEnum]:
    """An IntEnum whose members are ``members`` upper-cased, valued by their index."""
    return IntEnum(name, [(member.upper(), code) for code, member in enumerate(members)])


Stage = _codes("Stage", STAGES)
"""A stage by its code (``Stage.LEGAL_REVIEW == STAGES.index("legal_review")``)."""
Channel = _codes("Channel", RECORDED_CHANNELS)
"""A channel by the code its record stores (``Channel.NONE``: no channel was open)."""
DataType = _codes("DataType", DATA_TYPES)
"""A data type by its code."""
Instrument = _codes("Instrument", INSTRUMENTS)
"""A multilateral instrument by its index."""


OUTCOMES = ("fulfilled", "refused", "lost", "abandoned", "pending")
"""What became of a request; refused, lost and abandoned compete with fulfilment."""


class Outcome(IntEnum):
    """A request's outcome as the integer code its record stores."""

    FULFILLED = 0
    REFUSED = 1
    LOST = 2
    ABANDONED = 3
    PENDING = 4


# Plain ints for the request process's hot path (an IntEnum member costs an attribute lookup).
FULFILLED, REFUSED, LOST, ABANDONED, PENDING = (int(outcome) for outcome in Outcome)


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
    "conflicting_law",
    "blocking_statute",
)
"""Why a request was refused, lost or abandoned ("" for none)."""


class Reason(IntEnum):
    """A request's reason as the integer code its record stores."""

    NONE = 0
    DUAL_CRIMINALITY = 1
    DATA_PROTECTION = 2
    INSUFFICIENT_GROUNDS = 3
    EVIDENTIARY_STANDARD = 4
    PROVIDER_DECLINED = 5
    RETENTION_EXPIRED = 6
    TOO_MANY_CLARIFICATIONS = 7
    TIMEOUT = 8
    NO_CHANNEL = 9
    CONFLICTING_LAW = 10
    BLOCKING_STATUTE = 11


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
    CONFLICTING_LAW,
    BLOCKING_STATUTE,
) = (int(reason) for reason in Reason)


PRESERVATION_PATHS = ("none", "budapest", "e_evidence", "network", "provider")
"""How a request's data were preserved ("none": not preserved), in the order the model tries
the paths open to a pair (docs/model.md, section 7.6): a Budapest Art. 29 request between
parties, an e-Evidence preservation order (EPOC-PR) between states bound by the Regulation, a
request between two 24/7 points of contact (the G7 network, or a lever's contact), and a
request sent straight to the holder state's providers where they accept foreign ones."""


LOSS_DRIVERS = (
    "",
    "gone_at_request",
    "not_asked",
    "no_preservation_open",
    "preservation_failed",
    "hold_expired",
)
"""Why a lost request's data were gone when execution began ("" if not lost): already deleted
when the need arose; preservation never asked (the data were expected to outlive the channel,
or preservation is switched off); asked for but no path open; asked but it failed (or the
data went while it was asked); preserved, but the hold and its renewals ran out first."""


class LossDriver(IntEnum):
    """A lost request's driver as the integer code its record stores."""

    NONE = 0
    GONE_AT_REQUEST = 1
    NOT_ASKED = 2
    NO_PRESERVATION_OPEN = 3
    PRESERVATION_FAILED = 4
    HOLD_EXPIRED = 5


class Verdict(IntEnum):
    """What the requested central authority's legal review decides."""

    ACCEPT = 0
    CLARIFY = 1
    REFUSE = 2


ACCEPT, CLARIFY, REFUSE = (int(verdict) for verdict in Verdict)


GROUPINGS = ("channel", "region", "requested", "requesting")
"""What requests may be grouped by in comparisons (``region``: the requested state's)."""


NEUTRAL_TRUST = 0.5
"""The trust a state places in a partner it has no experience of (and when trust is off)."""


STREAM_NAMES = (
    "arrivals/{state}",
    "other_matters/{state}",
    "adaptation/uptake",
    "levers/join",
    "requests",
    "other_matters",
)
"""Every source of random numbers the model draws from, by name pattern: the sequential
streams (case arrivals, other matters' arrivals, uptake reviews, join levers) and the roots of
the keyed draws (``requests``: every draw of a case and of its requests; ``other_matters``:
their review times). A source's seed is derived from its name, so a
misspelt name would silently be a new source: names outside this registry are refused
(:func:`check_stream_name`)."""


def check_stream_name(name: str) -> str:
    """Return ``name`` if it matches a pattern of :data:`STREAM_NAMES`.

    ``{state}`` matches an ISO 3166 alpha-3 code.

    Raises:
        KeyError: for a name that no pattern matches.
    """
    parts = name.split("/")
    for pattern in STREAM_NAMES:
        fields = pattern.split("/")
        if len(fields) == len(parts) and all(
            _matches(field, part) for field, part in zip(fields, parts, strict=True)
        ):
            return name
    raise KeyError(f"unknown random stream '{name}' (see sim.vocabulary.STREAM_NAMES)")


def _matches(field: str, part: str) -> bool:
    if field == "{state}":
        return len(part) == 3 and part.isalpha() and part.isupper()
    return field == part
