"""The list of figures: one entry per figure drives both the run and the comparison writers.

Adding a figure means one :class:`FigureSpec` here (its file name, which results it belongs
to, the table it draws and how it draws it) and its builder in :mod:`sim.analysis.figures`,
:mod:`sim.analysis.outcome_figures` or :mod:`sim.analysis.comparison_figures`. Every figure's
table is saved as CSV beside its PNG, so each number drawn can be read back without the code.

The tables themselves are computed here too (:func:`run_tables`, :func:`comparison_tables`),
from the statistics module, so that what a figure shows and what its CSV holds cannot drift
apart: the writer saves exactly the frame it hands to the builder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis import statistics
from sim.analysis.comparison import Comparison
from sim.analysis.comparison_figures import build_backlog_comparison, build_median_comparison
from sim.analysis.figure_style import group_colours, save
from sim.analysis.figures import build_backlog, build_time_to_evidence
from sim.analysis.outcome_figures import build_outcome_shares
from sim.analysis.runs import RunResult, ScenarioRun
from sim.config.schema import Scenario

RUN = "run"
COMPARISON = "comparison"
CURVE_GRID_DAYS = np.arange(0.0, 731.0, 1.0)
"""Days at which time-to-evidence curves are estimated (two years)."""
BACKLOG_STATES = 6
"""How many of the busiest central authorities a run's backlog figure shows."""


@dataclass(frozen=True)
class FigureContext:
    """What a figure may draw from.

    Attributes:
        kind: :data:`RUN` or :data:`COMPARISON`.
        tables: The tables computed for this kind (see :func:`run_tables`,
            :func:`comparison_tables`).
        replications: Replications behind every estimate.
        scenarios: Compared scenarios, the reference first (comparisons only).
        comparison: The comparison table (comparisons only).
        periods: Each scenario's measured period (comparisons only).
        colours: Scenario colours shared by every comparison figure; :func:`write` hands
            them out in scenario order when empty.
    """

    kind: str
    tables: Mapping[str, pd.DataFrame]
    replications: int
    scenarios: Sequence[str] = ()
    comparison: pd.DataFrame | None = None
    periods: Mapping[str, tuple[float, float]] | None = None
    colours: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FigureSpec:
    """One figure: its file stem, where it appears, its table and how it is drawn."""

    name: str
    kinds: frozenset[str]
    table: Callable[[FigureContext], pd.DataFrame]
    draw: Callable[[FigureContext, pd.DataFrame], Figure]


def _table(name: str) -> Callable[[FigureContext], pd.DataFrame]:
    return lambda context: context.tables[name]


def _medians(context: FigureContext) -> pd.DataFrame:
    table = context.comparison
    if table is None:
        raise ValueError("the median figure needs the comparison table")
    return table[table["metric"] == "median_days"].reset_index(drop=True)


def _time_to_evidence(context: FigureContext, table: pd.DataFrame) -> Figure:
    if context.kind == RUN:
        return build_time_to_evidence(table, replications=context.replications)
    return build_time_to_evidence(
        table,
        replications=context.replications,
        title="Time to evidence by scenario (all requests after the warm-up)",
        colours=dict(context.colours),
        group_label="scenario",
    )


def _outcome_shares(context: FigureContext, table: pd.DataFrame) -> Figure:
    if context.kind == RUN:
        return build_outcome_shares(table, replications=context.replications)
    fig = build_outcome_shares(
        table,
        replications=context.replications,
        title="Outcome of requests by scenario",
        group_label="scenario",
    )
    for tick in fig.axes[0].get_yticklabels():
        tick.set_color(context.colours.get(tick.get_text(), "black"))
    return fig


def _median(context: FigureContext, table: pd.DataFrame) -> Figure:
    return build_median_comparison(
        table,
        scenarios=context.scenarios,
        replications=context.replications,
        colours=context.colours,
    )


def _backlog(context: FigureContext, table: pd.DataFrame) -> Figure:
    if context.kind == RUN:
        return build_backlog(table, replications=context.replications)
    return build_backlog_comparison(
        table,
        scenarios=context.scenarios,
        replications=context.replications,
        colours=context.colours,
        periods=context.periods,
    )


BOTH = frozenset({RUN, COMPARISON})
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("time_to_evidence", BOTH, _table("time_to_evidence"), _time_to_evidence),
    FigureSpec("median_time_to_evidence", frozenset({COMPARISON}), _medians, _median),
    FigureSpec("outcome_shares", BOTH, _table("outcome_shares"), _outcome_shares),
    FigureSpec("backlog", BOTH, _table("backlog"), _backlog),
)
"""Every figure, in the order it is written."""


def run_tables(
    requests: pd.DataFrame, timeseries: pd.DataFrame, warm_up_days: float
) -> dict[str, pd.DataFrame]:
    """The tables a run's figures draw: curves and outcome shares by channel, backlogs."""
    return {
        "time_to_evidence": statistics.cif_curves(
            requests, CURVE_GRID_DAYS, by="channel", warm_up_days=warm_up_days
        ),
        "outcome_shares": statistics.outcome_shares(
            requests, by="channel", warm_up_days=warm_up_days
        ),
        "backlog": statistics.backlog_series(timeseries, top=BACKLOG_STATES),
    }


def comparison_tables(runs: Sequence[ScenarioRun]) -> dict[str, pd.DataFrame]:
    """The tables the comparison figures draw, one row set per scenario.

    Returns:
        ``time_to_evidence`` (``group`` = scenario, ``day``, estimate and CI of the
        cumulative incidence of fulfilment over every request after the warm-up),
        ``outcome_shares`` (``group`` = scenario, ``outcome``, ...), and ``backlog``
        (``scenario``, ``day``, ... of the world's total backlog over the whole run).
    """
    curves, shares, backlogs = [], [], []
    for run in runs:
        requests, warm_up = run.result.requests, run.scenario.simulation.warm_up_days
        curve = statistics.cif_curves(requests, CURVE_GRID_DAYS, warm_up_days=warm_up)
        curves.append(curve.assign(group=run.name))
        share = statistics.outcome_shares(requests, warm_up_days=warm_up)
        shares.append(share.assign(group=run.name))
        series = run.result.timeseries
        total = series.groupby(["replication", "day"], observed=True)["backlog"].sum().reset_index()
        total["state"] = run.name
        backlog = statistics.backlog_series(total, top=1)
        backlogs.append(backlog.rename(columns={"state": "scenario"}))
    return {
        "time_to_evidence": pd.concat(curves, ignore_index=True),
        "outcome_shares": pd.concat(shares, ignore_index=True),
        "backlog": pd.concat(backlogs, ignore_index=True),
    }


def run_context(result: RunResult, scenario: Scenario) -> FigureContext:
    """What a run's figures draw: its tables by channel, over its replications."""
    simulation = scenario.simulation
    return FigureContext(
        kind=RUN,
        tables=run_tables(result.requests, result.timeseries, simulation.warm_up_days),
        replications=simulation.replications,
    )


def comparison_context(comparison: Comparison, runs: Sequence[ScenarioRun]) -> FigureContext:
    """What a comparison's figures draw: per-scenario tables, the comparison, the periods.

    Args:
        comparison: The statistics of the comparison (its table feeds the median figure).
        runs: The compared runs, the reference first.
    """
    return FigureContext(
        kind=COMPARISON,
        tables=comparison_tables(runs),
        replications=comparison.replications,
        scenarios=comparison.scenarios,
        comparison=comparison.table,
        periods={run.name: run.scenario.simulation.measured_window for run in runs},
    )


def write(context: FigureContext, directory: Path) -> list[Path]:
    """Write every figure of ``context.kind`` as PNG, with its table as CSV beside it.

    A scenario keeps one colour in every comparison figure: unless the context brings its
    own, colours are handed out once here, in scenario order (the reference first).

    Args:
        context: The tables and settings the figures draw (:func:`run_context`,
            :func:`comparison_context`).
        directory: Output directory, created if needed.

    Returns:
        The PNG paths, in :data:`FIGURES` order.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    if context.kind == COMPARISON and not context.colours:
        context = dataclasses.replace(context, colours=group_colours(context.scenarios))
    paths = []
    for spec in FIGURES:
        if context.kind not in spec.kinds:
            continue
        table = spec.table(context)
        table.to_csv(out / f"{spec.name}.csv", index=False)
        paths.append(save(spec.draw(context, table), out / f"{spec.name}.png"))
    return paths
