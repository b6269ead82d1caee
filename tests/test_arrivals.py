"""Tests of arrival times whose rate grows at a steady yearly rate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.arrivals import expected_arrivals, next_arrival


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
