"""Tests of arrival times whose rate grows at a steady yearly rate."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import simpy

from sim.engine.arrivals import Arrivals, expected_arrivals, next_arrival


def test_without_growth_the_next_arrival_is_an_exponential_gap():
    """With no growth the process is the homogeneous one: a gap of ``exponential / rate``."""
    assert next_arrival(10.0, 0.5, 2.0, 0.0) == 10.25
    assert expected_arrivals(2.0, 0.0, 5.0, 15.0) == 20.0


def test_growth_shortens_gaps_and_decline_lengthens_them():
    """The same draw gives a shorter gap when the rate has grown and a longer one in decline."""
    flat = next_arrival(3650.0, 1.0, 1.0, 0.0) - 3650.0
    grown = next_arrival(3650.0, 1.0, 1.0, 0.05) - 3650.0
    declined = next_arrival(3650.0, 1.0, 1.0, -0.05) - 3650.0
    assert grown < flat < declined
    assert grown == pytest.approx(1.0 / 1.05**10, rel=1e-3)  # the rate ten years on


def test_a_declining_rate_may_never_produce_another_arrival():
    """When the remaining intensity of a declining rate is below the draw, none comes."""
    assert next_arrival(0.0, 1e6, 1.0, -0.5) == math.inf


def test_the_counts_match_the_integrated_rate():
    """Arrivals generated one draw at a time match the expected count of a growing rate."""
    rng = np.random.default_rng(1)
    rate, growth, horizon = 5.0, 0.2, 3650.0
    counts = []
    for _ in range(20):
        day, count = 0.0, 0
        while (day := next_arrival(day, rng.standard_exponential(), rate, growth)) < horizon:
            count += 1
        counts.append(count)
    expected = expected_arrivals(rate, growth, 0.0, horizon)
    assert expected == pytest.approx(rate * 365 * (1.2**10 - 1) / math.log(1.2))
    assert np.mean(counts) == pytest.approx(expected, rel=0.005)


@pytest.mark.parametrize("growth", [0.0, 0.05, -0.3])
def test_arrival_days_are_those_of_a_process_waiting_for_timeouts(growth):
    """The days ``Arrivals`` gives are, bit for bit, those a SimPy process reaches.

    The model opens cases without an event when nothing else is due first, so the days it
    moves the clock to must be those a process waiting ``env.timeout(next - now)`` for each
    arrival would reach (``now + delay``, which can differ from ``next`` in the last bit).
    """
    draws = np.random.default_rng(7).standard_exponential(2_000).tolist()
    env, reached = simpy.Environment(), []

    def waiting(env):
        for draw in draws:
            arrival = next_arrival(env.now, draw, 3.7, growth)
            yield env.timeout(arrival - env.now)
            reached.append(env.now)

    env.process(waiting(env))
    env.run()
    arrivals = Arrivals(iter(draws).__next__, 3.7, growth)
    days = [arrivals.day] + [arrivals.advance() for _ in draws[1:]]
    assert days == reached  # exact equality: the same floats
    assert all(b > a for a, b in itertools.pairwise(days))
