"""The channel registry: which cooperation channels exist, when each is open, and in what order.

Every channel is one :class:`ChannelSpec` in :data:`CHANNEL_SPECS`: its name, its eligibility
rule, whether it is formal mutual legal assistance, the instruments and bilateral ties its rule
reads from the world, and its legal basis. Nothing else in the model names a channel's rule;
the router, the pursuit rule and the formal-MLA behaviours read this registry. A channel's
clock and probabilities are settings (``[channels.NAME]`` in ``sim/data/defaults.toml``),
validated against ``vocabulary.CHANNELS``. So adding a channel is three edits: its name in
``vocabulary.CHANNELS``, its spec here, its TOML block; :func:`check_registry` refuses a
registry that does not match the names or names an instrument the world does not know.

Eligibility follows DESIGN's table: a channel opens when both states are bound by its
instrument (or linked by its bilateral tie) on the day of the request, and when it can obtain
the data type wanted. The requesting state tries the open channels fastest first, judging
speed by each channel's ``nominal_days``. Letters rogatory, the diplomatic channel that needs
no treaty, are open only between states with no treaty basis at all; a pair whose cooperation
is suspended (a ``suspended`` tie) has no formal channel, letters rogatory included (docs/model.md
section 7.3). (Whether 24/7 preservation is open is :mod:`sim.rules.preservation`.)

One channel is not the router's: ``emergency_disclosure``, a provider's voluntary disclosure in
an emergency involving danger of death or serious physical injury (18 U.S.C. 2702(b)(8) for
content, (c)(4) for records). Whether it is open depends on the request, not only on the pair
and the data type (the case must be urgent and involve such danger), so its spec is marked
``per_request``: the router, whose answers are cached per pair, data type and treaty epoch,
never lists it, and the model puts it first in the routes of a qualifying need after asking its
rule whether the holder's provider has an emergency disclosure policy (docs/model.md 7.3).

The Second Additional Protocol (CETS 224) is one channel per article that moves evidence (Arts.
6 to 10). Each opens only while the Protocol is in force and binds both states (entry into force
after five ratifications, Art. 16(3), which the treaty calendar holds, or an ``in_force`` lever),
and only if the requested Party made no reservation excluding its article for the data type
(``sim/data/second_protocol_reservations.csv``). Arts. 9 and 10 are for emergencies (Art.
3(2)(c)): their specs are ``emergency_only``, and the router offers them to urgent requests only.

The module is over 400 lines because it is the registry: each of the fifteen channels has its
spec beside the rule that reads its instrument, so the law of every channel is in one place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim import vocabulary
from sim.world.build import StateProfile
from sim.world.treaties import TreatyCalendar

Rule = Callable[[TreatyCalendar, StateProfile, StateProfile, str, float], bool]
"""An eligibility rule: ``rule(calendar, requesting, requested, data_type, day)``."""


@dataclass(frozen=True)
class ChannelSpec:
    """One cooperation channel as the law defines it (its clock is a setting, not here).

    Attributes:
        name: The channel's name in ``vocabulary.CHANNELS`` and in ``[channels.NAME]``.
        rule: Whether the channel is open to a request on a day, given the treaty calendar,
            the requesting and the requested state and the data type wanted. The router also
            checks the channel is enabled and lists the data type, so a rule need not.
        formal_mla: Whether it is formal mutual legal assistance through central
            authorities: the slow route whose needs are often not pursued
            (:mod:`sim.rules.pursuit`), whose answers build trust and reciprocity
            (:mod:`sim.engine.behaviours`) and which the calibration fits.
        basis: Its legal basis, in one line for the reader of the registry.
        instruments: The multilateral instruments its rule reads (``vocabulary.INSTRUMENTS``),
            declared so that :func:`check_registry` catches a misspelt one, which the
            calendar would silently treat as binding nobody.
        ties: The bilateral tie kinds its rule reads (``vocabulary.TIE_KINDS``), likewise.
        per_request: Whether it opens by the request rather than by the pair and data type
            (the emergency path): the router leaves it out, the model adds it to a need that
            meets its conditions.
        emergency_only: Whether only urgent requests may use it (the Protocol's emergency
            articles): the router, which knows the request's urgency, checks it, so that a
            rule keeps the one signature every channel shares.
    """

    name: str
    rule: Rule
    formal_mla: bool
    basis: str
    instruments: tuple[str, ...] = ()
    ties: tuple[str, ...] = ()
    per_request: bool = False
    emergency_only: bool = False

    @classmethod
    def under_instrument(
        cls, name: str, instrument: str, *, formal_mla: bool, basis: str
    ) -> ChannelSpec:
        """A channel open while ``instrument`` is in force and binds both states.

        A formal MLA channel is also closed to a pair whose cooperation is suspended.
        """

        def both_bound(
            cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
        ) -> bool:
            return cal.both_bound(a.iso3, b.iso3, instrument, day)

        rule = _unless_suspended(both_bound) if formal_mla else both_bound
        ties = (SUSPENDED,) if formal_mla else ()
        return cls(name, rule, formal_mla, basis, instruments=(instrument,), ties=ties)

    @classmethod
    def under_tie(cls, name: str, kind: str, *, formal_mla: bool, basis: str) -> ChannelSpec:
        """A channel open while a bilateral tie of ``kind`` links the two states.

        A formal MLA channel is also closed to a pair whose cooperation is suspended.
        """

        def tied(
            cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
        ) -> bool:
            return cal.has_tie(kind, a.iso3, b.iso3, day)

        rule = _unless_suspended(tied) if formal_mla else tied
        ties = (kind, SUSPENDED) if formal_mla else (kind,)
        return cls(name, rule, formal_mla, basis, ties=ties)


SUSPENDED = "suspended"
"""The tie kind of a pair whose cooperation in criminal matters is suspended (RUS-UKR from
2022-12-23, HKG-USA from 2020-08-20): from its date no formal channel is open between them."""

BILATERAL_TIES: tuple[str, ...] = ("mlat", "mla_agreement")
"""Bilateral bases of formal MLA: a treaty, or an agreement that is not one (US-China 2000,
AIT-TECRO 2002); both are "treaties or arrangements" in the sense of Budapest Art. 27(1)."""

TREATY_MLA_INSTRUMENTS = vocabulary.TREATY_MLA_INSTRUMENTS
"""The treaty bases of channel ``treaty_mla`` (one list, in the vocabulary)."""

COUNTERPART: dict[str, str] = {"eu_us_mla": "USA", "eu_japan_mla": "JPN", "eu_uk_tca": "GBR"}
"""Agreements of the EU with one third state: each binds that state with every EU member
state, never two member states with one another."""


def _unless_suspended(rule: Rule) -> Rule:
    """``rule``, closed to a pair whose cooperation is suspended on the day."""

    def open_unless_suspended(
        cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
    ) -> bool:
        return not cal.has_tie(SUSPENDED, a.iso3, b.iso3, day) and rule(cal, a, b, data, day)

    return open_unless_suspended


def binds_pair(cal: TreatyCalendar, a: str, b: str, instrument: str, day: float) -> bool:
    """Whether ``instrument`` binds ``a`` and ``b`` with each other on ``day``.

    A multilateral treaty binds any two of its parties; an EU agreement with one third state
    (:data:`COUNTERPART`) binds only that state with a member state.
    """
    counterpart = COUNTERPART.get(instrument)
    if counterpart is not None and counterpart not in (a, b):
        return False
    return cal.both_bound(a, b, instrument, day)


def treaty_instrument(cal: TreatyCalendar, a: str, b: str, day: float) -> bool:
    """Whether a multilateral or regional MLA treaty (or the Harare Scheme) binds the pair."""
    return any(binds_pair(cal, a, b, name, day) for name in TREATY_MLA_INSTRUMENTS)


def mla_treaty_in_force(cal: TreatyCalendar, a: str, b: str, day: float) -> bool:
    """Whether an MLA treaty or arrangement other than Budapest is in force between the pair.

    This is the test of Budapest Art. 27(1): a bilateral treaty or agreement, or a
    multilateral one (UNTOC, the 1959 Convention, ...). The Harare Scheme counts as an
    arrangement on the basis of uniform or reciprocal legislation (model.md section 7.3).
    """
    return any(cal.has_tie(kind, a, b, day) for kind in BILATERAL_TIES) or treaty_instrument(
        cal, a, b, day
    )


def treaty_basis(cal: TreatyCalendar, a: str, b: str, day: float) -> bool:
    """Whether the pair has any treaty basis for formal MLA (then letters rogatory are closed).

    Any bilateral or multilateral MLA treaty or arrangement, the Budapest Convention between
    two parties, or the UN Convention against Cybercrime once in force for both.
    """
    return (
        mla_treaty_in_force(cal, a, b, day)
        or cal.both_bound(a, b, "budapest", day)
        or cal.both_bound(a, b, "un_cybercrime", day)
    )


PROTOCOL = "second_protocol"
"""The instrument of the ``sp_`` channels: the Second Additional Protocol (CETS 224)."""


def _protocol_article(article: int, *, clause: str | None, formal_mla: bool) -> Rule:
    """The rule of the Protocol's ``article``: both bound, and no reservation ``clause``.

    ``clause`` is the reservation that excludes the article (``vocabulary.PROTOCOL_RESERVATIONS``)
    as the requested Party made it: a whole-article reservation closes the channel for every
    data type, a data-type one (Art. 8(13): traffic) for that data type only. A formal MLA
    article is also closed to a pair whose cooperation is suspended.
    """

    def bound_without_reservation(
        cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
    ) -> bool:
        if not cal.both_bound(a.iso3, b.iso3, PROTOCOL, day):
            return False
        return clause is None or not cal.has_reservation(b.iso3, clause, data)

    bound_without_reservation.__name__ = f"_protocol_art_{article}"
    return _unless_suspended(bound_without_reservation) if formal_mla else bound_without_reservation


def _direct_provider(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    # The provider's home law must allow voluntary disclosure; content never goes this way.
    return b.params.voluntary_disclosure and data != "content"


def emergency_open(holder: StateProfile) -> bool:
    """Whether the provider holding a need's data has an emergency disclosure policy.

    A listed provider has one if ``providers.csv`` says so (the US ones under 18 U.S.C.
    2702(b)(8) and (c)(4), which they describe in their law enforcement guidelines and count in
    their transparency reports); a domestic provider (a plain profile) if its home law allows
    voluntary disclosure at all (the USA's is 2702; IRL and GBR are an assumption). No treaty
    and no day enter: the provider's home law is in force throughout the model's period.
    Content is allowed, since 2702(b)(8) covers contents, unlike the ordinary direct request.
    """
    policy = getattr(holder, "emergency_policy", None)
    return holder.params.voluntary_disclosure if policy is None else policy


def _emergency_disclosure(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    return emergency_open(b)


def _bilateral_mlat(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    return any(cal.has_tie(kind, a.iso3, b.iso3, day) for kind in BILATERAL_TIES)


def _treaty_mla(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    return treaty_instrument(cal, a.iso3, b.iso3, day)


def _e_evidence(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    # Reg. (EU) 2023/1543 Arts. 2-3: the issuing state must be bound (EU, not DNK) and the
    # provider must offer services in the Union, wherever it is established or the data are.
    # A holder without a provider (a plain profile) has its domestic provider, which offers
    # services in the Union if its state is an EU member (an assumption for non-EU ones: no).
    in_union = getattr(b, "provider_in_union", None)
    if in_union is None:
        in_union = cal.is_party(b.iso3, "eu", day)
    return in_union and cal.in_force("e_evidence", day) and cal.is_party(a.iso3, "e_evidence", day)


def _budapest_mla(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    # Art. 27(1): Arts. 27-28 apply only where no MLA treaty or arrangement, bilateral or
    # multilateral, is in force between the two parties.
    return cal.both_bound(a.iso3, b.iso3, "budapest", day) and not mla_treaty_in_force(
        cal, a.iso3, b.iso3, day
    )


def _letters_rogatory(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    # The diplomatic channel of comity: only where the pair has no treaty basis at all.
    return not treaty_basis(cal, a.iso3, b.iso3, day)


CHANNEL_SPECS: tuple[ChannelSpec, ...] = (
    ChannelSpec(
        "direct_provider",
        _direct_provider,
        formal_mla=False,
        basis="the provider's home law allows voluntary disclosure (US: non-content only)",
    ),
    ChannelSpec(
        "sp_domain_registration",
        _protocol_article(6, clause=None, formal_mla=False),
        formal_mla=False,
        basis="CETS 224 Art. 6: a request to a registrar in another Party for registration data",
        instruments=(PROTOCOL,),
    ),
    ChannelSpec(
        "sp_subscriber_order",
        _protocol_article(7, clause="7(9)(a)", formal_mla=False),
        formal_mla=False,
        basis="CETS 224 Art. 7: an order for subscriber information sent directly to a provider",
        instruments=(PROTOCOL,),
    ),
    ChannelSpec(
        "sp_expedited_production",
        _protocol_article(8, clause="8(13)", formal_mla=False),
        formal_mla=False,
        basis="CETS 224 Art. 8: the requested Party gives effect to an order for production",
        instruments=(PROTOCOL,),
    ),
    ChannelSpec(
        "sp_emergency_disclosure",
        _protocol_article(9, clause="9(5)", formal_mla=False),
        formal_mla=False,
        basis="CETS 224 Art. 9: expedited disclosure in an emergency through the 24/7 network",
        instruments=(PROTOCOL,),
        emergency_only=True,
    ),
    ChannelSpec(
        "sp_emergency_mla",
        _protocol_article(10, clause=None, formal_mla=True),
        formal_mla=True,
        basis="CETS 224 Art. 10: emergency mutual assistance, accepted in electronic form",
        instruments=(PROTOCOL,),
        ties=(SUSPENDED,),
        emergency_only=True,
    ),
    ChannelSpec(
        "e_evidence",
        _e_evidence,
        formal_mla=False,
        basis="EU e-Evidence Regulation 2023/1543: orders to providers offering services in the EU",
        instruments=("e_evidence", "eu"),
    ),
    ChannelSpec.under_instrument(
        "eio",
        "eio",
        formal_mla=False,
        basis="European Investigation Order, Directive 2014/41/EU",
    ),
    ChannelSpec.under_tie(
        "cloud_act",
        "cloud_act",
        formal_mla=False,
        basis="a CLOUD Act executive agreement between the two states (18 U.S.C. 2523)",
    ),
    ChannelSpec(
        "bilateral_mlat",
        _unless_suspended(_bilateral_mlat),
        formal_mla=True,
        basis="a bilateral mutual legal assistance treaty or agreement in force between the two",
        ties=(*BILATERAL_TIES, SUSPENDED),
    ),
    ChannelSpec(
        "treaty_mla",
        _unless_suspended(_treaty_mla),
        formal_mla=True,
        basis="MLA under a multilateral or regional treaty binding both (UNTOC Art. 18, ETS 030)",
        instruments=TREATY_MLA_INSTRUMENTS,
        ties=(SUSPENDED,),
    ),
    ChannelSpec(
        "budapest_mla",
        _unless_suspended(_budapest_mla),
        formal_mla=True,
        basis="Budapest Convention Art. 27: both parties and no MLA treaty in force between them",
        instruments=("budapest", *TREATY_MLA_INSTRUMENTS),
        ties=(*BILATERAL_TIES, SUSPENDED),
    ),
    ChannelSpec.under_instrument(
        "un_convention_mla",
        "un_cybercrime",
        formal_mla=True,
        basis="UN Convention against Cybercrime (2024): mutual legal assistance between parties",
    ),
    ChannelSpec(
        "letters_rogatory",
        _unless_suspended(_letters_rogatory),
        formal_mla=True,
        basis="letters rogatory through diplomatic channels (comity): only where no treaty basis",
        instruments=("budapest", "un_cybercrime", *TREATY_MLA_INSTRUMENTS),
        ties=(*BILATERAL_TIES, SUSPENDED),
    ),
    ChannelSpec(
        "emergency_disclosure",
        _emergency_disclosure,
        formal_mla=False,
        basis="a provider's emergency disclosure (danger of death): 18 U.S.C. 2702(b)(8), (c)(4)",
        per_request=True,
    ),
)
"""Every channel, in DESIGN's order (the order of ``vocabulary.CHANNELS``)."""


def _spec_problems(spec: ChannelSpec) -> list[str]:
    """What is wrong with one spec: instruments or ties the world does not know, no basis."""
    problems = [
        f"unknown instrument '{name}' (not in vocabulary.INSTRUMENTS)"
        for name in spec.instruments
        if name not in vocabulary.INSTRUMENTS
    ]
    problems.extend(
        f"unknown tie kind '{kind}' (not in vocabulary.TIE_KINDS)"
        for kind in spec.ties
        if kind not in vocabulary.TIE_KINDS
    )
    if not callable(spec.rule):
        problems.append("its rule is not callable")
    if not spec.basis.strip() or "\n" in spec.basis:
        problems.append("its basis must be one line")
    return problems


def check_registry(specs: Sequence[ChannelSpec] | None = None) -> None:
    """Refuse a registry that does not give each channel of the vocabulary exactly one spec.

    The names must be ``vocabulary.CHANNELS``, once each and in its order (records store a
    channel as its index there), and each spec may read only instruments and tie kinds the
    vocabulary (and so the world data) has.

    Args:
        specs: The registry to check; :data:`CHANNEL_SPECS` if None.

    Raises:
        TypeError: naming the channel and what is wrong with it.
    """
    specs = CHANNEL_SPECS if specs is None else specs
    names = [spec.name for spec in specs]
    known = vocabulary.CHANNELS
    twice = sorted(name for name, count in Counter(names).items() if count > 1)
    if twice:
        raise TypeError(f"channel '{twice[0]}': more than one spec in the channel registry")
    for name in names:
        if name not in known:
            raise TypeError(f"channel '{name}': has a spec but is not in vocabulary.CHANNELS")
    for name in known:
        if name not in names:
            raise TypeError(f"channel '{name}': in vocabulary.CHANNELS but has no spec")
    if tuple(names) != known:
        raise TypeError("the channel registry must list channels in vocabulary.CHANNELS order")
    for spec in specs:
        problems = _spec_problems(spec)
        if problems:
            raise TypeError(f"channel '{spec.name}': {'; '.join(problems)}")


check_registry()

FORMAL_MLA: tuple[str, ...] = tuple(spec.name for spec in CHANNEL_SPECS if spec.formal_mla)
"""The formal mutual legal assistance channels: through central authorities, slow, costly."""

PER_REQUEST: frozenset[str] = frozenset(spec.name for spec in CHANNEL_SPECS if spec.per_request)
"""The channels the router never lists: the model opens them need by need."""

EMERGENCY = "emergency_disclosure"
"""The emergency path: put first in the routes of an urgent need whose case involves danger of
death or serious physical injury, if the holder's provider has an emergency policy."""
CALIBRATED_MLA: tuple[str, ...] = tuple(
    spec.name for spec in CHANNEL_SPECS if spec.formal_mla and not spec.emergency_only
)
"""The formal MLA channels whose stage times the calibration scales (``time_scale``): all but
the Second Protocol's emergency mutual assistance (Art. 10), whose times are emergency times
that the calibration's targets (the mean time of ordinary formal requests) do not measure."""
