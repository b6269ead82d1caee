"""Writing a run's result directory: tables, summary, manifest and figures, all or nothing.

Everything is written into a temporary folder beside the destination, which is moved into
place only when complete, so an interrupted or failed run never leaves a half-written result.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from sim import statistics
from sim.figures import write_figures
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
        "confidence_interval": "95%, Student t across replications",
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


def _umask() -> int:
    """The process's file-creation mask (reading it means setting it, so set it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def publish(staging: Path, destination: Path) -> None:
    """Move a complete staging directory to ``destination``, replacing any directory there.

    The old directory is renamed aside before the new one takes its name, so a reader never
    sees a half-written result.
    """
    if destination.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{destination.name}.old.", dir=destination.parent))
        destination.rename(retired / destination.name)
        staging.rename(destination)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(destination)


def write_results(
    result: RunResult, scenario: Scenario, destination: Path, command: list[str]
) -> Path:
    """Write the result directory atomically and return its path.

    An existing directory at ``destination`` is replaced only once the new one is complete.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        # mkdtemp makes a private (0700) directory; the result should read like any other.
        staging.chmod(0o777 & ~_umask())
        result.requests.to_parquet(staging / "requests.parquet", index=False)
        result.timeseries.to_parquet(staging / "timeseries.parquet", index=False)
        summary = summarise_run(result, scenario)
        (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        (staging / "manifest.json").write_text(
            json.dumps(manifest(result, scenario, command), indent=2) + "\n"
        )
        warm_up = scenario.simulation.warm_up_days
        write_figures(
            statistics.cif_curves(
                result.requests, CURVE_GRID_DAYS, by="channel", warm_up_days=warm_up
            ),
            statistics.outcome_shares(result.requests, by="channel", warm_up_days=warm_up),
            statistics.backlog_series(result.timeseries, top=6),
            staging / "figures",
            replications=scenario.simulation.replications,
        )
        publish(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return destination
