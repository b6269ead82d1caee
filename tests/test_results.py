"""Tests for writing a run's result directory (``sim.experiments.results``): its figures.

The figures a run writes come from the one list in ``sim.analysis.figure_registry``; each is
saved as PNG with the table it draws as CSV beside it, so every number drawn can be read back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis import figure_registry
from sim.analysis.figure_registry import RUN
from sim.config.loading import load_scenario
from sim.experiments.inputs import RunInputs
from sim.experiments.results import write_result_files
from sim.experiments.runner import run_scenario


@pytest.fixture(scope="module")
def written(tmp_path_factory, write_tiny) -> tuple[Path, pd.DataFrame, pd.DataFrame, float]:
    """A two-replication tiny run written into a directory; its records and warm-up."""
    root = tmp_path_factory.mktemp("results")
    scenario = load_scenario(write_tiny(root, replications=2))
    result = run_scenario(scenario)
    directory = root / "out"
    directory.mkdir()
    write_result_files(result, RunInputs.of(scenario), directory, ["mlatsim", "run"])
    return directory, result.requests, result.timeseries, scenario.simulation.warm_up_days


def test_run_writes_its_figures_with_their_tables_beside_them(written):
    """figures/ holds the three PNGs a run has always written, each with its table as CSV."""
    directory = written[0]
    names = ["time_to_evidence", "outcome_shares", "backlog"]
    run_figures = [spec.name for spec in figure_registry.FIGURES if RUN in spec.kinds]
    assert run_figures == names
    assert {path.name for path in (directory / "figures").iterdir()} == {
        f"{name}.{suffix}" for name in names for suffix in ("png", "csv")
    }
    for name in names:
        assert (directory / "figures" / f"{name}.png").read_bytes().startswith(b"\x89PNG")


def test_figure_tables_are_the_registry_run_tables(written):
    """Each CSV beside a figure is the table the registry computes from the run's records."""
    directory, requests, timeseries, warm_up = written
    for name, table in figure_registry.run_tables(requests, timeseries, warm_up).items():
        saved = pd.read_csv(directory / "figures" / f"{name}.csv")
        assert list(saved.columns) == list(table.columns)
        assert len(saved) == len(table)
        pd.testing.assert_series_equal(
            saved["estimate"], table["estimate"].reset_index(drop=True), check_dtype=False
        )


def test_result_tables_and_manifest_are_written_too(written):
    """The tables, summary and manifest are still written beside the figures.

    The timeline is written too (on by default), in row groups, and reads back whole.
    """
    directory = written[0]
    names = {path.name for path in directory.iterdir()}
    assert names == {
        "requests.parquet",
        "timeline.parquet",
        "timeseries.parquet",
        "unpursued.parquet",
        "summary.json",
        "manifest.json",
        "figures",
    }


def test_summary_leads_with_the_share_of_evidence_needs_met(written):
    """summary.json reports the needs met; case shares add to 1, unpursued counts to the total.

    The request-level share is fulfilled rows over rows plus unpursued needs, as counted from
    the two tables written beside it.
    """
    directory = written[0]
    summary = json.loads((directory / "summary.json").read_text())
    section = summary["evidence_needs"]
    cases = sum(section[f"cases_{name}"]["estimate"] for name in ("all", "some", "none"))
    assert cases == pytest.approx(1.0)
    assert sum(section["unpursued_by_channel"].values()) == pytest.approx(section["unpursued"])
    warm_up = summary["warm_up_days"]
    requests = pd.read_parquet(directory / "requests.parquet")
    unpursued = pd.read_parquet(directory / "unpursued.parquet")
    requests = requests[requests["created_day"] >= warm_up]
    unpursued = unpursued[unpursued["created_day"] >= warm_up]
    replications = requests["replication"].nunique()
    assert section["needs"] == pytest.approx((len(requests) + len(unpursued)) / replications)
    if replications == 1:
        fulfilled = (requests["outcome"] == "fulfilled").sum()
        expected = fulfilled / (len(requests) + len(unpursued))
        assert section["share_met"]["estimate"] == pytest.approx(expected)


def test_the_timeline_is_written_in_row_groups(tmp_path):
    """``write_timeline`` writes chunk by chunk, and the file reads back as the frame."""
    import pyarrow.parquet as pq

    from sim.engine.timeline import TimelineLog
    from sim.experiments.results import write_timeline

    log = TimelineLog()
    for number in range(10):
        step = type("R", (), {"request_id": number, "attempts": 1, "channel": 0})()
        step.clarifications = 0
        log.stage(step, 0, float(number), 1.0, number + 1.0)
    frame = log.to_frame(0)
    write_timeline(frame, tmp_path / "t.parquet", rows=3)
    assert pq.ParquetFile(tmp_path / "t.parquet").metadata.num_row_groups == 4
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame)
