"""The dashboard's fields, read from the scenario schema, and the scenarios they make.

Nothing here is a second list of settings: the scenario fields, their descriptions and
defaults come from the pydantic models of :mod:`sim.config.schema` and the scenario the page
starts from (the defaults, the calibration and the teaching file laid over each other), the
reforms from ``LEVER_MODELS`` and the adaptive behaviours from the ``adaptation`` section. What
a person types is turned into a table of changes and validated by
:func:`sim.config.loading.with_changes`, exactly as a scenario file is, so a bad value gives
the command line's one-line :class:`~sim.errors.ScenarioError`, which the page shows beside
the field it names (:func:`field_key`).
"""

from __future__ import annotations

import datetime as dt
import re
import types
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from sim.config.loading import with_changes
from sim.config.schema import LEVER_MODELS, LeverSettings, Scenario
from sim.errors import ScenarioError

SECTIONS = ("simulation", "demand", "routing", "preservation", "retention")
"""The scenario sections whose plain fields (numbers, switches, dates) the page offers."""
BEHAVIOURS = "adaptation"
"""The section of the adaptive behaviours (a strength of 0 switches one off)."""
REFORM_SUFFIX = "_reform"
"""The reform's scenario name is the base's with this suffix (its result directory too)."""
_COMMON = {"lever", "strength", "start", "states", "group"}
_LEVER_FIELD = re.compile(r"^levers\[(\d+)\]\.?(.*)$")


@dataclass(frozen=True)
class FieldSpec:
    """One plain field of a scenario, as the page shows it.

    Attributes:
        path: Dotted path (``demand.scale``): the key of changes and of error messages.
        kind: ``int``, ``float``, ``bool`` or ``date``.
        default: Its value in the scenario the page starts from.
        description: The schema's description of the field (its docstring), else its
            section's.
    """

    path: str
    kind: str
    default: Any
    description: str

    def text(self) -> str:
        """The default as the page's text box shows it."""
        return str(self.default).lower() if self.kind == "bool" else str(self.default)


@dataclass(frozen=True)
class ExtraSpec:
    """A field a lever kind takes besides strength and start (an instrument, partners...)."""

    name: str
    choices: tuple[str, ...]
    """The values it admits, or () for a list of ISO3 codes typed with commas."""
    required: bool
    description: str


@dataclass(frozen=True)
class LeverSpec:
    """A kind of reform, as the page offers it: a switch, a strength, a start date."""

    name: str
    description: str
    max_strength: float
    extras: tuple[ExtraSpec, ...]


@dataclass
class LeverChoice:
    """What the page says of one reform: on or off, its strength, start and other fields.

    Every value is the text typed, parsed by :func:`build_scenarios`.
    """

    name: str
    on: bool = False
    strength: str = "1"
    start: str = ""
    extras: dict[str, str] = field(default_factory=dict)


def _kind(annotation: Any) -> str | None:
    """The page's kind of a field's type, or None for one it does not offer."""
    options = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, types.UnionType) and len(options) == 1:
        annotation = options[0]
    while get_origin(annotation) is not None and get_origin(annotation) is not Literal:
        args = get_args(annotation)
        if not args:
            return None
        annotation = args[0]  # Annotated[float, Field(...)]
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    if annotation is dt.date:
        return "date"
    return None


def _fields_of(section: str, model: BaseModel) -> list[FieldSpec]:
    cls = type(model)
    specs = []
    for name, info in cls.model_fields.items():
        kind = _kind(info.annotation)
        if kind is None:
            continue
        description = info.description or (cls.__doc__ or "").strip().splitlines()[0]
        specs.append(FieldSpec(f"{section}.{name}", kind, getattr(model, name), description))
    return specs


def scenario_fields(scenario: Scenario) -> list[FieldSpec]:
    """The plain fields of the sections in :data:`SECTIONS`, with the scenario's values."""
    return [spec for name in SECTIONS for spec in _fields_of(name, getattr(scenario, name))]


def behaviour_fields(scenario: Scenario) -> list[FieldSpec]:
    """The adaptive behaviours' fields: each behaviour's strength and its settings."""
    return _fields_of(BEHAVIOURS, scenario.adaptation)


def _extra(name: str, info: Any) -> ExtraSpec:
    annotation = info.annotation
    literal = annotation
    while get_origin(literal) is not None and get_origin(literal) is not Literal:
        literal = get_args(literal)[0]
    choices = tuple(str(a) for a in get_args(literal)) if get_origin(literal) is Literal else ()
    return ExtraSpec(name, choices, info.is_required(), info.description or "")


def lever_specs() -> list[LeverSpec]:
    """Every kind of reform of the library, in the registry's order."""
    specs = []
    for model in LEVER_MODELS:
        extras = tuple(
            _extra(name, info) for name, info in model.model_fields.items() if name not in _COMMON
        )
        doc = (model.__doc__ or "").strip().splitlines()[0]
        specs.append(LeverSpec(model.kind_name(), doc, model.MAX_STRENGTH, extras))
    return specs


def _parse(path: str, kind: str, text: str) -> Any:
    """A typed value from the text of a field; an unreadable one names the field."""
    text = text.strip()
    try:
        if kind == "bool":
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        wanted = {
            "bool": "true or false",
            "int": "a whole number",
            "float": "a number",
            "date": "a date (YYYY-MM-DD)",
        }[kind]
        raise ScenarioError(path, f"'{text}' is not {wanted}") from None


def _nest(changes: dict[str, Any], path: str, value: Any) -> None:
    *sections, name = path.split(".")
    table = changes
    for section in sections:
        table = table.setdefault(section, {})
    table[name] = value


def _lever_table(index: int, choice: LeverChoice, spec: LeverSpec) -> dict[str, Any]:
    where = f"levers[{index}]"
    table: dict[str, Any] = {
        "lever": choice.name,
        "strength": _parse(f"{where}.strength", "float", choice.strength),
    }
    if choice.start.strip():
        table["start"] = _parse(f"{where}.start", "date", choice.start)
    for extra in spec.extras:
        text = choice.extras.get(extra.name, "").strip()
        if extra.choices:
            if text:
                table[extra.name] = text
        elif text:
            table[extra.name] = [code.strip().upper() for code in text.split(",") if code.strip()]
    return table


def build_scenarios(
    base: Scenario, values: dict[str, str], levers: list[LeverChoice]
) -> tuple[Scenario, Scenario]:
    """The baseline (``base`` with the page's fields) and the reform (its levers added).

    Args:
        base: The scenario the page starts from.
        values: Text typed for fields (by dotted path); those equal to the default may be
            left out.
        levers: The page's reforms; those switched on are added, in the registry's order.

    Raises:
        ScenarioError: naming the field, as the command line words it (``levers[0].start:
            2031-01-01 is outside the run (...)``).
    """
    specs = {spec.path: spec for spec in [*scenario_fields(base), *behaviour_fields(base)]}
    changes: dict[str, Any] = {}
    for path, text in values.items():
        spec = specs.get(path)
        if spec is None:
            raise ScenarioError(path, "not a field the dashboard offers")
        value = _parse(path, spec.kind, text)
        if value != spec.default:
            _nest(changes, path, value)
    baseline = with_changes(base, changes) if changes else base
    kinds = {spec.name: spec for spec in lever_specs()}
    on = [choice for choice in levers if choice.on]
    tables = [_lever_table(i, choice, kinds[choice.name]) for i, choice in enumerate(on)]
    described = ", ".join(f"{t['lever']} {t['strength']:g}" for t in tables) or "no reform"
    reform = with_changes(
        baseline,
        {
            "name": f"{base.name}{REFORM_SUFFIX}",
            "description": f"{base.name} with {described}",
            "levers": [*(lever.model_dump() for lever in baseline.levers), *tables],
        },
    )
    return baseline, reform


def field_key(error: ScenarioError, levers: list[LeverChoice]) -> str:
    """The page field an error names: ``lever.NAME.FIELD`` for a reform's, else its path.

    The ``levers[i]`` of an error counts the reforms switched on, in the page's order.
    """
    match = _LEVER_FIELD.match(error.where)
    if match is None:
        return error.where
    on = [choice.name for choice in levers if choice.on]
    index, rest = int(match.group(1)), match.group(2)
    if index >= len(on):
        return error.where
    return f"lever.{on[index]}.{rest.split('.')[0] or 'strength'}"


def lever_choice_defaults() -> list[LeverChoice]:
    """A choice per reform kind, all off, each at full strength from the run's start."""
    choices = []
    for spec in lever_specs():
        extras = {extra.name: extra.choices[0] if extra.choices else "" for extra in spec.extras}
        choices.append(LeverChoice(spec.name, extras=extras))
    return choices


__all__ = [
    "BEHAVIOURS",
    "REFORM_SUFFIX",
    "SECTIONS",
    "ExtraSpec",
    "FieldSpec",
    "LeverChoice",
    "LeverSettings",
    "LeverSpec",
    "behaviour_fields",
    "build_scenarios",
    "field_key",
    "lever_choice_defaults",
    "lever_specs",
    "scenario_fields",
]
