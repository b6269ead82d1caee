"""Tests of ``sim.engine.streams``: seeded, named, buffered streams, and keyed draws."""

import math
import random
import zlib

import numpy as np
import pytest

from sim.engine.streams import (
    _BLOCK,
    CHILDREN,
    KEYED,
    STEP,
    XOR,
    RandomStreams,
    Stream,
    child,
    choice_index,
    exponential_at,
    normal_at,
    poisson_at,
    stream_seed,
    uniform_at,
    uniforms_at,
    wymix,
    wymix_array,
)

MASK = (1 << 64) - 1


def draws(stream: Stream, method: str, n: int) -> list[float]:
    """``n`` draws of ``method`` from ``stream``."""
    draw = getattr(stream, method)
    return [draw() for _ in range(n)]


def test_same_seed_replication_and_name_give_the_same_numbers() -> None:
    """Two streams built from the same (seed, replication, name) yield identical sequences."""
    a = Stream(stream_seed(42, 3, "arrivals/DEU"))
    b = Stream(stream_seed(42, 3, "arrivals/DEU"))
    assert draws(a, "uniform", 100) == draws(b, "uniform", 100)
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
    first["arrivals/FRA"].uniform()
    a = draws(first["levers/join"], "uniform", 10)
    second = RandomStreams(7, 2)
    b = draws(second["levers/join"], "uniform", 10)
    assert a == b


def test_random_streams_returns_the_same_stream_object_for_a_name() -> None:
    """Looking a name up twice continues one stream rather than restarting it."""
    streams = RandomStreams(1, 0)
    x = streams["levers/join"].uniform()
    y = streams["levers/join"].uniform()
    assert streams["levers/join"] is streams["levers/join"]
    assert x != y
    assert [x, y] == draws(Stream(stream_seed(1, 0, "levers/join")), "uniform", 2)


@pytest.mark.parametrize(
    "name", ["a", "decide/review", "arrivals/usa", "time/eio/drafting", "request"]
)
def test_an_unregistered_stream_name_is_an_error(name: str) -> None:
    """A misspelt stream or root name is refused, not silently a new source with its seed."""
    with pytest.raises(KeyError, match="unknown random stream"):
        RandomStreams(1, 0)[name]
    with pytest.raises(KeyError, match="unknown random stream"):
        RandomStreams(1, 0).root(name)


@pytest.mark.parametrize("name", ["arrivals/USA", "adaptation/uptake", "levers/join"])
def test_registered_stream_names_are_accepted(name: str) -> None:
    """Every pattern of the registry, filled with a state, is a stream."""
    assert RandomStreams(1, 0)[name] is not None


@pytest.mark.parametrize(
    ("method", "numpy_method"),
    [
        ("uniform", "random"),
        ("exponential", "standard_exponential"),
    ],
)
def test_block_buffering_is_invisible(method: str, numpy_method: str) -> None:
    """Across block boundaries the draws equal one long numpy call on the same generator.

    5000 draws cross the first 4096-draw block, so a fault in refilling would show.
    """
    n = 5000
    assert n > _BLOCK
    seed = stream_seed(11, 4, "arrivals/USA")
    expected = getattr(np.random.Generator(np.random.PCG64(seed)), numpy_method)(n)
    got = draws(Stream(stream_seed(11, 4, "arrivals/USA")), method, n)
    assert got == expected.tolist()
    assert all(isinstance(value, float) for value in got[_BLOCK - 2 : _BLOCK + 2])


def test_uniform_lies_in_unit_interval() -> None:
    """Uniform variates are in [0, 1) and average about one half."""
    values = draws(Stream(stream_seed(3, 0, "u")), "uniform", 20_000)
    assert min(values) >= 0.0
    assert max(values) < 1.0
    assert np.mean(values) == pytest.approx(0.5, abs=0.01)


def test_stream_seed_is_stable_across_processes() -> None:
    """The seed of a name is fixed (CRC-32 of the name, not ``hash``): pinned regression values."""
    assert zlib.crc32(b"arrivals/USA") == 3_905_014_202
    seed = stream_seed(20261128, 0, "arrivals/USA")
    assert seed.spawn_key == (0, 3_905_014_202)
    assert Stream(seed).uniform() == pytest.approx(0.021625267712030105, abs=1e-15)


# -- keyed draws -----------------------------------------------------------------------------


def wyrand(seed: int, n: int) -> list[int]:
    """The first ``n`` outputs of wyrand seeded with ``seed``, written as in its C source.

    ``seed += 0xa0761d6478bd642f; t = (u128)(seed ^ 0xe7037ed1a0b428db) * seed;
    return (t >> 64) ^ (u64)t;``
    """
    state, out = seed, []
    for _ in range(n):
        state = (state + 0xA0761D6478BD642F) & MASK
        product = (state ^ 0xE7037ED1A0B428DB) * state
        out.append((product >> 64) ^ (product & MASK))
    return out


def test_keyed_uniform_is_wyrand_read_at_a_position() -> None:
    """The uniform at position ``n`` of key ``k`` is wyrand (seed ``k``)'s n-th output.

    Its 53 high bits over 2**53: the keyed draws are that published generator, read at
    random access rather than in sequence.
    """
    assert (STEP, XOR) == (0xA0761D6478BD642F, 0xE7037ED1A0B428DB)
    key = 0x0123456789ABCDEF
    outputs = wyrand(key, 50)
    assert [wymix(key + n * STEP) for n in range(1, 51)] == outputs
    assert [uniform_at(key + n * STEP) for n in range(1, 51)] == [
        (z >> 11) * 2.0**-53 for z in outputs
    ]


def test_keyed_draws_do_not_depend_on_the_order_they_are_taken_in() -> None:
    """A keyed draw is a function of its position only: any order gives the same numbers.

    Drawing a key's positions shuffled, interleaved with another key's, gives each position
    the value it has when drawn alone; so a request's draws cannot depend on event order.
    """
    streams = RandomStreams(20261128, 2)
    a, b = child(streams.root("requests"), 1), child(streams.root("requests"), 2)
    positions = [n * STEP for n in range(1, 201)]
    alone = {at: exponential_at(a + at) for at in positions}
    order = [(key, at) for key in (a, b) for at in positions]
    random.Random(4).shuffle(order)
    drawn = {(key, at): exponential_at(key + at) for key, at in order}
    assert {at: drawn[(a, at)] for at in positions} == alone
    assert {at: drawn[(b, at)] for at in positions} != alone


def test_root_keys_differ_by_seed_replication_and_name_and_are_pinned() -> None:
    """A root key depends on the seed, the replication and the name; its value is pinned."""
    roots = {
        RandomStreams(seed, replication).root(name)
        for seed, replication, name in [
            (1, 0, "requests"),
            (2, 0, "requests"),
            (1, 1, "requests"),
            (1, 0, "other_matters"),
        ]
    }
    assert len(roots) == 4
    assert all(0 <= root <= MASK for root in roots)
    assert RandomStreams(20261128, 0).root("requests") == RandomStreams(20261128, 0).root(
        "requests"
    )
    assert RandomStreams(20261128, 0).root("requests") == PINNED_ROOT


PINNED_ROOT = 5_426_113_253_585_761_844
"""The root key of ``requests`` for seed 20261128, replication 0 (stable across processes)."""


def test_child_keys_are_distinct_and_are_not_their_parents_draws() -> None:
    """Children of a key differ from each other and from every draw of the key below CHILDREN."""
    key = RandomStreams(3, 0).root("requests")
    children = [child(key, i) for i in range(2_000)]
    assert len(set(children)) == len(children)
    draws = {wymix(key + n * STEP) for n in range(1, 2_000)}
    assert not draws & set(children)
    assert child(key, 0) == wymix(key + CHILDREN * STEP)


def test_positions_are_taken_modulo_two_to_the_64() -> None:
    """A position past 64 bits draws what its residue draws (positions may grow freely)."""
    at = RandomStreams(3, 0).root("requests") + 12_345 * STEP
    assert uniform_at(at) == uniform_at(at & MASK) == uniform_at(at + (1 << 64))
    assert normal_at(at) == normal_at(at & MASK)
    assert uniforms_at(at) == uniforms_at(at + (1 << 64))


def test_keyed_variates_have_their_distributions() -> None:
    """Uniform on [0, 1) with mean 1/2, exponential with mean and sd 1, normal N(0, 1).

    Over 40,000 consecutive positions of one key; neighbouring positions, and the two halves
    of a pair, uncorrelated.
    """
    key = RandomStreams(8, 0).root("requests")
    n = 40_000
    u = np.array([uniform_at(key + i * STEP) for i in range(1, n + 1)])
    e = np.array([exponential_at(key + i * STEP) for i in range(1, n + 1)])
    z = np.array([normal_at(key + i * STEP) for i in range(1, n + 1)])
    pairs = np.array([uniforms_at(key + i * STEP) for i in range(1, n + 1)])
    assert u.min() >= 0.0 and u.max() < 1.0
    assert u.mean() == pytest.approx(0.5, abs=0.01)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.02
    assert pairs.min() >= 0.0 and pairs.max() < 1.0
    assert pairs.mean(axis=0) == pytest.approx([0.5, 0.5], abs=0.01)
    assert abs(np.corrcoef(pairs[:, 0], pairs[:, 1])[0, 1]) < 0.02
    assert np.all(np.abs(pairs[:, 0] - u) < 2.0**-32)  # the high half is the uniform, coarser
    assert e.min() > 0.0 and np.isfinite(e).all()
    assert e.mean() == pytest.approx(1.0, abs=0.03)
    assert e.std() == pytest.approx(1.0, abs=0.04)
    assert z.mean() == pytest.approx(0.0, abs=0.03)
    assert z.std() == pytest.approx(1.0, abs=0.02)
    assert abs(np.mean(z**3)) < 0.06
    assert np.mean(z**4) == pytest.approx(3.0, abs=0.15)


def test_keyed_variates_object_offers_the_same_functions() -> None:
    """``KEYED`` is what samplers take: its methods are the keyed functions."""
    at = 99 * STEP
    assert (KEYED.uniform(at), KEYED.exponential(at), KEYED.normal(at)) == (
        uniform_at(at),
        exponential_at(at),
        normal_at(at),
    )


def test_choice_index_follows_the_weights() -> None:
    """Indices come with frequencies proportional to the weights; zero weight never comes."""
    weights = [0.1, 0.0, 0.6, 0.3]
    cumulative = np.cumsum(weights).tolist()
    key = RandomStreams(5, 0).root("requests")
    n = 40_000
    chosen = [choice_index(cumulative, uniform_at(key + i * STEP)) for i in range(1, n + 1)]
    counts = np.bincount(chosen, minlength=4)
    assert counts[1] == 0
    for index, weight in enumerate(weights):
        sd = math.sqrt(n * weight * (1 - weight))
        assert abs(counts[index] - n * weight) <= 4 * sd


def test_choice_index_accepts_unnormalised_weights_and_the_extremes() -> None:
    """The last cumulative value is the total; u = 0 gives the first index of positive weight."""
    assert choice_index([2.0, 8.0], 0.2499) == 0
    assert choice_index([2.0, 8.0], 0.25) == 1
    assert choice_index([0.0, 0.0, 1.0], 0.0) == 2
    assert choice_index([1.0, 1.0, 1.0], 0.999) == 0


@pytest.mark.parametrize("mean", [0.4, 3.0])
def test_poisson_mean_and_variance(mean: float) -> None:
    """Poisson variates have the requested mean, and variance equal to the mean."""
    key = RandomStreams(9, 0).root("requests")
    values = np.array([poisson_at(mean, child(key, i) + STEP) for i in range(40_000)])
    assert values.min() >= 0
    assert values.mean() == pytest.approx(mean, rel=0.03)
    assert values.var() == pytest.approx(mean, rel=0.06)


def test_poisson_of_zero_mean_is_zero() -> None:
    """A zero (or negative) mean gives 0."""
    assert poisson_at(0.0, STEP) == 0
    assert poisson_at(-1.0, STEP) == 0


def test_wymix_of_an_array_is_wymix_of_each_position() -> None:
    """Numpy's ``wymix_array``, built from 32-bit products, equals ``wymix`` bit for bit."""
    rng = random.Random(7)
    positions = [0, 1, MASK, XOR, MASK ^ XOR, 1 << 63, (1 << 32) - 1, 1 << 32]
    positions += [rng.getrandbits(64) for _ in range(5_000)]
    got = wymix_array(np.array(positions, dtype=np.uint64)).tolist()
    assert got == [wymix(position) for position in positions]
