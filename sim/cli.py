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

from sim.errors import InputError
from sim.scenario import Scenario, load_scenario, validate_settings

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

    validate = commands.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("scenarios", type=Path, nargs="+", help="scenario files (TOML)")

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

    world = commands.add_parser("world", help="print the world data, one row per state")
    world.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="terminal table (default), full CSV, or JSON records",
    )
    return parser


def _with_overrides(scenario: Scenario, replications: int | None, seed: int | None) -> Scenario:
    settings = scenario.model_dump()
    if replications is not None:
        settings["simulation"]["replications"] = replications
    if seed is not None:
        settings["simulation"]["seed"] = seed
    return validate_settings(settings)


def _resolve(scenario: Scenario) -> None:
    """Check the scenario against the world data (ISO codes, states and groups named)."""
    from sim.levers import resolve
    from sim.streams import RandomStreams
    from sim.world import build_world
    from sim.world_data import load_world_data

    world = build_world(load_world_data(), scenario)
    resolve(scenario, world.states, world.calendar, RandomStreams(0, 0)["levers/join"])


def _check_destination(destination: Path) -> None:
    """Refuse a result directory that cannot be made, before any time is spent running."""
    if destination.exists() and not destination.is_dir():
        raise InputError("--out", f"'{destination}' exists and is not a directory")
    for parent in destination.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError("--out", f"'{parent}' is a file, not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise InputError("--out", f"'{parent}' is not writable")
            return


def _run(args: argparse.Namespace) -> int:
    from sim.results import write_results
    from sim.runner import run_scenario

    scenario = _with_overrides(load_scenario(args.scenario), args.replications, args.seed)
    _resolve(scenario)
    destination = args.out if args.out is not None else Path("results") / scenario.name
    _check_destination(destination)
    result = run_scenario(scenario, workers=args.workers, show_progress=not args.quiet)
    write_results(result, scenario, destination, ["mlatsim", *sys.argv[1:]])
    if not args.quiet:
        print(
            f"{scenario.name}: {len(result.requests):,} requests in "
            f"{scenario.simulation.replications} replication(s), {result.seconds:.1f} s "
            f"-> {destination}"
        )
    return 0


def _validate(args: argparse.Namespace) -> int:
    for path in args.scenarios:
        scenario = load_scenario(path)
        _resolve(scenario)
        print(f"{path}: valid ({scenario.name})")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from importlib import resources

    from sim import calibration
    from sim.runner import run_scenario

    scenario = _with_overrides(load_scenario(args.scenario), None, args.seed)
    _resolve(scenario)
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


def _compare(args: argparse.Namespace) -> int:
    from sim import comparison

    if len(args.scenarios) < 2:
        raise InputError("compare", f"needs at least two scenario files, got {len(args.scenarios)}")
    loaded = [load_scenario(path) for path in args.scenarios]
    seen: dict[str, Path] = {}
    for path, scenario in zip(args.scenarios, loaded, strict=True):
        if scenario.name in seen:
            raise InputError(
                str(path),
                f"scenario name '{scenario.name}' is also that of {seen[scenario.name]}; "
                "give each compared scenario its own name",
            )
        seen[scenario.name] = path
    scenarios = comparison.common_random_numbers(loaded, args.replications, args.seed)
    for scenario in scenarios:
        _resolve(scenario)
    names = [scenario.name for scenario in scenarios]
    destination = args.out if args.out is not None else comparison.default_destination(names)
    _check_destination(destination)
    directories = [Path("results") / name for name in names]
    for directory in directories:
        try:
            _check_destination(directory)
        except InputError as exc:
            raise InputError(str(directory), exc.problem) from None
        if directory.absolute() == destination.absolute():
            raise InputError("--out", f"'{destination}' is the result directory of a scenario")
    command = ["mlatsim", *sys.argv[1:]]
    runs = []
    for scenario, directory in zip(scenarios, directories, strict=True):
        run = comparison.obtain_run(
            scenario,
            directory,
            workers=args.workers,
            show_progress=not args.quiet,
            command=command,
        )
        runs.append(run)
        if not args.quiet:
            how = (
                "reused (same resolved scenario)"
                if run.reused
                else f"ran {len(run.result.requests):,} requests in {run.result.seconds:.1f} s"
            )
            _say(f"{run.name}: {how} -> {directory}")
    result = comparison.compare(runs, by=args.by)
    comparison.write_comparison(result, runs, destination, command)
    if not args.quiet:
        _say(f"\n{comparison.format_table(result)}\n")
    _say(f"comparison -> {destination}")
    return 0


def _say(text: str) -> None:
    """Print a line; if the reader has gone (``| head``), carry on without output."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _world(args: argparse.Namespace) -> int:
    from sim.world_data import load_world_data
    from sim.world_table import format_world, world_table

    text = format_world(world_table(load_world_data()), args.format)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (``| head``): not an error to report with a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # what a shell reports for a process ended by SIGPIPE
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mlatsim`` command."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "world":
            return _world(args)
        if args.command == "calibrate":
            return _calibrate(args)
        if args.command == "compare":
            return _compare(args)
        return _validate(args)
    except InputError as exc:
        # A key or path may hold a line break; the error must stay one line.
        line = str(exc).replace("\r", "\\r").replace("\n", "\\n")
        sys.stderr.write(f"mlatsim: error: {line}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("mlatsim: interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
