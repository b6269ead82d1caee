"""Experimental designs: which combinations of values a sweep runs.

A design turns a sweep file's ``[design]`` table into a list of *points*, each a mapping of
dotted field paths to values. Three kinds:

- ``grid``: the full factorial of per-field value lists (every combination, the first field
  varying slowest), for a few fields with a few values each;
- ``points``: an explicit list, for the combinations a researcher has in mind;
- ``lhs``: a Latin hypercube of ``samples`` points over per-field ranges, drawn with its own
  ``seed``, for many fields at once: each field's range is cut into ``samples`` strata of
  equal width and every stratum is hit exactly once, so that a few dozen points cover each
  assumption's whole range, which random sampling does not promise.

Nothing here knows what a field means: the sweep file's reader checks that each point makes a
valid scenario. Values keep their type: a range of whole numbers gives whole numbers, a range
of dates gives dates (to the day), anything else floats.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Point = dict[str, Any]
"""One point of a design: a value for each varied field, by dotted path."""

Range = tuple[Any, Any]
"""A field's range in a Latin hypercube: (low, high), both included."""


def grid(values: Mapping[str, Sequence[Any]]) -> list[Point]:
    """Every combination of the fields' values, the first field varying slowest.

    Args:
        values: Each field's values, by dotted path, in the sweep file's order.
    """
    fields = list(values)
    return [
        dict(zip(fields, combination, strict=True))
        for combination in itertools.product(*(values[field] for field in fields))
    ]


def unit_hypercube(samples: int, dimensions: int, seed: int) -> np.ndarray:
    """A Latin hypercube on [0, 1): ``samples`` rows, each column hitting every stratum once.

    Column ``j`` is ``(permutation_j + u) / samples`` with an independent random permutation
    of the strata and a uniform draw within each stratum, both from one generator seeded with
    ``seed``, so the same seed gives the same design.
    """
    rng = np.random.default_rng(seed)
    table = np.empty((samples, dimensions))
    for column in range(dimensions):
        strata = rng.permutation(samples)
        table[:, column] = (strata + rng.uniform(size=samples)) / samples
    return table


def latin_hypercube(ranges: Mapping[str, Range], samples: int, seed: int) -> list[Point]:
    """``samples`` points of a Latin hypercube over the fields' ranges.

    A range of two whole numbers gives whole numbers (each of ``low..high`` about equally
    often), of two dates gives dates, otherwise floats in [low, high).

    Args:
        ranges: Each field's (low, high), by dotted path.
        samples: How many points (and strata per field).
        seed: The design's seed.
    """
    fields = list(ranges)
    unit = unit_hypercube(samples, len(fields), seed)
    columns = {field: scale(unit[:, j], *ranges[field]) for j, field in enumerate(fields)}
    return [{field: columns[field][i] for field in fields} for i in range(samples)]


def scale(unit: np.ndarray, low: Any, high: Any) -> list[Any]:
    """Values in [0, 1) mapped onto a range, keeping the range's type (int, date or float)."""
    if isinstance(low, dt.date) and isinstance(high, dt.date):
        days = (high - low).days
        return [low + dt.timedelta(days=int(d)) for d in np.floor(unit * (days + 1))]
    if _whole(low) and _whole(high):
        span = int(high) - int(low) + 1
        return [int(low) + int(step) for step in np.minimum(np.floor(unit * span), span - 1)]
    return [float(low) + float(u) * (float(high) - float(low)) for u in unit]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
