"""The treaty bases of formal MLA, one test per rule as the instrument writes it.

Synthetic calendars (two real states bound by what a test gives them) isolate each rule; the
packaged world data then checks the pairs the rules are about (issue #12, sources in
``sim/data/SOURCES.md``).
"""

from __future__ import annotations

import datetime as dt

import pytest

from sim.config.loading import default_settings, merge, validate_settings
from sim.rules.channels import FORMAL_MLA, TREATY_MLA_INSTRUMENTS
from sim.rules.routing import ChannelRouter
from sim.world.build import World, build_world
from sim.world.data import Membership, Tie, WorldData, load_world_data
from sim.world.treaties import TreatyCalendar

START = dt.date(2026, 1, 1)
A, B = "DEU", "KEN"  # two real states, given whatever bonds each test needs


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


@pytest.fixture(scope="module")
def world(data: WorldData) -> World:
    """A world of the states the tests name, with the packaged treaty calendar."""
    codes = ["DEU", "FRA", "GBR", "USA", "JPN", "KEN", "RUS", "UKR", "HKG", "CHN", "TWN", "IRN"]
    settings = merge(default_settings(), {"world": {"states": codes}})
    return build_world(data, validate_settings(settings))


def router_for(world: World, calendar: TreatyCalendar | None = None) -> ChannelRouter:
    """The default channels over ``calendar`` (the world's if None)."""
    chosen = validate_settings(default_settings())
    return ChannelRouter(chosen.channels, calendar or world.calendar)


def calendar(
    parties: dict[str, list[str]],
    ties: list[tuple[str, str, str, dt.date | None]] = (),  # type: ignore[assignment]
    start: dt.date = START,
    in_force: dict[str, dt.date] | None = None,
) -> TreatyCalendar:
    """A calendar where each instrument of ``parties`` binds its states since before ``start``."""
    memberships = [
        Membership(state, name, "party", None, None, True)
        for name, states in parties.items()
        for state in states
    ]
    links = [Tie(kind, a, b, None, day, True) for kind, a, b, day in ties]
    dates = {name: dt.date(1960, 1, 1) for name in parties} | (in_force or {})
    return TreatyCalendar(start, memberships, links, dates)


def formal(router: ChannelRouter, world: World, a: str, b: str, day: float = 0.0) -> set[str]:
    """The formal MLA channels open to a content request from ``a`` to ``b``."""
    return set(router.open_channels(world[a], world[b], "content", day)) & set(FORMAL_MLA)


# --- rules, on synthetic calendars ---------------------------------------------------------


def test_budapest_art27_applies_where_no_mla_treaty_is_in_force(world: World) -> None:
    """Budapest Art. 27(1): between Parties with no MLA treaty, Arts. 27-28 govern MLA.

    The Convention itself is then the treaty basis, so letters rogatory are not used.
    """
    router = router_for(world, calendar({"budapest": [A, B]}))
    assert formal(router, world, A, B) == {"budapest_mla"}


@pytest.mark.parametrize("instrument", TREATY_MLA_INSTRUMENTS)
def test_budapest_art27_gives_way_to_a_multilateral_mla_treaty(
    world: World, instrument: str
) -> None:
    """Budapest Art. 27(1): Arts. 27-28 apply only where no MLA treaty is in force.

    A multilateral or regional MLA treaty binding the two Parties is such a treaty: MLA then
    runs on it, not on Art. 27.
    """
    parties = {"budapest": [A, B], instrument: [A, B]}
    if instrument in ("eu_us_mla", "eu_japan_mla", "eu_uk_tca"):
        counterpart = {"eu_us_mla": "USA", "eu_japan_mla": "JPN", "eu_uk_tca": "GBR"}[instrument]
        parties = {"budapest": [A, counterpart], instrument: [A, counterpart]}
        assert formal(router_for(world, calendar(parties)), world, A, counterpart) == {"treaty_mla"}
        return
    assert formal(router_for(world, calendar(parties)), world, A, B) == {"treaty_mla"}


@pytest.mark.parametrize("kind", ["mlat", "mla_agreement"])
def test_budapest_art27_gives_way_to_a_bilateral_treaty_or_agreement(
    world: World, kind: str
) -> None:
    """Budapest Art. 27(1): a bilateral treaty or arrangement in force displaces Arts. 27-28.

    An arrangement counts as well as a treaty (e.g. the US-China agreement of 2000).
    """
    cal = calendar({"budapest": [A, B]}, [(kind, A, B, None)])
    assert formal(router_for(world, cal), world, A, B) == {"bilateral_mlat"}


def test_letters_rogatory_only_where_no_treaty_basis_exists(world: World) -> None:
    """Letters rogatory (comity, no treaty needed) only where no treaty basis exists.

    One multilateral treaty binding both states closes them; one binding only one does not.
    """
    assert formal(router_for(world, calendar({})), world, A, B) == {"letters_rogatory"}
    assert formal(router_for(world, calendar({"untoc": [A, B]})), world, A, B) == {"treaty_mla"}
    assert formal(router_for(world, calendar({"untoc": [A]})), world, A, B) == {"letters_rogatory"}


def test_untoc_art18_binds_parties_from_its_entry_into_force(world: World) -> None:
    """UNTOC Art. 18: MLA between Parties, from the entry into force on 2003-09-29.

    Not a day before (Art. 38: the 90th day after the 40th ratification).
    """
    start = dt.date(2003, 9, 1)
    cal = calendar({"untoc": [A, B]}, start=start, in_force={"untoc": dt.date(2003, 9, 29)})
    router = router_for(world, cal)
    day = float((dt.date(2003, 9, 29) - start).days)
    assert formal(router, world, A, B, day - 1) == {"letters_rogatory"}
    assert formal(router, world, A, B, day) == {"treaty_mla"}


def test_eu_agreement_binds_the_counterpart_with_each_member_not_members_together(
    world: World,
) -> None:
    """EU-UK TCA Part Three binds the UK with each EU member state, not members together.

    The EU-US and EU-Japan agreements are read the same way (``COUNTERPART``).
    """
    cal = calendar({"eu_uk_tca": ["GBR", "DEU", "FRA"]})
    router = router_for(world, cal)
    assert formal(router, world, "GBR", "DEU") == {"treaty_mla"}
    assert formal(router, world, "FRA", "GBR") == {"treaty_mla"}
    assert formal(router, world, "DEU", "FRA") == {"letters_rogatory"}


def test_a_suspended_pair_has_no_formal_channel(world: World) -> None:
    """A suspended pair has no formal channel, letters rogatory included, from its date.

    As RUS-UKR from 2022-12-23 and HKG-USA from 2020-08-20; before the date they are open.
    """
    suspended_from = dt.date(2026, 3, 1)
    cal = calendar(
        {"untoc": [A, B], "budapest": [A, B]},
        [("mlat", A, B, None), ("suspended", A, B, suspended_from)],
    )
    router = router_for(world, cal)
    day = float((suspended_from - START).days)
    assert formal(router, world, A, B, day - 1) == {"bilateral_mlat", "treaty_mla"}
    assert formal(router, world, A, B, day) == set()
    assert formal(router, world, B, A, day) == set()


def test_a_suspension_leaves_direct_requests_to_providers(world: World) -> None:
    """A suspension is between governments: providers may still answer directly.

    Here a US provider, whose law allows voluntary disclosure.
    """
    cal = calendar({"untoc": ["HKG", "USA"]}, [("suspended", "HKG", "USA", None)])
    found = router_for(world, cal).open_channels(world["HKG"], world["USA"], "subscriber", 0.0)
    assert found == ("direct_provider",)


# --- the packaged data ---------------------------------------------------------------------


def test_rus_ukr_and_hkg_usa_are_suspended_in_the_data(world: World) -> None:
    """RUS-UKR from 2022-12-23 and HKG-USA from 2020-08-20: no formal channel in 2026.

    Although UNTOC, ETS 030 and the 1997 HKG-USA agreement would otherwise apply.
    """
    router = router_for(world)
    cal = world.calendar
    assert cal.both_bound("RUS", "UKR", "untoc", 0.0)
    assert cal.has_tie("mlat", "USA", "HKG", 0.0)
    for a, b in (("RUS", "UKR"), ("UKR", "RUS"), ("USA", "HKG"), ("HKG", "USA")):
        assert formal(router, world, a, b) == set()
    assert world.calendar.has_tie(
        "suspended", "RUS", "UKR", -float((START - dt.date(2022, 12, 23)).days)
    )
    assert not world.calendar.has_tie(
        "suspended", "RUS", "UKR", -float((START - dt.date(2022, 12, 22)).days)
    )


def test_eu_uk_tca_binds_gbr_and_each_eu_member_from_2021(world: World) -> None:
    """EU-UK TCA: binds GBR and each EU member state from 2021-01-01 (provisional application)."""
    cal = world.calendar
    first = -float((START - dt.date(2021, 1, 1)).days)
    for member in ("DEU", "FRA"):
        assert cal.both_bound("GBR", member, "eu_uk_tca", first)
        assert not cal.both_bound("GBR", member, "eu_uk_tca", first - 1)


def test_us_china_and_ait_tecro_agreements_open_bilateral_mla(world: World) -> None:
    """The US-China (2000) and AIT-TECRO (2002) agreements are bilateral bases of MLA.

    Bilateral MLA is open with China and Taiwan, and letters rogatory are not needed.
    """
    router = router_for(world)
    for partner in ("CHN", "TWN"):
        found = formal(router, world, "USA", partner)
        assert "bilateral_mlat" in found
        assert "letters_rogatory" not in found


def test_letters_rogatory_left_only_to_states_outside_the_treaties(world: World) -> None:
    """Letters rogatory remain only for pairs without a treaty basis.

    In this world: pairs with Iran, Taiwan or Hong Kong, which have no UNTOC row.
    """
    router = router_for(world)
    codes = [state.iso3 for state in world.states]
    left = {
        (a, b)
        for a in codes
        for b in codes
        if a != b and "letters_rogatory" in formal(router, world, a, b)
    }
    assert ("IRN", "CHN") in left
    assert all({"IRN", "TWN", "HKG"} & set(pair) for pair in left)
    assert ("DEU", "KEN") not in left
