"""Comparisons run: scenarios aligned, stored runs reused, the comparison directory written.

A scenario whose result directory already holds a run of the same resolved scenario (same
seed and replications included) is read back instead of run again; the manifest's resolved
scenario is what identifies the run. The statistics of a comparison are those of
:mod:`sim.analysis.comparison`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.comparison import (
    CI_METHOD,
    Comparison,
    _measured_window,
    figure_tables,
    format_markdown,
)
from sim.analysis.runs import RunResult, ScenarioRun
from sim.config.loading import digest, scenario_digest, with_changes
from sim.config.schema import Scenario
from sim.experiments.result_dir import COMPARISON_FORMAT, MANIFEST, StagedDirectory, result_format
from sim.experiments.results import write_results
from sim.experiments.runner import run_scenario


def common_random_numbers(
    scenarios: Sequence[Scenario], replications: int | None = None, seed: int | None = None
) -> list[Scenario]:
    """The scenarios with one seed and one replication count, so they share random numbers.

    Args:
        scenarios: The scenarios to compare, the reference first.
        replications: Replications for all; the first scenario's when None.
        seed: Seed for all; the first scenario's when None.
    """
    if not scenarios:
        return []
    first = scenarios[0].simulation
    replications = first.replications if replications is None else replications
    seed = first.seed if seed is None else seed
    changes = {"simulation": {"replications": replications, "seed": seed}}
    return [with_changes(scenario, changes) for scenario in scenarios]


def reusable_result(directory: Path, scenario: Scenario) -> RunResult | None:
    """The run stored in ``directory`` if it is a complete run of exactly this scenario.

    The manifest's resolved scenario (seed and replications included) must hash to the same
    digest as ``scenario``, and both tables must be readable and hold every replication.
    Anything else (no directory, another scenario, a damaged file) gives None.
    """
    directory = Path(directory)
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or "scenario" not in manifest:
        return None
    if digest(manifest["scenario"]) != scenario_digest(scenario):
        return None
    try:
        requests = pd.read_parquet(directory / "requests.parquet")
        timeseries = pd.read_parquet(directory / "timeseries.parquet")
    except (OSError, ValueError):
        return None
    expected = set(range(scenario.simulation.replications))
    if "replication" not in requests or set(requests["replication"].unique()) != expected:
        return None
    seconds = manifest.get("replication_seconds") or []
    return RunResult(
        requests=requests,
        timeseries=timeseries,
        seconds=float(manifest.get("run_seconds") or 0.0),
        replication_seconds=tuple(float(s) for s in seconds),
    )


def beside(directory: Path, scenario: Scenario) -> Path:
    """Where a run goes when ``directory`` holds something else: named by its digest."""
    directory = Path(directory)
    return directory.with_name(f"{directory.name}-{scenario_digest(scenario)[:10]}")


def _describe(directory: Path) -> str:
    """A few words on what ``directory`` holds, for the note that a run went beside it."""
    if result_format(directory) is None:
        return "holds files that are not this run"
    try:
        stored = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return (
            f"holds another run (seed {stored['seed']}, {stored['replications']} "
            "replication(s), or other settings)"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "holds another run"


def obtain_run(
    scenario: Scenario,
    directory: Path,
    *,
    workers: int = 1,
    show_progress: bool = False,
    command: Sequence[str] = ("mlatsim", "compare"),
) -> ScenarioRun:
    """Read the scenario's run from ``directory`` if it matches, else run it and write it.

    A run made with other settings (another seed, replication count or calibration), or
    anything else found in ``directory``, is never replaced: the new run is written beside
    it, in a directory named by the scenario's digest (:func:`beside`), and the returned
    run's ``note`` says so. The result directory is written atomically by
    :func:`sim.experiments.results.write_results`, as ``mlatsim run`` writes it, so a later
    ``run`` or ``compare`` can reuse it.
    """
    directory = Path(directory)
    alternative = beside(directory, scenario)
    for candidate in (directory, alternative):
        stored = reusable_result(candidate, scenario)
        if stored is not None:
            return ScenarioRun(scenario, stored, candidate, reused=True)
    target, note = directory, ""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        target = alternative
        note = f"{directory} {_describe(directory)}; this run is written beside it, in {target}"
    result = run_scenario(scenario, workers=workers, show_progress=show_progress)
    write_results(result, scenario, target, list(command))
    return ScenarioRun(scenario, result, target, reused=False, note=note)


def default_destination(names: Sequence[str], root: Path = Path("results")) -> Path:
    """``results/compare_<first>_vs_<second>[_vs_...]``."""
    return Path(root) / ("compare_" + "_vs_".join(names))


def write_comparison_files(
    comparison: Comparison,
    runs: Sequence[ScenarioRun],
    directory: Path,
    command: Sequence[str] = ("mlatsim", "compare"),
) -> None:
    """Write a comparison's tables, report, figures and manifest into ``directory``.

    It holds ``comparison.csv`` (:data:`CSV_COLUMNS`), ``comparison.md``,
    ``replications.csv`` (the per-replication values behind every interval),
    ``manifest.json`` (scenarios, their digests and result directories, seed, command) and
    ``figures/`` with the tables each figure draws.
    """
    from sim.analysis.comparison_figures import write_comparison_figures

    directory = Path(directory)
    comparison.table.to_csv(directory / "comparison.csv", index=False)
    comparison.values.to_csv(directory / "replications.csv", index=False)
    (directory / "comparison.md").write_text(format_markdown(comparison, runs), encoding="utf-8")
    tables = figure_tables(runs)
    figures = directory / "figures"
    figures.mkdir()
    for name, frame in tables.items():
        frame.to_csv(figures / f"{name}.csv", index=False)
    write_comparison_figures(
        tables,
        comparison.table,
        figures,
        scenarios=comparison.scenarios,
        replications=comparison.replications,
        periods={run.name: _measured_window(run.scenario) for run in runs},
    )
    # The manifest last: it marks the directory as a complete comparison.
    (directory / MANIFEST).write_text(
        json.dumps(_manifest(comparison, runs, command), indent=2) + "\n", encoding="utf-8"
    )


def write_comparison(
    comparison: Comparison,
    runs: Sequence[ScenarioRun],
    destination: Path,
    command: Sequence[str] = ("mlatsim", "compare"),
) -> Path:
    """Write the comparison directory atomically and return its path.

    Staged beside ``destination`` and moved into place when complete; an existing directory
    there is replaced only if it holds a comparison (see :mod:`sim.experiments.result_dir`).

    Raises:
        InputError: if ``destination`` may not be replaced or cannot be written.
    """
    with StagedDirectory(destination, COMPARISON_FORMAT) as staged:
        write_comparison_files(comparison, runs, staged.path, command)
        return staged.publish()


def _manifest(
    comparison: Comparison, runs: Sequence[ScenarioRun], command: Sequence[str]
) -> dict[str, Any]:
    return {
        "format": COMPARISON_FORMAT,
        "scenarios": [
            {
                "name": run.name,
                "scenario_sha256": scenario_digest(run.scenario),
                "result_directory": str(run.directory),
                "reused": run.reused,
            }
            for run in runs
        ],
        "reference": comparison.reference,
        "seed": comparison.seed,
        "replications": comparison.replications,
        "by": comparison.by,
        "confidence_interval": CI_METHOD,
        "command": list(command),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
