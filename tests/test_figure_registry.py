"""Tests for the figure registry: one list drives the run and comparison figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.analysis import comparison, figure_registry
from sim.analysis.figure_registry import COMPARISON, FIGURES, RUN, FigureContext, write
from sim.analysis.runs import ScenarioRun
from sim.config.loading import load_scenario, with_changes
from sim.experiments.runner import run_scenario


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, write_tiny) -> ScenarioRun:
    """A two-replication run of the tiny scenario."""
    scenario = load_scenario(write_tiny(tmp_path_factory.mktemp("figreg"), replications=2))
    result = run_scenario(scenario)
    return ScenarioRun(scenario, result, Path("unused"), reused=False)


@pytest.fixture(scope="module")
def run_context(tiny_run) -> FigureContext:
    """The run's figure context."""
    requests, timeseries = tiny_run.result.requests, tiny_run.result.timeseries
    warm_up = tiny_run.scenario.simulation.warm_up_days
    tables = figure_registry.run_tables(requests, timeseries, warm_up)
    return FigureContext(kind=RUN, tables=tables, replications=2)


@pytest.fixture(scope="module")
def comparison_context(tiny_run) -> FigureContext:
    """The run compared with an identical copy of itself under another name."""
    copy_scenario = with_changes(tiny_run.scenario, {"name": "copy"})
    runs = [tiny_run, ScenarioRun(copy_scenario, tiny_run.result, Path("unused"), reused=False)]
    result = comparison.compare(runs)
    return FigureContext(
        kind=COMPARISON,
        tables=comparison.figure_tables(runs),
        replications=2,
        scenarios=result.scenarios,
        comparison=result.table,
    )


def test_every_run_figure_is_written_with_its_table_beside_it(run_context, tmp_path):
    """Each figure of a run is a PNG, and the table it draws is saved as CSV next to it."""
    paths = write(run_context, tmp_path)
    expected = [spec.name for spec in FIGURES if RUN in spec.kinds]
    assert [path.stem for path in paths] == expected
    for name in expected:
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        saved = pd.read_csv(tmp_path / f"{name}.csv")
        assert len(saved) == len(run_context.tables[name])


def test_comparison_figures_come_from_the_same_list(comparison_context, tmp_path):
    """A comparison writes the shared figures plus those only comparisons have (medians)."""
    paths = write(comparison_context, tmp_path)
    assert [path.stem for path in paths] == [s.name for s in FIGURES if COMPARISON in s.kinds]
    assert "median_time_to_evidence" in [path.stem for path in paths]
    medians = pd.read_csv(tmp_path / "median_time_to_evidence.csv")
    assert set(medians["metric"]) == {"median_days"}
    assert set(medians["scenario"]) == {"tiny", "copy"}
