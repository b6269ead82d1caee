"""Scenario fields named by dotted paths, as sweep, sensitivity and EMA files name them.

A path names a field as a scenario file writes it (``routing.pursuit_scale``,
``channels.bilateral_mlat.time_scale``, ``states.USA.ca_staff``), a list item by its number
(``levers.0.strength``). :func:`point_scenario` sets paths on a scenario and validates the
result like a scenario file, so a wrong path or value is one line naming the field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from sim.config.loading import validate_settings
from sim.config.schema import Scenario
from sim.errors import InputError, ScenarioError


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A table's values by dotted path (``a.b = 1`` and ``"a.b" = 1`` both give ``a.b``).

    Nested tables are followed down to their values; a list is a value.
    """
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def point_scenario(base: Scenario, values: Mapping[str, Any], where: str) -> Scenario:
    """The base with each dotted field set to its value, validated like a scenario file.

    Raises:
        InputError: naming ``where`` (the point), the value and the field that refuses it.
    """
    settings = base.model_dump()
    for field_path, value in values.items():
        set_path(settings, field_path, copy.deepcopy(value), where)
    try:
        return validate_settings(settings)
    except ScenarioError as exc:
        shown = ", ".join(f"{key} = {_show(value)}" for key, value in values.items())
        raise InputError(f"{where} ({shown}): {exc.where}", exc.problem) from None


def _show(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def set_path(settings: dict[str, Any], field_path: str, value: Any, where: str) -> None:
    """Set a dotted field path in a scenario's settings, making missing tables on the way.

    A missing table is made (``states.USA`` where the base overrides no US parameter), so
    that validation names an unknown field as such; a list item must exist.

    Raises:
        InputError: for an item beyond a list, or a path running through a value.
    """
    parts = field_path.split(".")
    node: Any = settings
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise InputError(
                    f"{where}: {here}",
                    f"no item {part} (the base scenario's list has {len(node)})",
                )
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        else:
            raise InputError(
                f"{where}: {'.'.join(parts[:depth])}", "is a value, not a table or list"
            )


def point_labels(values: Mapping[str, Any], fields: Sequence[str]) -> str:
    """A point's values in a few words: ``routing.pursuit_scale = 0.5, levers.0.strength = 1``."""
    return ", ".join(f"{field_path} = {_show(values[field_path])}" for field_path in fields)
