"""Tests of ``sim.engine.streams``: seeded, named, buffered random streams."""

import math
import zlib

import numpy as np
import pytest

from sim.engine.streams import _BLOCK, RandomStreams, Stream, stream_seed


def draws(stream: Stream, method: str, n: int) -> list[float]:
    """``n`` draws of ``method`` from ``stream``."""
    draw = getattr(stream, method)
    return [draw() for _ in range(n)]


def test_same_seed_replication_and_name_give_the_same_numbers() -> None:
    """Two streams built from the same (seed, replication, name) yield identical sequences."""
    a = Stream(stream_seed(42, 3, "arrivals/DEU"))
    b = Stream(stream_seed(42, 3, "arrivals/DEU"))
    assert draws(a, "uniform", 100) == draws(b, "uniform", 100)
    assert draws(a, "normal", 100) == draws(b, "normal", 100)
    assert draws(a, "exponential", 100) == draws(b, "exponential", 100)


@pytest.mark.parametrize(
    ("other_replication", "other_name", "other_seed"),
    [(0, "arrivals/FRA", 42), (1, "arrivals/DEU", 42), (0, "arrivals/DEU", 43)],
)
def test_different_name_replication_or_seed_give_different_numbers(
    other_replication: int, other_name: str, other_seed: int
) -> None:
    """Changing any one of the seed, the replication or the name changes the sequence."""
    base = draws(Stream(stream_seed(42, 0, "arrivals/DEU")), "uniform", 20)
    other = draws(Stream(stream_seed(other_seed, other_replication, other_name)), "uniform", 20)
    assert base != other
    assert not set(base) & set(other)


def test_stream_does_not_depend_on_creation_order() -> None:
    """A stream's numbers depend on its name only, not on which streams were created first.

    This is what keeps common random numbers intact when a scenario adds a process.
    """
    first = RandomStreams(7, 2)
    first["time/eio/drafting"].uniform()
    a = draws(first["decide/review"], "uniform", 10)
    second = RandomStreams(7, 2)
    b = draws(second["decide/review"], "uniform", 10)
    assert a == b


def test_random_streams_returns_the_same_stream_object_for_a_name() -> None:
    """Looking a name up twice continues one stream rather than restarting it."""
    streams = RandomStreams(1, 0)
    x = streams["decide/review"].uniform()
    y = streams["decide/review"].uniform()
    assert streams["decide/review"] is streams["decide/review"]
    assert x != y
    assert [x, y] == draws(Stream(stream_seed(1, 0, "decide/review")), "uniform", 2)


@pytest.mark.parametrize(
    "name", ["a", "decide/reveiw", "arrivals/usa", "time/eio/coffee", "time/mlat/drafting"]
)
def test_an_unregistered_stream_name_is_an_error(name: str) -> None:
    """A misspelt stream name is refused, not silently a new stream with its own seed."""
    with pytest.raises(KeyError, match="unknown random stream"):
        RandomStreams(1, 0)[name]


@pytest.mark.parametrize(
    "name", ["arrivals/USA", "time/eio/drafting", "time/prior_caseload/IND", "levers/join"]
)
def test_registered_stream_names_are_accepted(name: str) -> None:
    """Every pattern of the registry, filled with a state, channel or stage, is a stream."""
    assert RandomStreams(1, 0)[name] is not None


@pytest.mark.parametrize(
    ("method", "numpy_method"),
    [
        ("uniform", "random"),
        ("exponential", "standard_exponential"),
        ("normal", "standard_normal"),
    ],
)
def test_block_buffering_is_invisible(method: str, numpy_method: str) -> None:
    """Across block boundaries the draws equal one long numpy call on the same generator.

    5000 draws cross the first 4096-draw block, so a fault in refilling would show.
    """
    n = 5000
    assert n > _BLOCK
    seed = stream_seed(11, 4, "time/bilateral_mlat/legal_review")
    expected = getattr(np.random.Generator(np.random.PCG64(seed)), numpy_method)(n)
    got = draws(Stream(stream_seed(11, 4, "time/bilateral_mlat/legal_review")), method, n)
    assert got == expected.tolist()
    assert all(isinstance(value, float) for value in got[_BLOCK - 2 : _BLOCK + 2])


def test_uniform_lies_in_unit_interval() -> None:
    """Uniform variates are in [0, 1) and average about one half."""
    values = draws(Stream(stream_seed(3, 0, "u")), "uniform", 20_000)
    assert min(values) >= 0.0
    assert max(values) < 1.0
    assert np.mean(values) == pytest.approx(0.5, abs=0.01)


def test_choice_index_follows_the_weights() -> None:
    """Indices come with frequencies proportional to the weights; zero weight never comes."""
    weights = [0.1, 0.0, 0.6, 0.3]
    cumulative = np.cumsum(weights).tolist()
    stream = Stream(stream_seed(5, 0, "choice"))
    n = 40_000
    counts = np.bincount([stream.choice_index(cumulative) for _ in range(n)], minlength=4)
    assert counts[1] == 0
    for index, weight in enumerate(weights):
        sd = math.sqrt(n * weight * (1 - weight))
        assert abs(counts[index] - n * weight) <= 4 * sd


def test_choice_index_accepts_unnormalised_weights() -> None:
    """The last cumulative value is the total: weights need not sum to one."""
    stream = Stream(stream_seed(5, 1, "choice"))
    counts = np.bincount([stream.choice_index([2.0, 8.0]) for _ in range(20_000)], minlength=2)
    assert counts[0] / 20_000 == pytest.approx(0.25, abs=0.015)


@pytest.mark.parametrize("mean", [0.4, 3.0])
def test_poisson_mean_and_variance(mean: float) -> None:
    """Poisson variates have the requested mean, and variance equal to the mean."""
    stream = Stream(stream_seed(9, 0, "holders"))
    values = np.array([stream.poisson(mean) for _ in range(40_000)])
    assert values.min() >= 0
    assert values.mean() == pytest.approx(mean, rel=0.03)
    assert values.var() == pytest.approx(mean, rel=0.06)


def test_poisson_of_zero_mean_is_zero_and_draws_nothing() -> None:
    """A zero (or negative) mean gives 0 without consuming a uniform."""
    stream = Stream(stream_seed(9, 0, "p"))
    assert stream.poisson(0.0) == 0
    assert stream.poisson(-1.0) == 0
    assert stream.uniform() == Stream(stream_seed(9, 0, "p")).uniform()


def test_stream_seed_is_stable_across_processes() -> None:
    """The seed of a name is fixed (CRC-32 of the name, not ``hash``): pinned regression values."""
    assert zlib.crc32(b"arrivals/USA") == 3_905_014_202
    seed = stream_seed(20261128, 0, "arrivals/USA")
    assert seed.spawn_key == (0, 3_905_014_202)
    assert Stream(seed).uniform() == pytest.approx(0.021625267712030105, abs=1e-15)
