"""Scenario files read, laid over the packaged defaults and the calibration, and validated.

A scenario states only what differs from ``sim/data/defaults.toml``. Loading merges the two
(and the fitted values of the calibration file), then validates the result with the models
of :mod:`sim.config.schema`, which forbid unknown fields, so that a typo is an error rather
than a silently ignored setting. Every problem is raised as a
:class:`~sim.errors.ScenarioError` naming the dotted path of the field.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.config.distributions import DISTRIBUTION_NAMES
from sim.config.schema import Scenario
from sim.errors import ScenarioError
from sim.vocabulary import STAGES

CALIBRATION_FILE = "data/calibration.toml"
"""Fitted values laid over the defaults (its ``settings`` table), written by calibration."""


UNCALIBRATED_ENV = "MLATSIM_UNCALIBRATED"
"""Set this environment variable to run on the uncalibrated defaults (tests of mechanisms do,
so that a refit cannot change what they check); worker processes inherit it."""


def calibration_record() -> dict[str, Any]:
    """The packaged calibration file (method, date, fitted values), or {} if there is none."""
    if os.environ.get(UNCALIBRATED_ENV):
        return {}
    source = resources.files("sim").joinpath(CALIBRATION_FILE)
    if not source.is_file():
        return {}
    return tomllib.loads(source.read_text(encoding="utf-8"))


def default_settings() -> dict[str, Any]:
    """The packaged defaults, with the calibrated values laid over them, as a dictionary."""
    text = resources.files("sim").joinpath("data/defaults.toml").read_text(encoding="utf-8")
    return merge(tomllib.loads(text), calibration_record().get("settings", {}))


def with_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """``scenario`` with ``changes`` laid over it (as a scenario file is laid over defaults).

    The seam for experiments: a sweep point or a dashboard switch is a table of changes,
    validated like a file, so a bad value is the same one-line error.

    Raises:
        ScenarioError: naming the invalid field.
    """
    return validate_settings(merge(scenario.model_dump(), changes))


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


def _dotted(location: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for index, part in enumerate(location):
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part == "[key]" or (index > 0 and _is_union_field(location, index - 1)):
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


def read_settings(path: str | Path) -> dict[str, Any]:
    """The table a scenario file states, before it is laid over the defaults.

    Raises:
        ScenarioError: if the file is missing, unreadable, too large, not TOML, or nested
            too deeply to parse.
    """
    path = Path(path)
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


def scenario_from_settings(user: dict[str, Any], path: str | Path) -> Scenario:
    """Lay a file's table over the defaults and validate it; the name defaults to the stem.

    Raises:
        ScenarioError: naming the invalid field.
    """
    try:
        settings = merge(default_settings(), user)
        if "name" not in user:
            settings["name"] = Path(path).stem
        return validate_settings(settings)
    except RecursionError:
        raise ScenarioError(str(path), "nested too deeply") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge and validate a scenario file.

    The scenario's name defaults to the file's stem, so ``scenarios/baseline.toml`` writes to
    ``results/baseline/`` without saying so.

    Raises:
        ScenarioError: if the file is missing, unreadable, not TOML, or invalid.
    """
    return scenario_from_settings(read_settings(path), path)


def digest(dump: Any) -> str:
    """SHA-256 of a JSON-able value in canonical form (sorted keys, no spaces)."""
    text = json.dumps(dump, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario as a run's manifest records it (canonical JSON)."""
    return digest(scenario.model_dump(mode="json"))
