"""Sweep files: a base scenario, the fields to vary, a design, replications and metrics.

A sweep file (TOML) names a base scenario by a path relative to itself and lays changes over
it point by point. Every field of a scenario can be varied by its dotted path, as a scenario
file writes it: ``routing.pursuit_scale``, ``channels.bilateral_mlat.time_scale``,
``states.USA.ca_staff``, ``levers.0.strength`` (a list item by its number). Each point is
the base with its values set and validated like a scenario file, and checked against the
world data, before any point runs: a wrong path or value is one line naming the sweep file,
the point and the field, and nothing is written.

Every point runs with the sweep's seed (common random numbers: each draw is keyed by the
request's identity, so two points differ by their values, not by their luck) and the sweep's
replications; neither may be varied. See docs/experiments.md for the format.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.sweep_metrics import DEFAULT_METRICS, METRICS
from sim.config.loading import (
    Calibration,
    read_settings,
    scenario_from_settings,
)
from sim.config.schema import Scenario
from sim.errors import InputError
from sim.experiments import designs
from sim.experiments.designs import Point
from sim.experiments.field_paths import flatten, point_scenario, set_path

DESIGNS = ("grid", "points", "lhs")
"""The kinds of design a sweep file may name."""

FIXED_BY_SWEEP = frozenset({"name", "simulation.seed", "simulation.replications"})
"""Fields a point may not set: the sweep's name, seed (common random numbers) and replications."""

_TOP_KEYS = frozenset(
    {"base", "name", "description", "replications", "seed", "metrics", "fixed", "design"}
)
_DESIGN_KEYS = {
    "grid": frozenset({"kind", "fields"}),
    "points": frozenset({"kind", "points"}),
    "lhs": frozenset({"kind", "ranges", "samples", "seed"}),
}
MAX_POINTS = 100_000
"""The most points a design may have: far beyond what a machine runs, not beyond a typo."""


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its number, the values it sets and the scenario they make.

    Attributes:
        index: Its number in the design (from 0), the order of the tables.
        values: The value of each varied field, by dotted path.
        scenario: The base with the fixed changes and these values, validated.
    """

    index: int
    values: Mapping[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file.

    Attributes:
        path: The sweep file.
        name: The sweep's name (its file's stem unless it gives one): its directory's name.
        description: What the sweep asks, in the researcher's words.
        base_path: The base scenario file.
        base: The base scenario, with the fixed changes, the sweep's seed and replications.
        design: The design's kind, one of :data:`DESIGNS`.
        fields: The varied fields' dotted paths, in the file's order.
        points: Every point, in design order.
        metrics: The metrics the tables report, names of :data:`METRICS`.
    """

    path: Path
    name: str
    description: str
    base_path: Path
    base: Scenario
    design: str
    fields: tuple[str, ...]
    points: tuple[SweepPoint, ...]
    metrics: tuple[str, ...]
    record: Mapping[str, Any] = field(default_factory=dict)

    @property
    def replications(self) -> int:
        """Replications of every point."""
        return self.base.simulation.replications

    @property
    def seed(self) -> int:
        """The seed of every point (common random numbers)."""
        return self.base.simulation.seed


def read_sweep(path: Path, calibration: Calibration) -> SweepSpec:
    """Read, expand and validate a sweep file: every point's scenario, before anything runs.

    Raises:
        InputError: naming the sweep file and the field (or the point and field) that is
            wrong: an unknown key, path or metric, a value or range the field refuses, an
            empty design or zero replications.
    """
    path = Path(path)
    return sweep_from_table(path, read_settings(path), calibration)


def sweep_from_table(path: Path, table: dict[str, Any], calibration: Calibration) -> SweepSpec:
    """A sweep from a sweep file's table, validated as :func:`read_sweep` does.

    A sensitivity file (:mod:`sim.experiments.sensitivity_spec`) draws its design and lays it
    here as a ``points`` design, so its points are checked, run and stored like a sweep's.

    Raises:
        InputError: naming ``path`` and the field, as :func:`read_sweep`.
    """
    try:
        return _spec(path, table, calibration)
    except InputError as exc:
        raise in_file(path, exc) from None


def in_file(path: Path, error: InputError) -> InputError:
    """The error with the file's path in front of where it is (unless it is there already)."""
    if error.where.startswith(str(path)):
        return error
    return type(error)(f"{path}: {error.where}", error.problem)


def _spec(path: Path, table: dict[str, Any], calibration: Calibration) -> SweepSpec:
    unknown = sorted(set(table) - _TOP_KEYS)
    if unknown:
        raise InputError(unknown[0], f"unknown field (choose {', '.join(sorted(_TOP_KEYS))})")
    base_path, base = base_scenario(path, table, calibration)
    name = _text(table, "name", path.stem)
    if not name or name.startswith(".") or "/" in name or "\\" in name or len(name) > 100:
        raise InputError("name", "must be a plain directory name (no '/', no leading dot)")
    metrics = _metrics(table.get("metrics", list(DEFAULT_METRICS)))
    design = table.get("design")
    if not isinstance(design, dict):
        raise InputError("design", "required table is missing (kind = grid, points or lhs)")
    kind, raw_points = _design(design)
    fields = tuple(raw_points[0])
    for field_path in fields:
        _check_path(field_path, f"design field {field_path}")
    if kind == "lhs":
        check_range_ends(base, flatten(design["ranges"]), "design.ranges")
    points = tuple(
        SweepPoint(index, values, point_scenario(base, values, where=f"point {index}"))
        for index, values in enumerate(raw_points)
    )
    return SweepSpec(
        path=path,
        name=name,
        description=_text(table, "description", ""),
        base_path=base_path,
        base=base,
        design=kind,
        fields=fields,
        points=points,
        metrics=metrics,
        record=table,
    )


def base_scenario(
    path: Path, table: Mapping[str, Any], calibration: Calibration
) -> tuple[Path, Scenario]:
    """The base scenario's file and the base with the fixed changes, seed and replications."""
    base_path = _base_path(path, table.get("base"))
    return base_path, _base(base_path, table, calibration)


def check_range_ends(base: Scenario, ranges: Mapping[str, Sequence[Any]], where: str) -> None:
    """Check that both ends of each range are values its field accepts.

    Raises:
        InputError: naming ``where``, the end, the value and the field that refuses it.
    """
    for field_path, bounds in ranges.items():
        _check_path(field_path, f"{where}.{field_path}")
        for end, value in zip(("low", "high"), bounds, strict=True):
            point_scenario(base, {field_path: value}, where=f"{where} {end}")


def _text(table: Mapping[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise InputError(key, "must be a string")
    return value


def _base_path(path: Path, base: Any) -> Path:
    if not isinstance(base, str) or not base:
        raise InputError("base", "required: the base scenario file, relative to the sweep file")
    return path.parent / base


def _whole_number(table: Mapping[str, Any], key: str, low: int, prefix: str = "") -> int | None:
    """A whole-number setting of at least ``low``, or None when the file does not give it."""
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(f"{prefix}{key}", f"must be a whole number, not {value!r}")
    if value < low:
        raise InputError(f"{prefix}{key}", f"must be at least {low}, not {value}")
    return value


def _base(base_path: Path, table: Mapping[str, Any], calibration: Calibration) -> Scenario:
    """The base scenario with the fixed changes, the sweep's seed and its replications.

    The fixed changes are laid on the base file's own table, as if written in it, so that
    they load as the file would (``world.states`` keeps only those states' fitted staff).
    """
    replications = _whole_number(table, "replications", 1)
    seed = _whole_number(table, "seed", 0)
    fixed = table.get("fixed", {})
    if not isinstance(fixed, dict):
        raise InputError("fixed", "must be a table of dotted field paths and values")
    changes = flatten(fixed)
    for field_path in changes:
        _check_path(field_path, f"fixed.{field_path}")
    if replications is not None:
        changes["simulation.replications"] = replications
    if seed is not None:
        changes["simulation.seed"] = seed
    try:
        settings = read_settings(base_path)
        for field_path, value in changes.items():
            set_path(settings, field_path, copy.deepcopy(value), "fixed")
        return scenario_from_settings(settings, base_path, calibration)
    except InputError as exc:
        where = exc.where if exc.where.startswith(str(base_path)) else f"{base_path}: {exc.where}"
        laid = " with the fixed changes" if changes else ""
        raise type(exc)(f"base {where}{laid}", exc.problem) from None


def _metrics(names: Any) -> tuple[str, ...]:
    if not isinstance(names, list) or not names:
        raise InputError("metrics", "must be a non-empty list of metric names")
    for name in names:
        if name not in METRICS:
            shown = name if isinstance(name, str) else repr(name)
            raise InputError("metrics", f"unknown metric '{shown}' (see docs/experiments.md)")
    if len(set(names)) != len(names):
        raise InputError("metrics", "names a metric twice")
    return tuple(names)


def _design(design: dict[str, Any]) -> tuple[str, list[Point]]:
    """The design's kind and its points (value by dotted path), checked for shape."""
    kind = design.get("kind")
    if kind not in DESIGNS:
        raise InputError("design.kind", f"must be one of {', '.join(DESIGNS)}, not {kind!r}")
    unknown = sorted(set(design) - _DESIGN_KEYS[kind])
    if unknown:
        raise InputError(f"design.{unknown[0]}", f"unknown field for a {kind} design")
    if kind == "grid":
        points = _grid(design.get("fields"))
    elif kind == "points":
        points = _listed(design.get("points"))
    else:
        points = _hypercube(design)
    if len(points) > MAX_POINTS:
        raise InputError("design", f"has {len(points):,} points, more than {MAX_POINTS:,}")
    return kind, points


def _grid(fields: Any) -> list[Point]:
    if not isinstance(fields, dict) or not fields:
        raise InputError("design.fields", "empty design: give each varied field a list of values")
    values = flatten(fields)
    size = 1
    for field_path, listed in values.items():
        if not isinstance(listed, list) or not listed:
            raise InputError(f"design.fields.{field_path}", "must be a non-empty list of values")
        size *= len(listed)
        if size > MAX_POINTS:
            raise InputError("design.fields", f"the grid has more than {MAX_POINTS:,} points")
    return designs.grid(values)


def _listed(points: Any) -> list[Point]:
    if not isinstance(points, list) or not points:
        raise InputError("design.points", "empty design: give a list of points (tables)")
    flat = []
    for number, point in enumerate(points):
        if not isinstance(point, dict) or not point:
            raise InputError(f"design.points[{number}]", "must be a table of field = value")
        flat.append(flatten(point))
    fields = list(flat[0])
    for number, point in enumerate(flat):
        if set(point) != set(fields):
            missing = sorted(set(fields) ^ set(point))[0]
            raise InputError(
                f"design.points[{number}].{missing}",
                "every point must set the same fields as the first",
            )
    return [{field_path: point[field_path] for field_path in fields} for point in flat]


def _hypercube(design: dict[str, Any]) -> list[Point]:
    samples = _whole_number(design, "samples", 1, "design.")
    if samples is None:
        raise InputError("design.samples", "required: how many points to draw (at least 1)")
    seed = _whole_number(design, "seed", 0, "design.")
    if seed is None:
        raise InputError("design.seed", "required: the design's seed, so it can be drawn again")
    ranges = design.get("ranges")
    if not isinstance(ranges, dict) or not ranges:
        raise InputError("design.ranges", "empty design: give each varied field [low, high]")
    checked: dict[str, designs.Range] = {}
    for field_path, bounds in flatten(ranges).items():
        where = f"design.ranges.{field_path}"
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise InputError(where, "must be [low, high]")
        low, high = bounds
        numbers = all(isinstance(b, int | float) and not isinstance(b, bool) for b in (low, high))
        dates = all(isinstance(b, dt.date) for b in (low, high))
        if not (numbers or dates):
            raise InputError(where, "must be two numbers or two dates")
        if not low <= high:
            raise InputError(where, f"low {low} is above high {high}")
        checked[field_path] = (low, high)
    return designs.latin_hypercube(checked, samples, seed)


def _check_path(field_path: str, where: str) -> None:
    parts = field_path.split(".")
    if any(not part for part in parts):
        raise InputError(where, "is not a dotted field path (an empty part)")
    if field_path in FIXED_BY_SWEEP:
        raise InputError(
            where,
            "is set by the sweep for every point (its name, seed and replications), not varied",
        )
