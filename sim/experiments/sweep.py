"""Running a sweep: every point stored as it finishes, then the tables and figures.

A sweep's directory (``results/sweeps/NAME/`` unless ``--out`` says otherwise) holds
``manifest.json`` (format ``mlatsim-sweep/1``), ``points/`` (one file per point, found by its
run's key: :mod:`sim.experiments.point_store`), and, written from the stored points at the
end, ``points.parquet`` and ``points.csv`` (one row per point and replication),
``summary.csv`` (mean and 95% interval per point and metric), ``failures.csv`` (the points
that failed, with their one-line error) and ``figures/``.

Started again, a sweep reads which points are stored and runs only the others: a sweep
killed at any moment (SIGKILL included) loses at most the points that were running. A point
that failed is stored with its error and the others go on; it is run again only with
``retry_failed``. Every point is checked (its scenario and its world) before any runs, and
the directory is made only then, so bad input leaves nothing behind; a directory that holds
anything but a sweep is never written into.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis import figure_style, sweep_figures, sweep_tables
from sim.config.loading import Calibration
from sim.errors import InputError
from sim.experiments import preflight, run_size
from sim.experiments.field_paths import point_labels
from sim.experiments.inputs import RunInputs, package_version
from sim.experiments.point_store import DONE, FAILED, PointStore
from sim.experiments.result_dir import MANIFEST, SWEEP_FORMAT, check_destination
from sim.experiments.sweep_pool import PointEvent, run_in_process, run_in_workers
from sim.experiments.sweep_spec import SweepSpec

Report = Callable[[str], None]
"""Told a line of progress."""


def default_destination(spec: SweepSpec) -> Path:
    """``results/sweeps/NAME``."""
    return Path("results") / "sweeps" / spec.name


def check_points(spec: SweepSpec, *, workers: int, force: bool) -> None:
    """Check every point against the world data and the run-size limits, before any runs.

    Raises:
        InputError: naming the sweep file, the point and the field or limit.
    """
    for point in spec.points:
        try:
            world = preflight.resolve(point.scenario)
            run_size.check(run_size.estimate(point.scenario, world), workers=workers, force=force)
        except InputError as exc:
            where = f"{spec.path}: point {point.index} ({point_labels(point.values, spec.fields)})"
            raise type(exc)(f"{where}: {exc.where}", exc.problem) from None


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep did.

    Attributes:
        destination: Its directory.
        points: Points in the design.
        reused: Points found stored (finished) and not run again.
        ran: Points run now.
        failed: Points that failed (now, or before and not retried).
        seconds: Wall time of this invocation.
    """

    destination: Path
    points: int
    reused: int
    ran: int
    failed: int
    seconds: float


def run_sweep(
    spec: SweepSpec,
    calibration: Calibration,
    destination: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    retry_failed: bool = False,
    report: Report | None = None,
    command: list[str] | None = None,
) -> SweepOutcome:
    """Run the points not stored yet, store each as it finishes, then write the tables.

    Args:
        spec: The validated sweep (:func:`sim.experiments.sweep_spec.read_sweep`), its points
            checked (:func:`check_points`).
        calibration: The calibration its scenarios were loaded with (part of each key).
        destination: The sweep's directory: new, empty, or a sweep's (resumed).
        workers: Worker processes; 1 runs the points in this process. With
            ``scheduler="local"``, the workers of the local Dask cluster.
        scheduler: The address of a Dask scheduler to run the points on, ``"local"`` for a
            local Dask cluster of ``workers`` workers, or None for worker processes.
        retry_failed: Run again the points stored as failed.
        report: Told progress lines (None: silent).
        command: The command line, for the manifest.

    Raises:
        InputError: if the destination may not be written.
    """
    began = time.perf_counter()
    say = report or (lambda _: None)
    check_destination(destination, SWEEP_FORMAT)
    destination.mkdir(parents=True, exist_ok=True)
    keys = [RunInputs(point.scenario, calibration).key for point in spec.points]
    _write_manifest(spec, calibration, destination, keys, command, complete=False)
    store = PointStore(destination / "points")
    store.remove_temporary()
    stored = {key: store.read(key) for key in dict.fromkeys(keys)}
    todo: dict[str, int] = {}
    for point, key in zip(spec.points, keys, strict=True):
        found = stored[key]
        if key not in todo and (found is None or (found.status == FAILED and retry_failed)):
            todo[key] = point.index
    reused = sum(1 for found in stored.values() if found is not None and found.status == DONE)
    failed_before = sum(
        1 for found in stored.values() if found is not None and found.status == FAILED
    )
    say(_opening(spec, reused, len(todo), failed_before, retry_failed))
    tally = _Tally(spec, len(todo), say)
    events = _events(spec, list(todo.values()), workers, scheduler)
    with contextlib.closing(events):
        for event in events:
            tally.note(event)
            if event.kind == "started":
                continue
            point = spec.points[event.index]
            store.write(
                keys[event.index],
                rows=event.rows if event.kind == "done" else None,
                error=event.error,
                seconds=event.seconds,
                values=dict(point.values),
            )
    failed = write_tables(spec, store, keys, destination)
    _write_manifest(spec, calibration, destination, keys, command, complete=True)
    return SweepOutcome(
        destination=destination,
        points=len(spec.points),
        reused=reused,
        ran=len(todo),
        failed=failed,
        seconds=time.perf_counter() - began,
    )


def _opening(spec: SweepSpec, reused: int, todo: int, failed: int, retry: bool) -> str:
    """The first progress line: the sweep's size, what is stored and what runs now."""
    line = (
        f"sweep {spec.name}: {len(spec.points)} point(s) x {spec.replications} replication(s), "
        f"seed {spec.seed}; {reused} stored, {todo} to run"
    )
    if failed:
        kept = " (run again)" if retry else " (kept; --retry-failed runs them again)"
        line += f", {failed} failed before{kept}"
    return line


def _events(
    spec: SweepSpec, indices: list[int], workers: int, scheduler: str | None
) -> Iterator[PointEvent]:
    points = [(index, spec.points[index].scenario) for index in indices]
    if scheduler is not None:
        from sim.experiments.dask_pool import run_on_dask

        return run_on_dask(points, scheduler, workers)
    if workers <= 1 or len(points) <= 1:
        return run_in_process(points)
    return run_in_workers(points, workers)


def write_tables(spec: SweepSpec, store: PointStore, keys: list[str], destination: Path) -> int:
    """Write the tables and figures from the stored points; the number of failed points."""
    finished = []
    failures = []
    for point, key in zip(spec.points, keys, strict=True):
        found = store.read(key)
        if found is None:
            continue
        if found.status == DONE:
            finished.append((point.index, point.values, found.rows))
        else:
            failures.append(
                {"point": point.index, **dict(point.values), "key": key, "error": found.error}
            )
    points = sweep_tables.points_table(finished, spec.fields, spec.metrics)
    summary = sweep_tables.summary_table(points, spec.fields, spec.metrics)
    failed = pd.DataFrame(failures, columns=["point", *spec.fields, "key", "error"])
    atomic_write(destination / "points.parquet", lambda path: points.to_parquet(path, index=False))
    atomic_write(destination / "points.csv", lambda path: points.to_csv(path, index=False))
    atomic_write(destination / "summary.csv", lambda path: summary.to_csv(path, index=False))
    atomic_write(destination / "failures.csv", lambda path: failed.to_csv(path, index=False))
    _write_figures(spec, summary, destination / "figures")
    return len(failures)


def _write_figures(spec: SweepSpec, summary: pd.DataFrame, directory: Path) -> None:
    directory.mkdir(exist_ok=True)
    labels = {
        "title": f"{spec.name}: {spec.design} design, {len(spec.points)} point(s)",
        "replications": spec.replications,
        "seed": spec.seed,
    }
    figures = {
        "response.png": sweep_figures.response_figure(summary, spec.fields, spec.metrics, **labels)
    }
    if sweep_figures.is_grid(summary, spec.fields):
        figures["heatmap.png"] = sweep_figures.heatmap_figure(
            summary, spec.fields, spec.metrics, **labels
        )
    for name, figure in figures.items():
        atomic_write(directory / name, lambda path, figure=figure: figure_style.save(figure, path))


def atomic_write(target: Path, write: Callable[[Path], Any]) -> None:
    """Write a file under a temporary name beside it, then rename it into place.

    A sweep killed while writing its tables leaves the old file or the new one, never half.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_manifest(
    spec: SweepSpec,
    calibration: Calibration,
    destination: Path,
    keys: list[str],
    command: list[str] | None,
    *,
    complete: bool,
) -> None:
    record = {
        "format": SWEEP_FORMAT,
        "name": spec.name,
        "description": spec.description,
        "sweep_file": str(spec.path),
        "base": str(spec.base_path),
        "design": spec.design,
        "fields": list(spec.fields),
        "metrics": list(spec.metrics),
        "replications": spec.replications,
        "seed": spec.seed,
        "calibration": calibration.describe(),
        "version": package_version(),
        "command": command or [],
        "complete": complete,
        "points": [
            {"point": point.index, "values": dict(point.values), "key": key}
            for point, key in zip(spec.points, keys, strict=True)
        ],
        "spec": spec.record,
    }
    text = json.dumps(record, indent=2, default=str) + "\n"
    atomic_write(destination / MANIFEST, lambda path: path.write_text(text, encoding="utf-8"))


class _Tally:
    """Points done, running and failed in this invocation, and an estimate of the time left."""

    def __init__(self, spec: SweepSpec, total: int, say: Report) -> None:
        self.spec = spec
        self.total = total
        self.say = say
        self.began = time.perf_counter()
        self.done = self.failed = self.running = 0

    def note(self, event: PointEvent) -> None:
        if event.kind == "started":
            self.running += 1
            return
        self.running -= 1
        if event.kind == "done":
            self.done += 1
            what = f"done in {event.seconds:.1f} s"
        else:
            self.failed += 1
            what = f"FAILED ({event.error})"
        finished = self.done + self.failed
        elapsed = time.perf_counter() - self.began
        left = elapsed / finished * (self.total - finished)
        point = self.spec.points[event.index]
        self.say(
            f"point {event.index} ({point_labels(point.values, self.spec.fields)}) {what}; "
            f"{finished}/{self.total} run: {self.done} done, {self.running} running, "
            f"{self.failed} failed; about {_clock(left)} left"
        )


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}"
