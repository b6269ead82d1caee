"""The simulated world: the states a scenario selects, their parameters and treaty calendar.

This is where the three sources of a state's settings meet, in increasing precedence: the
scenario's ``[state_defaults]``, the per-state ``parameters.csv`` of the world data, and the
scenario's ``[states.ISO3]`` overrides.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from sim.config.schema import Scenario, StateParameters
from sim.errors import ScenarioError, WorldDataError
from sim.world.blocking import BlockingStatute
from sim.world.data import Provider, ProviderRate, StateFacts, WorldData
from sim.world.treaties import TreatyCalendar


@dataclass(frozen=True, slots=True)
class StateProfile:
    """One simulated state: the facts about it and its resolved parameters."""

    facts: StateFacts
    params: StateParameters

    @property
    def iso3(self) -> str:
        """The state's ISO 3166 alpha-3 code."""
        return self.facts.iso3


@dataclass(frozen=True, slots=True)
class HolderProfile(StateProfile):
    """A state as the holder of a need's data, with what the channel rules need of its provider.

    The channel router sees the holder through this profile, so a rule that depends on the
    provider (e-Evidence: Regulation (EU) 2023/1543 binds providers offering services in the
    Union) reads it here, and the router's cache tells the two kinds of holder apart.
    """

    provider_in_union: bool
    """Whether the provider holding the data offers services in the Union."""
    emergency_policy: bool = False
    """Whether it discloses in an emergency (``providers.csv``; the emergency path's rule)."""


@dataclass(frozen=True, slots=True)
class World:
    """The states of a run, in code order, and the treaty calendar among them.

    A world is shared: by the replications of a run and by whatever shows it. Nothing writes
    to its calendar during a run; a model changes its own ``calendar.fork()`` (treaty levers,
    adaptive accessions), so two models built from one world never see each other's changes.
    """

    states: tuple[StateProfile, ...]
    calendar: TreatyCalendar
    providers: tuple[Provider, ...] = ()
    """The listed providers whose home state is in the world (none if providers are off)."""
    provider_rates: tuple[ProviderRate, ...] = ()
    """Their published answer rates (``provider_rates.csv``)."""
    blocking_statutes: tuple[BlockingStatute, ...] = ()
    """The blocking statutes of the world's states (``blocking_statutes.csv``), if applied."""

    def __getitem__(self, iso3: str) -> StateProfile:
        for state in self.states:
            if state.iso3 == iso3:
                return state
        raise KeyError(iso3)


def _selected(data: WorldData, scenario: Scenario) -> list[str]:
    if not scenario.world.states:
        return sorted(data.states)
    chosen: list[str] = []
    for index, code in enumerate(scenario.world.states):
        if code not in data.states:
            raise ScenarioError(f"world.states[{index}]", f"unknown ISO code '{code}'")
        if code in chosen:
            raise ScenarioError(f"world.states[{index}]", f"'{code}' is listed twice")
        chosen.append(code)
    if len(chosen) < 2:
        raise ScenarioError("world.states", "a world needs at least two states")
    return sorted(chosen)


def _parameters(data: WorldData, scenario: Scenario, code: str) -> StateParameters:
    settings = scenario.state_defaults.model_dump()
    from_data = {k: v for k, v in data.parameters.get(code, {}).items() if k in settings}
    try:
        # CSV cells are text, so the data file (not a user's TOML) is read in lax mode.
        checked = StateParameters.model_validate({**settings, **from_data}, strict=False)
        settings.update(checked.model_dump())
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise WorldDataError(f"parameters.csv {code} {field}", first["msg"]) from None
    override = scenario.states.get(code)
    if override is not None:
        settings.update(override.model_dump(exclude_none=True))
    return StateParameters.model_validate(settings)


def build_world(data: WorldData, scenario: Scenario) -> World:
    """Resolve the world of a scenario.

    Raises:
        ScenarioError: if the scenario names a state that the world data lacks, or gives
            parameters to one it leaves out.
    """
    codes = _selected(data, scenario)
    chosen = set(codes)
    for code in scenario.states:
        if code not in data.states:
            raise ScenarioError(f"states.{code}", "unknown ISO code")
        if code not in chosen:
            raise ScenarioError(f"states.{code}", "state is not in world.states")
    for code in scenario.cloud_act_orders.uptake_by_state:  # a state left out is harmless
        if code not in data.states:
            raise ScenarioError(f"cloud_act_orders.uptake_by_state.{code}", "unknown ISO code")
    states = tuple(StateProfile(data.states[c], _parameters(data, scenario, c)) for c in codes)
    calendar = TreatyCalendar(
        scenario.simulation.start,
        (m for m in data.memberships if m.iso3 in chosen),
        (t for t in data.ties if t.state_a in chosen and t.state_b in chosen),
        data.instrument_in_force,
        (r for r in data.reservations if r.party in chosen),
    )
    statutes = tuple(s for s in data.blocking_statutes if s.state in chosen)
    if not scenario.world.blocking_statutes:
        statutes = ()
    if not scenario.world.providers:
        return World(states, calendar, blocking_statutes=statutes)
    providers = tuple(p for p in data.providers if p.home in chosen)
    return World(states, calendar, providers, data.provider_rates, statutes)
