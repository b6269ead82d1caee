"""Sensitivity files: the assumed parameters' ranges, the method's design, and the metrics.

A sensitivity file is a sweep file (:mod:`sim.experiments.sweep_spec`) whose design is drawn
by SALib from ranges instead of listed: ``[ranges]`` gives each assumed parameter's plausible
``[low, high]`` by dotted path, and ``[morris]`` or ``[sobol]`` the size and seed of the
design. The design is laid into a sweep's table as a ``points`` design, so every point is
built and validated like a scenario file before any runs, stored as it finishes, resumed
after a kill and run on the same executors (worker processes or a Dask cluster) as a sweep's.

Values are drawn in unit coordinates (each range mapped onto [0, 1]) and scaled onto the
ranges; a range of two whole numbers gives whole numbers (rounded). Points keep the unit
coordinates of their design for the analysis (:mod:`sim.analysis.sensitivity_indices`).
See docs/experiments.md for the format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.loading import Calibration, read_settings
from sim.errors import InputError
from sim.experiments.field_paths import flatten
from sim.experiments.sweep_spec import (
    SweepSpec,
    base_scenario,
    check_range_ends,
    in_file,
    sweep_from_table,
)

METHODS = ("morris", "sobol")
"""The methods a sensitivity analysis may use."""

_SWEEP_KEYS = frozenset({"base", "name", "description", "replications", "seed", "metrics", "fixed"})
"""Keys a sensitivity file shares with a sweep file, passed to it as they are."""
_TOP_KEYS = _SWEEP_KEYS | {"ranges", *METHODS}
_METHOD_KEYS = {
    "morris": frozenset({"trajectories", "levels", "seed"}),
    "sobol": frozenset({"samples", "seed"}),
}
_DEFAULTS = {
    "morris": {"trajectories": 10, "levels": 4, "seed": 1},
    "sobol": {"samples": 64, "seed": 1},
}


@dataclass(frozen=True)
class SensitivitySpec:
    """A validated sensitivity file and the design drawn for its method.

    Attributes:
        sweep: The sweep that runs the design's points (its fields are the parameters).
        method: ``"morris"`` or ``"sobol"``.
        ranges: Each parameter's (low, high), by dotted path, in the file's order.
        unit: The design in unit coordinates, one row per point (design order), of the values
            the points run (after rounding a whole-number parameter).
        settings: The method's settings (``trajectories``, ``levels``, ``seed`` or
            ``samples``, ``seed``), defaults filled in.
    """

    sweep: SweepSpec
    method: str
    ranges: Mapping[str, tuple[float, float]]
    unit: np.ndarray
    settings: Mapping[str, int]

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameters' dotted paths, in design column order."""
        return tuple(self.ranges)


def read_sensitivity(path: Path, method: str, calibration: Calibration) -> SensitivitySpec:
    """Read a sensitivity file, draw its design and validate every point before any runs.

    Raises:
        InputError: one line naming the file and the field: an unknown key or field path, a
            range the field does not accept, no ranges (an empty design), zero replications,
            trajectories or samples.
    """
    path = Path(path)
    table = read_settings(path)
    try:
        ranges, settings = _checked(path, table, method, calibration)
    except InputError as exc:
        raise in_file(path, exc) from None
    unit = draw(method, len(ranges), settings)
    points = [_values(row, ranges) for row in unit]
    sweep_table = {key: value for key, value in table.items() if key in _SWEEP_KEYS}
    sweep_table["name"] = table.get("name", f"{path.stem}-{method}")
    sweep_table["design"] = {"kind": "points", "points": points}
    sweep = sweep_from_table(path, sweep_table, calibration)
    realised = np.array([[_unit(point[p], *ranges[p]) for p in ranges] for point in points])
    return SensitivitySpec(sweep, method, ranges, realised, settings)


def _checked(
    path: Path, table: Mapping[str, Any], method: str, calibration: Calibration
) -> tuple[dict[str, tuple[float, float]], dict[str, int]]:
    """The ranges and the method's settings, every field and range end checked."""
    if method not in METHODS:
        raise InputError("--method", f"must be one of {', '.join(METHODS)}, not {method!r}")
    unknown = sorted(set(table) - _TOP_KEYS)
    if unknown:
        raise InputError(unknown[0], f"unknown field (choose {', '.join(sorted(_TOP_KEYS))})")
    ranges = _ranges(table.get("ranges"))
    settings = _settings(table.get(method, {}), method)
    _, base = base_scenario(path, table, calibration)
    check_range_ends(base, ranges, "ranges")
    return ranges, settings


def _ranges(raw: Any) -> dict[str, tuple[float, float]]:
    if not isinstance(raw, dict) or not raw:
        raise InputError("ranges", "empty design: give each assumed parameter [low, high]")
    ranges: dict[str, tuple[float, float]] = {}
    for field_path, bounds in flatten(raw).items():
        where = f"ranges.{field_path}"
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise InputError(where, "must be [low, high]")
        if not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds):
            raise InputError(where, "must be two numbers")
        low, high = bounds
        if not low < high:
            raise InputError(where, f"low {low} must be below high {high}")
        ranges[field_path] = (low, high)
    if len(ranges) < 2:
        raise InputError("ranges", "a sensitivity analysis needs at least two parameters")
    return ranges


def _settings(raw: Any, method: str) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise InputError(method, "must be a table")
    unknown = sorted(set(raw) - _METHOD_KEYS[method])
    if unknown:
        raise InputError(f"{method}.{unknown[0]}", f"unknown field for the {method} method")
    settings = {**_DEFAULTS[method], **raw}
    lowest = {"trajectories": 2, "levels": 2, "samples": 2, "seed": 0}
    for key, value in settings.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise InputError(f"{method}.{key}", f"must be a whole number, not {value!r}")
        if value < lowest[key]:
            raise InputError(f"{method}.{key}", f"must be at least {lowest[key]}, not {value}")
    if method == "morris" and settings["levels"] % 2:
        raise InputError(
            "morris.levels", f"must be even (Morris' design), not {settings['levels']}"
        )
    samples = settings.get("samples", 2)
    if method == "sobol" and samples & (samples - 1):
        raise InputError(
            "sobol.samples", f"must be a power of 2 (Saltelli's design), not {samples}"
        )
    return settings


def draw(method: str, parameters: int, settings: Mapping[str, int]) -> np.ndarray:
    """The method's design in unit coordinates, drawn by SALib from the settings' seed.

    Morris: ``trajectories * (parameters + 1)`` points on a grid of ``levels`` levels.
    Sobol: ``samples * (parameters + 2)`` points of Saltelli's design (first and total order).
    """
    problem = {
        "num_vars": parameters,
        "names": [f"x{i}" for i in range(parameters)],
        "bounds": [[0.0, 1.0]] * parameters,
    }
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(
            problem,
            settings["trajectories"],
            num_levels=settings["levels"],
            seed=settings["seed"],
        )
    from SALib.sample import sobol

    return sobol.sample(
        problem, settings["samples"], calc_second_order=False, seed=settings["seed"]
    )


def _unit(value: float, low: float, high: float) -> float:
    return (float(value) - float(low)) / (float(high) - float(low))


def _values(row: np.ndarray, ranges: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """A design row scaled onto the ranges (whole numbers for a range of whole numbers)."""
    values: dict[str, Any] = {}
    for u, (field_path, (low, high)) in zip(row, ranges.items(), strict=True):
        value = float(low) + float(u) * (float(high) - float(low))
        whole = isinstance(low, int) and isinstance(high, int)
        values[field_path] = round(value) if whole else round(value, 12)
    return values
