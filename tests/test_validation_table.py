"""The model column of docs/validation.md (``tools/validation_table.py``) on a tiny run.

A few rows are recomputed directly from the requests, with the calibration targets' own
measures where one exists, so the tool's filters and windows are checked against an
independent computation; rows the model cannot measure must say so, and the docs keep their
placeholder until the real baseline is measured.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model_runs import load_tool

from sim.analysis.statistics import confidence_interval
from sim.config.loading import load_scenario
from sim.experiments import calibration_targets
from sim.experiments.inputs import RunInputs
from sim.experiments.results import write_result_files
from sim.experiments.runner import run_scenario

ROOT = Path(__file__).resolve().parents[1]


tool = load_tool("validation_table")
# Every formal need pursued, so the five-state world has formal requests to measure.
EXTRA = "\n[routing]\npursuit_scale = 1e6\n"


@pytest.fixture(scope="module")
def directory(tmp_path_factory, write_tiny) -> Path:
    """A tiny two-replication run written as a result directory."""
    root = tmp_path_factory.mktemp("validation")
    scenario = load_scenario(write_tiny(root, replications=2, scale=0.2, extra=EXTRA))
    result = run_scenario(scenario)
    out = root / "out"
    out.mkdir()
    write_result_files(result, RunInputs.of(scenario), out, ["mlatsim", "run"])
    return out


@pytest.fixture(scope="module")
def run(directory: Path):
    """The run as the tool reads it."""
    return tool.load(directory)


@pytest.fixture(scope="module")
def results(run) -> dict:
    """Every row measured on the run, by ID."""
    views = tool.replications(run)
    return {row.id: tool.measure(row, views) for row in tool.rows()}


def _per_replication(
    run, measure, bounds: tuple[float, float] = (0.0, math.inf)
) -> tuple[float, float, float]:
    """Mean and CI (clipped to ``bounds``) of ``measure`` over each replication's window."""
    start, end = run.window
    values = [
        measure(frame[(frame["created_day"] >= start) & (frame["created_day"] < end)])
        for _, frame in run.requests.groupby("replication", observed=True)
    ]
    return confidence_interval(np.array(values, dtype=float), bounds=bounds)


def test_the_window_is_the_measured_one(run) -> None:
    """Warm-up 30 days, drain 60, horizon 365: requests created in [30, 305) are measured."""
    assert run.window == (30.0, 305.0)
    assert run.scale == 0.2


def test_yearly_count_equals_a_direct_count(run, results) -> None:
    """V20: formal requests to the USA a year, of the full-scale world (÷ scale)."""

    def count(frame: pd.DataFrame) -> float:
        formal = frame[frame["channel"].isin(calibration_targets.FORMAL_MLA)]
        return (formal["requested"] == "USA").sum() / (275 / 365.25) / 0.2

    expected = _per_replication(run, count)
    got = results["V20"]
    assert got.count >= tool.MIN_ROWS
    assert (got.estimate, got.low, got.high) == pytest.approx(expected)


def test_censoring_aware_quantile_equals_the_targets_measure(run, results) -> None:
    """V8b: the 90th percentile of GBR→USA formal requests, as calibration_targets computes it."""
    quantile = calibration_targets.formal_quantile_months(0.9)

    def p90(frame: pd.DataFrame) -> float:
        return quantile(frame[(frame["requesting"] == "GBR") & (frame["requested"] == "USA")])

    expected = _per_replication(run, p90)
    assert not math.isnan(expected[0])
    got = results["V8b"]
    assert (got.estimate, got.low, got.high) == pytest.approx(expected)


def test_direct_answered_equals_the_targets_measure_per_state(run, results) -> None:
    """V17 FRA: the direct_answered_share target restricted to requests from France."""

    def answered(frame: pd.DataFrame) -> float:
        return calibration_targets.direct_answered_share(frame[frame["requesting"] == "FRA"])

    expected = _per_replication(run, answered, bounds=(0.0, 1.0))
    got = results["V17 FRA"]
    assert (got.estimate, got.low, got.high) == pytest.approx(expected)


def test_rows_the_model_cannot_measure_say_so(run, results) -> None:
    """Not-modelled rows give a reason and no model value."""
    text = tool.render(run, list(results.values()))
    for key in ("V16c", "2d growth", "2d providers", "2d appeals", "2d Eurojust"):
        verdict = tool.judge(results[key])
        assert verdict.startswith("not modelled: ") and len(verdict) > len("not modelled: ")
        line = next(line for line in text.splitlines() if line.startswith(f"| {key} |"))
        assert "| — |" in line


def test_rows_about_states_outside_the_run_have_too_few_requests(results) -> None:
    """Switzerland is not in the tiny world: V1 has no request to measure."""
    assert tool.judge(results["V1"]) == "too few requests (0)"


def test_verdicts_say_what_pass_means() -> None:
    """Each kind of row is judged by its own rule, and the verdict names it."""

    def verdict(kind: str, low: float, high: float, value: float) -> str:
        row = tool.Row("X", "q", "p", kind, low, high)
        return tool.judge(tool.Result(row, value, value, value))

    assert verdict("range", 4, 36, 10) == "pass (inside 4.00 to 36.0)"
    assert verdict("range", 4, 36, 40).startswith("miss")
    assert verdict("point", 290, 290, 200) == "pass (within ×1.5 of 290)"
    assert verdict("point", 290, 290, 150).startswith("miss")
    assert verdict("bound", 7000, 7000, 800) == "pass (at most 7,000, at least 700)"
    assert verdict("bound", 7000, 7000, 600).startswith("miss")
    assert verdict("bound", 7000, 7000, 8000).startswith("miss")
    assert verdict("order", 118, 118, 1000).startswith("pass")
    assert verdict("positive", 0, 0, 0.0) == "miss (not > 0)"
    assert verdict("report", 0, 0, 0.3).startswith("reported only")


def test_table_of_a_result_directory(directory: Path) -> None:
    """The command's table has one line per row, the run named above it."""
    text = tool.table(directory)
    assert text.startswith("Measured on `out`: scenario tiny, 2 replications")
    ids = [line.split(" | ")[0][2:] for line in text.splitlines() if line.startswith("| ")]
    assert ids[1:] == [row.id for row in tool.rows()]


def test_write_replaces_only_the_block_between_the_markers() -> None:
    """--write changes nothing outside the markers."""
    text = f"before\n{tool.BEGIN}\nold\n{tool.END}\nafter\n"
    assert tool.with_block(text, "new\n") == f"before\n{tool.BEGIN}\nnew\n{tool.END}\nafter\n"
    with pytest.raises(ValueError, match="lacks the markers"):
        tool.with_block("no markers", "new")


def test_docs_hold_a_full_scale_baseline_run() -> None:
    """validation.md's block was written from the full baseline, never from a reduced run."""
    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    block = text[text.index(tool.BEGIN) + len(tool.BEGIN) : text.index(tool.END)]
    assert "scenario baseline" in block and "demand.scale 1." in block
    assert "| V1 |" in block and "| V30b |" in block
