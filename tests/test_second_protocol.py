"""The Second Additional Protocol to the Budapest Convention (CETS 224), article by article.

Each test states one rule of the Protocol in its docstring, citing the article, and checks the
channel that carries it: ``sp_domain_registration`` (Art. 6), ``sp_subscriber_order`` (Art. 7),
``sp_expedited_production`` (Art. 8), ``sp_emergency_disclosure`` (Art. 9) and
``sp_emergency_mla`` (Art. 10). The Protocol is not in force in the world data (three of the
five ratifications it needs, Art. 16(3)), so most tests bring it into force in a calendar of
their own, with the reservations they name, as the ``in_force`` lever would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim.config.loading import default_settings, load_scenario, merge, validate_settings
from sim.engine.replication import run_replication
from sim.errors import ScenarioError, WorldDataError
from sim.rules.channels import CHANNEL_SPECS, FORMAL_MLA
from sim.rules.routing import ChannelRouter
from sim.world.build import World, build_world
from sim.world.data import RESERVATIONS_FILE, Reservation, WorldData, load_world_data
from sim.world.treaties import TreatyCalendar

PROTOCOL_CHANNELS = (
    "sp_domain_registration",
    "sp_subscriber_order",
    "sp_expedited_production",
    "sp_emergency_disclosure",
    "sp_emergency_mla",
)
STATES = ["SRB", "HUN", "JPN", "DEU", "USA"]
"""Serbia, Hungary and Japan ratified the Protocol; Germany signed it; the USA did neither."""
IN_FORCE = 100.0
"""The day the tests' calendars bring the Protocol into force."""


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


@pytest.fixture(scope="module")
def world(data: WorldData) -> World:
    """The five states of ``STATES`` with the calendar of the world data (not in force)."""
    settings = merge(default_settings(), {"world": {"states": STATES}})
    return build_world(data, validate_settings(settings))


def protocol_router(
    data: WorldData, reservations: tuple[Reservation, ...] = ()
) -> tuple[ChannelRouter, TreatyCalendar]:
    """A router whose calendar brings the Protocol into force on ``IN_FORCE``.

    Its parties are the three that ratified it (SRB, HUN, JPN), and its only reservations are
    ``reservations``: each test names the ones its rule is about.
    """
    settings = validate_settings(merge(default_settings(), {"world": {"states": STATES}}))
    dates = dict(data.instrument_in_force, second_protocol=None)
    calendar = TreatyCalendar(
        settings.simulation.start,
        (m for m in data.memberships if m.iso3 in STATES),
        (t for t in data.ties if t.state_a in STATES and t.state_b in STATES),
        dates,
        reservations,
    )
    calendar.set_in_force("second_protocol", IN_FORCE)
    return ChannelRouter(settings.channels, calendar), calendar


def reservation(party: str, clause: str, data_type: str | None = None) -> Reservation:
    """A reservation of ``party`` under ``clause`` (its article read from the clause)."""
    article = int(clause.split("(")[0])
    return Reservation(party, article, clause, data_type, None, True, "test")


def protocol_open(
    router: ChannelRouter,
    world: World,
    a: str,
    b: str,
    data_type: str,
    *,
    urgent: bool = False,
    day: float = IN_FORCE,
) -> tuple[str, ...]:
    """The Protocol's channels open to a request from ``a`` to ``b``, fastest first."""
    found = router.open_channels(world[a], world[b], data_type, day, urgent)
    return tuple(name for name in found if name in PROTOCOL_CHANNELS)


# -- entry into force (Art. 16(3)) -------------------------------------------------------------


def test_art_16_3_no_channel_before_entry_into_force(data: WorldData, world: World) -> None:
    """Art. 16(3): no article's channel opens before the Protocol is in force.

    The Protocol binds no one before it enters into force, so before that day no
    article's channel is open, even between two states that ratified it, for any data type,
    urgent or not; from that day they open.
    """
    router, _ = protocol_router(data)
    for data_type in ("subscriber", "traffic", "content"):
        for urgent in (False, True):
            early = protocol_open(router, world, "SRB", "HUN", data_type, urgent=urgent, day=99.0)
            assert early == ()
            if urgent or data_type != "content":  # content only in an emergency (Arts. 9-10)
                assert protocol_open(router, world, "SRB", "HUN", data_type, urgent=urgent)


def test_art_16_3_the_world_data_keep_every_channel_closed(world: World) -> None:
    """Art. 16(3): in the world data the Protocol is not in force, so all is closed.

    Five ratifications are needed and the data know three, so in the baseline no
    pair of the world data has any of the Protocol's channels, on any day of a long run.
    """
    router = ChannelRouter(validate_settings(default_settings()).channels, world.calendar.fork())
    for a in STATES:
        for b in STATES:
            for data_type in ("subscriber", "traffic", "content"):
                for day in (0.0, 400.0, 1800.0):
                    for urgent in (False, True):
                        found = router.open_channels(world[a], world[b], data_type, day, urgent)
                        assert not set(found) & set(PROTOCOL_CHANNELS), (a, b, found)


def test_only_parties_use_it(data: WorldData, world: World) -> None:
    """Arts. 6-10 bind Parties only.

    Arts. 6-10 bind Parties only: a signatory (Germany) or a non-party (the USA) neither sends
    nor receives under them, although the Protocol is in force between the others.
    """
    router, _ = protocol_router(data)
    for a, b in (("DEU", "HUN"), ("HUN", "DEU"), ("USA", "SRB"), ("SRB", "USA")):
        assert protocol_open(router, world, a, b, "subscriber", urgent=True) == ()


def test_a_join_lever_makes_a_state_a_party(data: WorldData, world: World) -> None:
    """Art. 16: a state that ratifies is bound from its date.

    Art. 16(2)-(4): a state that ratifies (a ``join`` lever) is bound from its date, so the
    Protocol's channels open with it from then on, not before.
    """
    router, calendar = protocol_router(data)
    calendar.set_party("DEU", "second_protocol", 200.0)
    assert protocol_open(router, world, "DEU", "HUN", "subscriber", day=150.0) == ()
    assert "sp_subscriber_order" in protocol_open(
        router, world, "DEU", "HUN", "subscriber", day=200.0
    )


# -- Art. 6: domain name registration information ----------------------------------------------


def test_art_6_registration_information_is_subscriber_data_only(
    data: WorldData, world: World
) -> None:
    """Art. 6(1): registration information only, from a registrar.

    A Party's authority may ask a registrar in another Party for domain name
    registration information, which identifies or contacts the registrant: subscriber-type
    data, never traffic data or content.
    """
    router, _ = protocol_router(data)
    assert "sp_domain_registration" in protocol_open(router, world, "SRB", "HUN", "subscriber")
    for data_type in ("traffic", "content"):
        assert "sp_domain_registration" not in protocol_open(router, world, "SRB", "HUN", data_type)


def test_art_6_no_reservation_closes_it(data: WorldData, world: World) -> None:
    """Art. 19(1): no reservation to Art. 6 exists.

    Art. 19(1) allows no reservation to Art. 6: a Party that reserved Art. 7 (Japan, Art.
    7(9)(a)) still receives Art. 6 requests for registration information.
    """
    router, _ = protocol_router(data, (reservation("JPN", "7(9)(a)"),))
    assert "sp_domain_registration" in protocol_open(router, world, "SRB", "JPN", "subscriber")


# -- Art. 7: orders for subscriber information sent directly to a provider ---------------------


def test_art_7_1_an_order_for_subscriber_information_goes_directly(
    data: WorldData, world: World
) -> None:
    """Art. 7(1): orders for subscriber information go directly to a provider.

    A Party may issue an order directly to a service provider in another Party's
    territory for subscriber information only: no traffic data, no content.
    """
    router, _ = protocol_router(data)
    assert "sp_subscriber_order" in protocol_open(router, world, "HUN", "SRB", "subscriber")
    for data_type in ("traffic", "content"):
        assert "sp_subscriber_order" not in protocol_open(router, world, "HUN", "SRB", data_type)
    assert "sp_subscriber_order" not in FORMAL_MLA  # no central authority in between


def test_art_7_9_a_a_reserving_party_receives_no_order(data: WorldData, world: World) -> None:
    """Art. 7(9)(a): a Party that reserved Art. 7 receives no order under it.

    A Party that reserved the right not to apply Art. 7 receives no order
    under it (its providers are not ordered directly), while it may still order providers of
    Parties that made no such reservation, and Arts. 6 and 8 stay open into it.
    """
    router, _ = protocol_router(data, (reservation("JPN", "7(9)(a)"),))
    into_japan = protocol_open(router, world, "SRB", "JPN", "subscriber")
    assert "sp_subscriber_order" not in into_japan
    assert {"sp_domain_registration", "sp_expedited_production"} <= set(into_japan)
    assert "sp_subscriber_order" in protocol_open(router, world, "JPN", "SRB", "subscriber")


def test_art_7_9_a_japans_reservation_is_in_the_world_data(data: WorldData) -> None:
    """Art. 7(9)(a): Japan's reservation is in the world data and closes Art. 7.

    Japan reserved the right not to apply Art. 7 (sourced, verified), so once
    the Protocol is in force no Art. 7 order goes to a provider in Japan.
    """
    rows = [r for r in data.reservations if (r.party, r.clause) == ("JPN", "7(9)(a)")]
    assert len(rows) == 1
    assert rows[0].verified and rows[0].article == 7 and rows[0].data_type is None
    settings = validate_settings(merge(default_settings(), {"world": {"states": STATES}}))
    world = build_world(data, settings)
    calendar = world.calendar.fork()
    calendar.set_in_force("second_protocol", IN_FORCE)
    router = ChannelRouter(settings.channels, calendar)
    assert "sp_subscriber_order" not in protocol_open(router, world, "SRB", "JPN", "subscriber")
    assert "sp_subscriber_order" in protocol_open(router, world, "JPN", "SRB", "subscriber")


def test_art_7_9_b_access_numbers_do_not_close_the_channel(data: WorldData, world: World) -> None:
    """Art. 7(9)(b): an access-number reservation leaves Art. 7 open.

    A reservation for certain access numbers narrows Art. 7 only for them; the
    model has no access numbers, so the order for subscriber information stays open.
    """
    router, _ = protocol_router(data, (reservation("HUN", "7(9)(b)", "subscriber"),))
    assert "sp_subscriber_order" in protocol_open(router, world, "SRB", "HUN", "subscriber")


# -- Art. 8: giving effect to another Party's order for expedited production --------------------


def test_art_8_1_orders_for_subscriber_information_and_traffic_data(
    data: WorldData, world: World
) -> None:
    """Art. 8(1): subscriber information and traffic data, not content.

    A Party may have the requested Party give effect to its order for the
    production of subscriber information and traffic data by a provider there; content is not
    covered.
    """
    router, _ = protocol_router(data)
    for data_type in ("subscriber", "traffic"):
        assert "sp_expedited_production" in protocol_open(router, world, "SRB", "HUN", data_type)
    assert "sp_expedited_production" not in protocol_open(router, world, "SRB", "HUN", "content")


def test_art_8_13_a_traffic_reservation_closes_traffic_only(data: WorldData, world: World) -> None:
    """Art. 8(13): a traffic-data reservation closes Art. 8 for traffic only.

    A Party that reserved Art. 8 for traffic data receives no Art. 8 order for
    traffic data, but still for subscriber information; other Parties are not affected.
    """
    router, _ = protocol_router(data, (reservation("HUN", "8(13)", "traffic"),))
    assert "sp_expedited_production" not in protocol_open(router, world, "SRB", "HUN", "traffic")
    assert "sp_expedited_production" in protocol_open(router, world, "SRB", "HUN", "subscriber")
    assert "sp_expedited_production" in protocol_open(router, world, "HUN", "SRB", "traffic")


def test_art_8_6_the_clock_is_within_the_deadlines() -> None:
    """Art. 8(6): the channel's clock lies within the 20- and 45-day deadlines.

    The provider must produce subscriber information within 20 days and traffic
    data within 45 days of the requested Party's order; the channel's execution stage has its
    median between the two, and the requesting state expects it slower than a direct order and
    faster than a European Investigation Order.
    """
    channels = validate_settings(default_settings()).channels
    execution = channels.sp_expedited_production.stages["execution"].time
    assert 20.0 <= execution.mean <= 45.0
    assert (
        channels.sp_subscriber_order.nominal_days
        < channels.sp_expedited_production.nominal_days
        < channels.eio.nominal_days
    )


# -- Art. 9: expedited disclosure in an emergency ----------------------------------------------


def test_art_9_1_only_in_an_emergency(data: WorldData, world: World) -> None:
    """Art. 9(1): expedited disclosure is for emergencies only.

    Art. 9(1) with Art. 3(2)(c): expedited disclosure through the 24/7 network is for an
    emergency (a significant and imminent risk to a person's life or safety), so only an urgent
    request may use it; it covers any stored computer data.
    """
    router, _ = protocol_router(data)
    for data_type in ("subscriber", "traffic", "content"):
        assert "sp_emergency_disclosure" in protocol_open(
            router, world, "SRB", "HUN", data_type, urgent=True
        )
        assert "sp_emergency_disclosure" not in protocol_open(
            router, world, "SRB", "HUN", data_type
        )


def test_art_9_5_a_reserving_party_receives_no_emergency_disclosure(
    data: WorldData, world: World
) -> None:
    """Art. 9(5): a Party that reserved Art. 9 receives no request under it.

    A Party that reserved the right not to apply Art. 9 receives no request under
    it; emergency mutual assistance (Art. 10) stays open into it.
    """
    router, _ = protocol_router(data, (reservation("HUN", "9(5)"),))
    found = protocol_open(router, world, "SRB", "HUN", "content", urgent=True)
    assert "sp_emergency_disclosure" not in found
    assert "sp_emergency_mla" in found


def test_art_9_is_the_fastest_route_in_an_emergency(data: WorldData, world: World) -> None:
    """Art. 9(3): in an emergency Art. 9 is tried first.

    The data are disclosed on a rapidly expedited basis, so an urgent request
    tries Art. 9 before any other channel.
    """
    router, _ = protocol_router(data)
    for data_type in ("subscriber", "traffic", "content"):
        found = router.open_channels(world["SRB"], world["HUN"], data_type, IN_FORCE, True)
        assert found[0] == "sp_emergency_disclosure"


# -- Art. 10: emergency mutual assistance ------------------------------------------------------


def test_art_10_emergency_mutual_assistance_for_urgent_requests(
    data: WorldData, world: World
) -> None:
    """Art. 10: emergency mutual assistance, for urgent requests only.

    Art. 10(1)-(3): in an emergency a Party may ask for mutual assistance on an expedited
    basis, in electronic form, for any data; it is mutual assistance (a formal channel), open
    only to urgent requests, and the requesting state expects it faster than ordinary MLA.
    """
    router, _ = protocol_router(data)
    for data_type in ("subscriber", "traffic", "content"):
        assert "sp_emergency_mla" in protocol_open(
            router, world, "SRB", "HUN", data_type, urgent=True
        )
        assert "sp_emergency_mla" not in protocol_open(router, world, "SRB", "HUN", data_type)
    assert "sp_emergency_mla" in FORMAL_MLA
    channels = validate_settings(default_settings()).channels
    assert channels.sp_emergency_mla.nominal_days < min(
        channels[name].nominal_days for name in FORMAL_MLA if name != "sp_emergency_mla"
    )


def test_art_10_closed_to_a_suspended_pair(data: WorldData, world: World) -> None:
    """Art. 10: closed, like all formal MLA, to a suspended pair.

    Art. 10 is mutual assistance: like every formal channel it is closed to a pair whose
    cooperation in criminal matters is suspended.
    """
    router, calendar = protocol_router(data)
    calendar.add_tie("suspended", "SRB", "HUN", 150.0)
    assert "sp_emergency_mla" not in protocol_open(
        router, world, "SRB", "HUN", "content", urgent=True, day=150.0
    )


def test_the_router_keeps_urgent_and_ordinary_answers_apart(data: WorldData, world: World) -> None:
    """The router's cache keeps urgent and ordinary answers apart.

    The router caches its answers: an ordinary request asked first must not hand an urgent
    one its answer without the emergency channels, nor the reverse.
    """
    router, _ = protocol_router(data)
    ordinary = router.open_channels(world["SRB"], world["HUN"], "traffic", IN_FORCE, False)
    urgent = router.open_channels(world["SRB"], world["HUN"], "traffic", IN_FORCE, True)
    again = router.open_channels(world["SRB"], world["HUN"], "traffic", IN_FORCE, False)
    assert set(urgent) - set(ordinary) == {"sp_emergency_disclosure", "sp_emergency_mla"}
    assert again == ordinary


def test_only_the_emergency_articles_are_emergency_only() -> None:
    """Only Arts. 9 and 10 are for emergencies only.

    Arts. 9 and 10 are the Protocol's emergency procedures; Arts. 6, 7 and 8 serve any
    request.
    """
    flagged = {spec.name for spec in CHANNEL_SPECS if spec.emergency_only}
    assert flagged == {"sp_emergency_disclosure", "sp_emergency_mla"}


# -- reservations as data (Art. 19) -------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the packaged world data, to break one file at a time."""
    source = Path(__file__).resolve().parents[1] / "sim" / "data"
    for path in source.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _append_reservation(folder: Path, line: str) -> None:
    with (folder / RESERVATIONS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def test_art_19_only_a_party_can_have_made_a_reservation(data_dir: Path) -> None:
    """Art. 19(1): only a Party can have made a reservation.

    A reservation is made on signature or with the consent to be bound, and it
    binds only a Party: a reservation listed for a state that memberships.csv does not list as a
    party (Germany only signed) is a data error naming the row.
    """
    _append_reservation(data_dir, "DEU,7,7(9)(a),,2023-01-27,false,S2b,")
    with pytest.raises(WorldDataError) as caught:
        load_world_data(data_dir)
    assert RESERVATIONS_FILE in caught.value.where
    assert "DEU" in caught.value.problem and "not a party" in caught.value.problem


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("SRB,7,7(9)(c),,,false,S2b,", "clause '7(9)(c)' is not one of"),
        ("SRB,8,7(9)(a),,,false,S2b,", "article '8' is not the article of clause 7(9)(a)"),
        ("SRB,8,8(13),content,,false,S2b,", "clause 8(13) reserves only traffic data"),
        ("SRB,9,9(5),traffic,,false,S2b,", "reserves the whole article"),
        ("SRB,9,9(5),,,false,,", "source is empty"),
    ],
)
def test_art_19_a_reservation_must_be_one_the_protocol_allows(
    data_dir: Path, line: str, problem: str
) -> None:
    """Art. 19(1): a reservation must be one the Protocol allows.

    Art. 19(1) lists the reservations a Party may make: an unknown clause, a clause under the
    wrong article, or a scope the clause does not allow is a data error.
    """
    _append_reservation(data_dir, line)
    with pytest.raises(WorldDataError) as caught:
        load_world_data(data_dir)
    assert problem in caught.value.problem


def test_unverified_reservations_are_flagged(data: WorldData) -> None:
    """Reservations not read in a source are flagged unverified.

    Every reservation row says whether it was read in a source: Japan's Art. 7 reservation
    is verified, its Art. 8 one (whose text was cut off) is not.
    """
    flags = {(r.party, r.clause): r.verified for r in data.reservations}
    assert flags == {("JPN", "7(9)(a)"): True, ("JPN", "8(13)"): False}


# -- scenarios: the old channel's name, and runs with and without the Protocol ------------------


def test_the_retired_channel_name_is_refused_with_its_replacements() -> None:
    """The old single channel's name is refused, naming its replacements.

    A scenario that still names the single ``second_protocol`` channel is refused, with a
    message that names the five channels replacing it (never silently ignored).
    """
    settings = merge(default_settings(), {"channels": {"second_protocol": {"enabled": False}}})
    with pytest.raises(ScenarioError) as caught:
        validate_settings(settings)
    assert caught.value.where == "channels.second_protocol"
    for name in PROTOCOL_CHANNELS:
        assert name in caught.value.problem


RUN = """[simulation]
start = 2026-01-01
end = 2027-01-01
warm_up_days = 30
drain_days = 60
replications = 1
seed = 3

[world]
states = ["SRB", "HUN", "JPN", "DEU", "FRA"]

[demand]
scale = 0.05
"""
LEVERS = """
[[levers]]
lever = "join"
instrument = "second_protocol"
states = ["DEU", "FRA"]
start = 2026-03-01

[[levers]]
lever = "in_force"
instrument = "second_protocol"
start = 2026-03-01
"""


def _channels_used(tmp_path: Path, text: str):
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    requests, *_ = run_replication(load_scenario(path), 0)
    return requests


def test_a_baseline_run_uses_none_of_its_channels(tmp_path: Path) -> None:
    """Art. 16(3): a baseline run uses none of the Protocol's channels.

    Without a lever the Protocol never enters into force in a run, so no request
    of its three parties (and two signatories) goes through any of its channels.
    """
    requests = _channels_used(tmp_path, RUN)
    used = set(requests["channel"].astype(str)) | set(requests["first_channel"].astype(str))
    assert not used & set(PROTOCOL_CHANNELS)


def test_the_in_force_lever_opens_its_channels_in_a_run(tmp_path: Path) -> None:
    """Art. 16(3) brought forward by levers: a run uses the Protocol's channels.

    Art. 16(3) brought forward by the ``in_force`` and ``join`` levers: from their day the
    parties' requests use the Protocol's channels, its emergency ones only for urgent requests.
    """
    requests = _channels_used(tmp_path, RUN + LEVERS)
    first = requests["first_channel"].astype(str)
    on_protocol = requests[first.isin(PROTOCOL_CHANNELS)]
    assert len(on_protocol) > 0
    assert (on_protocol["created_day"] >= 59.0).all()  # 2026-03-01 is day 59
    emergency = first.isin(["sp_emergency_disclosure", "sp_emergency_mla"])
    assert emergency.any()
    assert requests.loc[emergency, "urgent"].all()
