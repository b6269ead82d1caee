"""Writing a run's result directory: tables, summary, manifest and figures, all or nothing.

Everything is written into a staging folder beside the destination, which is moved into
place only when complete, so an interrupted or failed run never leaves a half-written result;
:mod:`sim.experiments.result_dir` decides what may be replaced.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.figure_registry import run_context
from sim.analysis.figure_registry import write as write_figures
from sim.analysis.runs import RunResult
from sim.analysis.summary import summarise_run
from sim.analysis.trace import TIMELINE_FILE
from sim.engine.streams import DERIVATION
from sim.experiments.inputs import RunInputs
from sim.experiments.result_dir import MANIFEST, RUN_FORMAT, StagedDirectory

_TIMELINE_CHUNK = 1 << 18
"""Rows of the timeline converted and written at a time (a row group each)."""
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


def write_timeline(timeline: pd.DataFrame, path: Path, rows: int = _TIMELINE_CHUNK) -> None:
    """Write the timeline to Parquet ``rows`` at a time, each chunk a row group.

    The timeline has several rows per request; converted whole, its Arrow copy and the
    encoders' buffers would come on top of the frame (some 4 bytes of peak for each byte of
    Parquet). Chunk by chunk, only one chunk's copy is held. The row groups, in request
    order, also let a reader of one request (``mlatsim trace``) skip the others.
    """
    schema = pa.Schema.from_pandas(timeline.iloc[:0], preserve_index=False)
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, max(len(timeline), 1), rows):
            chunk = timeline.iloc[start : start + rows]
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))


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
    # Parquet's encoding and compression run in pyarrow without the GIL, so the tables are
    # written on a second thread while this one summarises and draws: the writing (some 4 s
    # for the baseline's five million requests) then takes no wall time on two cores. The
    # frames are converted here, so no pandas object is shared between the threads.
    tables = {
        name: pa.Table.from_pandas(frame, preserve_index=False)
        for name, frame in (
            ("requests.parquet", result.requests),
            ("timeseries.parquet", result.timeseries),
            ("unpursued.parquet", result.unpursued),
        )
    }
    with ThreadPoolExecutor(max_workers=1) as writer:
        written = writer.submit(_write_tables, tables, directory)
        del tables  # the writer holds the only reference: each table is freed once written
        if scenario.simulation.timeline:
            write_timeline(result.timeline, directory / TIMELINE_FILE)
        summary = summarise_run(result, scenario)
        (directory / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        write_figures(run_context(result, scenario), directory / "figures")
        written.result()  # the writer's error, if any, is raised here
    # The manifest last: it marks the directory as a complete result.
    (directory / MANIFEST).write_text(
        json.dumps(manifest(result, inputs, command), indent=2) + "\n"
    )
    return summary


def _write_tables(tables: dict[str, pa.Table], directory: Path) -> None:
    """Write each table to ``directory / name``, dropping it once written."""
    while tables:
        name, table = tables.popitem()
        pq.write_table(table, directory / name)


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
