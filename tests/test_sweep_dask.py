"""Sweep points on a Dask cluster give the local pool's rows, row by row.

A researcher moves a sweep from a laptop to a cluster to make it faster, not different: the
same sweep file and seed must give the same tidy table whichever runs the points.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.cli import main
from sim.errors import InputError
from sim.experiments.dask_pool import run_on_dask

GRID = (
    "replications = 1\n"
    'metrics = ["median_days", "p90_days", "share_met", "backlog", "us_queue_wait_days"]\n'
    '[design]\nkind = "grid"\n[design.fields]\n'
    '"routing.pursuit_scale" = [0.06, 0.12, 0.5]\n'
)


@pytest.mark.slow
def test_a_sweep_on_a_local_dask_cluster_gives_the_local_pools_rows(tmp_path, write_tiny, capsys):
    """Same sweep in this process and on a 2-worker LocalCluster: identical tidy tables."""
    write_tiny(tmp_path, name="base", replications=1, scale=0.02)
    path = tmp_path / "sweep.toml"
    path.write_text(f'base = "base.toml"\n{GRID}', encoding="utf-8")
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert main(["sweep", str(path), "--out", str(local), "--workers", "1", "--quiet"]) == 0
    argv = ["sweep", str(path), "--out", str(dask), "--scheduler", "local", "--workers", "2"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "3 to run" in err and err.count("done in") == 3
    expected, got = (pd.read_parquet(d / "points.parquet") for d in (local, dask))
    assert len(got) == 3
    pd.testing.assert_frame_equal(got, expected)
    assert pd.read_csv(dask / "failures.csv").empty


def test_an_unreachable_scheduler_is_said_in_one_line():
    """A wrong address: an input error naming --scheduler, not a traceback."""
    with pytest.raises(InputError) as caught:
        list(run_on_dask([(0, None)], "tcp://127.0.0.1:9", workers=1, connect_seconds=1))
    assert "--scheduler" in str(caught.value) and "127.0.0.1:9" in str(caught.value)
