"""Which provider holds a need's data, and how often it answers a direct request.

An evidence holder is a provider: one of the major providers named in ``providers.csv``, or
the implicit domestic provider of the holder state, which holds the rest of the state's weight
(``provider_share``). A listed provider answers a direct request at the rate its transparency
reports (or SIRIUS) give for the requesting state (``provider_rates.csv``); for pairs with no
published row the fallback rule of :func:`answer_rate` applies (docs/model.md, section on
direct requests). A domestic provider answers at ``1 - p_provider_decline`` of the direct
channel, the model's rate before providers.

A provider with an emergency disclosure policy answers an emergency request (the channel
``emergency_disclosure``) at its published emergency rate (``providers.csv``,
``emergency_rate``); one with a policy but no published rate, and a domestic provider, at
``1 - p_provider_decline`` of the emergency channel (an assumption, docs/model.md 7.9).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from itertools import accumulate

from sim.world.build import HolderProfile, StateProfile, World
from sim.world.data import ANY, EU_BLOC, Provider, ProviderRate
from sim.world.treaties import TreatyCalendar

DOMESTIC = "domestic"
"""The name of every state's implicit domestic provider (code 0 in the request records)."""


class Step(IntEnum):
    """Which step of the fallback rule of :func:`answer_rule` gave a rate (docs/model.md 7.9)."""

    DOMESTIC = 0
    """A domestic provider: always the direct channel's ``1 - p_provider_decline``."""
    OWN_ROW = 1
    """The provider's published row for the requesting state."""
    ANY_PROVIDER = 2
    """The row for every listed provider and the requesting state (``*``)."""
    EU_BLOC = 3
    """The provider's row for the EU as a bloc, the requesting state being a member."""
    GLOBAL = 4
    """The provider's global row (requesting ``*``)."""
    ASSUMED = 5
    """No row applies: the domestic rate, an assumption."""


@dataclass(frozen=True, slots=True)
class AnswerRule:
    """A provider's answer rate for a requesting state, and where the rate comes from.

    Attributes:
        rate: The share of direct requests answered.
        step: The step of the fallback rule that gave it.
        row: The (provider, requesting) key of the ``provider_rates.csv`` row used, or None
            when no row applies (:attr:`Step.DOMESTIC`, :attr:`Step.ASSUMED`).
    """

    rate: float
    step: Step
    row: tuple[str, str] | None


def answer_rule(
    provider: str | None,
    requesting: str,
    requesting_in_eu: bool,
    rates: dict[tuple[str, str], float],
    domestic_rate: float,
) -> AnswerRule:
    """The share of direct requests from ``requesting`` that ``provider`` answers, with its step.

    The most specific published row wins: (1) the provider's row for the requesting state;
    (2) a row for any listed provider and the requesting state (a requesting state whose
    requests no listed provider answers, from the sources: Russia); (3) the provider's row for
    the EU as a bloc, if the requesting state is an EU member (SIRIUS); (4) the provider's
    global row; (5) ``domestic_rate``, the channel's ``1 - p_provider_decline`` (an assumption:
    a provider with no published rate answers as the model's providers did before). A domestic
    provider (``provider`` None) always answers at ``domestic_rate``. The engine reads the rate
    through :func:`answer_rate`; ``mlatsim providers`` shows the step too, so both come from
    this one function.

    Args:
        provider: A listed provider's name, or None for a domestic provider.
        requesting: The requesting state's ISO3 code.
        requesting_in_eu: Whether the requesting state is an EU member.
        rates: Published rates by (provider or ``*``, ISO3, ``EU`` or ``*``).
        domestic_rate: The rate of a domestic provider, and the last fallback.
    """
    if provider is None:
        return AnswerRule(domestic_rate, Step.DOMESTIC, None)
    steps = (
        (Step.OWN_ROW, (provider, requesting)),
        (Step.ANY_PROVIDER, (ANY, requesting)),
        (Step.EU_BLOC, (provider, EU_BLOC) if requesting_in_eu else None),
        (Step.GLOBAL, (provider, ANY)),
    )
    for step, key in steps:
        if key is not None and key in rates:
            return AnswerRule(rates[key], step, key)
    return AnswerRule(domestic_rate, Step.ASSUMED, None)


def answer_rate(
    provider: str | None,
    requesting: str,
    requesting_in_eu: bool,
    rates: dict[tuple[str, str], float],
    domestic_rate: float,
) -> float:
    """The share of direct requests from ``requesting`` that ``provider`` answers.

    The rate of :func:`answer_rule` (same arguments), without the step that gave it.
    """
    return answer_rule(provider, requesting, requesting_in_eu, rates, domestic_rate).rate


def rate_table(rates: Iterable[ProviderRate]) -> dict[tuple[str, str], float]:
    """The published rates by (provider, requesting) as :func:`answer_rate` reads them."""
    return {(row.provider, row.requesting): row.rate for row in rates}


def holders_by_home(providers: Iterable[Provider]) -> dict[str, list[Provider]]:
    """The listed providers holding some of a state's weight, by home state, in file order."""
    found: dict[str, list[Provider]] = {}
    for provider in providers:
        if provider.share_of_home > 0.0:
            found.setdefault(provider.home, []).append(provider)
    return found


Choice = tuple[list[float], list[int], list[StateProfile]]
"""A holder state's providers: cumulative shares, provider codes, holder profiles (the last
of each is its domestic provider, holding the rest of the weight)."""


@dataclass(frozen=True, slots=True)
class ProviderTables:
    """What the model needs of the providers, computed once per run (no lookups per request).

    Attributes:
        names: The providers by code; code 0 is every state's domestic provider.
        choice: By state number, its providers as a holder (:data:`Choice`), or None where
            all its weight is its domestic provider's (no draw is then taken).
        direct_decline: By provider code, then requesting state number: the chance a direct
            request is declined, ``1 - answer_rate``.
        emergency_decline: By provider code: the chance an emergency request is declined
            (1.0 for a provider without an emergency policy, which never gets one).
    """

    names: tuple[str, ...]
    choice: list[Choice | None]
    direct_decline: list[list[float]]
    emergency_decline: tuple[float, ...] = ()


def provider_tables(
    states: Sequence[StateProfile],
    world: World,
    calendar: TreatyCalendar,
    p_provider_decline: float,
    p_emergency_decline: float = 1.0,
) -> ProviderTables:
    """The provider tables of a run over ``states`` (in state-number order).

    A requesting state counts as an EU member if it is one on the run's first day.
    ``p_provider_decline`` is the direct channel's, a domestic provider's chance to decline;
    ``p_emergency_decline`` the emergency channel's, for a provider with an emergency policy
    and no published emergency rate (and for a domestic provider).
    """
    listed = world.providers
    code = {p.provider: n for n, p in enumerate(listed, 1)}
    by_home = holders_by_home(listed)
    choice: list[Choice | None] = []
    for state in states:
        held = by_home.get(state.iso3, [])
        if not held:
            choice.append(None)
            continue
        cumulative = [*accumulate(p.share_of_home for p in held), 1.0]
        codes = [code[p.provider] for p in held] + [0]
        profiles: list[StateProfile] = [
            HolderProfile(state.facts, state.params, p.offers_services_in_eu, p.emergency_policy)
            for p in held
        ]
        choice.append((cumulative, codes, [*profiles, state]))
    rates = rate_table(world.provider_rates)
    domestic = 1.0 - p_provider_decline
    in_eu = [calendar.is_party(state.iso3, "eu", 0.0) for state in states]
    names: list[str | None] = [None, *(p.provider for p in listed)]
    decline = [
        [
            1.0 - answer_rate(name, state.iso3, eu, rates, domestic)
            for state, eu in zip(states, in_eu, strict=True)
        ]
        for name in names
    ]
    emergency = (
        p_emergency_decline,
        *(emergency_decline(p, p_emergency_decline) for p in listed),
    )
    return ProviderTables((DOMESTIC, *code), choice, decline, emergency)


def emergency_decline(provider: Provider, fallback: float) -> float:
    """The chance ``provider`` declines an emergency request: ``1 - emergency_rate``.

    ``fallback`` (the channel's ``p_provider_decline``, assumed) where it has a policy but no
    published rate; 1.0 where it has no emergency policy (the rule never opens the path then).
    """
    if not provider.emergency_policy:
        return 1.0
    return fallback if provider.emergency_rate is None else 1.0 - provider.emergency_rate
