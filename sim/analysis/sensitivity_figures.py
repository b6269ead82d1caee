"""Figures of a sensitivity analysis: which assumptions move each metric, and how.

- Morris: one panel per metric, each parameter a dot at (``mu*``, ``sigma``) with its 95%
  bootstrap interval on both axes. Far right: influential; high: its effect depends on the
  other parameters (interactions or a curved response); near the origin: negligible over its
  range. The top parameters by ``mu*`` are labelled.
- Sobol: one panel per metric, first-order and total indices as bars with their 95% intervals.

Indices are per whole range of a parameter (unit coordinates), in the metric's own unit for
Morris and as shares of variance for Sobol; the caption says so.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.analysis import figure_style
from sim.analysis.sweep_metrics import METRICS

LABELLED = 5
"""Parameters labelled in each Morris panel: the top ones by mu*..."""
LABEL_SHARE = 0.05
"""...whose mu* is at least this share of the largest (the others crowd the origin: the
legend names every colour)."""


def _panels(count: int, width: float = 4.6, height: float = 3.6) -> tuple[Figure, list[Axes]]:
    return figure_style.panels(count, width, height, margin=1.2)


def _title(metric: str) -> str:
    return textwrap.fill(f"{metric}: {METRICS.get(metric, '')}", 52)


def short_name(parameter: str) -> str:
    """A parameter's path without its common first part (``routing.``, ``channels.``)."""
    return parameter.removeprefix("channels.").removeprefix("routing.")


def morris_figure(
    table: pd.DataFrame, metrics: Sequence[str], *, title: str, trajectories: int
) -> Figure:
    """The mu*-sigma plot of each metric (``table``: the sensitivity table's Morris rows)."""
    fig, axes = _panels(len(metrics))
    colours = dict(
        zip(
            table["parameter"].drop_duplicates(),
            figure_style.palette(table["parameter"].nunique()),
            strict=True,
        )
    )
    for ax, metric in zip(axes, metrics, strict=True):
        block = table[table["metric"] == metric]
        ax.set_title(_title(metric), fontsize=9)
        if block["mu_star"].notna().sum() == 0:
            figure_style.draw_no_data(ax, "No values")
            continue
        for row in block.itertuples():
            if not np.isfinite(row.mu_star):
                continue
            xerr = _err(row.mu_star, row.mu_star_low, row.mu_star_high)
            yerr = _err(row.sigma, row.sigma_low, row.sigma_high)
            ax.errorbar(
                row.mu_star,
                row.sigma,
                xerr=xerr,
                yerr=yerr,
                fmt="o",
                color=colours[row.parameter],
                markersize=5,
                elinewidth=0.8,
                capsize=2,
            )
        top = block.nsmallest(LABELLED, "rank")
        top = top[top["mu_star"] >= LABEL_SHARE * block["mu_star"].max()]
        for row in top.itertuples():
            ax.annotate(
                short_name(row.parameter),
                (row.mu_star, row.sigma),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
            )
        ax.set_xlabel("mu* (mean |effect| over the range)")
        ax.set_ylabel("sigma (spread of effects)")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    handles = [
        Line2D([], [], color=colour, marker="o", linestyle="", label=short_name(parameter))
        for parameter, colour in colours.items()
    ]
    # In the empty last panel's place when there is one, else beside the panels.
    where = "lower right" if len(metrics) % 3 else "outside right center"
    fig.legend(handles=handles, loc=where, fontsize=7, title="parameter")
    fig.suptitle(title, fontsize=11)
    figure_style.add_caption(
        fig,
        [
            f"Morris elementary effects over {trajectories} trajectories; an effect is the "
            "change of the metric when one parameter moves across its whole range (unit "
            "coordinates), in the metric's unit. Bars: 95% bootstrap intervals over "
            f"trajectories. The top {LABELLED} parameters by mu* are labelled (unless near 0). "
            "Every point runs with one seed (common random numbers).",
        ],
    )
    return fig


def sobol_figure(
    table: pd.DataFrame, metrics: Sequence[str], *, title: str, samples: int
) -> Figure:
    """First-order and total Sobol indices of each metric, with their 95% intervals."""
    fig, axes = _panels(len(metrics), height=0.35 * table["parameter"].nunique() + 1.6)
    for ax, metric in zip(axes, metrics, strict=True):
        block = table[table["metric"] == metric].reset_index(drop=True)
        ax.set_title(_title(metric), fontsize=9)
        if block["ST"].notna().sum() == 0:
            figure_style.draw_no_data(ax, "No values")
            continue
        y = np.arange(len(block))
        for offset, index, colour in ((-0.2, "S1", "#0072B2"), (0.2, "ST", "#E69F00")):
            low = (block[index] - block[f"{index}_low"]).clip(lower=0)
            high = (block[f"{index}_high"] - block[index]).clip(lower=0)
            ax.barh(
                y + offset,
                block[index],
                height=0.38,
                color=colour,
                xerr=[low, high],
                error_kw={"elinewidth": 0.8, "capsize": 2},
                label={"S1": "first order", "ST": "total"}[index],
            )
        ax.set_yticks(y, [short_name(p) for p in block["parameter"]], fontsize=7)
        ax.invert_yaxis()
        ax.axvline(0.0, color="#777777", linewidth=0.6)
        ax.set_xlabel("share of variance")
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=11)
    figure_style.add_caption(
        fig,
        [
            f"Sobol indices from Saltelli's design with {samples} base samples; bars: 95% "
            "bootstrap intervals (SALib). First order: the variance a parameter explains "
            "alone; total: alone and in interaction with the others.",
        ],
    )
    return fig


def _err(value: float, low: float, high: float) -> list[list[float]] | None:
    if not (np.isfinite(value) and np.isfinite(low) and np.isfinite(high)):
        return None
    return [[max(0.0, value - low)], [max(0.0, high - value)]]
