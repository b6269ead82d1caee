"""The lever registry: every kind of policy lever, what it changes and by how much.

Each kind is one :class:`LeverKind` in :data:`LEVERS`: its scenario model (which gives its
name, its largest strength and the targets it takes: ``states``, ``group``, ``partners``,
``instrument``, ``kind``), where it applies (a pair's requests, central-authority staff, data
retention, 24/7 contacts, the treaty calendar), which state of a request it must target, its
coefficients with their meaning, and the basis of its size. :mod:`sim.rules.levers` resolves
a scenario's levers and applies them through this registry alone, with no code per lever
except the treaty events below. Adding a lever: its name in ``vocabulary.LEVER_NAMES``, its
model in ``config/schema.py`` (a member of ``LEVER_MODELS``), its entry here, and its section
in docs/levers.md; the checks at the end of this module refuse an entry that is incomplete.

A coefficient multiplies its quantity by 1 + c s at strength s (c < 0 lowers it: -0.6 is
"x (1 - 0.6 s)"). Strengths of one kind add up to its maximum (:func:`combined_strength`);
coefficients of different kinds on one quantity multiply.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Protocol

from sim.config.schema import (
    LEVER_MODELS,
    CaStaffingLever,
    DataRetentionLever,
    ElectronicTransmissionLever,
    HarmonisedDefinitionsLever,
    HarmonisedEvidenceLever,
    InForceLever,
    JoinLever,
    LeverSettings,
    NewAgreementLever,
    Preservation247Lever,
    PrivacyBridgeLever,
    StandardProceduresLever,
    TrainingLever,
)
from sim.vocabulary import LEVER_NAMES, STAGES
from sim.world.treaties import TreatyCalendar

Application = Literal["pair", "staffing", "retention", "contact", "treaty"]
"""Where a lever acts: the effects on a pair's requests (:class:`Effects`), central-authority
staff, the retention of data, the day a state gains a 24/7 contact, the treaty calendar."""
Side = Literal["requested", "requesting", "both", "bridge"]
"""Which state of a request a pair lever must target: the requested one, the requesting one,
both, or (``bridge``) both, or with ``partners`` a target and a partner either way round."""
TARGET_FIELDS = ("states", "group", "partners", "instrument", "kind")
"""The fields by which a lever says what it acts on; each kind's model takes some of them."""


@dataclass(frozen=True, slots=True)
class Effects:
    """How the active levers change one pair's requests (1.0 and 0.0 leave them unchanged)."""

    dual_criminality: float = 1.0
    data_protection: float = 1.0
    clarification: float = 1.0
    grounds: float = 1.0
    content_refusal: float = 1.0
    content_extra_time: float = 1.0
    preservation_gap: float = 1.0
    """Share of the chance of a failed preservation that remains."""
    stage_time: tuple[float, ...] = field(default=(1.0,) * len(STAGES))


NEUTRAL = Effects()
_FACTORS = tuple(item.name for item in fields(Effects) if item.name != "stage_time")
_STAGE_TIMES = tuple(f"time.{stage}" for stage in STAGES)
QUANTITIES: dict[Application, tuple[str, ...]] = {
    "pair": (*_FACTORS, *_STAGE_TIMES),
    "staffing": ("ca_staff",),
    "retention": ("retention_days",),
}
"""What coefficients may change, by application: a field of :class:`Effects` or ``time.<stage>``
(a stage's time) for pair levers; the authority's staff; the retention period of data."""


@dataclass(frozen=True, slots=True)
class Coefficient:
    """One quantity a lever changes: multiplied by ``1 + per_strength x s`` at strength s."""

    quantity: str
    per_strength: float
    meaning: str

    def factor(self, strength: float) -> float:
        """The multiplier at ``strength``."""
        return 1.0 + self.per_strength * strength

    @property
    def formula(self) -> str:
        """The multiplier as docs/levers.md writes it, e.g. ``x (1 - 0.6 s)``."""
        size = abs(self.per_strength)
        term = "s" if size == 1.0 else f"{size:g} s"
        return f"x (1 {'-' if self.per_strength < 0 else '+'} {term})"


class Draw(Protocol):
    """The random stream deciding ``join`` levers (``levers/join``)."""

    def uniform(self) -> float:
        """A uniform draw in [0, 1)."""
        ...


TreatyEvent = Callable[[Any, frozenset[str], float, TreatyCalendar, Draw], None]
"""Writes one treaty lever into the calendar: (lever, targets, first day, calendar, draw)."""


def _join(
    lever: JoinLever, targets: frozenset[str], day: float, calendar: TreatyCalendar, draw: Draw
) -> None:
    """Each target becomes a party with chance s: one draw per target, in code order."""
    for code in sorted(targets):
        if draw.uniform() < lever.strength:
            calendar.set_party(code, lever.instrument, day)


def _enter_into_force(
    lever: InForceLever, targets: frozenset[str], day: float, calendar: TreatyCalendar, draw: Draw
) -> None:
    """The instrument is in force from ``day`` if s > 0 (no draw)."""
    if lever.strength > 0:
        calendar.set_in_force(lever.instrument, day)


def _tie(
    lever: NewAgreementLever,
    targets: frozenset[str],
    day: float,
    calendar: TreatyCalendar,
    draw: Draw,
) -> None:
    """A tie of the lever's kind between each target and each partner if s > 0 (no draw)."""
    if lever.strength > 0:
        for code in sorted(targets):
            for partner in lever.partners:
                if partner != code:
                    calendar.add_tie(lever.kind, code, partner, day)


@dataclass(frozen=True, slots=True)
class LeverKind:
    """One kind of lever: its scenario model, where and how it acts, and its basis.

    Attributes:
        model: The scenario model (``config/schema.py``): name, largest strength, targets.
        applies: Where it acts (:data:`Application`).
        basis: What supports the size of its effect (docs/levers.md "basis").
        side: For pair levers, which state of a request it must target (:data:`Side`).
        coefficients: The quantities it scales, in the order docs/levers.md gives them.
        event: For treaty levers, how it writes the calendar.
        effect: What it does beyond its coefficients (24/7 contacts, treaty events).
    """

    model: type[LeverSettings]
    applies: tuple[Application, ...]
    basis: str
    side: Side | None = None
    coefficients: tuple[Coefficient, ...] = ()
    event: TreatyEvent | None = None
    effect: str = ""
    name: str = field(init=False)
    """The lever's name (its model's ``lever``), set from the model."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.model.kind_name())

    @property
    def max_strength(self) -> float:
        """The largest strength, alone or summed over overlapping levers of this kind."""
        return self.model.MAX_STRENGTH

    @property
    def targets(self) -> tuple[str, ...]:
        """The target fields its model takes (of :data:`TARGET_FIELDS`)."""
        return tuple(name for name in TARGET_FIELDS if name in self.model.model_fields)

    @property
    def summed(self) -> bool:
        """Whether overlapping levers of this kind add their strengths (treaty events do not)."""
        return "treaty" not in self.applies

    @property
    def mechanism(self) -> str:
        """What it changes at strength s, as the lever table of docs/levers.md says it."""
        parts = [f"{c.meaning} {c.formula}" for c in self.coefficients]
        return "; ".join(part for part in (self.effect, *parts) if part)

    def scale(self, strength: float, quantity: str) -> float:
        """The product of this kind's factors on ``quantity`` at ``strength`` (1.0 if none)."""
        factor = 1.0
        for coefficient in self.coefficients:
            if coefficient.quantity == quantity:
                factor *= coefficient.factor(strength)
        return factor


LEVERS: dict[str, LeverKind] = {
    kind.name: kind
    for kind in (
        LeverKind(
            HarmonisedDefinitionsLever,
            ("pair",),
            "Budapest Convention Arts. 2-11 harmonise offences so that dual criminality holds; "
            "full harmonisation (s = 1) removes the failures (assumption)",
            side="requested",
            coefficients=(Coefficient("dual_criminality", -1.0, "dual-criminality failures"),),
        ),
        LeverKind(
            StandardProceduresLever,
            ("pair",),
            "T-CY 2014 MLA assessment recommends standard request templates; size assumed",
            side="both",
            coefficients=(
                Coefficient("clarification", -0.6, "returns for clarification"),
                Coefficient("time.outgoing_review", -0.3, "outgoing review time"),
                Coefficient("time.legal_review", -0.3, "legal review time"),
            ),
        ),
        LeverKind(
            HarmonisedEvidenceLever,
            ("pair",),
            "the US probable-cause standard is the known bottleneck (Just Security 2016); "
            "size assumed",
            side="requested",
            coefficients=(
                Coefficient("content_refusal", -1.0, "content-order refusals"),
                Coefficient("content_extra_time", -1.0, "extra domestic-order time for content"),
                Coefficient("grounds", -0.5, "refusals for insufficient grounds"),
            ),
        ),
        LeverKind(
            PrivacyBridgeLever,
            ("pair",),
            "adequacy decisions and safeguard agreements (EU-US Umbrella Agreement); assumed",
            side="bridge",
            coefficients=(Coefficient("data_protection", -1.0, "data-protection refusals"),),
        ),
        LeverKind(
            ElectronicTransmissionLever,
            ("pair",),
            "e-MLA / e-CODEX secure exchange replaces diplomatic and postal transmission; "
            "size assumed",
            side="both",
            coefficients=(
                Coefficient("time.transmission", -0.8, "transmission time"),
                Coefficient("time.return_transmission", -0.8, "return transmission time"),
            ),
        ),
        LeverKind(
            CaStaffingLever,
            ("staffing",),
            "US DOJ FY2015 MLAT reform funding request (reference target 7); size is the lever",
            coefficients=(Coefficient("ca_staff", 1.0, "central-authority staff"),),
        ),
        LeverKind(
            TrainingLever,
            ("pair",),
            "T-CY 2014: many requests are returned for missing information; size assumed",
            side="requesting",
            coefficients=(
                Coefficient("time.drafting", -0.3, "drafting time"),
                Coefficient("clarification", -0.5, "returns for clarification"),
            ),
        ),
        LeverKind(
            Preservation247Lever,
            ("pair", "contact"),
            "Budapest Arts. 29 and 35; size assumed",
            side="requesting",
            coefficients=(Coefficient("preservation_gap", -1.0, "chance that preservation fails"),),
            effect="a 24/7 point of contact from the start day if s > 0",
        ),
        LeverKind(
            DataRetentionLever,
            ("retention",),
            "national retention periods differ from 0 to 24 months (sim/data/observables.csv)",
            coefficients=(Coefficient("retention_days", 1.0, "retention period of data held"),),
        ),
        LeverKind(
            JoinLever,
            ("treaty",),
            "treaty reform scenarios (Budapest accessions, Second Protocol ratifications)",
            event=_join,
            effect="each target becomes a party to `instrument` with probability s",
        ),
        LeverKind(
            InForceLever,
            ("treaty",),
            "Second Protocol: after 5 ratifications; UN Convention: after 40 (reference)",
            event=_enter_into_force,
            effect="`instrument` enters into force (among its parties) if s > 0",
        ),
        LeverKind(
            NewAgreementLever,
            ("treaty",),
            "CLOUD Act executive agreements under negotiation (EU, Canada)",
            event=_tie,
            effect="a `kind` tie (cloud_act or mlat) between each target and each partner if s > 0",
        ),
    )
}
"""Every lever kind by name, in the order of ``vocabulary.LEVER_NAMES``."""


def kinds_applying_to(application: Application) -> tuple[LeverKind, ...]:
    """The kinds acting on ``application``, in registry order."""
    return tuple(kind for kind in LEVERS.values() if application in kind.applies)


def max_strength(lever: str) -> float:
    """The largest strength of a lever, alone or summed over overlapping levers of its kind."""
    return LEVERS[lever].max_strength


def combined_strength(strengths: Iterable[float], lever: str) -> float:
    """The strength of overlapping levers of one kind: their sum, capped at its maximum.

    Args:
        strengths: The strengths of the levers of kind ``lever`` acting on one state or pair
            on one day.
        lever: The lever's name.
    """
    return min(math.fsum(strengths), max_strength(lever))


def pair_effects(strengths: Mapping[str, float]) -> Effects:
    """The effects on a pair's requests of the pair levers at these combined strengths.

    Each kind's factor on a quantity is 1 + c s; the factors of different kinds on one
    quantity multiply, in registry order.

    Args:
        strengths: The combined strength of each pair lever kind acting on the pair.
    """
    factors = dict.fromkeys(QUANTITIES["pair"], 1.0)
    for kind in _PAIR_KINDS:
        if kind.name in strengths:
            strength = strengths[kind.name]
            for coefficient in kind.coefficients:
                factors[coefficient.quantity] *= coefficient.factor(strength)
    stage_time = tuple(factors.pop(quantity) for quantity in _STAGE_TIMES)
    return Effects(**factors, stage_time=stage_time)


def _problems(kind: LeverKind) -> list[str]:
    """What is missing or inconsistent in one registry entry."""
    problems = []
    if "pair" in kind.applies and kind.side is None:
        problems.append("a pair lever needs a side")
    if "pair" not in kind.applies and kind.side is not None:
        problems.append("only a pair lever has a side")
    if ("treaty" in kind.applies) != (kind.event is not None):
        problems.append("a treaty lever, and only one, needs an event")
    allowed = {quantity for where in kind.applies for quantity in QUANTITIES.get(where, ())}
    problems.extend(
        f"coefficient '{c.quantity}' is not a quantity of {', '.join(kind.applies)}"
        for c in kind.coefficients
        if c.quantity not in allowed
    )
    if not kind.coefficients and not kind.effect:
        problems.append("it changes nothing (no coefficient, no effect)")
    return problems


def check_registry() -> None:
    """Refuse a registry that does not match the lever names and models, or is incomplete.

    Raises:
        TypeError: naming the lever and what is wrong with its entry.
    """
    if tuple(LEVERS) != LEVER_NAMES or tuple(k.model for k in LEVERS.values()) != LEVER_MODELS:
        raise TypeError("LEVERS must have one entry per vocabulary.LEVER_NAMES, in order")
    for kind in LEVERS.values():
        problems = _problems(kind)
        if problems:
            raise TypeError(f"lever '{kind.name}': {'; '.join(problems)}")


check_registry()
_PAIR_KINDS = kinds_applying_to("pair")
