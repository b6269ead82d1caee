"""Tests for the run-size estimate and the limits that refuse runs that would never finish."""

from __future__ import annotations

import math

import pytest

from sim.config.loading import load_scenario, with_changes
from sim.errors import InputError
from sim.experiments import run_size
from sim.world.build import build_world
from sim.world.data import load_world_data

GIB = 2**30


def _size(tmp_path, write_tiny, extra: str = "", replications: int = 2) -> run_size.RunSize:
    scenario = load_scenario(write_tiny(tmp_path, replications=replications, extra=extra))
    return run_size.estimate(scenario, build_world(load_world_data(), scenario))


def test_estimate_bounds_the_requests_a_run_makes(tmp_path, write_tiny):
    """The expected evidence needs bound the requests of a replication from above, closely.

    Needs never pursued and holders that a tiny world cannot supply make no request, so the
    estimate is an upper bound, but not a loose one.
    """
    from sim.engine.replication import run_replication

    scenario = load_scenario(write_tiny(tmp_path, replications=1))
    size = run_size.estimate(scenario, build_world(load_world_data(), scenario))
    requests, *_ = run_replication(scenario, 0)
    assert 0.6 * size.requests_per_replication < len(requests) < size.requests_per_replication


def test_estimate_follows_replications_and_each_states_cases(tmp_path, write_tiny):
    """Rows count every replication; a state that opens no cases adds no requests."""
    one = _size(tmp_path, write_tiny, replications=2)
    double = _size(tmp_path, write_tiny, replications=4)
    assert double.rows == pytest.approx(2 * one.rows)
    assert double.requests_per_replication == pytest.approx(one.requests_per_replication)
    quiet = _size(tmp_path, write_tiny, extra=f"[states.{one.largest_state}]\ncases_per_year = 0\n")
    assert 0 < quiet.requests_per_replication < one.requests_per_replication
    assert quiet.largest_state != one.largest_state


def test_ordinary_runs_pass(tmp_path, write_tiny):
    """The tiny test scenario is far inside every limit."""
    run_size.check(_size(tmp_path, write_tiny), workers=2, memory=8 * GIB)


def _fake(**changes) -> run_size.RunSize:
    base = {
        "requests_per_replication": 1_000.0,
        "replications": 2,
        "horizon_days": 365,
        "largest_state": "USA",
    }
    return run_size.RunSize(**{**base, **changes})


def test_a_century_is_the_longest_run():
    """A run from year 1 to 9999 is refused, naming simulation.end; --force lets it through."""
    size = _fake(horizon_days=(9999 - 1) * 365)
    with pytest.raises(InputError) as caught:
        run_size.check(size, workers=1, memory=8 * GIB)
    assert caught.value.where == "simulation.end"
    assert "--force" in caught.value.problem
    run_size.check(size, workers=1, memory=8 * GIB, force=True)


def test_runs_that_would_not_fit_in_memory_are_refused():
    """Rows beyond 75% of the machine's memory are refused, naming demand.scale."""
    size = _fake(requests_per_replication=10e6, replications=10)  # 100 M rows, ~93 GiB
    with pytest.raises(InputError) as caught:
        run_size.check(size, workers=2, memory=24 * GIB)
    assert caught.value.where.startswith("demand.scale")
    assert "GiB" in caught.value.problem


def test_runs_that_would_take_days_are_refused():
    """Work expected to take more than a day on the given workers is refused."""
    size = _fake(requests_per_replication=1e9, replications=1)
    with pytest.raises(InputError, match="hours"):
        run_size.check(size, workers=2, memory=10_000 * GIB)


def test_infinity_is_refused_even_when_forced():
    """An expected size that overflowed to infinity is refused whatever --force says."""
    for size in (
        _fake(requests_per_replication=math.inf),
        _fake(other_matters_per_replication=math.inf, busiest_authority="USA"),
    ):
        with pytest.raises(InputError, match="infinity"):
            run_size.check(size, workers=1, memory=8 * GIB, force=True)


def test_other_matters_count_towards_the_time_and_name_their_authority():
    """Other matters are work: billions of them are refused, naming the authority.

    The error names the busiest authority's ``other_matters_per_year``; an expected count
    that overflowed to infinity is refused even when forced.
    """
    size = _fake(other_matters_per_replication=1e9, busiest_authority="USA", replications=1)
    with pytest.raises(InputError, match="hours") as caught:
        run_size.check(size, workers=2, memory=10_000 * GIB)
    assert caught.value.where == "states.USA.other_matters_per_year"
    endless = _fake(other_matters_per_replication=math.inf, busiest_authority="USA")
    with pytest.raises(InputError, match="infinity"):
        run_size.check(endless, workers=2, force=True, memory=24 * GIB)


def test_estimate_counts_other_matters_with_their_growth(tmp_path, write_tiny):
    """The estimate counts each authority's other matters over the whole horizon, grown."""
    extra = "[states.USA]\nother_matters_per_year = 730.0\n"
    flat = _size(tmp_path, write_tiny, extra=extra)
    assert flat.other_matters_per_replication == pytest.approx(2.0 * flat.horizon_days)
    assert flat.busiest_authority == "USA"
    scenario = with_changes(
        load_scenario(write_tiny(tmp_path, extra=extra)), {"demand": {"growth_per_year": 0.1}}
    )
    grown = run_size.estimate(scenario, build_world(load_world_data(), scenario))
    years = flat.horizon_days / 365
    assert grown.other_matters_per_replication == pytest.approx(
        730 * (1.1**years - 1) / math.log(1.1)
    )


def test_a_timeline_is_counted_in_the_memory():
    """A run that keeps its timeline is expected to need more memory per request."""
    plain = run_size.RunSize(1e6, 2, 365, "USA")
    traced = run_size.RunSize(1e6, 2, 365, "USA", timeline=True)
    extra = traced.memory_bytes - plain.memory_bytes
    assert extra == 2e6 * run_size.TIMELINE_BYTES_PER_REQUEST
