"""The model's clock and its agents: one clock in days, and states held in Mesa's agent set.

SimPy's ``env.now`` is the model's time; Mesa's ``time`` and ``steps`` follow it a day per
step, and ``running`` ends at the horizon, so Mesa's own ways of running a model work.
"""

import datetime as dt

import pandas as pd
import pytest

from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Scenario
from sim.engine.model import CooperationModel
from sim.world.build import build_world
from sim.world.data import WorldData, load_world_data


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def scenario(codes: list[str], days: int, drain: int) -> Scenario:
    """The defaults over ``codes`` for ``days`` days, 200 cases a year each, weekly series."""
    settings = merge(
        default_settings(),
        {
            "world": {"states": codes},
            "simulation": {
                "warm_up_days": 0,
                "drain_days": drain,
                "timeseries_interval_days": 7,
            },
            "states": {code: {"cases_per_year": 200.0} for code in codes},
        },
    )
    settings["simulation"]["end"] = settings["simulation"]["start"] + dt.timedelta(days=days)
    return validate_settings(settings)


def model_of(data: WorldData, chosen: Scenario) -> CooperationModel:
    """A model of ``chosen`` at day 0."""
    return CooperationModel(chosen, build_world(data, chosen), 0)


def test_one_clock_in_days(data: WorldData) -> None:
    """SimPy's ``env.now``, Mesa's ``time`` and ``steps`` and ``day`` are one clock, in days.

    After each step all of them equal the days simulated; Mesa's ``run_model`` runs exactly to
    the horizon, where ``running`` (and with it ``finished``) turns, and SimPy stops there too.
    """
    model = model_of(data, scenario(["GBR", "USA"], days=40, drain=10))
    assert model.time == model.env.now == model.steps == model.day == 0
    assert model.running
    assert not model.finished
    for day in (1, 2, 3):
        model.step()
        assert model.time == model.env.now == model.steps == model.day == day
    model.run_model()
    assert not model.running
    assert model.finished
    assert model.time == model.env.now == model.steps == model.horizon == 40.0


def test_run_model_gives_the_rows_of_daily_steps(data: WorldData) -> None:
    """Running with Mesa's ``run_model`` gives exactly the rows of stepping day by day.

    The time series is observed at the end of each ``timeseries_interval_days`` day either way.
    """
    chosen = scenario(["GBR", "USA", "DEU"], days=120, drain=30)
    stepped = model_of(data, chosen)
    while not stepped.finished:
        stepped.step()
    stepped.close()
    whole = model_of(data, chosen)
    whole.run_model()
    whole.close()
    requests = whole.log.to_frame(0)
    assert len(requests) > 50
    pd.testing.assert_frame_equal(requests, stepped.log.to_frame(0))
    series = whole.timeseries.to_frame(0)
    pd.testing.assert_frame_equal(series, stepped.timeseries.to_frame(0))
    assert sorted(set(series["day"])) == [7.0 * week for week in range(120 // 7 + 1)]


def test_states_are_held_in_mesas_agent_set_in_state_order(data: WorldData) -> None:
    """Every state is a Mesa agent of the model's agent set, in the order of its number.

    That order (ISO code order) is the order in which the states take their decisions when a
    behaviour's review activates them through the agent set.
    """
    codes = ["USA", "DEU", "GBR", "FRA"]
    model = model_of(data, scenario(codes, days=30, drain=10))
    agents = list(model.agents)
    assert agents == list(model.states)
    assert [agent.number for agent in agents] == list(range(len(codes)))
    assert [agent.iso3 for agent in agents] == sorted(codes)
    assert all(agent.model is model for agent in agents)
