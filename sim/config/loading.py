"""Scenario files read, laid over the packaged defaults and a calibration, and validated.

A scenario states only what differs from ``sim/data/defaults.toml``. Loading merges the
defaults, the fitted values of a calibration and the file, then validates the result with the
models of :mod:`sim.config.schema`, which forbid unknown fields, so that a typo is an error
rather than a silently ignored setting. Every problem is raised as a
:class:`~sim.errors.ScenarioError` naming the dotted path of the field.

The calibration is an input like the scenario file (:class:`Calibration`): the packaged
``sim/data/calibration.toml`` unless another file, or none, is given. Nothing here keeps state
between calls; only the default (:func:`default_calibration`) reads the environment. The
module is somewhat over 400 lines because a calibration file is read with the scenario file's
bounded reader and checked with its validation, so both live here.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.config.distributions import DISTRIBUTION_NAMES
from sim.config.schema import Scenario
from sim.errors import ScenarioError
from sim.vocabulary import LEVER_NAMES, STAGES

CALIBRATION_FILE = "data/calibration.toml"
"""The packaged calibration, inside the ``sim`` package."""
CALIBRATION_NAME = "calibration.toml"
"""A calibration file's name, when a calibration is given by its directory."""
STAFF_TABLE = "central_authorities.csv"
"""The fitted staff and other matters of each central authority, beside a calibration file."""
UNCALIBRATED_ENV = "MLATSIM_UNCALIBRATED"
"""Set this environment variable to make *no calibration* the default (the test suite does, so
that a refit cannot change what tests of mechanisms check); a calibration given explicitly is
used all the same."""

_STAFF_COLUMNS: dict[str, type] = {"ca_staff": int, "other_matters_per_year": float}


@dataclass(frozen=True)
class Calibration:
    """Fitted values laid over the defaults: a calibration file and the staff table beside it.

    Attributes:
        path: The calibration file, or None for no calibration (the defaults as they are).
        record: The file's tables: ``meta``, ``fitted``, ``history`` and ``settings`` (the
            values laid over the defaults).
        files: SHA-256 of each file read, by name: the calibration file and, when there is
            one beside it, its staff table (``central_authorities.csv``).
        staff: Each central authority's fitted ``ca_staff`` and ``other_matters_per_year``, by ISO3
            code, from the staff table; laid over the defaults as ``states.ISO3`` overrides.
    """

    path: Path | None = None
    record: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    staff: Mapping[str, Mapping[str, int | float]] = field(default_factory=dict)

    @property
    def settings(self) -> dict[str, Any]:
        """What the calibration lays over the defaults (a fresh copy, safe to change)."""
        states = {code: dict(values) for code, values in self.staff.items()}
        table = copy.deepcopy(dict(self.record.get("settings", {})))
        return merge({"states": states}, table) if states else table

    @property
    def digest(self) -> str:
        """``"none"``, or a SHA-256 of the files' contents (not of where they are)."""
        return "none" if self.path is None else digest(dict(self.files))

    def describe(self) -> dict[str, Any] | str:
        """The calibration as a manifest records it: its path and SHA-256, or ``"none"``."""
        if self.path is None:
            return "none"
        return {
            "path": str(self.path),
            "sha256": self.files[self.path.name],
            "files": dict(self.files),
        }


NO_CALIBRATION = Calibration()
"""No calibration: the defaults of ``sim/data/defaults.toml`` as they are."""


def packaged_calibration() -> Calibration:
    """The calibration shipped in the package (``sim/data/calibration.toml``), if any."""
    path = Path(str(resources.files("sim").joinpath(CALIBRATION_FILE)))
    return read_calibration(path) if path.is_file() else NO_CALIBRATION


def default_calibration() -> Calibration:
    """The calibration used when none is given.

    The packaged one, or none when the ``MLATSIM_UNCALIBRATED`` environment variable is set.
    """
    return NO_CALIBRATION if os.environ.get(UNCALIBRATED_ENV) else packaged_calibration()


def read_calibration(path: str | Path) -> Calibration:
    """Read a calibration file (or a directory holding ``calibration.toml``) and check it.

    The staff table ``central_authorities.csv`` beside the file, if there is one, is part of
    the calibration. Every value is checked as a scenario's would be.

    Raises:
        ScenarioError: naming the file (and the line or field) that is missing, unreadable,
            malformed or invalid.
    """
    path = Path(path)
    try:
        if path.is_dir():
            path = path / CALIBRATION_NAME
    except OSError as exc:  # a name the system refuses outright (over 255 bytes, ...)
        raise ScenarioError(str(path), f"cannot be read ({exc.strerror})") from None
    path = Path(os.path.abspath(path))
    data = _read_bytes(path)
    record = _parse_toml(data, path)
    if not isinstance(record.get("settings", {}), dict):
        raise ScenarioError(f"{path}: settings", "must be a table")
    files = {path.name: hashlib.sha256(data).hexdigest()}
    staff: dict[str, dict[str, int | float]] = {}
    table = path.with_name(STAFF_TABLE)
    if table.is_file():
        table_data = _read_bytes(table)
        files[table.name] = hashlib.sha256(table_data).hexdigest()
        staff = _parse_staff(table_data, table)
    calibration = Calibration(path, record, files, staff)
    try:
        validate_settings(merge(_packaged_defaults(), calibration.settings))
    except ScenarioError as exc:
        parts = exc.where.split(".")
        in_table = parts[0] == "states" and len(parts) > 1 and parts[1] in staff
        where = f"{table}: {exc.where}" if in_table else f"{path}: settings.{exc.where}"
        raise ScenarioError(where, exc.problem) from None
    except RecursionError:
        raise ScenarioError(str(path), "nested too deeply") from None
    return calibration


def _parse_staff(data: bytes, path: Path) -> dict[str, dict[str, int | float]]:
    """The ``ca_staff`` and ``other_matters_per_year`` of each row of a staff table, by ISO3."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(str(path), "cannot be read (not UTF-8 text)") from None
    staff: dict[str, dict[str, int | float]] = {}
    try:
        for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            where = f"{path} line {number}"
            code = (row.get("iso3") or "").strip()
            if not re.fullmatch(r"[A-Z]{3}", code):
                raise ScenarioError(where, f"iso3 '{code}' is not an ISO 3166 alpha-3 code")
            if code in staff:
                raise ScenarioError(where, f"state '{code}' appears twice")
            values: dict[str, int | float] = {}
            for column, kind in _STAFF_COLUMNS.items():
                cell = (row.get(column) or "").strip()
                if not cell:
                    continue
                try:
                    values[column] = kind(cell)
                except ValueError:
                    what = "a whole number" if kind is int else "a number"
                    raise ScenarioError(where, f"{column} '{cell}' is not {what}") from None
            staff[code] = values
    except csv.Error as exc:
        raise ScenarioError(str(path), f"malformed CSV ({exc})") from None
    return staff


def _packaged_defaults() -> dict[str, Any]:
    text = resources.files("sim").joinpath("data/defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def default_settings(calibration: Calibration | None = None) -> dict[str, Any]:
    """The packaged defaults with a calibration's values laid over them, as a dictionary.

    Args:
        calibration: The calibration laid over (:data:`NO_CALIBRATION` for none); None
            means :func:`default_calibration`.
    """
    calibration = default_calibration() if calibration is None else calibration
    return merge(_packaged_defaults(), calibration.settings)


def with_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """``scenario`` with ``changes`` laid over it (as a scenario file is laid over defaults).

    The seam for experiments: a sweep point or a dashboard switch is a table of changes,
    validated like a file, so a bad value is the same one-line error.

    Raises:
        ScenarioError: naming the invalid field.
    """
    return validate_settings(merge(scenario.model_dump(), changes))


def without_run_out(scenario: Scenario) -> Scenario:
    """``scenario`` with its run-out cut off: the run ends ``run_out_days`` (whole days) sooner.

    The same cases are opened up to the window's end and the drain follows, so every request
    simulated leaves a row: what a benchmark that counts rows per second needs, since a
    run-out's requests would cost time and leave none.
    """
    simulation = scenario.simulation
    days = int(simulation.run_out_days)
    if days == 0:
        return scenario
    end = simulation.end - dt.timedelta(days=days)
    return with_changes(scenario, {"simulation": {"run_out_days": 0.0, "end": end}})


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``: tables merge key by key, other values replace.

    A stage's ``time`` table (or any table naming a ``distribution``) replaces the default
    whole, since the parameters of one distribution mean nothing to another: a ``time`` table
    without ``distribution`` is then an error naming it, not a silent mix with the default.
    """
    merged = dict(base)
    for key, value in override.items():
        if (
            isinstance(value, dict)
            and isinstance(merged.get(key), dict)
            and key not in _WHOLE_TABLES
            and "distribution" not in value
        ):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_WHOLE_TABLES = frozenset({"time"})
"""Tables a scenario replaces whole instead of merging key by key."""


_UNION_FIELDS = frozenset({"time", "servers"})
"""Fields whose pydantic error location carries the union branch's name after them."""


def _is_union_field(location: tuple[int | str, ...], index: int) -> bool:
    """Whether ``location[index]`` is a stage's or preservation's ``time``/``servers`` field."""
    if location[index] not in _UNION_FIELDS or index == 0:
        return False
    owner = location[index - 1]
    return owner in STAGES or (owner == "preservation" and index == 1)


def _is_lever_kind(location: tuple[int | str, ...], index: int) -> bool:
    """Whether ``location[index]`` is the kind pydantic names inside ``levers[i]``."""
    return (
        index >= 2
        and location[index - 2] == "levers"
        and isinstance(location[index - 1], int)
        and location[index] in LEVER_NAMES
    )


def _dotted(location: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for index, part in enumerate(location):
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif (
            part == "[key]"
            or (index > 0 and _is_union_field(location, index - 1))
            or _is_lever_kind(location, index)
        ):
            continue  # pydantic's name for a dict key check or a union branch, not a field
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts) or "scenario"


def _problem(error: dict[str, Any]) -> str:
    kind = error["type"]
    location = tuple(error["loc"])
    on_servers = any(
        part == "servers" and _is_union_field(location, index)
        for index, part in enumerate(location)
    )
    if on_servers:
        return "must be 'unlimited', 'central_authority' or a whole number of at least 1"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_not_found":
        return (
            "needs a distribution (a time table replaces the default whole: give "
            f"distribution = one of {', '.join(DISTRIBUTION_NAMES)} and its parameters)"
        )
    if kind == "union_tag_invalid":
        return f"unknown distribution (choose one of {', '.join(DISTRIBUTION_NAMES)})"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else kind


def validate_settings(settings: dict[str, Any]) -> Scenario:
    """Validate a merged settings dictionary.

    Raises:
        ScenarioError: naming the first invalid field.
    """
    try:
        return Scenario.model_validate(settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        where, problem = _dotted(tuple(first["loc"])), _problem(first)
        named = re.match(r"^([a-z_][a-z0-9_.\[\]]*): (.+)$", problem)
        if named:  # a model validator naming the field it is about
            where = named[1] if where == "scenario" else f"{where}.{named[1]}"
            problem = named[2]
        raise ScenarioError(where, problem) from None


MAX_FILE_BYTES = 1 << 20
"""Largest scenario file read (1 MiB; the biggest shipped one is a few kB), so that a device
such as /dev/zero given by mistake is refused instead of read without end."""


MAX_KEY_DEPTH = 32
"""Deepest dotted key read; the deepest real field has five parts, and tomllib takes
quadratic time on keys tens of thousands of parts deep."""


def _key_depth(text: str) -> int:
    """The largest number of parts of a dotted key or table name (quoted dots count too)."""
    deepest = 0
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            key = line.strip("[]")
        elif "=" in line:
            key = line.split("=", 1)[0]
        else:
            continue  # a value's continuation line (a multi-line string or array)
        deepest = max(deepest, key.count(".") + 1)
    return deepest


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, read up to :data:`MAX_FILE_BYTES`.

    Raises:
        ScenarioError: if the file is missing, unreadable or too large.
    """
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(str(path), "file not found") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "is a directory, not a scenario file") from None
    except OSError as exc:
        raise ScenarioError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(str(path), f"is larger than {MAX_FILE_BYTES >> 20} MiB")
    return data


def _parse_toml(data: bytes, path: Path) -> dict[str, Any]:
    """The table in a TOML file's bytes.

    Raises:
        ScenarioError: if they are not UTF-8, not TOML, or nested too deeply to parse.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(str(path), "cannot be read (not UTF-8 text)") from None
    if _key_depth(text) > MAX_KEY_DEPTH:
        raise ScenarioError(str(path), f"malformed TOML (a key nested over {MAX_KEY_DEPTH} deep)")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), f"malformed TOML ({exc})") from None
    except RecursionError:
        raise ScenarioError(str(path), "malformed TOML (nested too deeply)") from None
    except ValueError as exc:  # an integer of thousands of digits, beyond int()'s limit
        reason = str(exc).split(":", 1)[0]
        raise ScenarioError(str(path), f"malformed TOML ({reason})") from None


def read_settings(path: str | Path) -> dict[str, Any]:
    """The table a scenario file states, before it is laid over the defaults.

    Raises:
        ScenarioError: if the file is missing, unreadable, too large, not TOML, or nested
            too deeply to parse.
    """
    path = Path(path)
    return _parse_toml(_read_bytes(path), path)


def scenario_from_settings(
    user: dict[str, Any], path: str | Path, calibration: Calibration | None = None
) -> Scenario:
    """Lay a file's table over the defaults and a calibration and validate it.

    The name defaults to the file's stem. Of the calibration's staff, only that of the states
    the scenario simulates is kept (a scenario overrides only states it simulates).

    Args:
        user: The file's table (:func:`read_settings`).
        path: The file, for the default name and for errors.
        calibration: As for :func:`default_settings`.

    Raises:
        ScenarioError: naming the invalid field.
    """
    calibration = default_calibration() if calibration is None else calibration
    try:
        settings = merge(default_settings(calibration), user)
        _keep_staff_of_simulated_states(settings, user, calibration)
        if "name" not in user:
            settings["name"] = Path(path).stem
        return validate_settings(settings)
    except RecursionError:
        raise ScenarioError(str(path), "nested too deeply") from None


def _keep_staff_of_simulated_states(
    settings: dict[str, Any], user: dict[str, Any], calibration: Calibration
) -> None:
    """Drop the calibration's staff of states that ``world.states``, when given, leaves out."""
    world = settings.get("world")
    chosen = world.get("states") if isinstance(world, dict) else None
    states = settings.get("states")
    if not chosen or not isinstance(chosen, list) or not isinstance(states, dict):
        return
    own = user.get("states")
    own = own if isinstance(own, dict) else {}
    for code in calibration.staff:
        if code not in chosen and code not in own:
            states.pop(code, None)


def load_scenario(path: str | Path, calibration: Calibration | None = None) -> Scenario:
    """Read, merge and validate a scenario file.

    The scenario's name defaults to the file's stem, so ``scenarios/baseline.toml`` writes to
    ``results/baseline/`` without saying so.

    Args:
        path: The scenario file.
        calibration: The calibration laid over the defaults (:data:`NO_CALIBRATION` for
            none); None means :func:`default_calibration`.

    Raises:
        ScenarioError: if the file is missing, unreadable, not TOML, or invalid.
    """
    return scenario_from_settings(read_settings(path), path, calibration)


def digest(dump: Any) -> str:
    """SHA-256 of a JSON-able value in canonical form (sorted keys, no spaces)."""
    text = json.dumps(dump, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario as a run's manifest records it (canonical JSON)."""
    return digest(scenario.model_dump(mode="json"))
