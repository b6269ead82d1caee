"""Tests of the registry of adaptive behaviours (``sim.engine.behaviours``) and its use.

The effects of each behaviour are tested in ``tests/test_adaptation.py``; here, what the
registry promises: each entry says its name, strength, learning, modifiers and columns; a
strength switches on its own behaviour only; reviews activate every state in state order; and
a new behaviour is one more entry, whose modifiers combine with the others'.
"""

import datetime as dt
from typing import Any

import pytest
from model_runs import pursue_all

from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Adaptation as AdaptationSettings
from sim.config.schema import Scenario
from sim.engine import behaviours
from sim.engine.adaptation import TIMESERIES_COLUMNS
from sim.engine.behaviours import BEHAVIOURS, MODIFIERS, Behaviour, CapacityResponse
from sim.engine.model import CooperationModel
from sim.engine.records import STATE_COLUMNS
from sim.world.build import build_world
from sim.world.data import WorldData, load_world_data

CODES = ("DEU", "FRA", "USA")


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data."""
    return load_world_data()


def scenario(adaptation: dict[str, Any], days: int = 365) -> Scenario:
    """Three states for ``days`` days with the given ``[adaptation]`` settings."""
    settings = merge(
        merge(default_settings(), pursue_all()),
        {
            "world": {"states": list(CODES)},
            "simulation": {"warm_up_days": 0, "drain_days": 60},
            "states": {code: {"cases_per_year": 300.0} for code in CODES},
            "adaptation": adaptation,
        },
    )
    settings["simulation"]["end"] = settings["simulation"]["start"] + dt.timedelta(days=days)
    return validate_settings(settings)


def model_of(data: WorldData, chosen: Scenario) -> CooperationModel:
    """A model of ``chosen`` at day 0."""
    return CooperationModel(chosen, build_world(data, chosen), 0)


def run(model: CooperationModel) -> CooperationModel:
    """Run a model to its horizon and close it."""
    model.run_model()
    model.close()
    return model


# -- the entries -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BEHAVIOURS))
def test_each_entry_says_all_about_its_behaviour(name: str) -> None:
    """An entry's name is its key, its strength a setting, and it implements what it lists.

    Its modifiers are known ones with a method each, it learns exactly when it has an
    ``on_outcome`` of its own, and its columns are in the time-series registry.
    """
    entry = BEHAVIOURS[name]
    assert entry.name == name
    assert entry.strength in AdaptationSettings.model_fields
    assert entry.__doc__
    for modifier in entry.modifiers:
        assert modifier in MODIFIERS
        assert callable(getattr(entry, modifier))
    assert entry.learns == (entry.on_outcome is not Behaviour.on_outcome)
    for column in entry.columns:
        assert column in TIMESERIES_COLUMNS


def test_timeseries_registry_is_state_columns_then_behaviour_columns() -> None:
    """The time-series columns are each state's own, then each behaviour's in registry order."""
    names = [column.name for column in TIMESERIES_COLUMNS]
    assert names == ["backlog", "staff", "open_requests", "unpursued", "trust", "budapest_party"]
    assert TIMESERIES_COLUMNS[: len(STATE_COLUMNS)] == STATE_COLUMNS
    assert len(set(names)) == len(names)


def test_nothing_is_on_by_default(data: WorldData) -> None:
    """With the default strengths (0) no behaviour starts, learns or modifies a request."""
    adaptation = model_of(data, scenario({})).adaptation
    assert adaptation.active == {}
    assert not adaptation.observing
    assert adaptation.review_time_factor(0, 1) == 1.0
    assert adaptation.queue_delay(0, 1) == 0.0


@pytest.mark.parametrize("name", sorted(BEHAVIOURS))
def test_a_strength_switches_on_its_own_behaviour_only(data: WorldData, name: str) -> None:
    """A positive strength starts its behaviour and no other; the model observes if it learns."""
    entry = BEHAVIOURS[name]
    adaptation = model_of(data, scenario({entry.strength: 0.5})).adaptation
    assert list(adaptation.active) == [name]
    assert isinstance(adaptation.active[name], entry)
    assert adaptation.observing == entry.learns


def test_columns_of_behaviours_that_are_off_keep_their_neutral_values(data: WorldData) -> None:
    """Every run records every column: with trust off, the trust column stays at 0.5."""
    model = run(model_of(data, scenario({}, days=120)))
    frame = model.timeseries.to_frame(0)
    assert [c.name for c in TIMESERIES_COLUMNS] == list(frame.columns[3:])
    assert (frame["trust"] == 0.5).all()


# -- reviews: the states decide, in turn ------------------------------------------------------


def test_reviews_activate_every_state_in_turn_on_its_days(
    data: WorldData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each capacity review activates every state once, in state order, on the review day.

    The states decide through Mesa's agent set, at SimPy events every
    ``capacity_review_days``: here days 90, 180, 270 and 360 of a one-year run.
    """
    seen: list[tuple[float, int]] = []
    decide = CapacityResponse.review

    def spy(self: CapacityResponse, agent: Any) -> None:
        seen.append((self.model.env.now, agent.number))
        decide(self, agent)

    monkeypatch.setattr(CapacityResponse, "review", spy)
    run(model_of(data, scenario({"capacity_response": 1.0, "capacity_review_days": 90.0})))
    days = (90.0, 180.0, 270.0, 360.0)
    assert seen == [(day, number) for day in days for number in range(len(CODES))]


# -- a new behaviour is one entry -------------------------------------------------------------


class Slowdown(Behaviour):
    """A made-up behaviour: doubles review times and queues every normal request 3 days later.

    It is switched on by the trust strength (a new behaviour would have a setting of its own)
    and counts the outcomes it learns from.
    """

    name = "slowdown"
    strength = "trust"
    learns = True
    modifiers = ("review_time_factor", "queue_delay")

    def __init__(self, model: CooperationModel) -> None:
        super().__init__(model)
        self.outcomes = 0

    def on_outcome(self, req: Any, outcome: int, day: float) -> None:
        """Count the outcome."""
        self.outcomes += 1

    def review_time_factor(self, requested: int, requesting: int) -> float:
        """Twice as long."""
        return 2.0

    def queue_delay(self, requested: int, requesting: int) -> float:
        """Three days later."""
        return 3.0


def test_a_new_behaviour_is_one_entry(data: WorldData, monkeypatch: pytest.MonkeyPatch) -> None:
    """Registering one class starts it, feeds it outcomes and combines its modifiers.

    Review-time factors multiply (trust's times the new one's) and queue delays add
    (reciprocity's plus the new one's); it learns from every request that finished.
    """
    monkeypatch.setitem(behaviours.BEHAVIOURS, Slowdown.name, Slowdown)
    chosen = scenario({"trust": 1.0, "reciprocity": 1.0}, days=200)
    model = run(model_of(data, chosen))
    adaptation = model.adaptation
    assert list(adaptation.active) == ["reciprocity", "trust", "slowdown"]
    trust, reciprocity = adaptation.active["trust"], adaptation.active["reciprocity"]
    slowdown = adaptation.active["slowdown"]
    assert isinstance(slowdown, Slowdown)
    for requested, requesting in ((0, 1), (2, 0), (1, 2)):
        assert adaptation.review_time_factor(requested, requesting) == 2.0 * (
            trust.review_time_factor(requested, requesting)
        )
        assert adaptation.queue_delay(requested, requesting) == 3.0 + (
            reciprocity.queue_delay(requested, requesting)
        )
    frame = model.log.to_frame(0)
    assert slowdown.outcomes == (frame["outcome"] != "pending").sum() > 100
