"""Writing a run's result directory: tables, summary, manifest and figures, all or nothing.

Everything is written into a staging folder beside the destination, which is moved into
place only when complete, so an interrupted or failed run never leaves a half-written result;
:mod:`sim.result_dir` decides what may be replaced.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from sim import statistics
from sim.figures import write_figures
from sim.result_dir import MANIFEST, RUN_FORMAT, StagedDirectory
from sim.runner import RunResult
from sim.scenario import Scenario

CURVE_GRID_DAYS = np.arange(0.0, 731.0, 1.0)
"""Days at which time-to-evidence curves are estimated (two years)."""
_PACKAGES = ("mlatsim", "mesa", "simpy", "numpy", "pandas", "pyarrow", "pydantic", "matplotlib")


def _clean(value: Any) -> Any:
    """JSON-safe values: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def summarise_run(result: RunResult, scenario: Scenario) -> dict[str, Any]:
    """The summary of a run: headline metrics overall and per channel, with 95% CIs."""
    warm_up = scenario.simulation.warm_up_days
    groups: dict[str, Any] = {}
    for by in (None, "channel", "requested"):
        table = statistics.summarise(
            statistics.replication_metrics(result.requests, by=by, warm_up_days=warm_up)
        )
        section: dict[str, Any] = {}
        for row in table.itertuples(index=False):
            section.setdefault(str(row.group), {})[str(row.metric)] = {
                "estimate": _clean(row.estimate),
                "ci_low": _clean(row.ci_low),
                "ci_high": _clean(row.ci_high),
                "replications": int(row.replications),
            }
        groups["overall" if by is None else f"by_{by}"] = section
    return {
        "scenario": scenario.name,
        "replications": scenario.simulation.replications,
        "seed": scenario.simulation.seed,
        "warm_up_days": warm_up,
        "confidence_interval": (
            "95%, Student t across replications; intervals of shares clipped to [0, 1]"
        ),
        "time_to_evidence": (
            "Aalen-Johansen cumulative incidence of fulfilment; refused, lost and abandoned "
            "are competing outcomes, pending requests are censored at the end of the run; "
            "median, p90 and mean are among requests eventually fulfilled"
        ),
        "requests_simulated": len(result.requests),
        **groups,
    }


def manifest(result: RunResult, scenario: Scenario, command: list[str]) -> dict[str, Any]:
    """What produced a result: the resolved scenario, seeds, versions and run time."""
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
        "stream_derivation": (
            "numpy SeedSequence(entropy=seed, spawn_key=(replication, crc32(process name)))"
        ),
        "command": command,
        "python": platform.python_version(),
        "packages": versions,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": round(result.seconds, 3),
        "replication_seconds": [round(s, 3) for s in result.replication_seconds],
    }


def write_result_files(
    result: RunResult, scenario: Scenario, directory: Path, command: list[str]
) -> None:
    """Write a run's tables, summary, manifest and figures into ``directory`` (staging)."""
    directory = Path(directory)
    result.requests.to_parquet(directory / "requests.parquet", index=False)
    result.timeseries.to_parquet(directory / "timeseries.parquet", index=False)
    summary = summarise_run(result, scenario)
    (directory / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    warm_up = scenario.simulation.warm_up_days
    write_figures(
        statistics.cif_curves(result.requests, CURVE_GRID_DAYS, by="channel", warm_up_days=warm_up),
        statistics.outcome_shares(result.requests, by="channel", warm_up_days=warm_up),
        statistics.backlog_series(result.timeseries, top=6),
        directory / "figures",
        replications=scenario.simulation.replications,
    )
    # The manifest last: it marks the directory as a complete result.
    (directory / MANIFEST).write_text(
        json.dumps(manifest(result, scenario, command), indent=2) + "\n"
    )


def write_results(
    result: RunResult, scenario: Scenario, destination: Path, command: list[str]
) -> Path:
    """Write the result directory atomically and return its path.

    An existing directory at ``destination`` is replaced only if it holds a run's result,
    and only once the new one is complete (see :mod:`sim.result_dir`).

    Raises:
        InputError: if ``destination`` may not be replaced or cannot be written.
    """
    with StagedDirectory(destination, RUN_FORMAT) as staged:
        write_result_files(result, scenario, staged.path, command)
        return staged.publish()
