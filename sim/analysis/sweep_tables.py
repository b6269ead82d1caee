"""A sweep's tables: the tidy table of every point and replication, and its summary with CIs.

The tidy table has one row per point and replication: the point's number, the value of each
varied field (a column named by its dotted path), the replication and each chosen metric.
It is what a researcher loads to fit a response surface or draw their own figure. The summary
has one row per point and metric: the mean over replications with a 95% Student-t interval
(a proportion's clipped to [0, 1]), as every other summary of the model states it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.sweep_metrics import interval

SUMMARY_COLUMNS = ("metric", "estimate", "ci_low", "ci_high", "replications")
"""Columns of the summary after the point's number and values."""


def points_table(
    finished: Iterable[tuple[int, Mapping[str, Any], pd.DataFrame]],
    fields: Sequence[str],
    metrics: Sequence[str],
) -> pd.DataFrame:
    """The tidy table of the finished points.

    Args:
        finished: Each finished point's number, varied values and metric rows
            (:func:`sim.analysis.sweep_metrics.replication_rows`).
        fields: The varied fields, in the sweep file's order.
        metrics: The chosen metrics.

    Returns:
        Columns ``point``, the fields, ``replication``, the metrics; sorted by point and
        replication.
    """
    frames = []
    for index, values, rows in finished:
        frame = rows.loc[:, ["replication", *metrics]].copy()
        for position, field_path in enumerate(fields):
            frame.insert(position, field_path, [values[field_path]] * len(frame))
        frame.insert(0, "point", index)
        frames.append(frame)
    columns = ["point", *fields, "replication", *metrics]
    if not frames:
        return pd.DataFrame({column: [] for column in columns})
    table = pd.concat(frames, ignore_index=True)[columns]
    table["replication"] = table["replication"].astype(np.int64)
    return table.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)


def summary_table(
    points: pd.DataFrame, fields: Sequence[str], metrics: Sequence[str]
) -> pd.DataFrame:
    """Mean and 95% interval over replications of each metric at each point.

    Args:
        points: The tidy table (:func:`points_table`).
        fields: The varied fields.
        metrics: The metrics to summarise.

    Returns:
        Columns ``point``, the fields, then :data:`SUMMARY_COLUMNS`; one row per point and
        metric, points in order and metrics in the order given. ``replications`` counts the
        replications with a value (a median is undefined where nothing was fulfilled).
    """
    rows = []
    for index, block in points.groupby("point", sort=True):
        first = block.iloc[0]
        for metric in metrics:
            values = block[metric].to_numpy(dtype=float)
            estimate, low, high = interval(values, metric)
            rows.append(
                {
                    "point": int(index),
                    **{field_path: first[field_path] for field_path in fields},
                    "metric": metric,
                    "estimate": estimate,
                    "ci_low": low,
                    "ci_high": high,
                    "replications": int(np.isfinite(values).sum()),
                }
            )
    columns = ["point", *fields, *SUMMARY_COLUMNS]
    if not rows:
        return pd.DataFrame({column: [] for column in columns})
    return pd.DataFrame(rows)[columns]
