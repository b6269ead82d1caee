"""Policy levers: the reforms a scenario switches on, for some states, from a date.

Each lever has one documented mechanism: which stage time, probability or eligibility rule it
changes, and by how much at full strength. Strength 0 switches a lever off; strength 1 is its
full effect (``ca_staffing`` and ``data_retention`` go to 4, meaning +400%). The magnitudes
that no source gives are stated assumptions (docs/levers.md), chosen so a reform's direction is
sure and its size is a round, arguable number that a sweep can vary.

A lever's targets are ``states`` (ISO3 codes) and/or a ``group``; with neither it applies to
every state. Harmonisation levers act on a request when both states are targeted (they
harmonise *among* the states adopting them), except where the requested state's own law is
what changes (offence definitions, evidentiary standards). Capacity levers act on the state
that has the capacity: the central authority, the requesting investigators, the holder of data.

Overlapping levers of the same kind (in force on the same day and acting on the same state,
or pair of states) act as one lever whose strength is the sum of theirs, capped at the lever's
maximum (``max_strength``: 4 for ``ca_staffing`` and ``data_retention``, 1 for the others).
Two ``ca_staffing`` levers of strength 4 on one state therefore give x5 staff, not x25, and
two ``training`` levers of strength 0.5 act as one of strength 1. A lever's effect is linear
in its strength, so the sum is what the two would do if each acted on today's value; the cap
keeps a stack of levers within what one lever is documented to do, as a sweep or a scenario
file listing the same reform twice would otherwise multiply it past anything the lever's
basis supports. Levers of *different* kinds that change the same quantity multiply
(``training`` and ``standard_procedures`` on clarifications); each factor is at least 0, so
their product is too. Treaty levers (``join``, ``in_force``, ``new_agreement``) are events,
not strengths: each acts on its own (two ``join`` levers give a state two chances to join).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from sim.config.schema import LEVER_MAX_STRENGTH, Lever, Scenario
from sim.errors import ScenarioError
from sim.vocabulary import INSTRUMENTS, STAGES
from sim.world.build import StateProfile
from sim.world.treaties import TreatyCalendar


@dataclass(frozen=True, slots=True)
class LeverSpec:
    """What a lever does (its mechanism) and what supports the size of its effect."""

    name: str
    mechanism: str
    basis: str


LEVERS: dict[str, LeverSpec] = {
    spec.name: spec
    for spec in (
        LeverSpec(
            "harmonised_definitions",
            "dual-criminality failures of requests to a targeted state x (1 - s)",
            "Budapest Convention Arts. 2-11 harmonise offences so that dual criminality holds; "
            "full harmonisation (s = 1) removes the failures (assumption)",
        ),
        LeverSpec(
            "standard_procedures",
            "between targeted states: returns for clarification x (1 - 0.6 s); outgoing and "
            "legal review times x (1 - 0.3 s)",
            "T-CY 2014 MLA assessment recommends standard request templates; size assumed",
        ),
        LeverSpec(
            "harmonised_evidence",
            "requests to a targeted state: content-order refusals x (1 - s), the extra "
            "domestic-order time for content x (1 - s), refusals for insufficient grounds "
            "x (1 - 0.5 s)",
            "the US probable-cause standard is the known bottleneck (Just Security 2016); "
            "size assumed",
        ),
        LeverSpec(
            "privacy_bridge",
            "between targeted states (or, with `partners`, between a target and a partner): "
            "data-protection refusals x (1 - s)",
            "adequacy decisions and safeguard agreements (EU-US Umbrella Agreement); assumed",
        ),
        LeverSpec(
            "electronic_transmission",
            "between targeted states: transmission and return transmission times x (1 - 0.8 s)",
            "e-MLA / e-CODEX secure exchange replaces diplomatic and postal transmission; "
            "size assumed",
        ),
        LeverSpec(
            "ca_staffing",
            "a targeted state's central-authority staff x (1 + s), s up to 4",
            "US DOJ FY2015 MLAT reform funding request (reference target 7); size is the lever",
        ),
        LeverSpec(
            "training",
            "requests from a targeted state: drafting time x (1 - 0.3 s), returns for "
            "clarification x (1 - 0.5 s)",
            "T-CY 2014: many requests are returned for missing information; size assumed",
        ),
        LeverSpec(
            "preservation_24_7",
            "a targeted state gains a 24/7 point of contact; its preservation requests "
            "succeed with p + (1 - p) s",
            "Budapest Arts. 29 and 35; size assumed",
        ),
        LeverSpec(
            "data_retention",
            "data held in a targeted state is kept x (1 + s) longer, s up to 4",
            "national retention periods differ from 0 to 24 months (sim/data/observables.csv)",
        ),
        LeverSpec(
            "join",
            "each targeted state becomes a party to `instrument` with probability s",
            "treaty reform scenarios (Budapest accessions, Second Protocol ratifications)",
        ),
        LeverSpec(
            "in_force",
            "`instrument` enters into force (among its parties) if s > 0",
            "Second Protocol: after 5 ratifications; UN Convention: after 40 (reference)",
        ),
        LeverSpec(
            "new_agreement",
            "a `kind` (cloud_act or mlat) tie between each targeted state and each of "
            "`partners` if s > 0",
            "CLOUD Act executive agreements under negotiation (EU, Canada)",
        ),
    )
}


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
_STAGE = {name: index for index, name in enumerate(STAGES)}
_OUTGOING_REVIEW = _STAGE["outgoing_review"]
_LEGAL_REVIEW = _STAGE["legal_review"]
_TRANSMISSION = _STAGE["transmission"]
_RETURN_TRANSMISSION = _STAGE["return_transmission"]
_DRAFTING = _STAGE["drafting"]

_SIDE = {
    "harmonised_definitions": "requested",
    "standard_procedures": "both",
    "harmonised_evidence": "requested",
    "privacy_bridge": "bridge",
    "electronic_transmission": "both",
    "training": "requesting",
    "preservation_24_7": "requesting",
}
"""Which state of a request a pair-acting lever must target (see docs/levers.md)."""


def max_strength(lever: str) -> float:
    """The largest strength of a lever, alone or summed over overlapping levers of its kind."""
    return LEVER_MAX_STRENGTH.get(lever, 1.0)


def combined_strength(strengths: Iterable[float], lever: str) -> float:
    """The strength of overlapping levers of one kind: their sum, capped at its maximum.

    Args:
        strengths: The strengths of the levers of kind ``lever`` acting on one state or pair
            on one day.
        lever: The lever's name.
    """
    return min(math.fsum(strengths), max_strength(lever))


@dataclass(frozen=True, slots=True)
class ActiveLever:
    """A lever resolved for a run: its targets and its first day."""

    lever: Lever
    targets: frozenset[str]
    day: float

    def covers(self, *states: str) -> bool:
        """Whether every one of ``states`` is targeted."""
        return all(state in self.targets for state in states)

    def acts_on(self, requesting: str, requested: str) -> bool:
        """Whether this pair-acting lever changes a request from ``requesting`` to ``requested``."""
        side = _SIDE.get(self.lever.lever)
        if side == "requested":
            return requested in self.targets
        if side == "requesting":
            return requesting in self.targets
        if side == "both":
            return self.covers(requesting, requested)
        if side == "bridge":
            return self.bridges(requesting, requested)
        return False

    def bridges(self, requesting: str, requested: str) -> bool:
        """Whether a pair-acting lever joins these two states.

        Without ``partners`` it acts among all its targets; with them it is a hub and spokes:
        between a target and a partner, either way round, and not among the partners.
        """
        partners = self.lever.partners
        if not partners:
            return self.covers(requesting, requested)
        return (requesting in self.targets and requested in partners) or (
            requested in self.targets and requesting in partners
        )


def _group_members(
    group: str, states: Iterable[StateProfile], calendar: TreatyCalendar, day: float
) -> frozenset[str]:
    kind, _, value = group.partition(":")
    profiles = list(states)
    if group == "all":
        return frozenset(p.iso3 for p in profiles)
    if kind in ("region", "subregion") and value:
        chosen = {p.iso3 for p in profiles if getattr(p.facts, kind) == value}
        if not chosen:
            raise ValueError(f"no state of the run is in {kind} '{value}'")
        return frozenset(chosen)
    if kind == "signatories" and value in INSTRUMENTS:
        chosen = {
            p.iso3
            for p in profiles
            if calendar.is_signatory(p.iso3, value) or calendar.is_party(p.iso3, value, day)
        }
        what = f"signatory or party of {value}"
    elif group in INSTRUMENTS:
        chosen = {p.iso3 for p in profiles if calendar.is_party(p.iso3, group, day)}
        what = f"party of {group}"
    elif group == "contact_24_7":
        chosen = {p.iso3 for p in profiles if p.facts.contact_24_7}
        what = "state with a 24/7 point of contact"
    else:
        choices = ", ".join(
            (
                "all",
                *INSTRUMENTS,
                "signatories:<instrument>",
                "region:<name>",
                "subregion:<name>",
                "contact_24_7",
            )
        )
        raise ValueError(f"unknown group '{group}' (choose {choices})")
    if not chosen:
        # An empty group is almost always a mistake (a date before any ratification, a world
        # without the instrument's members); a lever that silently reaches nobody is worse.
        raise ValueError(f"no state of the run is a {what} on the lever's start date")
    return frozenset(chosen)


_TREATY_LEVERS = ("join", "in_force", "new_agreement")


def resolve(
    scenario: Scenario, states: Iterable[StateProfile], calendar: TreatyCalendar, draw: object
) -> tuple[ActiveLever, ...]:
    """The scenario's levers with their targets; treaty levers are written into ``calendar``.

    A group is resolved on the lever's start day, after the treaty levers that start before
    it have changed the calendar: "from 2028 among the Budapest parties" includes the states
    a ``join`` lever made parties in 2027. Treaty levers are therefore taken first, in order
    of start day (then of position in the file), each applied before the next is resolved.
    Memberships that adaptive treaty uptake adds during the run do not extend a group.

    Args:
        scenario: The scenario.
        states: The run's states.
        calendar: The run's treaty calendar (changed in place).
        draw: A stream with ``uniform()`` deciding which targeted states join when s < 1;
            one number is drawn per targeted state of every ``join`` lever, in code order.

    Raises:
        ScenarioError: naming the lever's field if a state or group is not in the run, or a
            group has no member on the lever's start day.
    """
    profiles = list(states)
    codes = {p.iso3 for p in profiles}
    simulation = scenario.simulation
    days = [simulation.day_of(lever.start) if lever.start else 0.0 for lever in scenario.levers]
    order = sorted(
        range(len(scenario.levers)),
        key=lambda i: (scenario.levers[i].lever not in _TREATY_LEVERS, days[i], i),
    )
    active: dict[int, ActiveLever] = {}
    for index in order:
        lever, day = scenario.levers[index], days[index]
        where = f"levers[{index}]"
        for number, code in enumerate((*lever.states, *lever.partners)):
            if code not in codes:
                part = "states" if number < len(lever.states) else "partners"
                raise ScenarioError(f"{where}.{part}", f"'{code}' is not a state of the run")
        targets = set(lever.states)
        if lever.group is not None:
            try:
                targets |= _group_members(lever.group, profiles, calendar, day)
            except ValueError as exc:
                raise ScenarioError(f"{where}.group", str(exc)) from None
        if not lever.states and lever.group is None:
            targets = codes
        item = active[index] = ActiveLever(lever, frozenset(targets), day)
        _apply_treaty_change(item, calendar, draw)
    return tuple(active[index] for index in range(len(scenario.levers)))


def _apply_treaty_change(item: ActiveLever, calendar: TreatyCalendar, draw: object) -> None:
    """Write one treaty lever into the calendar (accessions, entry into force, new ties)."""
    lever = item.lever
    if lever.lever == "join":
        for code in sorted(item.targets):
            if draw.uniform() < lever.strength:  # type: ignore[attr-defined]
                calendar.set_party(code, str(lever.instrument), item.day)
    elif lever.lever == "in_force" and lever.strength > 0:
        calendar.set_in_force(str(lever.instrument), item.day)
    elif lever.lever == "new_agreement" and lever.strength > 0:
        for code in sorted(item.targets):
            for partner in lever.partners:
                if partner != code:
                    calendar.add_tie(str(lever.kind), code, partner, item.day)


class Policy:
    """The levers of a run, answering for a pair of states on a day (cached per period).

    Args:
        active: The resolved levers.
    """

    def __init__(self, active: Iterable[ActiveLever]) -> None:
        self.active = tuple(active)
        self._days = tuple(sorted({item.day for item in self.active}))
        self._cache: dict[tuple[str, str, int], Effects] = {}

    def effects(self, requesting: str, requested: str, day: float) -> Effects:
        """The combined effect of the levers in force on ``day`` for this pair."""
        if not self.active:
            return NEUTRAL
        key = (requesting, requested, bisect_right(self._days, day))
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._combine(requesting, requested, day)
        return found

    def _combine(self, requesting: str, requested: str, day: float) -> Effects:
        strengths: dict[str, list[float]] = {}
        for item in self.active:
            if item.day <= day and item.acts_on(requesting, requested):
                strengths.setdefault(item.lever.lever, []).append(item.lever.strength)
        s = {name: combined_strength(values, name) for name, values in strengths.items()}
        procedures = s.get("standard_procedures", 0.0)
        evidence = s.get("harmonised_evidence", 0.0)
        training = s.get("training", 0.0)
        transmission = s.get("electronic_transmission", 0.0)
        stage = [1.0] * len(STAGES)
        stage[_OUTGOING_REVIEW] = stage[_LEGAL_REVIEW] = 1.0 - 0.3 * procedures
        stage[_TRANSMISSION] = stage[_RETURN_TRANSMISSION] = 1.0 - 0.8 * transmission
        stage[_DRAFTING] = 1.0 - 0.3 * training
        return Effects(
            dual_criminality=1.0 - s.get("harmonised_definitions", 0.0),
            data_protection=1.0 - s.get("privacy_bridge", 0.0),
            clarification=(1.0 - 0.6 * procedures) * (1.0 - 0.5 * training),
            grounds=1.0 - 0.5 * evidence,
            content_refusal=1.0 - evidence,
            content_extra_time=1.0 - evidence,
            preservation_gap=1.0 - s.get("preservation_24_7", 0.0),
            stage_time=tuple(stage),
        )

    def contact_day(self, state: str) -> float:
        """The first day ``state`` has a 24/7 point of contact through a lever (inf if never)."""
        days = [
            item.day
            for item in self.active
            if item.lever.lever == "preservation_24_7"
            and item.lever.strength > 0
            and state in item.targets
        ]
        return min(days, default=math.inf)

    def retention_factor(self, holder: str, day: float) -> float:
        """How much longer data held in ``holder`` is kept, for needs arising on ``day``.

        Overlapping ``data_retention`` levers add their strengths, up to 4 (x5 retention).
        """
        strengths = [
            item.lever.strength
            for item in self.active
            if item.lever.lever == "data_retention" and item.day <= day and holder in item.targets
        ]
        return 1.0 + combined_strength(strengths, "data_retention")

    def staffing_changes(self) -> list[tuple[float, str, float]]:
        """``(day, state, factor)``: central-authority staff multiplied from that day.

        Overlapping ``ca_staffing`` levers add their strengths, up to 4: a state's staff is at
        most x5 the staff it had before its first lever, however many levers target it. The
        levers of one state starting on one day make a single change (so that staff are
        rounded once); a later lever's factor is the ratio of the new multiple to the old,
        1 (no change) once the cap is reached. Changes are listed in the order of the first
        lever making them, then by state code, as the model starts them.
        """
        by_state: dict[str, dict[float, tuple[int, list[float]]]] = {}
        for position, item in enumerate(self.active):
            if item.lever.lever != "ca_staffing" or item.lever.strength <= 0:
                continue
            for code in item.targets:
                days = by_state.setdefault(code, {})
                days.setdefault(item.day, (position, []))[1].append(item.lever.strength)
        changes: list[tuple[int, str, float, float]] = []
        for code, days in by_state.items():
            strengths_so_far: list[float] = []
            multiple = 1.0
            for day in sorted(days):
                position, strengths = days[day]
                strengths_so_far.extend(strengths)
                new_multiple = 1.0 + combined_strength(strengths_so_far, "ca_staffing")
                if new_multiple != multiple:
                    changes.append((position, code, day, new_multiple / multiple))
                multiple = new_multiple
        changes.sort(key=lambda change: change[:2])
        return [(day, code, factor) for _, code, day, factor in changes]
