"""Sensitivity analysis: the indices are SALib's, the command resumes, bad files are refused.

A researcher ranks assumptions by ``mu*`` and reads ``sigma`` for interactions, so the
indices must be the textbook ones (SALib's, on a function whose answer is known), the command
must run its design as a sweep (stored, resumed: nothing runs twice), and a mistake in the file
must be one line naming the field before any point runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import morris as salib_morris

from sim.analysis.sensitivity_indices import morris_indices, sobol_indices
from sim.cli import main
from sim.experiments.sensitivity_spec import draw

SPEC = (
    "replications = 1\n"
    'metrics = ["median_days", "share_met", "us_queue_wait_days"]\n'
    "[ranges]\n"
    '"routing.pursuit_scale" = [0.06, 0.5]\n'
    '"routing.urgent_patience" = [0.1, 0.5]\n'
    "[morris]\ntrajectories = 2\nlevels = 4\nseed = 3\n"
)


def _spec(directory: Path, body: str, write_tiny) -> Path:
    write_tiny(directory, name="base", replications=1, scale=0.02)
    path = directory / "screen.toml"
    path.write_text(f'base = "base.toml"\n{body}', encoding="utf-8")
    return path


def test_morris_indices_are_salibs_and_rank_a_known_function():
    """On y = 4 a + b^2 (c inert): mu*, sigma and mu are SALib's; a ranks first, c last."""
    names = ["a", "b", "c"]
    unit = draw("morris", 3, {"trajectories": 12, "levels": 4, "seed": 5})
    y = 4 * unit[:, 0] + unit[:, 1] ** 2
    ours = morris_indices(unit, y, 12, names, seed=1).set_index("parameter")
    problem = {"num_vars": 3, "names": names, "bounds": [[0.0, 1.0]] * 3}
    theirs = salib_morris.analyze(problem, unit, y, num_levels=4, seed=1)
    np.testing.assert_allclose(ours["mu_star"], theirs["mu_star"])
    np.testing.assert_allclose(ours["mu"], theirs["mu"])
    np.testing.assert_allclose(ours["sigma"], theirs["sigma"], atol=1e-12)
    assert ours["mu_star"].idxmax() == "a" and ours.loc["c", "mu_star"] == 0.0
    assert ours.loc["a", "mu_star"] == pytest.approx(4.0)
    assert ours.loc["b", "mu_star_low"] <= ours.loc["b", "mu_star"] <= ours["mu_star_high"]["b"]
    assert ours.loc["b", "sigma"] > 0.0 and ours.loc["a", "sigma"] == pytest.approx(0.0, abs=1e-9)


def test_morris_leaves_out_effects_of_a_missing_value():
    """A failed point (NaN) removes the two effects it takes part in, not the parameter."""
    unit = draw("morris", 2, {"trajectories": 4, "levels": 4, "seed": 2})
    y = unit[:, 0] + 2 * unit[:, 1]
    y[1] = np.nan
    table = morris_indices(unit, y, 4, ["a", "b"], seed=1).set_index("parameter")
    assert table["effects"].sum() == 8 - 2
    assert table.loc["b", "mu_star"] == pytest.approx(2.0)


def test_sobol_indices_of_an_additive_function():
    """Y = 2 a + b: first-order and total indices near 4/5 and 1/5, c inert."""
    unit = draw("sobol", 3, {"samples": 256, "seed": 1})
    y = 2 * unit[:, 0] + unit[:, 1]
    table = sobol_indices(y, ["a", "b", "c"], seed=1).set_index("parameter")
    assert table.loc["a", "S1"] == pytest.approx(0.8, abs=0.05)
    assert table.loc["b", "ST"] == pytest.approx(0.2, abs=0.05)
    assert abs(table.loc["c", "ST"]) < 0.02
    assert (table["S1_low"] <= table["S1"]).all() and (table["ST"] <= table["ST_high"]).all()


def test_a_morris_screening_runs_as_a_sweep_and_resumes(tmp_path, write_tiny, capsys):
    """Table, figure and stored points; run again, nothing runs and the table is the same."""
    path = _spec(tmp_path, SPEC, write_tiny)
    out = tmp_path / "out"
    argv = ["sensitivity", str(path), "--method", "morris", "--out", str(out), "--workers", "1"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "6 point(s) x 1 replication(s), seed" in captured.err  # 2 trajectories x 3
    table = pd.read_csv(out / "sensitivity.csv")
    assert len(table) == 3 * 2
    assert set(table["metric"]) == {"median_days", "share_met", "us_queue_wait_days"}
    assert {"mu_star", "mu_star_low", "mu_star_high", "sigma", "sigma_low", "rank"} <= set(
        table.columns
    )
    assert (out / "figures" / "sensitivity.png").stat().st_size > 0
    stored = len(list((out / "points").glob("*.json")))
    distinct = pd.read_csv(out / "points.csv").drop_duplicates(
        ["routing.pursuit_scale", "routing.urgent_patience"]
    )
    assert stored == len(distinct) <= 6  # trajectories may share points: each runs once
    # The pursuit scale moves the share of needs met (more needs become requests).
    met = table[table["metric"] == "share_met"].set_index("parameter")
    assert met.loc["routing.pursuit_scale", "mu_star"] > 0.0

    assert main(argv) == 0
    assert f"{stored} stored, 0 to run" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(out / "sensitivity.csv"), table)


BAD = {
    "unknown field path": (SPEC + '"routing.no_such" = [0.1, 0.2]\n', "routing.no_such"),
    "range outside the field": (
        SPEC.replace("[0.1, 0.5]", "[0.1, 1.5]"),
        "routing.urgent_patience",
    ),
    "empty design": (SPEC.split("[ranges]")[0] + "[ranges]\n", "ranges"),
    "zero replications": (SPEC.replace("replications = 1", "replications = 0"), "replications"),
    "zero trajectories": (SPEC.replace("trajectories = 2", "trajectories = 0"), "trajectories"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_a_bad_sensitivity_file_exits_2_naming_the_field(case, tmp_path, write_tiny, capsys):
    """Each mistake: exit 2, one line naming the file and the field, nothing written."""
    body, field = BAD[case]
    path = _spec(tmp_path, body, write_tiny)
    out = tmp_path / "out"
    code = main(["sensitivity", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert field in lines[0] and "screen.toml" in lines[0], lines[0]
    assert not out.exists()
