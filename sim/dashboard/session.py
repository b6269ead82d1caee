"""A dashboard run: the baseline and the reform, run and compared as ``mlatsim compare`` does.

Both scenarios go through the command line's own machinery: the result store
(:class:`sim.experiments.store.ResultStore`, under a temporary folder of the server's, so an
unchanged baseline is read back, not run again), the runner
(:func:`sim.experiments.runner.run_scenario`, with the :class:`~sim.dashboard.live.LiveExecutor`
so the page can watch), the comparison with common random numbers
(:func:`sim.analysis.comparison.compare`) and its writer, so every file the page offers is the
file a command-line run writes. A run works in a thread of its own; the page reads its
:class:`RunState` now and then (:meth:`DashboardRun.state`), never waits for it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from sim.analysis.comparison import METRIC_LABELS, Comparison, compare
from sim.analysis.runs import RunResult, ScenarioRun
from sim.config.loading import Calibration
from sim.config.schema import Scenario
from sim.dashboard.figures import reasons_table, write_reasons
from sim.dashboard.live import LiveExecutor, Snapshot, Stopped
from sim.errors import InputError
from sim.experiments.compare import common_random_numbers, write_comparison_files
from sim.experiments.failures import ReplicationError
from sim.experiments.inputs import RunInputs
from sim.experiments.result_dir import COMPARISON_FORMAT, StagedDirectory
from sim.experiments.runner import run_scenario
from sim.experiments.store import ResultStore

COMMAND = ("mlatsim", "dashboard")
"""The command line recorded in the manifests the dashboard's runs write."""
SNAPSHOTS_KEPT = 400
"""Snapshots of the live replication kept for the page's live figures (about 7.7 years)."""


@dataclass(frozen=True)
class FigureFile:
    """A figure the page shows: its title, PNG and the CSV of the table it draws."""

    title: str
    png: Path
    csv: Path


@dataclass(frozen=True)
class Outcome:
    """What a finished run gives the page.

    Attributes:
        runs: The baseline's and the reform's runs (the reference first).
        comparison: Their comparison by channel.
        directory: The comparison's directory (as ``mlatsim compare`` writes it).
        figures: The figures to show, each with its table.
        differences: The paired differences of the reform against the baseline, by channel.
        seconds: Wall time from start to result.
    """

    runs: tuple[ScenarioRun, ...]
    comparison: Comparison
    directory: Path
    figures: tuple[FigureFile, ...]
    differences: pd.DataFrame
    differences_csv: Path
    seconds: float


@dataclass(frozen=True)
class RunState:
    """A run's state as the page reads it.

    Attributes:
        phase: ``running``, ``done``, ``stopped`` or ``failed``.
        scenario: The scenario being run (or read back) now.
        fraction: Share of the work done, 0 to 1.
        message: One line on what is happening (or the error, when failed).
        snapshots: The live replication's snapshots of the scenario being run.
        outcome: The result, once done.
    """

    phase: str = "running"
    scenario: str = ""
    fraction: float = 0.0
    message: str = "starting"
    snapshots: tuple[Snapshot, ...] = ()
    outcome: Outcome | None = None


@dataclass
class _Shared:
    state: RunState = field(default_factory=RunState)
    snapshots: list[Snapshot] = field(default_factory=list)


class DashboardRun:
    """One press of the page's Run button: baseline and reform, run and compared.

    Args:
        baseline: The reference scenario (the page's fields laid over the teaching world).
        reform: The same with the page's reforms.
        calibration: The calibration both were loaded with (recorded in the manifests).
        root: The folder of the server's results (the store and the comparison).
        workers: Cores to use.
    """

    def __init__(
        self,
        baseline: Scenario,
        reform: Scenario,
        calibration: Calibration,
        root: Path,
        workers: int,
    ) -> None:
        self.scenarios = common_random_numbers([baseline, reform])
        self.calibration = calibration
        self.root = Path(root)
        self.workers = workers
        self._lock = threading.Lock()
        self._shared = _Shared()
        self._executor: LiveExecutor | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="mlatsim-dashboard-run")
        self._began = 0.0

    def start(self) -> None:
        """Start the run in its own thread."""
        self._began = time.perf_counter()
        self._thread.start()

    def stop(self) -> None:
        """Stop the run (the page's Stop button); its state becomes ``stopped``."""
        self._stop.set()
        with self._lock:
            executor = self._executor
        if executor is not None:
            executor.stop()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the run's thread to end (tests; the page never waits)."""
        self._thread.join(timeout)

    def state(self) -> RunState:
        """The run's state now (a copy; safe from any thread)."""
        with self._lock:
            return replace(self._shared.state, snapshots=tuple(self._shared.snapshots))

    # -- the work, in the run's thread ------------------------------------------------------

    def _set(self, **changes: object) -> None:
        with self._lock:
            self._shared.state = replace(self._shared.state, **changes)  # type: ignore[arg-type]

    def _watch(self, snapshot: Snapshot) -> None:
        with self._lock:
            kept = self._shared.snapshots
            kept.append(snapshot)
            if len(kept) > SNAPSHOTS_KEPT:
                del kept[: len(kept) - SNAPSHOTS_KEPT]

    def _work(self) -> None:
        try:
            outcome = self._compare()
        except Stopped:
            self._set(phase="stopped", message="stopped")
        except (InputError, ReplicationError) as exc:
            self._set(phase="failed", message=str(exc).replace("\n", " "))
        except Exception as exc:  # shown as one line; the page never shows a traceback
            self._set(phase="failed", message=f"{type(exc).__name__}: {exc}".replace("\n", " "))
        else:
            self._set(phase="done", fraction=1.0, message="done", outcome=outcome)

    def _compare(self) -> Outcome:
        store = ResultStore(self.root / "runs")
        runs = []
        count = len(self.scenarios)
        for index, scenario in enumerate(self.scenarios):
            runs.append(self._obtain(store, scenario, index, count))
        if self._stop.is_set():
            raise Stopped
        self._set(message="comparing", fraction=0.97)
        comparison = compare(runs, by="channel")
        destination = self.root / "comparison"
        with StagedDirectory(destination, COMPARISON_FORMAT) as staged:
            inputs = [RunInputs(run.scenario, self.calibration) for run in runs]
            write_comparison_files(comparison, runs, staged.path, COMMAND, inputs)
            staged.publish()
        extra = self.root / "dashboard"
        extra.mkdir(parents=True, exist_ok=True)
        reasons = write_reasons(reasons_table(runs), extra)
        differences = differences_table(comparison)
        differences_csv = extra / "differences.csv"
        differences.to_csv(differences_csv, index=False)
        reform_figures = runs[-1].directory / "figures"
        figures = destination / "figures"
        files = (
            FigureFile(
                "Time to evidence by channel (reform)",
                reform_figures / "time_to_evidence.png",
                reform_figures / "time_to_evidence.csv",
            ),
            FigureFile(
                "Time to evidence: reform against baseline",
                figures / "time_to_evidence.png",
                figures / "time_to_evidence.csv",
            ),
            FigureFile(
                "Median time to evidence: reform against baseline, with 95% CIs",
                figures / "median_time_to_evidence.png",
                figures / "median_time_to_evidence.csv",
            ),
            FigureFile(
                "Outcome shares", figures / "outcome_shares.png", figures / "outcome_shares.csv"
            ),
            FigureFile("Refused and lost: the reasons", reasons[0], reasons[1]),
            FigureFile(
                "Central-authority backlog", figures / "backlog.png", figures / "backlog.csv"
            ),
        )
        return Outcome(
            tuple(runs),
            comparison,
            destination,
            files,
            differences,
            differences_csv,
            time.perf_counter() - self._began,
        )

    def _obtain(
        self, store: ResultStore, scenario: Scenario, index: int, count: int
    ) -> ScenarioRun:
        if self._stop.is_set():
            raise Stopped
        with self._lock:
            self._shared.snapshots = []
        self._set(scenario=scenario.name, message=f"{scenario.name}: starting")
        executor = LiveExecutor(self.workers, watch=self._watch)
        with self._lock:
            self._executor = executor
        if self._stop.is_set():
            executor.stop()

        def progress(days: int, total: int, done: int) -> None:
            share = (index + days / max(1, total)) / count
            self._set(
                fraction=min(0.96, share),
                message=f"{scenario.name}: day {days:,} of {total:,} simulated "
                f"({done} replication(s) done)",
            )

        def simulate() -> RunResult:
            return run_scenario(scenario, executor=executor, progress=progress)

        stored = store.obtain(RunInputs(scenario, self.calibration), simulate, COMMAND)
        if stored.reused:
            self._set(message=f"{scenario.name}: read back (same inputs as before)")
        self._set(fraction=(index + 1) / count * 0.96)
        return ScenarioRun(scenario, stored.result, stored.directory, stored.reused, stored.note)


def differences_table(comparison: Comparison) -> pd.DataFrame:
    """The reform's paired differences from the baseline, by channel, as the page shows them.

    One row per group and metric: the baseline's and the reform's estimates, and the paired
    difference with its 95% interval (common random numbers); shares in percent.
    """
    table = comparison.table
    reference, reform = comparison.scenarios[0], comparison.scenarios[-1]
    base = table[table["scenario"] == reference].set_index(["group", "metric"])["estimate"]
    rows = table[table["scenario"] == reform]
    # Shares are fractions in the comparison; their labels say "(%)", so the page shows percent.
    scale = [100.0 if m.startswith(("fulfilled_", "share_")) else 1.0 for m in rows["metric"]]
    keys = zip(rows["group"], rows["metric"], strict=True)
    out = pd.DataFrame(
        {
            "group": rows["group"].to_numpy(),
            "metric": [METRIC_LABELS.get(m, m) for m in rows["metric"]],
            "baseline": [base.get(key) for key in keys],
            "reform": rows["estimate"].to_numpy(),
            "difference": rows["diff"].to_numpy(),
            "ci_low": rows["diff_ci_low"].to_numpy(),
            "ci_high": rows["diff_ci_high"].to_numpy(),
        }
    )
    columns = ["baseline", "reform", "difference", "ci_low", "ci_high"]
    out[columns] = out[columns].astype(float).mul(scale, axis=0)
    return out
