"""Tests of ``sim.config.distributions``: stage-time distributions and their samplers."""

from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.config.distributions import Distribution, Exponential, Fixed, LogNormal, Uniform
from sim.engine.streams import KEYED, STEP, RandomStreams

SPEC = TypeAdapter(Distribution)
N = 40_000


def sample(spec: dict[str, Any], n: int = N, scale: float = 1.0) -> np.ndarray:
    """``n`` draws from the distribution ``spec`` at ``n`` consecutive positions of a key."""
    sampler = SPEC.validate_python(spec).sampler(KEYED, scale)
    key = RandomStreams(2026, 0).root("requests")
    return np.array([sampler(key + i * STEP) for i in range(n)])


def test_table_selects_the_named_distribution() -> None:
    """The ``distribution`` key picks the model class (a discriminated union)."""
    assert isinstance(SPEC.validate_python({"distribution": "exponential", "mean": 1}), Exponential)
    assert isinstance(
        SPEC.validate_python({"distribution": "lognormal", "mean": 1, "sd": 1}), LogNormal
    )
    assert isinstance(SPEC.validate_python({"distribution": "fixed", "value": 1}), Fixed)
    assert isinstance(
        SPEC.validate_python({"distribution": "uniform", "low": 0, "high": 1}), Uniform
    )


def test_exponential_has_the_given_mean_and_sd() -> None:
    """An exponential time has mean and standard deviation both equal to ``mean``."""
    values = sample({"distribution": "exponential", "mean": 12.0})
    assert values.min() >= 0.0
    assert values.mean() == pytest.approx(12.0, rel=0.02)
    assert values.std() == pytest.approx(12.0, rel=0.03)


@pytest.mark.parametrize(("mean", "sd"), [(30.0, 20.0), (2.0, 2.0), (45.0, 10.0)])
def test_lognormal_mean_and_sd_are_on_the_natural_scale(mean: float, sd: float) -> None:
    """``mean`` and ``sd`` of a lognormal are those of the time itself, not of its log."""
    values = sample({"distribution": "lognormal", "mean": mean, "sd": sd}, n=80_000)
    assert values.min() > 0.0
    assert values.mean() == pytest.approx(mean, rel=0.02)
    assert values.std() == pytest.approx(sd, rel=0.06)


def test_lognormal_is_right_skewed() -> None:
    """The median of a lognormal time lies below its mean (a long tail of slow cases)."""
    values = sample({"distribution": "lognormal", "mean": 30.0, "sd": 20.0})
    assert np.median(values) < 0.95 * values.mean()


def test_fixed_always_returns_its_value_and_draws_nothing() -> None:
    """A fixed time is constant and asks its variates for nothing."""

    class NoVariates:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"a fixed time drew {name}")

    sampler = Fixed(distribution="fixed", value=0.5).sampler(NoVariates())
    assert {sampler(position) for position in range(10)} == {0.5}


def test_fixed_zero_is_allowed() -> None:
    """A fixed time of zero days is valid (a stage that takes no time)."""
    assert sample({"distribution": "fixed", "value": 0.0}, n=3).tolist() == [0.0, 0.0, 0.0]


def test_uniform_stays_within_bounds_with_the_midpoint_mean() -> None:
    """A uniform time lies in [low, high) with mean (low + high) / 2 and sd width/sqrt(12)."""
    values = sample({"distribution": "uniform", "low": 10.0, "high": 40.0})
    assert values.min() >= 10.0
    assert values.max() < 40.0
    assert values.mean() == pytest.approx(25.0, rel=0.01)
    assert values.std() == pytest.approx(30.0 / np.sqrt(12.0), rel=0.02)


def test_uniform_with_equal_bounds_is_constant() -> None:
    """``low == high`` is allowed and gives that value."""
    assert set(sample({"distribution": "uniform", "low": 3.0, "high": 3.0}, n=5)) == {3.0}


@pytest.mark.parametrize(
    "spec",
    [
        {"distribution": "exponential", "mean": 5.0},
        {"distribution": "lognormal", "mean": 5.0, "sd": 3.0},
        {"distribution": "fixed", "value": 5.0},
        {"distribution": "uniform", "low": 2.0, "high": 8.0},
    ],
)
def test_scale_multiplies_every_draw(spec: dict[str, Any]) -> None:
    """``scale`` multiplies each draw (same position), e.g. an urgency factor."""
    plain = sample(spec, n=200)
    scaled = sample(spec, n=200, scale=0.25)
    np.testing.assert_allclose(scaled, plain * 0.25, rtol=1e-12)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"distribution": "exponential", "mean": 5.0}, 5.0),
        ({"distribution": "lognormal", "mean": 7.0, "sd": 3.0}, 7.0),
        ({"distribution": "fixed", "value": 2.5}, 2.5),
        ({"distribution": "uniform", "low": 2.0, "high": 8.0}, 5.0),
    ],
)
def test_expected_is_the_mean_time(spec: dict[str, Any], expected: float) -> None:
    """``expected()`` gives the distribution's mean in days."""
    assert SPEC.validate_python(spec).expected() == expected


@pytest.mark.parametrize(
    "spec",
    [
        {"distribution": "exponential", "mean": -1.0},
        {"distribution": "exponential", "mean": 0.0},
        {"distribution": "lognormal", "mean": 10.0, "sd": -2.0},
        {"distribution": "lognormal", "mean": -10.0, "sd": 2.0},
        {"distribution": "fixed", "value": -0.1},
        {"distribution": "uniform", "low": 5.0, "high": 4.0},
        {"distribution": "uniform", "low": -1.0, "high": 4.0},
        {"distribution": "gamma", "shape": 2.0, "scale": 3.0},
        {"distribution": "exponential", "mean": 1.0, "sd": 1.0},
        {"distribution": "lognormal", "mean": 10.0},
        {"mean": 10.0},
    ],
    ids=[
        "negative-mean",
        "zero-mean",
        "negative-sd",
        "negative-lognormal-mean",
        "negative-fixed",
        "high-below-low",
        "negative-low",
        "unknown-name",
        "extra-field",
        "missing-sd",
        "no-name",
    ],
)
def test_invalid_specifications_are_rejected(spec: dict[str, Any]) -> None:
    """Impossible parameters, unknown names and stray fields raise a ValidationError."""
    with pytest.raises(ValidationError):
        SPEC.validate_python(spec)


def test_specifications_are_immutable() -> None:
    """A validated distribution is frozen, so a scenario cannot be changed after checking."""
    spec = Exponential(distribution="exponential", mean=1.0)
    with pytest.raises(ValidationError):
        spec.mean = 2.0  # type: ignore[misc]
