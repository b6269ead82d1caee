"""Sweep points stored as they finish: one small file per point, found by its run's key.

A point's key is that of its run (:attr:`sim.experiments.inputs.RunInputs.key`: the resolved
scenario, seed, replications, calibration, world data and package version), so a point is
found again whatever sweep file, order or design produced it, and never confused with one of
other inputs. Its file ``ROOT/<key>.json`` holds its per-replication metric rows
(:func:`sim.analysis.sweep_metrics.replication_rows`), not its request records: a sweep of
hundreds of points stays a few megabytes. A point that failed has a file recording its
one-line error instead, so a sweep started again does not retry it unless asked.

Each file is written to a temporary name in the same folder and renamed into place, so a
sweep killed at any moment (SIGKILL included) leaves complete files or none; a file that
cannot be read (damaged by hand, another format) counts as not stored.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

POINT_FORMAT = "mlatsim-sweep-point/1"
"""Format tag of a stored point's file."""
DONE = "done"
FAILED = "failed"


@dataclass(frozen=True)
class StoredPoint:
    """A point's stored outcome.

    Attributes:
        key: Its run's key.
        status: :data:`DONE` or :data:`FAILED`.
        rows: Its metric rows per replication (empty when it failed).
        error: Its one-line error (empty when it finished).
        seconds: Wall time it took.
    """

    key: str
    status: str
    rows: pd.DataFrame
    error: str = ""
    seconds: float = 0.0


class PointStore:
    """Points stored under ``root`` (a sweep's ``points/`` folder), one file per key.

    Args:
        root: The folder; made when the first point is stored.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file of the point with this key."""
        return self.root / f"{key}.json"

    def read(self, key: str) -> StoredPoint | None:
        """The stored outcome of the point with this key, or None if there is none usable."""
        try:
            record = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(record, dict) or record.get("format") != POINT_FORMAT:
            return None
        if record.get("key") != key or record.get("status") not in (DONE, FAILED):
            return None
        try:
            rows = pd.DataFrame(record.get("rows") or [], dtype=float)
            if "replication" in rows:
                rows["replication"] = rows["replication"].astype("int64")
        except (TypeError, ValueError):
            return None
        return StoredPoint(
            key=key,
            status=record["status"],
            rows=rows,
            error=str(record.get("error", "")),
            seconds=float(record.get("seconds") or 0.0),
        )

    def write(
        self,
        key: str,
        *,
        rows: pd.DataFrame | None = None,
        error: str = "",
        seconds: float = 0.0,
        values: dict[str, Any] | None = None,
    ) -> Path:
        """Store a point's rows (finished) or its error (failed), atomically.

        Args:
            key: The point's run key.
            rows: Its metric rows; None records a failure.
            error: Its one-line error, for a failure.
            seconds: Wall time it took.
            values: Its varied values, recorded for a reader of the file (not used to find it).
        """
        record = {
            "format": POINT_FORMAT,
            "key": key,
            "status": DONE if rows is not None else FAILED,
            "error": error,
            "seconds": seconds,
            "values": values or {},
            "rows": [] if rows is None else _records(rows),
        }
        text = json.dumps(record, default=str, allow_nan=False, indent=1)
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.path(key)
        handle, temporary = tempfile.mkstemp(prefix=f".{key[:10]}-", dir=self.root)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return target

    def remove_temporary(self) -> None:
        """Remove temporary files left by a sweep killed while storing a point."""
        if self.root.is_dir():
            for leftover in self.root.glob(".*-*"):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON records; NaN (nothing to measure) becomes null."""
    return [
        {
            column: None if isinstance(value, float) and not math.isfinite(value) else value
            for column, value in record.items()
        }
        for record in rows.to_dict(orient="records")
    ]
