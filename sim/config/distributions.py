"""Stage-time distributions a scenario can name.

A scenario gives each stage time as a small table, for example
``{distribution = "lognormal", mean = 30, sd = 20}``. Means and spreads are given in days and
on the natural scale (not log scale), because that is how published delays are reported.
Each distribution compiles to a sampler: a function of the *position* of its draw in a keyed
source of variates (``sim.engine.streams``), so that a request's stage time depends on the
request and the stage only, never on which draws were taken before it. A sampler uses one
position.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

Sampler = Callable[[int], float]
"""A time drawn at a position of a keyed source (an integer; see :class:`Variates`)."""


class Variates(Protocol):
    """Where a sampler takes its variates: the engine's keyed draws (``sim.engine.streams``).

    Each variate is a function of its position ``at`` alone. A protocol rather than an
    import, so that configuration does not depend on the engine.
    """

    def exponential(self, at: int) -> float:
        """The standard exponential variate at ``at``."""
        ...

    def normal(self, at: int) -> float:
        """The standard normal variate at ``at``."""
        ...

    def uniform(self, at: int) -> float:
        """The uniform variate in [0, 1) at ``at``."""
        ...


MAX_DAYS = 1e6
"""Upper bound of any time parameter (about 2,700 years): finite products in the model."""
MAX_VARIATION = 100.0
"""Largest coefficient of variation (sd / mean) of a log-normal time; beyond it draws
overflow to infinity and the mean is carried by a vanishing share of requests."""
Days = Annotated[float, Field(ge=0, le=MAX_DAYS)]
PositiveDays = Annotated[float, Field(gt=0, le=MAX_DAYS)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Exponential(_Spec):
    """Exponential time with the given mean (memoryless: the queueing-theory case)."""

    distribution: Literal["exponential"]
    mean: PositiveDays

    def sampler(self, variates: Variates, scale: float = 1.0) -> Sampler:
        """A sampler drawing from ``variates``, with every time multiplied by ``scale``."""
        mean = self.mean * scale
        draw = variates.exponential
        return lambda at: draw(at) * mean

    def expected(self) -> float:
        """The mean time in days."""
        return self.mean


class LogNormal(_Spec):
    """Right-skewed time with the given mean and standard deviation (natural scale)."""

    distribution: Literal["lognormal"]
    mean: PositiveDays
    sd: PositiveDays

    @model_validator(mode="after")
    def _bounded_variation(self) -> LogNormal:
        if self.sd > MAX_VARIATION * self.mean:
            raise ValueError(f"sd must be at most {MAX_VARIATION:g} times the mean")
        return self

    def sampler(self, variates: Variates, scale: float = 1.0) -> Sampler:
        """A sampler drawing from ``variates``, with every time multiplied by ``scale``."""
        sigma2 = math.log1p((self.sd / self.mean) ** 2)
        sigma = math.sqrt(sigma2)
        mu = math.log(self.mean * scale) - sigma2 / 2.0
        draw, exp = variates.normal, math.exp
        return lambda at: exp(mu + sigma * draw(at))

    def expected(self) -> float:
        """The mean time in days."""
        return self.mean


class Fixed(_Spec):
    """A time that is always the same (a statutory deadline met exactly, or zero)."""

    distribution: Literal["fixed"]
    value: Days

    def sampler(self, variates: Variates, scale: float = 1.0) -> Sampler:
        """A sampler that draws nothing and returns the value times ``scale``."""
        value = self.value * scale
        return lambda at: value

    def expected(self) -> float:
        """The time in days."""
        return self.value


class Uniform(_Spec):
    """A time equally likely anywhere between ``low`` and ``high``."""

    distribution: Literal["uniform"]
    low: Days
    high: Days

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must not be below low")
        return self

    def sampler(self, variates: Variates, scale: float = 1.0) -> Sampler:
        """A sampler drawing from ``variates``, with every time multiplied by ``scale``."""
        low, width = self.low * scale, (self.high - self.low) * scale
        draw = variates.uniform
        return lambda at: low + width * draw(at)

    def expected(self) -> float:
        """The mean time in days."""
        return (self.low + self.high) / 2.0


Distribution = Annotated[
    Exponential | LogNormal | Fixed | Uniform, Field(discriminator="distribution")
]
DISTRIBUTION_NAMES = ("exponential", "lognormal", "fixed", "uniform")
