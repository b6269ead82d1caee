"""A world is shared, never changed: each model works on its own fork of the treaty calendar.

Treaty levers (``join``, ``in_force``, ``new_agreement``) and adaptive treaty uptake change
who is bound to what during a run. They change the model's calendar only, so one world can
serve every replication of a run, and a dashboard showing it, without a run leaking into
another.
"""

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from model_runs import pursue_all

from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Scenario
from sim.engine.model import CooperationModel
from sim.world.build import World, build_world
from sim.world.data import WorldData, load_world_data

CODES = ("USA", "GBR", "DEU", "FRA", "IND", "KEN", "VNM", "EGY", "SAU", "THA")
NON_PARTIES = ("IND", "KEN", "VNM", "EGY", "SAU", "THA")
JOIN_DAY = 59.0  # 2026-03-01
TREATY_LEVERS = [
    {"lever": "join", "instrument": "budapest", "states": ["IND"], "start": dt.date(2026, 3, 1)},
    {"lever": "join", "instrument": "second_protocol", "states": ["GBR", "USA"]},
    {"lever": "in_force", "instrument": "second_protocol", "start": dt.date(2026, 5, 1)},
    {"lever": "new_agreement", "kind": "cloud_act", "states": ["DEU"], "partners": ["USA"]},
]


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data."""
    return load_world_data()


def scenario(levers: list[dict[str, Any]], uptake: float, years: int = 2) -> Scenario:
    """Ten states over ``years`` years with the given levers and treaty uptake strength."""
    settings = merge(
        merge(default_settings(), pursue_all()),
        {
            "world": {"states": list(CODES)},
            "simulation": {
                "start": dt.date(2026, 1, 1),
                "end": dt.date(2026 + years, 1, 1),
                "warm_up_days": 0,
                "drain_days": 90,
                "timeseries_interval_days": 30,
            },
            "states": {code: {"cases_per_year": 400.0} for code in CODES},
            "adaptation": {"treaty_uptake": uptake, "uptake_review_days": 180.0},
        },
    )
    settings["levers"] = levers
    return validate_settings(settings)


def run(model: CooperationModel) -> CooperationModel:
    """Run a model to its horizon and close it."""
    while not model.finished:
        model.step()
    model.close()
    return model


def parties(model: CooperationModel, day: float) -> set[str]:
    """The run's states that are Budapest parties on ``day`` in the model's calendar."""
    return {code for code in CODES if model.calendar.is_party(code, "budapest", day)}


def test_a_run_with_treaty_levers_and_uptake_leaves_its_world_unchanged(data: WorldData) -> None:
    """After a run whose levers and uptake made new parties, the world's calendar is as built.

    The model's own calendar has India (joined by a lever) and at least one other state that
    joined by uptake; the world's has neither, nor the Second Protocol or the new agreement.
    """
    chosen = scenario(TREATY_LEVERS, uptake=1.0)
    world = build_world(data, chosen)
    untouched = build_world(data, chosen).calendar
    version, change_days = world.calendar.version, world.calendar.change_days

    model = run(CooperationModel(chosen, world, 0))

    end = model.horizon
    joined = parties(model, end) - parties(model, 0.0)
    assert "IND" in joined
    assert joined - {"IND"}, "treaty uptake should have made another party"
    assert model.calendar.both_bound("GBR", "USA", "second_protocol", end)
    assert model.calendar.has_tie("cloud_act", "DEU", "USA", 0.0)
    assert world.calendar == untouched
    assert (world.calendar.version, world.calendar.change_days) == (version, change_days)
    assert not any(world.calendar.is_party(code, "budapest", end) for code in NON_PARTIES)
    assert not world.calendar.in_force("second_protocol", end)
    assert not world.calendar.has_tie("cloud_act", "DEU", "USA", end)


def test_two_models_of_one_world_do_not_see_each_others_joins(data: WorldData) -> None:
    """Two models built from one world and stepped in turn keep their treaty changes apart.

    One has the treaty levers and uptake; the other has neither, and its time series never
    shows a new Budapest party, although the first model's joins happen meanwhile.
    """
    world = build_world(data, scenario(TREATY_LEVERS, uptake=1.0))
    reforming = CooperationModel(scenario(TREATY_LEVERS, uptake=1.0), world, 0)
    still = CooperationModel(scenario([], uptake=0.0), world, 0)
    assert "IND" in parties(reforming, JOIN_DAY)
    assert "IND" not in parties(still, JOIN_DAY)
    while not reforming.finished:
        reforming.step()
        still.step()
    assert parties(reforming, reforming.horizon) > parties(still, still.horizon)
    assert parties(still, still.horizon) == parties(still, 0.0)
    series = still.timeseries.to_frame(0)
    members = series.groupby("state", observed=True)["budapest_party"].nunique()
    assert (members == 1).all()
    assert not still.calendar.both_bound("GBR", "USA", "second_protocol", still.horizon)


def frames(model: CooperationModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A closed model's request and time-series frames."""
    return model.log.to_frame(model.replication), model.timeseries.to_frame(model.replication)


def test_replications_of_one_shared_world_give_the_rows_of_fresh_worlds(data: WorldData) -> None:
    """Replications run one after another on one world give exactly their own rows.

    Each equals the replication run on a world built just for it, as ``run_replication`` does.
    """
    chosen = scenario(TREATY_LEVERS, uptake=1.0, years=1)
    shared = build_world(data, chosen)
    for replication in (0, 1, 0):
        on_shared = frames(run(CooperationModel(chosen, shared, replication)))
        fresh: World = build_world(data, chosen)
        on_fresh = frames(run(CooperationModel(chosen, fresh, replication)))
        pd.testing.assert_frame_equal(on_shared[0], on_fresh[0])
        pd.testing.assert_frame_equal(on_shared[1], on_fresh[1])
