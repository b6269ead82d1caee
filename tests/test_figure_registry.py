"""Tests for the figure registry: one list drives the run and comparison figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis import comparison, comparison_figures, figure_registry, figures, outcome_figures
from sim.analysis.figure_registry import (
    COMPARISON,
    FIGURES,
    RUN,
    FigureContext,
    FigureSpec,
    write,
)
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
    """The run's figure context, as a run's result directory is written from it."""
    return figure_registry.run_context(tiny_run.result, tiny_run.scenario)


@pytest.fixture(scope="module")
def compared_runs(tiny_run) -> list[ScenarioRun]:
    """The run and an identical copy of itself under another name."""
    copy_scenario = with_changes(tiny_run.scenario, {"name": "copy"})
    return [tiny_run, ScenarioRun(copy_scenario, tiny_run.result, Path("unused"), reused=False)]


@pytest.fixture(scope="module")
def comparison_context(compared_runs) -> FigureContext:
    """The comparison's figure context, as a comparison directory is written from it."""
    return figure_registry.comparison_context(comparison.compare(compared_runs), compared_runs)


def test_run_context_holds_the_run_tables(tiny_run, run_context):
    """A run's figures draw its tables by channel over all its replications."""
    requests, timeseries = tiny_run.result.requests, tiny_run.result.timeseries
    warm_up = tiny_run.scenario.simulation.warm_up_days
    expected = figure_registry.run_tables(requests, timeseries, warm_up)
    assert run_context.kind == RUN
    assert run_context.replications == 2
    assert list(run_context.tables) == list(expected)
    for name, table in expected.items():
        pd.testing.assert_frame_equal(run_context.tables[name], table)


def test_every_run_figure_is_written_with_its_table_beside_it(run_context, tmp_path):
    """Each figure of a run is a PNG, and the table it draws is saved as CSV next to it."""
    paths = write(run_context, tmp_path)
    expected = [spec.name for spec in FIGURES if RUN in spec.kinds]
    assert expected == ["time_to_evidence", "outcome_shares", "backlog"]
    assert [path.stem for path in paths] == expected
    for name in expected:
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        saved = pd.read_csv(tmp_path / f"{name}.csv")
        assert len(saved) == len(run_context.tables[name])
        assert list(saved.columns) == list(run_context.tables[name].columns)


def test_comparison_figures_come_from_the_same_list(comparison_context, tmp_path):
    """A comparison writes the shared figures plus those only comparisons have (medians)."""
    paths = write(comparison_context, tmp_path)
    assert [path.stem for path in paths] == [s.name for s in FIGURES if COMPARISON in s.kinds]
    assert "median_time_to_evidence" in [path.stem for path in paths]
    medians = pd.read_csv(tmp_path / "median_time_to_evidence.csv")
    assert set(medians["metric"]) == {"median_days"}
    assert set(medians["scenario"]) == {"tiny", "copy"}


def test_comparison_writes_its_four_figures_each_with_its_table(
    comparison_context, compared_runs, tmp_path
):
    """The four PNGs a comparison has always written are there, each with its CSV.

    The tables drawn from the runs are the registry's comparison tables, one row set per
    scenario, and the comparison figures know each scenario's measured period.
    """
    write(comparison_context, tmp_path)
    names = {"time_to_evidence", "median_time_to_evidence", "outcome_shares", "backlog"}
    assert {path.stem for path in tmp_path.glob("*.png")} == names
    assert {path.stem for path in tmp_path.glob("*.csv")} == names
    for name, table in figure_registry.comparison_tables(compared_runs).items():
        saved = pd.read_csv(tmp_path / f"{name}.csv")
        assert list(saved.columns) == list(table.columns)
        assert len(saved) == len(table)
    assert set(pd.read_csv(tmp_path / "backlog.csv")["scenario"]) == {"tiny", "copy"}
    # The tiny scenario: warm-up 30 days, one year, drain 60, no run-out.
    assert compared_runs[0].scenario.simulation.measured_window == (30.0, 305.0)
    assert comparison_context.periods == {
        "tiny": compared_runs[0].scenario.simulation.measured_window,
        "copy": compared_runs[1].scenario.simulation.measured_window,
    }


def test_a_scenario_keeps_its_colour_in_every_comparison_figure(
    comparison_context, tmp_path, monkeypatch
):
    """Colours are handed out once, in scenario order, and every comparison figure gets them."""
    seen: list[dict[str, str]] = []

    def spying(spec: FigureSpec) -> FigureSpec:
        def draw(context: FigureContext, table: pd.DataFrame):
            seen.append(dict(context.colours))
            return spec.draw(context, table)

        return dataclasses.replace(spec, draw=draw)

    monkeypatch.setattr(figure_registry, "FIGURES", tuple(spying(spec) for spec in FIGURES))
    write(comparison_context, tmp_path)
    assert len(seen) == len([spec for spec in FIGURES if COMPARISON in spec.kinds])
    assert all(colours == seen[0] for colours in seen)
    assert list(seen[0]) == ["tiny", "copy"]


@pytest.mark.parametrize("module", [figures, outcome_figures, comparison_figures])
def test_builder_modules_only_build(module):
    """Figures are written only through the registry: builder modules have no writer of their own.

    Two writers would mean two lists of figures that can drift apart.
    """
    writers = [name for name in vars(module) if name.startswith(("write", "plot_"))]
    assert writers == []
