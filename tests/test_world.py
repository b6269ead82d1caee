"""Tests of ``sim.world.build``: selecting states and resolving their parameters."""

import dataclasses
from typing import Any

import pytest

from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Scenario
from sim.errors import ScenarioError, WorldDataError
from sim.world.build import build_world
from sim.world.data import WorldData, load_world_data


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def scenario(changes: dict[str, Any]) -> Scenario:
    """The defaults with ``changes`` laid over them."""
    return validate_settings(merge(default_settings(), changes))


def test_selected_states_in_code_order(data: WorldData) -> None:
    """The world holds exactly the selected states, sorted by ISO code."""
    world = build_world(data, scenario({"world": {"states": ["USA", "DEU", "GBR"]}}))
    assert [s.iso3 for s in world.states] == ["DEU", "GBR", "USA"]
    assert world["GBR"].facts.name == "United Kingdom"
    with pytest.raises(KeyError):
        world["FRA"]


def test_empty_selection_means_every_state(data: WorldData) -> None:
    """``world.states = []`` simulates every state of the world data."""
    world = build_world(data, scenario({}))
    assert [s.iso3 for s in world.states] == sorted(data.states)


def test_state_defaults_apply_where_the_data_is_silent(data: WorldData) -> None:
    """A state without a row in parameters.csv takes the scenario's state defaults."""
    silent = {code: row for code, row in data.parameters.items() if code != "AUT"}
    data = dataclasses.replace(data, parameters=silent)
    chosen = scenario(
        {
            "world": {"states": ["AUT", "DEU"]},
            "state_defaults": {"ca_staff": 7, "retention_days": 42},
        }
    )
    params = build_world(data, chosen)["AUT"].params
    assert params.ca_staff == 7
    assert params.retention_days == 42.0
    assert params.evidentiary_standard == "reasonable_grounds"


def test_parameters_csv_beats_state_defaults(data: WorldData) -> None:
    """parameters.csv overrides the scenario's state defaults, with its types converted."""
    chosen = scenario(
        {
            "world": {"states": ["USA", "DEU"]},
            "state_defaults": {"ca_staff": 7, "retention_days": 42, "voluntary_disclosure": False},
        }
    )
    world = build_world(data, chosen)
    for code in ("USA", "DEU"):
        row, params = data.parameters[code], world[code].params
        assert params.ca_staff == int(row["ca_staff"]) != 7
        # A statute's traffic period where parameters.csv has one (DEU); else the default.
        assert params.retention_days == float(row.get("retention_days", 42.0))
        assert params.provider_share == pytest.approx(float(row["provider_share"]))
        assert params.evidentiary_standard == row["evidentiary_standard"]
    assert world["DEU"].params.retention_days != 42.0
    assert world["USA"].params.voluntary_disclosure is True
    assert world["USA"].params.evidentiary_standard == "probable_cause"


def test_scenario_state_table_beats_parameters_csv(data: WorldData) -> None:
    """A scenario's [states.ISO3] table has the last word; fields it leaves out keep the data's."""
    chosen = scenario(
        {
            "world": {"states": ["USA", "DEU"]},
            "states": {"DEU": {"ca_staff": 3, "voluntary_disclosure": True}},
        }
    )
    world = build_world(data, chosen)
    deu = world["DEU"].params
    assert deu.ca_staff == 3
    assert deu.voluntary_disclosure is True
    assert deu.retention_days == float(data.parameters["DEU"]["retention_days"])
    assert world["USA"].params.ca_staff == int(data.parameters["USA"]["ca_staff"])


@pytest.mark.parametrize(
    ("codes", "where"),
    [
        (["DEU", "ZZZ"], "world.states[1]"),
        (["QQQ", "DEU", "FRA"], "world.states[0]"),
    ],
)
def test_unknown_iso_in_world_states(data: WorldData, codes: list[str], where: str) -> None:
    """An ISO code the world data lacks is an error naming its place in the list."""
    with pytest.raises(ScenarioError) as caught:
        build_world(data, scenario({"world": {"states": codes}}))
    assert caught.value.where == where
    assert codes[int(where[-2])] in caught.value.problem


def test_state_listed_twice(data: WorldData) -> None:
    """A code listed twice is an error at its second place."""
    with pytest.raises(ScenarioError) as caught:
        build_world(data, scenario({"world": {"states": ["DEU", "FRA", "DEU"]}}))
    assert caught.value.where == "world.states[2]"


def test_world_needs_two_states(data: WorldData) -> None:
    """Cooperation needs a partner: a single state is refused."""
    with pytest.raises(ScenarioError) as caught:
        build_world(data, scenario({"world": {"states": ["DEU"]}}))
    assert caught.value.where == "world.states"


def test_unknown_iso_in_state_overrides(data: WorldData) -> None:
    """A [states.ZZZ] table for a state the data lacks names ``states.ZZZ``."""
    chosen = scenario({"world": {"states": ["DEU", "FRA"]}, "states": {"ZZZ": {"ca_staff": 2}}})
    with pytest.raises(ScenarioError) as caught:
        build_world(data, chosen)
    assert caught.value.where == "states.ZZZ"
    assert "unknown" in caught.value.problem


def test_unknown_iso_in_state_overrides_when_all_states_run(data: WorldData) -> None:
    """The check also applies when every state is simulated."""
    with pytest.raises(ScenarioError) as caught:
        build_world(data, scenario({"states": {"ZZZ": {"ca_staff": 2}}}))
    assert caught.value.where == "states.ZZZ"


def test_override_of_a_state_not_selected(data: WorldData) -> None:
    """Overriding a real state that the scenario leaves out is an error, not silently ignored."""
    chosen = scenario({"world": {"states": ["DEU", "FRA"]}, "states": {"USA": {"ca_staff": 2}}})
    with pytest.raises(ScenarioError) as caught:
        build_world(data, chosen)
    assert caught.value.where == "states.USA"
    assert "not in world.states" in caught.value.problem


def test_bad_value_in_parameters_csv_names_file_state_and_field(data: WorldData) -> None:
    """An invalid parameters.csv value is a world-data error naming the state and column."""
    broken = WorldData(
        data.states,
        data.memberships,
        data.ties,
        data.instrument_in_force,
        {**data.parameters, "DEU": {**data.parameters["DEU"], "ca_staff": "zero"}},
    )
    with pytest.raises(WorldDataError) as caught:
        build_world(broken, scenario({"world": {"states": ["DEU", "FRA"]}}))
    assert caught.value.where == "parameters.csv DEU ca_staff"


def test_calendar_only_holds_selected_states(data: WorldData) -> None:
    """Ties and memberships of states left out are not in the world's calendar."""
    world = build_world(data, scenario({"world": {"states": ["USA", "GBR"]}}))
    calendar = world.calendar
    assert calendar.has_tie("mlat", "USA", "GBR", 0.0)
    assert not calendar.has_tie("mlat", "USA", "DEU", 0.0)
    assert not calendar.is_party("DEU", "budapest", 0.0)
    assert calendar.is_party("USA", "budapest", 0.0)


def test_calendar_days_count_from_the_scenario_start(data: WorldData) -> None:
    """Treaty dates become days from ``simulation.start``: a later start shifts them."""
    late = scenario({"world": {"states": ["DEU", "FRA"]}})
    settings = merge(default_settings(), {"world": {"states": ["DEU", "FRA"]}})
    settings["simulation"]["start"] = settings["simulation"]["start"].replace(year=2027)
    settings["simulation"]["end"] = settings["simulation"]["end"].replace(year=2032)
    later = validate_settings(settings)
    assert build_world(data, late).calendar.in_force("e_evidence", 229.0)
    assert not build_world(data, late).calendar.in_force("e_evidence", 228.0)
    assert build_world(data, later).calendar.in_force("e_evidence", 0.0)
