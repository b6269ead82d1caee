"""Checks before anything runs: scenarios against the world, run sizes, comparability.

Scenario files are loaded on a calibration and checked against the world data; a run's size
is estimated and refused beyond the limits; compared scenarios must share a calendar and
some states. Every error names the scenario file as well as the field, so that with several
files it is clear which one is wrong. Nothing here runs a replication or writes a file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from sim.config.loading import Calibration, load_scenario, with_changes
from sim.config.schema import Scenario
from sim.errors import InputError
from sim.experiments import run_size
from sim.world.build import World


def in_file(error: InputError, path: Path) -> InputError:
    """``error`` with the scenario file named first, unless it names the file already."""
    if error.where.startswith(str(path)):
        return error
    return type(error)(f"{path}: {error.where}", error.problem)


def load(path: Path, calibration: Calibration) -> Scenario:
    """Load a scenario file on a calibration; an error names the file as well as the field."""
    try:
        return load_scenario(path, calibration)
    except InputError as exc:
        raise in_file(exc, path) from None


def with_overrides(scenario: Scenario, replications: int | None, seed: int | None) -> Scenario:
    """The scenario with the replications and seed given (those not None)."""
    given = {"replications": replications, "seed": seed}
    changes = {key: value for key, value in given.items() if value is not None}
    return with_changes(scenario, {"simulation": changes}) if changes else scenario


def resolve(scenario: Scenario, path: Path | None = None) -> World:
    """Check the scenario against the world data (ISO codes, states and groups named)."""
    from sim.engine.streams import RandomStreams
    from sim.rules.levers import resolve as resolve_levers
    from sim.world.build import build_world
    from sim.world.data import load_world_data

    try:
        world = build_world(load_world_data(), scenario)
        resolve_levers(scenario, world.states, world.calendar, RandomStreams(0, 0)["levers/join"])
    except InputError as exc:
        raise (exc if path is None else in_file(exc, path)) from None
    return world


def check_size(scenario: Scenario, world: World, workers: int, force: bool, path: Path) -> None:
    """Refuse a run that would not finish or fit in memory (see :mod:`.run_size`)."""
    try:
        run_size.check(run_size.estimate(scenario, world), workers=workers, force=force)
    except InputError as exc:
        raise in_file(exc, path) from None


def comparable_scenarios(
    paths: Sequence[Path],
    calibration: Calibration,
    *,
    replications: int | None = None,
    seed: int | None = None,
) -> list[Scenario]:
    """The compared scenarios, loaded, named apart, with one seed and replication count.

    Raises:
        InputError: for fewer than two files, a bad file, or two scenarios of one name.
    """
    from sim.experiments.compare import common_random_numbers

    if len(paths) < 2:
        raise InputError("compare", f"needs at least two scenario files, got {len(paths)}")
    loaded = [load(path, calibration) for path in paths]
    seen: dict[str, Path] = {}
    for path, scenario in zip(paths, loaded, strict=True):
        if scenario.name in seen:
            raise InputError(
                str(path),
                f"scenario name '{scenario.name}' is also that of {seen[scenario.name]}; "
                "give each compared scenario its own name",
            )
        seen[scenario.name] = path
    return common_random_numbers(loaded, replications, seed)


def check_comparison(
    scenarios: Sequence[Scenario], paths: Sequence[Path], *, workers: int, force: bool
) -> list[str]:
    """Refuse scenarios that cannot be compared or run; the warnings when their worlds differ.

    Raises:
        InputError: for different calendars, no state in common, a run beyond the limits,
            or a scenario that makes no request.
    """
    worlds = [resolve(scenario, path) for scenario, path in zip(scenarios, paths, strict=True)]
    check_calendars(scenarios, paths)
    warnings = check_states(worlds, paths)
    for scenario, world, path in zip(scenarios, worlds, paths, strict=True):
        check_size(scenario, world, workers, force, path)
        if run_size.estimate(scenario, world).requests_per_replication <= 0.0:
            raise InputError(
                f"{path}: demand.scale",
                "the scenario makes no requests (no state opens cases); nothing to compare",
            )
    return warnings


def check_calendars(scenarios: Sequence[Scenario], paths: Sequence[Path]) -> None:
    """Refuse scenarios whose measured periods differ: their pairs would not be pairs.

    Raises:
        InputError: naming the scenario file and the field that differs.
    """
    reference = scenarios[0].simulation
    for scenario, path in zip(scenarios[1:], paths[1:], strict=True):
        for field in ("start", "end", "warm_up_days", "run_out_days", "drain_days"):
            mine, theirs = getattr(scenario.simulation, field), getattr(reference, field)
            if mine != theirs:
                raise InputError(
                    f"{path}: simulation.{field}",
                    f"{mine} differs from {theirs} in {paths[0]}; compared scenarios need "
                    "the same calendar for paired differences",
                )


def check_states(worlds: Sequence[World], paths: Sequence[Path]) -> list[str]:
    """Refuse worlds with no state in common; the warnings (one line each) when they differ.

    Raises:
        InputError: naming the scenario file whose world shares no state with the first.
    """
    warnings = []
    reference = {profile.iso3 for profile in worlds[0].states}
    for world, path in zip(worlds[1:], paths[1:], strict=True):
        states = {profile.iso3 for profile in world.states}
        if not states & reference:
            raise InputError(f"{path}: world.states", f"no state in common with {paths[0]}")
        if states != reference:
            warnings.append(
                f"{path} simulates {len(states)} states and {paths[0]} {len(reference)} "
                f"({len(states & reference)} in common); differences mix the policy with the "
                "change of world"
            )
    return warnings


def overlap(first: Path, second: Path) -> bool:
    """Whether one path is the other or lies inside it (``..`` and links resolved)."""
    a, b = Path(os.path.realpath(first)), Path(os.path.realpath(second))
    return a == b or a in b.parents or b in a.parents
