"""The emergency path: a provider's voluntary disclosure when lives are in danger (issue #12, 2).

18 U.S.C. 2702(b)(8) lets a provider divulge the contents of a communication, and 2702(c)(4)
a record or other information about a subscriber, to a governmental entity "if the provider,
in good faith, believes that an emergency involving danger of death or serious physical injury
to any person requires disclosure without delay". The channel ``emergency_disclosure`` is that
request: open to a need whose case is urgent and in such danger (a keyed draw against the
crime type's ``emergency_share``), whose provider has an emergency disclosure policy, for any
data type, tried before every other channel and falling back to them if the provider declines.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from model_runs import make_scenario, quiet, run_model

from sim.config.loading import default_settings, merge, validate_settings
from sim.engine.model import _EMERGENCY, CooperationModel
from sim.engine.streams import STEP, uniform_at
from sim.rules.attempts import channels_to_try
from sim.rules.channels import EMERGENCY, PER_REQUEST, emergency_open
from sim.rules.providers import provider_tables
from sim.rules.routing import ChannelRouter
from sim.vocabulary import DATA_TYPES
from sim.world.build import HolderProfile, build_world
from sim.world.data import WorldData, load_world_data

CODES = ["DEU", "USA", "FRA"]
CRIMES = tuple(default_settings()["crime_types"])


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


@pytest.fixture(scope="module")
def world(data: WorldData):
    """The three states of these tests, with the packaged providers."""
    scenario = validate_settings(merge(default_settings(), {"world": {"states": CODES}}))
    return scenario, build_world(data, scenario)


def _emergency_settings(share: float = 0.5, urgent: float = 0.5) -> dict[str, Any]:
    """Every crime type as urgent and in danger as given (to have many emergency requests)."""
    return {
        "crime_types": {
            name: {"urgent_share": urgent, "emergency_share": share} for name in CRIMES
        },
        "preservation": {"enabled": False},
        "channels": {EMERGENCY: {"enabled": True}},
    }


def _run(data: WorldData, *changes: dict[str, Any]) -> tuple[CooperationModel, pd.DataFrame]:
    scenario = make_scenario(CODES, _emergency_settings(), *changes, days=365, drain=60)
    return run_model(data, scenario)


@pytest.fixture(scope="module")
def run(data: WorldData) -> tuple[CooperationModel, pd.DataFrame]:
    """One year of three states with the packaged providers, many urgent cases in danger.

    Half the cases are urgent and half of those in danger, to have many emergency requests.
    """
    return _run(data)


def _started_there(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["first_channel"] == EMERGENCY]


# -- the provider's emergency policy -------------------------------------------------------------


def test_a_us_provider_with_a_policy_is_open_to_the_emergency_path(world) -> None:
    """A US provider with an emergency policy is open to the emergency path.

    18 U.S.C. 2702(b)(8): a provider may disclose content to a governmental entity if it
    believes in good faith that an emergency involving danger of death or serious physical
    injury requires it; so a qualifying urgent content request to a US provider with an
    emergency policy (Meta, Google, Apple: providers.csv) is open to the emergency path.
    """
    _, built = world
    usa = built["USA"]
    meta = HolderProfile(usa.facts, usa.params, True, True)
    assert emergency_open(meta)


def test_a_us_domestic_provider_is_open_by_the_stored_communications_act(world) -> None:
    """The USA's domestic providers are open to the emergency path by the SCA.

    18 U.S.C. 2702(b)(8) and (c)(4) bind every US provider of an electronic communication
    or remote computing service, not only the listed ones: the USA's domestic rest of providers
    (whose home law allows voluntary disclosure) is open to the emergency path.
    """
    _, built = world
    assert emergency_open(built["USA"])


def test_a_provider_without_an_emergency_policy_never_gets_it(world) -> None:
    """A provider without an emergency policy never gets the emergency path.

    The path is the provider's voluntary disclosure: a listed provider with no emergency
    policy in providers.csv, or the domestic provider of a state whose law allows no voluntary
    disclosure (Germany's: no source that its providers may answer foreign requests), is never
    open to it.
    """
    _, built = world
    usa, deu = built["USA"], built["DEU"]
    assert not emergency_open(HolderProfile(usa.facts, usa.params, True, False))
    assert not emergency_open(deu)


def test_the_router_never_lists_the_emergency_path(world) -> None:
    """The router never lists the emergency path: the model adds it need by need.

    Whether the path is open depends on the request (urgency, danger), which the router's
    cache per pair, data type and treaty epoch cannot see: so the router never lists it, for
    any holder, data type or day, and the model adds it to a qualifying need.
    """
    scenario, built = world
    router = ChannelRouter(scenario.channels, built.calendar)
    assert EMERGENCY in PER_REQUEST
    usa = built["USA"]
    holders = (usa, HolderProfile(usa.facts, usa.params, True, True), built["FRA"])
    for holder in holders:
        for data_type in DATA_TYPES:
            for day in (0.0, 400.0):
                assert EMERGENCY not in router.open_channels(built["DEU"], holder, data_type, day)


def test_a_provider_declines_an_emergency_request_at_its_published_rate(world, data) -> None:
    """A provider declines an emergency request at its published rate, or the assumed one.

    Snap produced some data for 67% of international emergency requests (H1 2018) and Meta
    for about 80% of the UK's (H2 2016, unverified): they decline 0.33 and 0.20. A provider with
    a policy and no published rate (Apple), and a domestic provider, decline at the channel's
    assumed ``p_provider_decline``; one without a policy (Amazon) would always decline.
    """
    _, built = world
    tables = provider_tables(list(built.states), built, built.calendar, 0.35, 0.25)
    decline = dict(zip(tables.names, tables.emergency_decline, strict=True))
    names = {p.provider for p in built.providers}
    assert decline["domestic"] == 0.25
    assert decline["meta"] == pytest.approx(0.20)
    assert decline["apple"] == 0.25
    if "snap" in names:
        assert decline["snap"] == pytest.approx(0.33)
    if "amazon" in names:
        assert decline["amazon"] == 1.0


def test_the_emergency_request_is_tried_on_top_of_the_ordinary_channels() -> None:
    """The emergency request does not count against ``routing.max_channels``.

    Investigators try at most ``max_channels`` channels; the emergency request comes first
    and does not take one of those places, so a refusal leaves the ordinary routes as they were.
    """
    routes = (EMERGENCY, "direct_provider", "cloud_act", "bilateral_mlat", "letters_rogatory")
    assert channels_to_try(routes, 2) == routes[:3]
    assert channels_to_try(routes[1:], 2) == routes[1:3]


# -- the case's condition, drawn keyed -----------------------------------------------------------


def test_only_an_urgent_case_in_danger_qualifies(data: WorldData) -> None:
    """Only an urgent case in danger of death or serious injury qualifies.

    2702(b)(8) and (c)(4) require an emergency involving danger of death or serious physical
    injury: a case that is not urgent never qualifies, nor one of a crime type whose urgent
    cases never involve such danger (``emergency_share`` 0); with a share of 1 every urgent
    case does.
    """
    scenario = make_scenario(CODES, _emergency_settings(), days=365, drain=60)
    model = CooperationModel(scenario, build_world(data, scenario))
    crime = scenario.crime_types["csam"]
    never = crime.model_copy(update={"emergency_share": 0.0})
    always = crime.model_copy(update={"emergency_share": 1.0})
    for key in range(1, 200):
        assert not model._in_danger(False, always, key * 7919)
        assert not model._in_danger(True, never, key * 7919)
        assert model._in_danger(True, always, key * 7919)


def test_the_danger_draw_is_keyed_by_the_case(data: WorldData) -> None:
    """Whether a case is in danger is a keyed draw of the case, not of event order.

    The draw is the case's own, at a fixed position under its first need's key: the same
    case gets the same answer however many other cases drew before it and in what order.
    """
    scenario = make_scenario(CODES, _emergency_settings(), days=365, drain=60)
    model = CooperationModel(scenario, build_world(data, scenario))
    crime = scenario.crime_types["csam"].model_copy(update={"emergency_share": 0.5})
    keys = [k * 104729 + 17 for k in range(300)]
    forward = {k: model._in_danger(True, crime, k) for k in keys}
    backward = {k: model._in_danger(True, crime, k) for k in reversed(keys)}
    assert forward == backward
    assert all(forward[k] == (uniform_at(k + _EMERGENCY) < 0.5) for k in keys)
    assert 0.35 < sum(forward.values()) / len(keys) < 0.65
    assert _EMERGENCY == 6 * STEP  # its own purpose: no other draw of a need sits there


# -- in runs of the model ------------------------------------------------------------------------


def test_only_qualifying_needs_start_on_the_emergency_path(run) -> None:
    """Only qualifying needs start on the emergency path in a run.

    Every request that starts on the path is urgent, of a crime type with urgent cases in
    danger, and held by a provider with an emergency policy (a listed one with a policy, or the
    US domestic rest under 2702); no non-urgent request ever starts there.
    """
    _, frame = run
    started = _started_there(frame)
    assert len(started) > 50
    assert started["urgent"].all()
    assert not (_started_there(frame[~frame["urgent"]])).shape[0]
    held = set(started["requested"].astype(str))
    assert held <= {"USA"}  # DEU and FRA providers have no voluntary disclosure, no policy
    assert set(started["provider"].astype(str)) <= {"domestic", "meta", "google", "apple"}


def test_content_may_be_disclosed_in_an_emergency(run) -> None:
    """Content may be disclosed in an emergency.

    2702(b)(8) covers contents, unlike the ordinary direct request (2702(c)(6) reaches only
    records): content requests start on the path and some are fulfilled there.
    """
    _, frame = run
    started = _started_there(frame)
    content = started[started["data_type"] == "content"]
    assert len(content) > 5
    assert (content["channel"] == EMERGENCY).any()
    assert (content[content["channel"] == EMERGENCY]["outcome"] == "fulfilled").any()


def test_no_emergency_request_without_danger(data: WorldData) -> None:
    """With no urgent case in danger (every ``emergency_share`` 0) nobody uses the path."""
    _, frame = _run(data, _emergency_settings(share=0.0))
    assert len(frame) > 100
    assert _started_there(frame).empty


def test_a_declined_emergency_request_falls_back_to_the_ordinary_channels(data) -> None:
    """A declined emergency request falls back to the ordinary channels.

    If the provider declines, the request goes on to its next open channels, as before:
    with every provider declining (domestic holders only, ``p_provider_decline`` 1) no request
    is answered on the path and those with an ordinary route try it.
    """
    _, frame = _run(
        data,
        quiet(),
        {"channels": {EMERGENCY: {"p_provider_decline": 1.0}}},
        _emergency_settings(),
    )
    started = _started_there(frame)
    assert len(started) > 20
    on_path = started[started["channel"] == EMERGENCY]
    assert (on_path["outcome"] != "fulfilled").all()
    moved_on = started[started["channel"] != EMERGENCY]
    assert len(moved_on) > 0 and (moved_on["attempts"] >= 2).all()


def test_the_same_cases_take_the_path_whatever_else_happens(run, data) -> None:
    """The same cases take the path whatever else happens in the run.

    Common random numbers: which cases are in danger is keyed by the case's identity, so a
    change elsewhere (direct requests declined far more often, other waits and outcomes) leaves
    the set of requests that start on the emergency path unchanged.
    """
    _, frame = run
    _, other = _run(data, {"channels": {"direct_provider": {"p_provider_decline": 0.9}}})
    ids = ["case_id", "requested", "data_type"]

    def cases(f: pd.DataFrame) -> set:
        return set(map(tuple, _started_there(f)[ids].astype(str).to_numpy()))

    assert cases(frame) == cases(other)
