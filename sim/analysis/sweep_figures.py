"""A sweep's figures: how each metric responds to the varied fields, with 95% CI bands.

- One varied field: a response curve per metric (mean over replications, band of the 95%
  interval), the field on the x axis.
- Two fields on a grid: small multiples (the first field on the x axis, one line and band
  per value of the second) and a heat map of each metric's mean over both.
- Otherwise (a Latin hypercube, or three fields and more): each metric against each field,
  one dot per point with its interval as an error bar, so a researcher sees which
  assumptions move a metric before fitting anything.

Figures are drawn in the house style (:mod:`sim.analysis.figure_style`) and say in their
caption how the bands were computed and that every point shares one seed.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sim.analysis import figure_style
from sim.analysis.sweep_metrics import METRICS

MAX_LINES = 8
"""Most values of a second field drawn as lines; beyond that the dots figure is drawn."""


def _caption(replications: int, seed: int, bands: bool = True) -> str:
    ci = figure_style.CI_DESCRIPTION.format(n=replications)
    spread = f"; shaded or bars: {ci}" if bands else f" over {replications} replication(s)"
    return (
        f"Mean at each point{spread}. Every point runs with seed {seed} "
        "(common random numbers), so differences between points are the fields' effect."
    )


def _axis_values(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Values to plot a field on an axis: numbers, dates, or category positions and labels."""
    items = list(values)
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in items):
        return np.asarray(items, dtype=float), None
    if all(isinstance(v, dt.date) for v in items):
        return np.asarray(pd.to_datetime(pd.Series(items)).to_numpy()), None
    labels = [str(v) for v in pd.unique(pd.Series([str(v) for v in items]))]
    position = {label: i for i, label in enumerate(labels)}
    return np.asarray([position[str(v)] for v in items], dtype=float), labels


def _label(metric: str) -> str:
    return textwrap.fill(METRICS.get(metric, metric), 48)


def _panels(count: int, width: float = 4.2, height: float = 3.0) -> tuple[Figure, list[Axes]]:
    return figure_style.panels(count, width, height)


def _line(ax: Axes, block: pd.DataFrame, field_path: str, colour: str, label: str) -> None:
    block = block.sort_values(field_path, kind="stable")
    x, labels = _axis_values(block[field_path])
    ax.plot(x, block["estimate"], color=colour, marker="o", markersize=3, label=label)
    if np.isfinite(block["ci_low"].to_numpy(dtype=float)).any():
        ax.fill_between(
            x, block["ci_low"], block["ci_high"], color=colour, alpha=figure_style.BAND_ALPHA
        )
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)


def response_figure(
    summary: pd.DataFrame,
    fields: Sequence[str],
    metrics: Sequence[str],
    *,
    title: str,
    replications: int,
    seed: int,
) -> Figure:
    """The response of each metric to the varied fields (see the module docstring).

    Args:
        summary: The sweep's summary (:func:`sim.analysis.sweep_tables.summary_table`).
        fields: The varied fields.
        metrics: The metrics, one panel each (or one row of panels each).
        title: The figure's title (the sweep's name).
        replications: Replications per point, for the caption.
        seed: The sweep's seed, for the caption.
    """
    figure_style.check_replications(replications)
    if summary.empty:
        fig = figure_style.new_figure(6, 3)
        figure_style.draw_no_data(fig.subplots(), "No point finished")
        return fig
    if len(fields) == 1:
        fig = _curves(summary, fields[0], None, metrics)
    elif len(fields) == 2 and summary[fields[1]].astype(str).nunique() <= MAX_LINES:
        fig = _curves(summary, fields[0], fields[1], metrics)
    else:
        fig = _dots(summary, fields, metrics)
    fig.suptitle(title)
    figure_style.add_caption(fig, [_caption(replications, seed)])
    return fig


def _curves(
    summary: pd.DataFrame, x_field: str, line_field: str | None, metrics: Sequence[str]
) -> Figure:
    fig, axes = _panels(len(metrics))
    groups: list[tuple[str, pd.DataFrame]]
    if line_field is None:
        groups = [(x_field, summary)]
    else:
        keys = summary[line_field].map(str)
        groups = [(f"{line_field} = {key}", summary[keys == key]) for key in pd.unique(keys)]
    colours = figure_style.palette(len(groups))
    for ax, metric in zip(axes, metrics, strict=True):
        for (label, block), colour in zip(groups, colours, strict=True):
            _line(ax, block[block["metric"] == metric], x_field, colour, label)
        ax.set_xlabel(x_field)
        ax.set_ylabel(metric)
        ax.set_title(_label(metric), fontsize=8)
    if line_field is not None:
        labels = [label for label, _ in groups]
        figure_style.line_legend(fig, labels, dict(zip(labels, colours, strict=True)), line_field)
    return fig


def _dots(summary: pd.DataFrame, fields: Sequence[str], metrics: Sequence[str]) -> Figure:
    columns = len(fields)
    fig = figure_style.new_figure(3.4 * columns, 2.6 * len(metrics) + 0.8)
    axes = fig.subplots(len(metrics), columns, squeeze=False)
    colour = figure_style.palette(1)[0]
    for row, metric in enumerate(metrics):
        block = summary[summary["metric"] == metric]
        estimate = block["estimate"].to_numpy(dtype=float)
        errors = np.vstack(
            [
                estimate - block["ci_low"].to_numpy(dtype=float),
                block["ci_high"].to_numpy(dtype=float) - estimate,
            ]
        )
        for column, field_path in enumerate(fields):
            ax = axes[row, column]
            x, labels = _axis_values(block[field_path])
            ax.errorbar(
                x,
                estimate,
                yerr=np.where(np.isfinite(errors), errors, 0.0),
                fmt="o",
                markersize=3,
                color=colour,
                ecolor=colour,
                alpha=0.8,
            )
            if labels is not None:
                ax.set_xticks(range(len(labels)), labels)
            ax.set_xlabel(field_path, fontsize=8)
            if column == 0:
                ax.set_ylabel(metric, fontsize=8)
    return fig


def is_grid(summary: pd.DataFrame, fields: Sequence[str]) -> bool:
    """Whether two fields' points form a full grid (every pair of values once)."""
    if len(fields) != 2 or summary.empty:
        return False
    pairs = summary.drop_duplicates("point")[list(fields)].astype(str)
    unique = pairs.drop_duplicates()
    return len(unique) == len(pairs) == pairs[fields[0]].nunique() * pairs[fields[1]].nunique()


def heatmap_figure(
    summary: pd.DataFrame,
    fields: Sequence[str],
    metrics: Sequence[str],
    *,
    title: str,
    replications: int,
    seed: int,
) -> Figure:
    """Each metric's mean over a grid of two fields, one heat map per metric.

    Raises:
        ValueError: if the two fields' points are not a full grid (:func:`is_grid`).
    """
    if not is_grid(summary, fields):
        raise ValueError("a heat map needs two fields whose points form a full grid")
    x_field, y_field = fields
    fig, axes = _panels(len(metrics), width=4.4, height=3.6)
    for ax, metric in zip(axes, metrics, strict=True):
        block = summary[summary["metric"] == metric]
        x_values = _sorted_unique(block[x_field])
        y_values = _sorted_unique(block[y_field])
        grid = np.full((len(y_values), len(x_values)), np.nan)
        x_at = {str(v): i for i, v in enumerate(x_values)}
        y_at = {str(v): i for i, v in enumerate(y_values)}
        for x, y, estimate in zip(block[x_field], block[y_field], block["estimate"], strict=True):
            grid[y_at[str(y)], x_at[str(x)]] = estimate
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                colour = figure_style.text_colour_on(to_hex(image.cmap(image.norm(value))))
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7, color=colour)
        ax.set_xticks(range(len(x_values)), [_tick(v) for v in x_values])
        ax.set_yticks(range(len(y_values)), [_tick(v) for v in y_values])
        ax.set_xlabel(x_field)
        ax.set_ylabel(y_field)
        ax.set_title(_label(metric), fontsize=8)
        fig.colorbar(image, ax=ax, label=metric)
    fig.suptitle(title)
    figure_style.add_caption(fig, [_caption(replications, seed, bands=False)])
    return fig


def _sorted_unique(values: pd.Series) -> list[Any]:
    unique = list(dict.fromkeys(values.tolist()))
    try:
        return sorted(unique)
    except TypeError:
        return unique


def _tick(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
