"""Tests that runs are reproducible: same scenario and seed, same rows (DESIGN section 4).

Rows must not depend on how often a run is repeated, on the number of worker processes, on
how many replications are run, or on which other random streams exist.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.runs import RunResult
from sim.cli import main
from sim.config.loading import load_scenario, validate_settings
from sim.config.schema import Scenario
from sim.engine.streams import RandomStreams, stream_seed
from sim.experiments.runner import run_scenario


def _with(scenario: Scenario, **simulation) -> Scenario:
    """The scenario with some ``simulation`` settings changed."""
    settings = scenario.model_dump()
    settings["simulation"].update(simulation)
    return validate_settings(settings)


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory: pytest.TempPathFactory, write_tiny) -> Path:
    """The tiny scenario's file (seed 11, two replications)."""
    return write_tiny(tmp_path_factory.mktemp("determinism"))


@pytest.fixture(scope="module")
def tiny(tiny_file: Path) -> Scenario:
    """The tiny scenario, loaded."""
    return load_scenario(tiny_file)


@pytest.fixture(scope="module")
def reference(tiny: Scenario) -> RunResult:
    """The tiny scenario run once, serially."""
    return run_scenario(tiny, workers=1)


def test_reference_run_is_not_empty(reference):
    """The reference run has requests in both replications, so comparisons mean something."""
    assert set(reference.requests["replication"].unique()) == {0, 1}
    assert len(reference.timeseries) > 0
    counts = reference.requests.groupby("replication").size()
    assert (counts > 50).all()


def test_same_seed_gives_identical_tables(tiny, reference):
    """Running the same scenario and seed again gives identical requests and time series."""
    again = run_scenario(tiny, workers=1)
    pd.testing.assert_frame_equal(again.requests, reference.requests)
    pd.testing.assert_frame_equal(again.timeseries, reference.timeseries)


def test_serial_and_parallel_runs_are_identical(tiny, reference):
    """One worker and two worker processes give identical requests and time series."""
    parallel = run_scenario(tiny, workers=2)
    pd.testing.assert_frame_equal(parallel.requests, reference.requests)
    pd.testing.assert_frame_equal(parallel.timeseries, reference.timeseries)


def test_different_seed_gives_different_rows(tiny, reference):
    """Another seed draws other requests: the tables differ."""
    other = run_scenario(_with(tiny, seed=12), workers=1)
    assert not other.requests.equals(reference.requests)
    first = reference.requests.loc[reference.requests["replication"] == 0, "created_day"]
    second = other.requests.loc[other.requests["replication"] == 0, "created_day"]
    n = min(len(first), len(second))
    assert not np.array_equal(first.to_numpy()[:n], second.to_numpy()[:n])


def test_replications_differ_from_each_other(reference):
    """Replications of one run draw different numbers (they are independent, not copies)."""
    requests = reference.requests
    first = requests.loc[requests["replication"] == 0, "created_day"].to_numpy()
    second = requests.loc[requests["replication"] == 1, "created_day"].to_numpy()
    n = min(len(first), len(second))
    assert not np.array_equal(first[:n], second[:n])


def test_replication_rows_do_not_depend_on_replication_count(tiny, reference):
    """Replications 0 and 1 of a three-replication run equal those of a two-replication run."""
    three = run_scenario(_with(tiny, replications=3), workers=1)
    assert set(three.requests["replication"].unique()) == {0, 1, 2}
    for table in ("requests", "timeseries"):
        frame = getattr(three, table)
        first_two = frame[frame["replication"] < 2].reset_index(drop=True)
        pd.testing.assert_frame_equal(first_two, getattr(reference, table))


def test_written_table_equals_runner_rows(tiny_file, reference, tmp_path):
    """``mlatsim run`` writes exactly the runner's rows (parquet round trip)."""
    out = tmp_path / "out"
    argv = ["run", str(tiny_file), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(argv) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "requests.parquet"), reference.requests)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"), reference.timeseries)


# --- streams ----------------------------------------------------------------------------------


def _draws(streams: RandomStreams, name: str) -> list[float]:
    """A mix of uniform and exponential draws from one named stream."""
    stream = streams[name]
    return [stream.uniform() for _ in range(5)] + [stream.exponential() for _ in range(5)]


def test_stream_does_not_depend_on_other_streams():
    """Stream 'a' gives the same numbers whether or not stream 'b' was created and drawn first."""
    alone = _draws(RandomStreams(20261128, 3), "arrivals/USA")
    crowded = RandomStreams(20261128, 3)
    _draws(crowded, "levers/join")
    crowded["adaptation/uptake"].uniform()
    assert _draws(crowded, "arrivals/USA") == alone


def test_stream_does_not_depend_on_creation_order():
    """Creating 'a' before or after 'b' changes neither stream's numbers."""
    first = RandomStreams(5, 0)
    a_first, b_second = _draws(first, "arrivals/USA"), _draws(first, "levers/join")
    second = RandomStreams(5, 0)
    b_first, a_second = _draws(second, "levers/join"), _draws(second, "arrivals/USA")
    assert a_first == a_second
    assert b_first == b_second


def test_stream_is_looked_up_not_recreated():
    """Asking for the same name twice continues one stream rather than restarting it."""
    streams = RandomStreams(5, 0)
    first = streams["arrivals/USA"].uniform()
    assert streams["arrivals/USA"].uniform() != first
    assert streams["arrivals/USA"] is streams["arrivals/USA"]


def test_streams_differ_by_name_replication_and_seed():
    """Names, replications and seeds each give different numbers."""
    base = _draws(RandomStreams(5, 0), "arrivals/USA")
    assert _draws(RandomStreams(5, 0), "levers/join") != base
    assert _draws(RandomStreams(5, 1), "arrivals/USA") != base
    assert _draws(RandomStreams(6, 0), "arrivals/USA") != base


def test_stream_crosses_block_boundary_unchanged():
    """Draws past the internal buffer equal the generator's own sequence from the same seed."""
    stream = RandomStreams(9, 2)["arrivals/USA"]
    drawn = [stream.uniform() for _ in range(10_000)]
    expected = np.random.Generator(np.random.PCG64(stream_seed(9, 2, "arrivals/USA"))).random(
        10_000
    )
    np.testing.assert_array_equal(np.array(drawn), expected)
