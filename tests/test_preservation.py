"""Tests of ``sim.rules.preservation``: who has a 24/7 contact, and by which path data go.

Real states of the packaged world data: the United States and the United Kingdom are Budapest
parties with a 24/7 point of contact; Ireland and India are not parties and have none.
"""

import math

import pytest

from sim.config.loading import default_settings, merge, validate_settings
from sim.rules.preservation import (
    BUDAPEST_PATH,
    NETWORK_PATH,
    NO_PATH,
    PROVIDER_PATH,
    has_contact_point,
    preservation_open,
    preservation_path,
)
from sim.world.build import World, build_world
from sim.world.data import load_world_data


@pytest.fixture(scope="module")
def world() -> World:
    """A world of four states, as the data has them."""
    settings = merge(default_settings(), {"world": {"states": ["GBR", "IND", "IRL", "USA"]}})
    return build_world(load_world_data(), validate_settings(settings))


def test_open_between_two_states_with_a_contact_in_the_data(world: World) -> None:
    """The USA and the UK both have a 24/7 point of contact: preservation is open either way."""
    calendar = world.calendar
    assert preservation_open(world["USA"], world["GBR"], 0.0, calendar)
    assert preservation_open(world["GBR"], world["USA"], 0.0, calendar)


def test_closed_when_either_side_has_no_contact(world: World) -> None:
    """Ireland has no contact: preservation is closed to and from it, whoever asks."""
    calendar = world.calendar
    assert not has_contact_point(world["IRL"], 0.0, calendar)
    assert not preservation_open(world["USA"], world["IRL"], 0.0, calendar)
    assert not preservation_open(world["IRL"], world["USA"], 0.0, calendar)
    assert not preservation_open(world["IRL"], world["IND"], 1e9, calendar)


def test_a_lever_gives_a_contact_from_its_day(world: World) -> None:
    """A ``preservation_24_7`` lever gives Ireland a contact from its day, not before."""
    calendar, days = world.calendar, {"IRL": 100.0}
    assert not preservation_open(world["USA"], world["IRL"], 99.0, calendar, days)
    assert preservation_open(world["USA"], world["IRL"], 100.0, calendar, days)
    assert preservation_open(world["IRL"], world["GBR"], 400.0, calendar, days)
    assert not preservation_open(world["IND"], world["IRL"], 400.0, calendar, days)
    assert not has_contact_point(world["IRL"], 400.0, calendar, math.inf)


def test_a_new_budapest_party_has_a_contact_from_the_day_it_joins(world: World) -> None:
    """Art. 35: joining Budapest (a lever or treaty uptake, in a run's calendar) gives a contact.

    The world's own calendar is not changed: the accession is made on a fork, as a run does.
    """
    run = world.calendar.fork()
    run.set_party("IND", "budapest", 200.0)
    assert not preservation_open(world["USA"], world["IND"], 199.0, run)
    assert preservation_open(world["USA"], world["IND"], 200.0, run)
    assert has_contact_point(world["IND"], 200.0, run)
    assert not has_contact_point(world["IND"], 200.0, world.calendar)


@pytest.fixture(scope="module")
def wider() -> World:
    """The four states and Russia (a G8 founder of the 24/7 network, not a Budapest party)."""
    codes = ["GBR", "IND", "IRL", "RUS", "USA"]
    settings = merge(default_settings(), {"world": {"states": codes}})
    return build_world(load_world_data(), validate_settings(settings))


def test_path_between_budapest_parties_is_article_29(world: World) -> None:
    """Two Budapest parties preserve under Art. 29, before any other path that is open."""
    assert preservation_path(world["GBR"], world["USA"], 0.0, world.calendar) == BUDAPEST_PATH


def test_provider_path_opens_between_non_parties_where_providers_accept(world: World) -> None:
    """India (no contact) can ask US providers, which accept foreign requests, not Irish ones."""
    calendar = world.calendar
    assert world["USA"].params.provider_preservation
    assert not preservation_open(world["IND"], world["USA"], 0.0, calendar)
    assert preservation_path(world["IND"], world["USA"], 0.0, calendar) == PROVIDER_PATH
    assert preservation_path(world["USA"], world["IND"], 0.0, calendar) == NO_PATH
    assert preservation_path(world["IND"], world["IRL"], 0.0, calendar) == NO_PATH


def test_g7_network_members_count_only_with_the_switch(wider: World) -> None:
    """Russia (flagged a G7-network member) has a contact only when the switch is on.

    With it, a Russia-UK pair (no treaty path, UK providers not taken to accept foreign
    requests) preserves through the network; India, not flagged, still has no contact.
    """
    calendar = wider.calendar
    assert wider["RUS"].params.g7_network
    assert not has_contact_point(wider["RUS"], 0.0, calendar)
    assert has_contact_point(wider["RUS"], 0.0, calendar, g7_network=True)
    assert preservation_path(wider["RUS"], wider["GBR"], 0.0, calendar) == NO_PATH
    on = preservation_path(wider["RUS"], wider["GBR"], 0.0, calendar, g7_network=True)
    assert on == NETWORK_PATH
    assert not preservation_open(wider["IND"], wider["GBR"], 0.0, calendar, g7_network=True)
