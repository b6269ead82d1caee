"""Writing a run's result directory: tables, summary, manifest and figures, all or nothing.

Everything is written into a staging folder beside the destination, which is moved into
place only when complete, so an interrupted or failed run never leaves a half-written result;
:mod:`sim.experiments.result_dir` decides what may be replaced.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.analysis.figure_registry import run_context
from sim.analysis.figure_registry import write as write_figures
from sim.analysis.runs import RunResult
from sim.analysis.summary import summarise_run
from sim.engine.streams import DERIVATION
from sim.experiments.inputs import RunInputs
from sim.experiments.result_dir import MANIFEST, RUN_FORMAT, StagedDirectory

TIMELINE_FILE = "timeline.parquet"
"""Each request's steps (``simulation.timeline``), what ``mlatsim trace`` reads."""
_PACKAGES = ("mlatsim", "mesa", "simpy", "numpy", "pandas", "pyarrow", "pydantic", "matplotlib")


def manifest(result: RunResult, inputs: RunInputs, command: list[str]) -> dict[str, Any]:
    """What produced a result: the resolved scenario, seeds, inputs, versions and run time.

    The inputs are the calibration (path and SHA-256, or ``"none"``), the SHA-256 of every
    world data file read and the package version, with the run's key (their digest, by
    which :mod:`sim.experiments.store` finds the run).
    """
    scenario = inputs.scenario
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "format": RUN_FORMAT,
        "scenario": scenario.model_dump(mode="json"),
        "seed": scenario.simulation.seed,
        "replications": scenario.simulation.replications,
        "stream_derivation": DERIVATION,
        **inputs.record(),
        "command": command,
        "python": platform.python_version(),
        "packages": versions,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": round(result.seconds, 3),
        "replication_seconds": [round(s, 3) for s in result.replication_seconds],
    }


def write_result_files(
    result: RunResult, inputs: RunInputs, directory: Path, command: list[str]
) -> dict[str, Any]:
    """Write a run's tables, summary, manifest and figures into ``directory`` (staging).

    Returns the summary written to ``summary.json`` (the command line reports its headline).

    The figures, each with the table it draws as CSV beside it, are those of the one list
    in :mod:`sim.analysis.figure_registry` that belong to a run.
    """
    directory = Path(directory)
    scenario = inputs.scenario
    result.requests.to_parquet(directory / "requests.parquet", index=False)
    result.timeseries.to_parquet(directory / "timeseries.parquet", index=False)
    result.unpursued.to_parquet(directory / "unpursued.parquet", index=False)
    if scenario.simulation.timeline:
        result.timeline.to_parquet(directory / TIMELINE_FILE, index=False)
    summary = summarise_run(result, scenario)
    (directory / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    write_figures(run_context(result, scenario), directory / "figures")
    # The manifest last: it marks the directory as a complete result.
    (directory / MANIFEST).write_text(
        json.dumps(manifest(result, inputs, command), indent=2) + "\n"
    )
    return summary


def write_results(
    result: RunResult, inputs: RunInputs, destination: Path, command: list[str]
) -> Path:
    """Write the result directory atomically and return its path.

    An existing directory at ``destination`` is replaced only if it holds a run's result,
    and only once the new one is complete (see :mod:`sim.experiments.result_dir`).

    Raises:
        InputError: if ``destination`` may not be replaced or cannot be written.
    """
    with StagedDirectory(destination, RUN_FORMAT) as staged:
        write_result_files(result, inputs, staged.path, command)
        return staged.publish()
