"""The ``mlatsim`` command line and its ten subcommands.

They are run, validate, compare, calibrate, world, providers, sweep, sensitivity, dashboard and
trace.

``run`` and ``validate`` take scenario files, ``compare`` two or more; ``calibrate`` refits the
baseline to the published delays into a directory of its own (``--out``), or with ``--check``
compares a calibrated run with them. Each of these takes ``--calibration FILE|DIR|none``: the
fitted values laid over the defaults, by default the packaged ``sim/data/calibration.toml``
(none when the ``MLATSIM_UNCALIBRATED`` environment variable is set).

``sweep`` runs a scenario over a design of field values, stores each point as it finishes
and resumes where it stopped (:mod:`sim.experiments.sweep`); ``sensitivity`` runs a Morris or
Sobol design over assumed parameters' ranges the same way and ranks them
(:mod:`sim.experiments.sensitivity`). Both run their points on worker processes or, with
``--scheduler``, on a Dask cluster.

``dashboard`` serves a local web page (:mod:`sim.dashboard`) that runs reforms against the
teaching world through the same runner, store and comparison as ``compare``.

``trace`` tells one request's story from a run's result directory: each stage and queue
wait, the channels tried, preservation, returns, and the rule behind its outcome
(:mod:`sim.analysis.trace`).

``world`` prints the loaded world data (one row per state: treaty ties, privacy regime, which
facts are unverified) as a terminal table, CSV or JSON, so it can be checked against sources.
``providers`` prints the listed service providers and, for each requesting state, the rate
each answers direct requests at, published or from which step of the fallback rule
(:mod:`sim.analysis.providers_table`).

User mistakes (a bad scenario, a missing file, a wrong option) end with one line on standard
error naming what is wrong and exit status 2; no traceback and no partial result directory. A
replication that fails otherwise ends the run with one line and exit status 1.

The module is over 400 lines because it holds each of the ten subcommands' options and steps
(one small function each); the work itself, and the checks before it, are in
:mod:`sim.experiments`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sim.config.loading import (
    NO_CALIBRATION,
    Calibration,
    default_calibration,
    read_calibration,
    read_settings,
    scenario_from_settings,
    with_changes,
)
from sim.config.schema import Scenario
from sim.errors import InputError
from sim.experiments import preflight

if TYPE_CHECKING:
    from sim.experiments.sweep import SweepOutcome

EXIT_USAGE = 2
EXIT_FAILED = 1
DEFAULT_WORKERS = min(os.cpu_count() or 1, 8)


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
    _add_run(commands)
    _add_validate(commands)
    _add_calibrate(commands)
    _add_compare(commands)
    _add_world(commands)
    _add_providers(commands)
    _add_sweep(commands)
    _add_sensitivity(commands)
    _add_dashboard(commands)
    _add_trace(commands)
    return parser


def _add_workers(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=DEFAULT_WORKERS,
        help=f"worker processes{what} (default: the machine's cores, at most 8)",
    )


def _add_calibration(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--calibration",
        metavar="FILE|DIR|none",
        help="fitted values laid over the defaults: a calibration file, a directory written "
        "by 'calibrate --out', or 'none' (default: the packaged sim/data/calibration.toml)",
    )


def _add_force(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--force", action="store_true", help=help_text)


def _add_run(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run a scenario and write its results")
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run.add_argument("--out", type=Path, help="result directory (default results/<name>/)")
    run.add_argument("--replications", type=_positive_int, help="override the scenario's")
    run.add_argument("--seed", type=_seed, help="override the scenario's seed")
    _add_calibration(run)
    _add_workers(run, " for replications")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--timeline",
        action=argparse.BooleanOptionalAction,
        help="keep (or, with --no-timeline, do not keep) the timeline of each request's stages "
        "(timeline.parquet, read by 'trace'), whatever the scenario's simulation.timeline says; "
        "the request rows are the same",
    )
    _add_force(run, "run even if the run is expected to exceed the time or memory limits")


def _add_validate(commands: argparse._SubParsersAction) -> None:
    validate = commands.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("scenarios", type=Path, nargs="+", help="scenario files (TOML)")
    _add_calibration(validate)
    _add_workers(validate, " the run would use (for its expected time)")
    _add_force(validate, "accept a run beyond the time or memory limits")


def _add_calibrate(commands: argparse._SubParsersAction) -> None:
    calibrate = commands.add_parser(
        "calibrate", help="refit the baseline to the published delays (--out DIR), or --check it"
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
        "--out",
        type=Path,
        metavar="DIR",
        help="directory for the fitted calibration (required for a fit; never inside the "
        "installed package)",
    )
    _add_calibration(calibrate)
    calibrate.add_argument(
        "--replications",
        type=_positive_int,
        help="per run (default: the file's for --check, 2 per fit evaluation)",
    )
    calibrate.add_argument("--seed", type=_seed, help="override the scenario's seed")
    _add_workers(calibrate, "")
    calibrate.add_argument("--quiet", action="store_true", help="no progress lines")


def _add_compare(commands: argparse._SubParsersAction) -> None:
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
    _add_calibration(compare)
    _add_workers(compare, " for replications")
    compare.add_argument(
        "--quiet", action="store_true", help="no progress bar or table; only the output path"
    )
    _add_force(compare, "run even if a run is expected to exceed the time or memory limits")


def _add_world(commands: argparse._SubParsersAction) -> None:
    world = commands.add_parser("world", help="print the world data, one row per state")
    world.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="terminal table (default), full CSV, or JSON records",
    )


def _add_providers(commands: argparse._SubParsersAction) -> None:
    providers = commands.add_parser(
        "providers",
        help="list the service providers and their direct-request answer rates",
    )
    providers.add_argument(
        "--provider", metavar="NAME", help="only this provider (e.g. meta or Meta)"
    )
    providers.add_argument(
        "--requesting",
        metavar="ISO3",
        help="only this requesting state: the rate every provider applies to it",
    )
    providers.add_argument(
        "--format",
        choices=("text", "csv"),
        default="text",
        help="terminal tables (default) or CSV, one row per provider and state",
    )


def _add_sweep(commands: argparse._SubParsersAction) -> None:
    sweep = commands.add_parser(
        "sweep", help="run a scenario over a design of field values (resumable)"
    )
    sweep.add_argument("spec", type=Path, help="sweep file (TOML; see docs/experiments.md)")
    _add_point_options(sweep, "sweep directory (default results/sweeps/<name>/); resumed")


def _add_sensitivity(commands: argparse._SubParsersAction) -> None:
    sensitivity = commands.add_parser(
        "sensitivity",
        help="rank assumed parameters by their effect on metrics (Morris or Sobol; resumable)",
    )
    sensitivity.add_argument(
        "spec", type=Path, help="sensitivity file (TOML; see docs/experiments.md)"
    )
    sensitivity.add_argument(
        "--method",
        choices=("morris", "sobol"),
        default="morris",
        help="Morris screening (mu*, sigma; default) or Sobol indices (first and total order)",
    )
    _add_point_options(
        sensitivity, "its directory (default results/sensitivity/<name>-<method>/); resumed"
    )


def _add_point_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    """The options of commands that run a design's points (``sweep``, ``sensitivity``)."""
    parser.add_argument("--out", type=Path, help=out_help)
    parser.add_argument(
        "--retry-failed", action="store_true", help="run again the points stored as failed"
    )
    _add_calibration(parser)
    _add_workers(parser, " for points (or local Dask workers with --scheduler local)")
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS|local",
        help="run the points on a Dask cluster: a scheduler's address (tcp://host:8786), or "
        "'local' for a local cluster of --workers processes (default: worker processes)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    _add_force(parser, "run even if a point is expected to exceed the time or memory limits")


def _add_dashboard(commands: argparse._SubParsersAction) -> None:
    dashboard = commands.add_parser(
        "dashboard", help="serve a local web page to run reforms against the teaching world"
    )
    dashboard.add_argument(
        "scenario",
        type=Path,
        nargs="?",
        default=Path("scenarios/teaching.toml"),
        help="the world the page starts from (default scenarios/teaching.toml)",
    )
    dashboard.add_argument(
        "--port", type=_positive_int, help="port on 127.0.0.1 (default 8765, or a free one)"
    )
    _add_calibration(dashboard)
    _add_workers(dashboard, " for a run")


def _add_trace(commands: argparse._SubParsersAction) -> None:
    trace = commands.add_parser(
        "trace", help="tell one request's story from a run's result directory"
    )
    trace.add_argument("result", type=Path, metavar="RESULT_DIR", help="a run's result directory")
    which = trace.add_mutually_exclusive_group(required=True)
    which.add_argument("--request", type=_seed, metavar="ID", help="the request's id")
    which.add_argument(
        "--pick",
        choices=("slow", "refused", "lost"),
        help="a typical slow (formal MLA, 90th percentile), refused or lost request, the "
        "same one every time",
    )
    trace.add_argument(
        "--replication", type=_seed, default=0, metavar="N", help="replication (default 0)"
    )


def _calibration(args: argparse.Namespace) -> Calibration:
    """The calibration ``--calibration`` names (the default one without it).

    Raises:
        InputError: naming ``--calibration`` and the file if it cannot be used.
    """
    text = args.calibration
    if text is None:
        chosen = default_calibration()
    elif text == "none":
        chosen = NO_CALIBRATION
    else:
        try:
            chosen = read_calibration(text)
        except InputError as exc:
            raise type(exc)(f"--calibration {exc.where}", exc.problem) from None
    return chosen


def _run(args: argparse.Namespace) -> int:
    from sim.analysis.report import format_loss, format_needs
    from sim.experiments.inputs import RunInputs
    from sim.experiments.result_dir import RUN_FORMAT, StagedDirectory
    from sim.experiments.results import write_result_files
    from sim.experiments.runner import run_scenario

    calibration = _calibration(args)
    loaded = preflight.load(args.scenario, calibration)
    scenario = preflight.with_overrides(loaded, args.replications, args.seed)
    if args.timeline is not None:
        scenario = with_changes(scenario, {"simulation": {"timeline": args.timeline}})
    world = preflight.resolve(scenario, args.scenario)
    preflight.check_size(scenario, world, args.workers, args.force, args.scenario)
    inputs = RunInputs(scenario, calibration)
    destination = args.out if args.out is not None else Path("results") / scenario.name
    # Staged before the run, so an unwritable or forbidden destination is said at once.
    with StagedDirectory(destination, RUN_FORMAT) as staged:
        result = run_scenario(scenario, workers=args.workers, show_progress=not args.quiet)
        summary = write_result_files(result, inputs, staged.path, ["mlatsim", *sys.argv[1:]])
        staged.publish()
    if not args.quiet:
        _say(
            f"{scenario.name}: {len(result.requests):,} requests in "
            f"{scenario.simulation.replications} replication(s), {result.seconds:.1f} s "
            f"-> {destination}"
        )
        _say(format_needs(summary["evidence_needs"]))
        _say(format_loss(summary["loss"]))
    return 0


def _validate(args: argparse.Namespace) -> int:
    """Check every file named, each bad one on its own error line (exit 2 if any is bad)."""
    calibration = _calibration(args)
    bad = 0
    for path in args.scenarios:
        try:
            _validate_one(path, calibration, args)
        except InputError as exc:
            _error(str(exc))
            bad += 1
    return EXIT_USAGE if bad else 0


def _validate_one(path: Path, calibration: Calibration, args: argparse.Namespace) -> None:
    try:
        settings = read_settings(path)
        scenario = scenario_from_settings(settings, path, calibration)
    except InputError as exc:
        raise preflight.in_file(exc, path) from None
    world = preflight.resolve(scenario, path)
    preflight.check_size(scenario, world, args.workers, args.force, path)
    note = "" if settings else "; the file sets nothing, so every value is the default"
    _say(f"{path}: valid ({scenario.name}){note}")


def _calibrate(args: argparse.Namespace) -> int:
    from sim.experiments.calibration_files import check_outside_package

    if args.check and args.out is not None:
        raise InputError("--out", "--check writes nothing; give --out to a fit only")
    if not args.check:
        if args.out is None:
            raise InputError(
                "--out",
                "a fit needs a directory for the calibration it writes (never inside the "
                "installed package); give --out DIR",
            )
        check_outside_package(args.out)
    calibration = _calibration(args)
    scenario = preflight.with_overrides(preflight.load(args.scenario, calibration), None, args.seed)
    # A fit and its check read the request rows only: no story is told from their runs.
    scenario = with_changes(scenario, {"simulation": {"timeline": False}})
    preflight.resolve(scenario, args.scenario)
    if args.check:
        return _calibration_check(args, scenario)
    return _calibration_fit(args, scenario, calibration)


def _calibration_check(args: argparse.Namespace, scenario: Scenario) -> int:
    from sim.analysis.stationarity_report import format_report
    from sim.experiments.calibration_targets import check, format_check, stationarity
    from sim.experiments.runner import run_scenario

    scenario = preflight.with_overrides(scenario, args.replications, None)
    result = run_scenario(scenario, workers=args.workers, show_progress=not args.quiet)
    rows = check(result, scenario)
    _say(
        f"{scenario.name}: {scenario.simulation.replications} replications, "
        f"seed {scenario.simulation.seed}, {len(result.requests):,} requests"
    )
    _say(format_check(rows))
    _say("")
    _say(format_report(stationarity(result, scenario)))
    return 0 if all(row.passed for row in rows) else 1


def _calibration_fit(args: argparse.Namespace, scenario: Scenario, calibration: Calibration) -> int:
    from sim.experiments.calibration import calibrate
    from sim.experiments.calibration_files import write_calibration_files
    from sim.experiments.inputs import RunInputs
    from sim.experiments.result_dir import CALIBRATION_FORMAT, StagedDirectory

    replications = args.replications or 2
    report = (lambda _: None) if args.quiet else _say
    # Staged before the fit, so an unwritable or forbidden directory is said at once.
    with StagedDirectory(args.out, CALIBRATION_FORMAT) as staged:
        fit = calibrate(scenario, replications=replications, workers=args.workers, report=report)
        write_calibration_files(
            fit,
            RunInputs(scenario, calibration),
            staged.path,
            replications=replications,
            command=["mlatsim", *sys.argv[1:]],
        )
        staged.publish()
    _say(
        f"fitted: formal time scale {fit.time_scale:.3f}, pursuit scale {fit.pursuit:.4f} "
        f"({fit.evaluations} evaluations) -> {args.out}\n"
        f"check it with: mlatsim calibrate --check --calibration {args.out}"
    )
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sim.analysis import comparison, report
    from sim.experiments import compare
    from sim.experiments.inputs import RunInputs
    from sim.experiments.result_dir import COMPARISON_FORMAT, StagedDirectory, check_destination
    from sim.experiments.store import ResultStore

    calibration = _calibration(args)
    scenarios = preflight.comparable_scenarios(
        args.scenarios, calibration, replications=args.replications, seed=args.seed
    )
    warnings = preflight.check_comparison(
        scenarios, args.scenarios, workers=args.workers, force=args.force
    )
    for warning in warnings:
        sys.stderr.write(f"mlatsim: warning: {warning}\n")
    names = [scenario.name for scenario in scenarios]
    destination = args.out if args.out is not None else compare.default_destination(names)
    store = ResultStore(Path("results"))
    inputs = [RunInputs(scenario, calibration) for scenario in scenarios]
    for given in inputs:
        # The comparison must neither be a scenario's run nor hold one: it would replace it.
        if preflight.overlap(destination, store.home(given)):
            raise InputError(
                "--out",
                f"'{destination}' is or holds the result directory '{store.home(given)}' of a "
                "compared scenario; choose a directory of its own",
            )
    check_destination(destination, COMPARISON_FORMAT)
    command = ["mlatsim", *sys.argv[1:]]
    runs = []
    for given in inputs:
        run = compare.obtain_run(
            given, store, workers=args.workers, show_progress=not args.quiet, command=command
        )
        runs.append(run)
        if run.note:
            sys.stderr.write(f"mlatsim: note: {run.note}\n")
        if not args.quiet:
            how = (
                "reused (same inputs)"
                if run.reused
                else f"ran {len(run.result.requests):,} requests in {run.result.seconds:.1f} s"
            )
            _say(f"{run.name}: {how} -> {run.directory}")
    result = comparison.compare(runs, by=args.by)
    with StagedDirectory(destination, COMPARISON_FORMAT) as staged:
        compare.write_comparison_files(result, runs, staged.path, command, inputs)
        staged.publish()
    if not args.quiet:
        _say(f"\n{report.format_table(result)}\n")
    _say(f"comparison -> {destination}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiments import sweep
    from sim.experiments.sweep_spec import read_sweep

    calibration = _calibration(args)
    spec = read_sweep(args.spec, calibration)
    sweep.check_points(spec, workers=args.workers, force=args.force)
    destination = args.out if args.out is not None else sweep.default_destination(spec)
    outcome = sweep.run_sweep(spec, calibration, destination, **_point_options(args))
    if outcome.failed:
        return _failed_points(outcome, destination)
    _say(
        f"sweep {spec.name}: {outcome.points} point(s), {outcome.ran} run now, "
        f"{outcome.reused} stored before, {outcome.seconds:.1f} s -> {destination}"
    )
    return 0


def _sensitivity(args: argparse.Namespace) -> int:
    from sim.experiments import sensitivity, sweep
    from sim.experiments.sensitivity_spec import read_sensitivity

    calibration = _calibration(args)
    spec = read_sensitivity(args.spec, args.method, calibration)
    sweep.check_points(spec.sweep, workers=args.workers, force=args.force)
    destination = args.out if args.out is not None else sensitivity.default_destination(spec)
    outcome, table = sensitivity.run_sensitivity(
        spec, calibration, destination, **_point_options(args)
    )
    if not args.quiet:
        for metric in spec.sweep.metrics:
            ranked = ", ".join(sensitivity.top(table, metric)) or "(no values)"
            _say(f"{metric}: {ranked}")
    if outcome.failed:
        return _failed_points(outcome, destination)
    _say(
        f"sensitivity {spec.sweep.name}: {args.method}, {outcome.points} point(s), "
        f"{outcome.ran} run now, {outcome.reused} stored before, {outcome.seconds:.1f} s "
        f"-> {destination / sensitivity.TABLE}"
    )
    return 0


def _point_options(args: argparse.Namespace) -> dict[str, object]:
    """What ``run_sweep`` takes from the options of a command that runs points."""
    return {
        "workers": args.workers,
        "scheduler": args.scheduler,
        "retry_failed": args.retry_failed,
        "report": None if args.quiet else (lambda line: sys.stderr.write(f"{line}\n")),
        "command": ["mlatsim", *sys.argv[1:]],
    }


def _failed_points(outcome: SweepOutcome, destination: Path) -> int:
    _error(
        f"{outcome.failed} of {outcome.points} point(s) failed (their errors are in "
        f"{destination / 'failures.csv'}); run again with --retry-failed to retry them"
    )
    return EXIT_FAILED


def _dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard until Ctrl-C; a bad scenario or port is one line, before serving."""
    from sim.dashboard.server import choose_port, serve

    calibration = _calibration(args)
    preflight.resolve(preflight.load(args.scenario, calibration), args.scenario)
    port = choose_port(args.port)
    serve(args.scenario, calibration, args.workers, port, say=_say)


def _trace(args: argparse.Namespace) -> int:
    from sim.analysis.trace import format_story, load_story, pick_request

    request = args.request
    if request is None:
        request = pick_request(args.result, args.pick, args.replication)
    _say(format_story(load_story(args.result, request, args.replication)))
    return 0


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


def _providers(args: argparse.Namespace) -> int:
    from sim.analysis.providers_table import (
        default_domestic_rate,
        format_providers,
        rate_records,
        select_provider,
        select_state,
    )
    from sim.world.data import load_world_data

    data = load_world_data()
    shown = list(data.providers)
    if args.provider is not None:
        shown = [select_provider(data, args.provider)]
    states = None if args.requesting is None else [select_state(data, args.requesting)]
    domestic = default_domestic_rate()
    records = rate_records(data, domestic, shown, states)
    _say(format_providers(shown, records, domestic, args.format).removesuffix("\n"))
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


def _error(text: str) -> None:
    """Write an error as one line (a key or path may hold a line break)."""
    line = text.replace("\r", "\\r").replace("\n", "\\n")
    sys.stderr.write(f"mlatsim: error: {line}\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mlatsim`` command."""
    from sim.experiments.failures import ReplicationError
    from sim.experiments.interrupt import Terminated, handle_termination

    _prepare_process()
    handle_termination()
    args = build_parser().parse_args(argv)
    commands = {
        "run": _run,
        "world": _world,
        "providers": _providers,
        "calibrate": _calibrate,
        "compare": _compare,
        "validate": _validate,
        "sweep": _sweep,
        "sensitivity": _sensitivity,
        "dashboard": _dashboard,
        "trace": _trace,
    }
    try:
        return commands[args.command](args)
    except InputError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except ReplicationError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("mlatsim: interrupted\n")
        return 130
    except Terminated:
        sys.stderr.write("mlatsim: terminated\n")
        return 143


if __name__ == "__main__":
    raise SystemExit(main())
