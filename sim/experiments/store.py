"""One content-addressed store of runs: a stored run is found by the key of its inputs.

A run's key (:attr:`sim.experiments.inputs.RunInputs.key`) is the digest of everything that
makes its rows: the resolved scenario, seed, replications, the calibration's digest, the world
data files' digests and the package version. The store keeps a scenario's run in
``ROOT/NAME/`` (``results/NAME/``, where ``mlatsim run`` writes it too), and a run of the same
name with another key beside it, in ``ROOT/NAME-<key>/`` (the key's first ten hex digits), so
a run is never replaced by one of other settings. A directory is reused only if its manifest
records the same key and both tables hold every replication; anything else (no directory,
another key, a manifest written before keys existed, a damaged table) is not.

``compare`` stores its runs here. Sweeps store only each point's metrics, by the same key
(:mod:`sim.experiments.point_store`): a point's request records would be too heavy to keep.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.analysis.runs import RunResult
from sim.experiments.inputs import RunInputs
from sim.experiments.result_dir import MANIFEST, result_format
from sim.experiments.results import write_results

KEY_CHARACTERS = 10
"""Hex digits of the key in the name of a run stored beside another."""


@dataclass(frozen=True)
class StoredRun:
    """A run obtained from the store.

    Attributes:
        directory: Where it is stored.
        result: Its records.
        reused: Whether they were read back rather than simulated.
        note: Why the run is not in the scenario's usual directory, or empty.
    """

    directory: Path
    result: RunResult
    reused: bool
    note: str = ""


class ResultStore:
    """Runs stored under ``root``, found by their inputs' key.

    Args:
        root: The folder holding the runs (``results`` under the working directory).
    """

    def __init__(self, root: Path = Path("results")) -> None:
        self.root = Path(root)

    def home(self, inputs: RunInputs) -> Path:
        """Where a scenario's run is stored first: ``ROOT/NAME``."""
        return self.root / inputs.scenario.name

    def beside(self, inputs: RunInputs) -> Path:
        """Where it goes when ``ROOT/NAME`` holds something else: named by the key."""
        return self.root / f"{inputs.scenario.name}-{inputs.key[:KEY_CHARACTERS]}"

    def find(self, inputs: RunInputs) -> tuple[Path, RunResult] | None:
        """The stored run with these inputs' key and where it is, or None."""
        for candidate in (self.home(inputs), self.beside(inputs)):
            stored = read_run(candidate, inputs)
            if stored is not None:
                return candidate, stored
        return None

    def obtain(
        self,
        inputs: RunInputs,
        run: Callable[[], RunResult],
        command: Sequence[str] = ("mlatsim",),
    ) -> StoredRun:
        """The stored run of these inputs, or ``run()``'s, stored first (atomically).

        A directory holding anything else (a run of other inputs, a user's files) is never
        replaced: the new run is written beside it and the note says so.

        Raises:
            InputError: if the run's directory may not be written.
        """
        found = self.find(inputs)
        if found is not None:
            return StoredRun(found[0], found[1], reused=True)
        home = self.home(inputs)
        target, note = home, ""
        if home.exists() and (not home.is_dir() or any(home.iterdir())):
            target = self.beside(inputs)
            note = f"{home} {_describe(home)}; this run is written beside it, in {target}"
        result = run()
        write_results(result, inputs, target, list(command))
        return StoredRun(target, result, reused=False, note=note)


def read_run(directory: Path, inputs: RunInputs) -> RunResult | None:
    """The run stored in ``directory`` if it is a complete run of exactly these inputs.

    The manifest must record the inputs' key, and its three tables must be readable and the
    requests hold every replication. Anything else gives None.
    """
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(manifest, dict) or manifest.get("key") != inputs.key:
        return None
    try:
        requests = pd.read_parquet(directory / "requests.parquet")
        timeseries = pd.read_parquet(directory / "timeseries.parquet")
        unpursued = pd.read_parquet(directory / "unpursued.parquet")
    except (OSError, ValueError):
        return None
    expected = set(range(inputs.scenario.simulation.replications))
    if "replication" not in requests or set(requests["replication"].unique()) != expected:
        return None
    seconds = manifest.get("replication_seconds") or []
    return RunResult(
        requests=requests,
        timeseries=timeseries,
        unpursued=unpursued,
        seconds=float(manifest.get("run_seconds") or 0.0),
        replication_seconds=tuple(float(s) for s in seconds),
    )


def _describe(directory: Path) -> str:
    """A few words on what ``directory`` holds, for the note that a run went beside it."""
    if result_format(directory) is None:
        return "holds files that are not this run"
    try:
        stored = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return (
            f"holds another run (seed {stored['seed']}, {stored['replications']} "
            "replication(s), or other settings, calibration or world data)"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "holds another run"
