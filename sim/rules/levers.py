"""Policy levers: the reforms a scenario switches on, for some states, from a date.

Each kind of lever has one documented mechanism: which stage time, probability or eligibility
rule it changes, and by how much at full strength. The kinds are the entries of the registry
:data:`~sim.rules.lever_kinds.LEVERS`; this module resolves a scenario's levers (their targets,
the treaty events) and answers for a run through that registry (:class:`Policy`). Strength 0
switches a lever off; strength 1 is its full effect (``ca_staffing`` and ``data_retention`` go
to 4, meaning +400%). The magnitudes that no source gives are stated assumptions
(docs/levers.md), chosen so a reform's direction is sure and its size is a round, arguable
number that a sweep can vary.

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
from dataclasses import dataclass

from sim.config.schema import Lever, Scenario
from sim.errors import ScenarioError
from sim.rules.lever_kinds import (
    LEVERS,
    NEUTRAL,
    Draw,
    Effects,
    LeverKind,
    combined_strength,
    kinds_applying_to,
    max_strength,
    pair_effects,
)
from sim.vocabulary import INSTRUMENTS
from sim.world.build import StateProfile
from sim.world.treaties import TreatyCalendar

__all__ = [
    "LEVERS",
    "NEUTRAL",
    "ActiveLever",
    "Effects",
    "Policy",
    "combined_strength",
    "max_strength",
    "resolve",
]


@dataclass(frozen=True, slots=True)
class ActiveLever:
    """A lever resolved for a run: its targets and its first day."""

    lever: Lever
    targets: frozenset[str]
    day: float

    @property
    def kind(self) -> LeverKind:
        """The lever's entry in the registry."""
        return LEVERS[self.lever.lever]

    @property
    def partners(self) -> tuple[str, ...]:
        """The lever's ``partners`` (none for a kind that takes none)."""
        return tuple(getattr(self.lever, "partners", ()))

    def covers(self, *states: str) -> bool:
        """Whether every one of ``states`` is targeted."""
        return all(state in self.targets for state in states)

    def acts_on(self, requesting: str, requested: str) -> bool:
        """Whether this pair-acting lever changes a request from ``requesting`` to ``requested``."""
        side = self.kind.side
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
        partners = self.partners
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


def resolve(
    scenario: Scenario, states: Iterable[StateProfile], calendar: TreatyCalendar, draw: Draw
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
    codes = frozenset(p.iso3 for p in profiles)
    simulation = scenario.simulation
    levers = scenario.levers
    days = [simulation.day_of(lever.start) if lever.start else 0.0 for lever in levers]
    order = sorted(
        range(len(levers)),
        key=lambda i: ("treaty" not in LEVERS[levers[i].lever].applies, days[i], i),
    )
    active: dict[int, ActiveLever] = {}
    for index in order:
        lever, day = levers[index], days[index]
        targets = _targets(lever, f"levers[{index}]", profiles, codes, calendar, day)
        item = active[index] = ActiveLever(lever, targets, day)
        event = item.kind.event
        if event is not None:
            event(lever, targets, day, calendar, draw)
    return tuple(active[index] for index in range(len(levers)))


def _targets(
    lever: Lever,
    where: str,
    profiles: list[StateProfile],
    codes: frozenset[str],
    calendar: TreatyCalendar,
    day: float,
) -> frozenset[str]:
    """The states ``lever`` targets on ``day``: its states and group, or every state.

    Raises:
        ScenarioError: naming ``where``'s field if a state or partner is not in the run, or
            its group has no member.
    """
    states: list[str] = getattr(lever, "states", [])
    group: str | None = getattr(lever, "group", None)
    for part in ("states", "partners"):
        for code in getattr(lever, part, ()):
            if code not in codes:
                raise ScenarioError(f"{where}.{part}", f"'{code}' is not a state of the run")
    if not states and group is None:
        return codes
    targets = set(states)
    if group is not None:
        try:
            targets |= _group_members(group, profiles, calendar, day)
        except ValueError as exc:
            raise ScenarioError(f"{where}.group", str(exc)) from None
    return frozenset(targets)


class Policy:
    """The levers of a run, answering for a pair of states on a day (cached per period).

    Args:
        active: The resolved levers.
    """

    def __init__(self, active: Iterable[ActiveLever]) -> None:
        self.active = tuple(active)
        self._days = tuple(sorted({item.day for item in self.active}))
        self._cache: dict[tuple[str, str, int], Effects] = {}
        self._retention = tuple(
            (kind, items)
            for kind in kinds_applying_to("retention")
            if (items := tuple(item for item in self.active if item.kind is kind))
        )

    def agreement_uptake(self) -> dict[str, float]:
        """The CLOUD Act uptake that ``new_agreement`` levers give their targeted states.

        A later lever overrides an earlier one for a state both target.
        """
        uptake: dict[str, float] = {}
        for item in self.active:
            share = getattr(item.lever, "uptake", None)
            if share is not None:
                uptake.update(dict.fromkeys(sorted(item.targets), share))
        return uptake

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
        return pair_effects(
            {name: combined_strength(values, name) for name, values in strengths.items()}
        )

    def contact_day(self, state: str) -> float:
        """The first day ``state`` has a 24/7 point of contact through a lever (inf if never)."""
        days = [
            item.day
            for item in self.active
            if "contact" in item.kind.applies and item.lever.strength > 0 and state in item.targets
        ]
        return min(days, default=math.inf)

    def retention_factor(self, holder: str, day: float) -> float:
        """How much longer data held in ``holder`` is kept, for needs arising on ``day``.

        Overlapping levers of one kind add their strengths, up to its maximum
        (``data_retention``: 4, so x5 retention).
        """
        factor = 1.0
        for kind, items in self._retention:
            strengths = [
                item.lever.strength for item in items if item.day <= day and holder in item.targets
            ]
            strength = combined_strength(strengths, kind.name)
            factor *= kind.scale(strength, "retention_days")
        return factor

    def staffing_changes(self) -> list[tuple[float, str, float]]:
        """``(day, state, factor)``: central-authority staff multiplied from that day.

        Overlapping ``ca_staffing`` levers add their strengths, up to 4: a state's staff is at
        most x5 the staff it had before its first lever, however many levers target it. The
        levers of one state starting on one day make a single change (so that staff are
        rounded once); a later lever's factor is the ratio of the new multiple to the old,
        1 (no change) once the cap is reached. Changes are listed in the order of the first
        lever making them, then by state code, as the model starts them.
        """
        changes: list[tuple[int, str, float, float]] = []
        for kind in _STAFFING_KINDS:
            changes.extend(self._staffing_steps(kind))
        changes.sort(key=lambda change: change[:2])
        return [(day, code, factor) for _, code, day, factor in changes]

    def _staffing_steps(self, kind: LeverKind) -> list[tuple[int, str, float, float]]:
        """``(position, state, day, factor)`` of the staff changes of one kind's levers."""
        by_state: dict[str, dict[float, tuple[int, list[float]]]] = {}
        for position, item in enumerate(self.active):
            if item.lever.lever != kind.name or item.lever.strength <= 0:
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
                strength = combined_strength(strengths_so_far, kind.name)
                new_multiple = kind.scale(strength, "ca_staff")
                if new_multiple != multiple:
                    changes.append((position, code, day, new_multiple / multiple))
                multiple = new_multiple
        return changes


_STAFFING_KINDS = kinds_applying_to("staffing")
