"""A central authority's other matters: a stationary load on its staff, checked by theory.

The queueing validation scenario (six M/M/3 stations in tandem) is given a second stream at
the requested authority: other matters, Poisson at half a matter a day, each one exponential
review of mean 1 day. The authority's legal review is then an M/M/3 queue fed by both streams
(Poisson superposition), and by PASTA a cyber request waits what Erlang C says for the sum.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_queueing_validation import erlang_c_wait

from sim.config.loading import load_scenario, with_changes
from sim.experiments.runner import run_scenario


def _validation(**changes):
    scenario = load_scenario("scenarios/validation_queueing.toml")
    base = {
        "simulation": {"end": dt.date(2056, 1, 1), "replications": 2},
        "states": {"GBR": {"cases_per_year": 365.0}},
    }
    return with_changes(with_changes(scenario, base), changes)


@pytest.fixture(scope="module")
def measured():
    """Cyber requests after the warm-up, without and with the other matters at the USA."""
    runs = {}
    for name, matters in (("alone", 0.0), ("shared", 182.5)):
        scenario = _validation(states={"USA": {"other_matters_per_year": matters}})
        requests = run_scenario(scenario, workers=2).requests
        warm_up = scenario.simulation.warm_up_days
        runs[name] = requests[requests.created_day >= warm_up]
    return runs


def test_other_matters_make_cyber_requests_wait_as_erlang_c_says(measured):
    """With other matters the legal review is M/M/3 at 1.5 a day: mean wait within 10%."""
    shared = measured["shared"]
    assert set(shared.outcome.unique()) == {"fulfilled"}
    assert shared.legal_review_wait_days.mean() == pytest.approx(
        erlang_c_wait(1.5, 1.0, 3), rel=0.10
    )


def test_other_matters_load_only_their_own_authority(measured):
    """The requesting authority's waits are unchanged, request by request.

    The matters go to the USA alone, and common random numbers give both runs the same
    arrivals and times.
    """
    alone, shared = measured["alone"], measured["shared"]
    expected = erlang_c_wait(1.0, 1.0, 3)
    assert alone.legal_review_wait_days.mean() == pytest.approx(expected, rel=0.10)
    before = alone.outgoing_review_wait_days.to_numpy()
    assert (shared.outgoing_review_wait_days.to_numpy() == before).all()
    assert before.max() > 0.0  # the requesting authority does queue
    assert shared.legal_review_wait_days.mean() > 2 * alone.legal_review_wait_days.mean()


def test_other_matters_leave_the_requests_rows_otherwise_alone(measured):
    """Other matters leave no rows: the same cyber requests are made, only their waits move."""
    alone, shared = measured["alone"], measured["shared"]
    assert len(alone) == len(shared)
    assert (alone.created_day.to_numpy() == shared.created_day.to_numpy()).all()
