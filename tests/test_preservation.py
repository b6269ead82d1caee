"""Tests of ``sim.rules.preservation``: who has a 24/7 contact, and when preservation opens.

Real states of the packaged world data: the United States and the United Kingdom are Budapest
parties with a 24/7 point of contact; Ireland and India are not parties and have none.
"""

import math

import pytest

from sim.config.loading import default_settings, merge, validate_settings
from sim.rules.preservation import has_contact_point, preservation_open
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
