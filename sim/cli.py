"""The ``mlatsim`` command line: run, validate, world, calibrate.

``run`` and ``validate`` take scenario files; ``calibrate`` refits the baseline to the
published delays, or with ``--check`` compares it with them.

``world`` prints the loaded world data (one row per state: treaty ties, privacy regime, which
facts are unverified) as a terminal table, CSV or JSON, so it can be checked against sources.

User mistakes (a bad scenario, a missing file, a wrong option) end with one line on standard
error naming what is wrong and exit status 2; no traceback and no partial result directory.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.config.loading import (
    load_scenario,
    read_settings,
    scenario_from_settings,
    with_changes,
)
from sim.config.schema import Scenario
from sim.errors import InputError
from sim.world.build import World

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other input error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser with its subcommands."""
    parser = _Parser(
        prog="mlatsim",
        description="Simulate cross-border evidence requests in cybercrime investigations.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="run a scenario and write its results")
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run.add_argument("--out", type=Path, help="result directory (default results/<name>/)")
    run.add_argument("--replications", type=_positive_int, help="override the scenario's")
    run.add_argument("--seed", type=_seed, help="override the scenario's seed")
    run.add_argument(
        "--workers",
        type=_positive_int,
        default=min(os.cpu_count() or 1, 8),
        help="worker processes for replications (default: the machine's cores, at most 8)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--force",
        action="store_true",
        help="run even if the run is expected to exceed the time or memory limits",
    )

    validate = commands.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("scenarios", type=Path, nargs="+", help="scenario files (TOML)")
    validate.add_argument(
        "--workers",
        type=_positive_int,
        default=min(os.cpu_count() or 1, 8),
        help="worker processes the run would use (for its expected time)",
    )
    validate.add_argument(
        "--force", action="store_true", help="accept a run beyond the time or memory limits"
    )

    calibrate = commands.add_parser(
        "calibrate", help="refit the baseline to the published delays, or --check it"
    )
    calibrate.add_argument(
        "scenario",
        type=Path,
        nargs="?",
        default=Path("scenarios/baseline.toml"),
        help="the baseline scenario (default scenarios/baseline.toml)",
    )
    calibrate.add_argument(
        "--check",
        action="store_true",
        help="run the scenario and compare it with every target; exit 1 if any fails",
    )
    calibrate.add_argument(
        "--replications",
        type=_positive_int,
        help="per run (default: the file's for --check, 2 per fit evaluation)",
    )
    calibrate.add_argument("--seed", type=_seed, help="override the scenario's seed")
    calibrate.add_argument(
        "--workers",
        type=_positive_int,
        default=min(os.cpu_count() or 1, 8),
        help="worker processes (default: the machine's cores, at most 8)",
    )
    calibrate.add_argument("--quiet", action="store_true", help="no progress lines")

    compare = commands.add_parser(
        "compare", help="compare scenarios with common random numbers (the first is the reference)"
    )
    compare.add_argument("scenarios", type=Path, nargs="+", help="two or more scenario files")
    compare.add_argument(
        "--replications", type=_positive_int, help="for every scenario (default: the first's)"
    )
    compare.add_argument("--seed", type=_seed, help="for every scenario (default: the first's)")
    compare.add_argument(
        "--by",
        choices=("channel", "region", "requested", "requesting"),
        default="channel",
        help="group requests by this besides 'all' (region: the requested state's)",
    )
    compare.add_argument(
        "--out", type=Path, help="comparison directory (default results/compare_A_vs_B/)"
    )
    compare.add_argument(
        "--workers",
        type=_positive_int,
        default=min(os.cpu_count() or 1, 8),
        help="worker processes for replications (default: the machine's cores, at most 8)",
    )
    compare.add_argument(
        "--quiet", action="store_true", help="no progress bar or table; only the output path"
    )
    compare.add_argument(
        "--force",
        action="store_true",
        help="run even if a run is expected to exceed the time or memory limits",
    )

    world = commands.add_parser("world", help="print the world data, one row per state")
    world.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="terminal table (default), full CSV, or JSON records",
    )
    return parser


def _with_overrides(scenario: Scenario, replications: int | None, seed: int | None) -> Scenario:
    given = {"replications": replications, "seed": seed}
    changes = {key: value for key, value in given.items() if value is not None}
    return with_changes(scenario, {"simulation": changes}) if changes else scenario


def _load(path: Path) -> Scenario:
    """Load a scenario file; an error names the file as well as the field."""
    try:
        return load_scenario(path)
    except InputError as exc:
        raise _in_file(exc, path) from None


def _in_file(error: InputError, path: Path) -> InputError:
    """``error`` with the scenario file named first, unless it names the file already."""
    if error.where.startswith(str(path)):
        return error
    return type(error)(f"{path}: {error.where}", error.problem)


def _resolve(scenario: Scenario, path: Path | None = None) -> World:
    """Check the scenario against the world data (ISO codes, states and groups named)."""
    from sim.engine.streams import RandomStreams
    from sim.rules.levers import resolve
    from sim.world.build import build_world
    from sim.world.data import load_world_data

    try:
        world = build_world(load_world_data(), scenario)
        resolve(scenario, world.states, world.calendar, RandomStreams(0, 0)["levers/join"])
    except InputError as exc:
        raise (exc if path is None else _in_file(exc, path)) from None
    return world


def _check_size(scenario: Scenario, world: World, workers: int, force: bool, path: Path) -> None:
    """Refuse a run that would not finish or fit in memory (see :mod:`sim.experiments.run_size`)."""
    from sim.experiments import run_size

    try:
        run_size.check(run_size.estimate(scenario, world), workers=workers, force=force)
    except InputError as exc:
        raise _in_file(exc, path) from None


def _run(args: argparse.Namespace) -> int:
    from sim.experiments.result_dir import RUN_FORMAT, StagedDirectory
    from sim.experiments.results import write_result_files
    from sim.experiments.runner import run_scenario

    scenario = _with_overrides(_load(args.scenario), args.replications, args.seed)
    world = _resolve(scenario, args.scenario)
    _check_size(scenario, world, args.workers, args.force, args.scenario)
    destination = args.out if args.out is not None else Path("results") / scenario.name
    # Staged before the run, so an unwritable or forbidden destination is said at once.
    with StagedDirectory(destination, RUN_FORMAT) as staged:
        result = run_scenario(scenario, workers=args.workers, show_progress=not args.quiet)
        write_result_files(result, scenario, staged.path, ["mlatsim", *sys.argv[1:]])
        staged.publish()
    if not args.quiet:
        _say(
            f"{scenario.name}: {len(result.requests):,} requests in "
            f"{scenario.simulation.replications} replication(s), {result.seconds:.1f} s "
            f"-> {destination}"
        )
    return 0


def _validate(args: argparse.Namespace) -> int:
    for path in args.scenarios:
        try:
            settings = read_settings(path)
            scenario = scenario_from_settings(settings, path)
        except InputError as exc:
            raise _in_file(exc, path) from None
        world = _resolve(scenario, path)
        _check_size(scenario, world, args.workers, args.force, path)
        note = "" if settings else "; the file sets nothing, so every value is the default"
        _say(f"{path}: valid ({scenario.name}){note}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from importlib import resources

    from sim.experiments import calibration
    from sim.experiments.runner import run_scenario

    scenario = _with_overrides(_load(args.scenario), None, args.seed)
    _resolve(scenario, args.scenario)
    if args.check:
        if args.replications is not None:
            scenario = _with_overrides(scenario, args.replications, None)
        result = run_scenario(scenario, workers=args.workers, show_progress=not args.quiet)
        rows = calibration.check(result, scenario)
        print(
            f"{scenario.name}: {scenario.simulation.replications} replications, "
            f"seed {scenario.simulation.seed}, {len(result.requests):,} requests"
        )
        print(calibration.format_check(rows))
        return 0 if all(row.passed for row in rows) else 1
    replications = args.replications or 2
    report = (lambda _: None) if args.quiet else (lambda line: print(line, flush=True))
    fit = calibration.calibrate(
        scenario, replications=replications, workers=args.workers, report=report
    )
    data_dir = Path(str(resources.files("sim").joinpath("data")))
    calibration.write_fit(fit, scenario, data_dir, replications=replications)
    print(
        f"fitted: formal time scale {fit.time_scale:.3f}, main-authority caseload "
        f"{fit.backlog_days:.1f} days, urgent formal factor {fit.urgent_factor:.3f} "
        f"({fit.evaluations} evaluations) -> {data_dir}"
    )
    return 0


def _compare_calendar(scenarios: list[Scenario], paths: list[Path]) -> None:
    """Refuse scenarios whose measured periods differ: their pairs would not be pairs."""
    reference = scenarios[0].simulation
    for scenario, path in zip(scenarios[1:], paths[1:], strict=True):
        for field in ("start", "end", "warm_up_days", "drain_days"):
            mine, theirs = getattr(scenario.simulation, field), getattr(reference, field)
            if mine != theirs:
                raise InputError(
                    f"{path}: simulation.{field}",
                    f"{mine} differs from {theirs} in {paths[0]}; compared scenarios need "
                    "the same calendar for paired differences",
                )


def _compare_states(worlds: list[World], paths: list[Path]) -> None:
    """Refuse scenarios with no state in common; warn (one line) when their states differ."""
    reference = {profile.iso3 for profile in worlds[0].states}
    for world, path in zip(worlds[1:], paths[1:], strict=True):
        states = {profile.iso3 for profile in world.states}
        if not states & reference:
            raise InputError(f"{path}: world.states", f"no state in common with {paths[0]}")
        if states != reference:
            sys.stderr.write(
                f"mlatsim: warning: {path} simulates {len(states)} states and {paths[0]} "
                f"{len(reference)} ({len(states & reference)} in common); differences mix the "
                "policy with the change of world\n"
            )


def _compare(args: argparse.Namespace) -> int:
    from sim.analysis import comparison
    from sim.experiments import compare, run_size
    from sim.experiments.result_dir import COMPARISON_FORMAT, StagedDirectory, check_destination

    if len(args.scenarios) < 2:
        raise InputError("compare", f"needs at least two scenario files, got {len(args.scenarios)}")
    loaded = [_load(path) for path in args.scenarios]
    seen: dict[str, Path] = {}
    for path, scenario in zip(args.scenarios, loaded, strict=True):
        if scenario.name in seen:
            raise InputError(
                str(path),
                f"scenario name '{scenario.name}' is also that of {seen[scenario.name]}; "
                "give each compared scenario its own name",
            )
        seen[scenario.name] = path
    scenarios = compare.common_random_numbers(loaded, args.replications, args.seed)
    worlds = [_resolve(s, path) for s, path in zip(scenarios, args.scenarios, strict=True)]
    _compare_calendar(scenarios, args.scenarios)
    _compare_states(worlds, args.scenarios)
    for scenario, world, path in zip(scenarios, worlds, args.scenarios, strict=True):
        _check_size(scenario, world, args.workers, args.force, path)
        if run_size.estimate(scenario, world).requests_per_replication <= 0.0:
            raise InputError(
                f"{path}: demand.scale",
                "the scenario makes no requests (no state opens cases); nothing to compare",
            )
    names = [scenario.name for scenario in scenarios]
    destination = args.out if args.out is not None else compare.default_destination(names)
    directories = [Path("results") / name for name in names]
    for directory in directories:
        # The comparison must neither be a scenario's run nor hold one: it would replace it.
        if _overlap(destination, directory):
            raise InputError(
                "--out",
                f"'{destination}' is or holds the result directory '{directory}' of a compared "
                "scenario; choose a directory of its own",
            )
    check_destination(destination, COMPARISON_FORMAT)
    command = ["mlatsim", *sys.argv[1:]]
    runs = []
    for scenario, directory in zip(scenarios, directories, strict=True):
        run = compare.obtain_run(
            scenario,
            directory,
            workers=args.workers,
            show_progress=not args.quiet,
            command=command,
        )
        runs.append(run)
        if run.note:
            sys.stderr.write(f"mlatsim: note: {run.note}\n")
        if not args.quiet:
            how = (
                "reused (same resolved scenario)"
                if run.reused
                else f"ran {len(run.result.requests):,} requests in {run.result.seconds:.1f} s"
            )
            _say(f"{run.name}: {how} -> {run.directory}")
    result = comparison.compare(runs, by=args.by)
    with StagedDirectory(destination, COMPARISON_FORMAT) as staged:
        compare.write_comparison_files(result, runs, staged.path, command)
        staged.publish()
    if not args.quiet:
        _say(f"\n{comparison.format_table(result)}\n")
    _say(f"comparison -> {destination}")
    return 0


def _overlap(first: Path, second: Path) -> bool:
    """Whether one path is the other or lies inside it (``..`` and links resolved)."""
    a, b = Path(os.path.realpath(first)), Path(os.path.realpath(second))
    return a == b or a in b.parents or b in a.parents


def _say(text: str) -> None:
    """Print a line; if the reader has gone (``| head``), carry on without output.

    Raises:
        InputError: if standard output cannot be written (a full disk behind it).
    """
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:
        _silence_stdout()
        raise InputError("standard output", f"cannot be written ({exc.strerror})") from None


def _silence_stdout() -> None:
    """Send what is left of standard output to nowhere, so exiting cannot fail on it."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _world(args: argparse.Namespace) -> int:
    from sim.world.data import load_world_data
    from sim.world.table import format_world, world_table

    text = format_world(world_table(load_world_data()), args.format)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (``| head``): not an error to report with a traceback.
        _silence_stdout()
        return 128 + 13  # what a shell reports for a process ended by SIGPIPE
    except OSError as exc:
        _silence_stdout()
        raise InputError("standard output", f"cannot be written ({exc.strerror})") from None
    return 0


def _prepare_process() -> None:
    """Make the process robust to its environment before any work starts.

    Output that the terminal's encoding cannot show (an ASCII-only locale) is escaped
    rather than fatal. The figures are drawn on matplotlib's Agg canvas and need no
    backend, so a ``MPLBACKEND`` naming one that does not exist must not stop a run:
    matplotlib validates the variable on import, in this process and in workers.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    os.environ["MPLBACKEND"] = "agg"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mlatsim`` command."""
    from sim.experiments.interrupt import Terminated, handle_termination

    _prepare_process()
    handle_termination()
    args = build_parser().parse_args(argv)
    commands = {
        "run": _run,
        "world": _world,
        "calibrate": _calibrate,
        "compare": _compare,
        "validate": _validate,
    }
    try:
        return commands[args.command](args)
    except InputError as exc:
        # A key or path may hold a line break; the error must stay one line.
        line = str(exc).replace("\r", "\\r").replace("\n", "\\n")
        sys.stderr.write(f"mlatsim: error: {line}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("mlatsim: interrupted\n")
        return 130
    except Terminated:
        sys.stderr.write("mlatsim: terminated\n")
        return 143


if __name__ == "__main__":
    raise SystemExit(main())
