"""Comparisons run: scenarios aligned and checked, stored runs reused, the comparison written.

Each scenario's run comes from the result store (:mod:`sim.experiments.store`): a run stored
with the same inputs (resolved scenario with seed and replications, calibration, world data,
package version) is read back instead of run again, and a run of other inputs is never
replaced. The statistics of a comparison are those of :mod:`sim.analysis.comparison`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.analysis.comparison import CI_METHOD, Comparison
from sim.analysis.figure_registry import comparison_context
from sim.analysis.figure_registry import write as write_figures
from sim.analysis.report import format_markdown
from sim.analysis.runs import RunResult, ScenarioRun
from sim.config.loading import scenario_digest, with_changes
from sim.config.schema import Scenario
from sim.experiments.inputs import RunInputs
from sim.experiments.result_dir import COMPARISON_FORMAT, MANIFEST, StagedDirectory
from sim.experiments.runner import run_scenario
from sim.experiments.store import ResultStore


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


def obtain_run(
    inputs: RunInputs,
    store: ResultStore | None = None,
    *,
    workers: int = 1,
    show_progress: bool = False,
    command: Sequence[str] = ("mlatsim", "compare"),
) -> ScenarioRun:
    """The scenario's stored run if the store holds one of these inputs, else a new one.

    A new run is stored (written atomically, as ``mlatsim run`` writes it) where a later
    ``run`` or ``compare`` can reuse it: ``results/NAME``, or beside it, in a directory named
    by the key, if that holds anything else (a run of other settings is never replaced); the
    returned run's ``note`` then says so.

    Args:
        inputs: The scenario (with the comparison's seed and replications) and its inputs.
        store: Where runs are stored (``results/`` when None).
        workers: Worker processes for a new run.
        show_progress: Show a progress bar for a new run.
        command: The command line recorded in a new run's manifest.
    """
    store = ResultStore() if store is None else store

    def simulate() -> RunResult:
        return run_scenario(
            inputs.scenario,
            workers=workers,
            show_progress=show_progress,
            world_dir=inputs.world_dir,
        )

    stored = store.obtain(inputs, simulate, command)
    return ScenarioRun(inputs.scenario, stored.result, stored.directory, stored.reused, stored.note)


def default_destination(names: Sequence[str], root: Path = Path("results")) -> Path:
    """``results/compare_<first>_vs_<second>[_vs_...]``."""
    return Path(root) / ("compare_" + "_vs_".join(names))


def write_comparison_files(
    comparison: Comparison,
    runs: Sequence[ScenarioRun],
    directory: Path,
    command: Sequence[str] = ("mlatsim", "compare"),
    inputs: Sequence[RunInputs] = (),
) -> None:
    """Write a comparison's tables, report, figures and manifest into ``directory``.

    It holds ``comparison.csv`` (:data:`CSV_COLUMNS`), ``comparison.md``,
    ``replications.csv`` (the per-replication values behind every interval),
    ``manifest.json`` (scenarios, their digests, inputs and result directories, seed,
    command) and ``figures/``: the comparison's figures of the one list in
    :mod:`sim.analysis.figure_registry`, each with the table it draws as CSV beside it.

    Args:
        comparison: The statistics.
        runs: The compared runs, the reference first.
        directory: Where to write (a staging directory).
        command: The command line, for the manifest.
        inputs: Each run's inputs (calibration, world data, key), for the manifest.
    """
    directory = Path(directory)
    comparison.table.to_csv(directory / "comparison.csv", index=False)
    comparison.values.to_csv(directory / "replications.csv", index=False)
    (directory / "comparison.md").write_text(format_markdown(comparison, runs), encoding="utf-8")
    write_figures(comparison_context(comparison, runs), directory / "figures")
    # The manifest last: it marks the directory as a complete comparison.
    (directory / MANIFEST).write_text(
        json.dumps(_manifest(comparison, runs, command, inputs), indent=2) + "\n",
        encoding="utf-8",
    )


def write_comparison(
    comparison: Comparison,
    runs: Sequence[ScenarioRun],
    destination: Path,
    command: Sequence[str] = ("mlatsim", "compare"),
    inputs: Sequence[RunInputs] = (),
) -> Path:
    """Write the comparison directory atomically and return its path.

    Staged beside ``destination`` and moved into place when complete; an existing directory
    there is replaced only if it holds a comparison (see :mod:`sim.experiments.result_dir`).

    Raises:
        InputError: if ``destination`` may not be replaced or cannot be written.
    """
    with StagedDirectory(destination, COMPARISON_FORMAT) as staged:
        write_comparison_files(comparison, runs, staged.path, command, inputs)
        return staged.publish()


def _manifest(
    comparison: Comparison,
    runs: Sequence[ScenarioRun],
    command: Sequence[str],
    inputs: Sequence[RunInputs],
) -> dict[str, Any]:
    by_name = {given.scenario.name: given for given in inputs}
    return {
        "format": COMPARISON_FORMAT,
        "scenarios": [
            {
                "name": run.name,
                "scenario_sha256": scenario_digest(run.scenario),
                **(by_name[run.name].record() if run.name in by_name else {}),
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
