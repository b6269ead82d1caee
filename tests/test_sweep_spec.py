"""Sweep files and designs: what points a file makes, and which files are refused, before any run.

A design must give the points a researcher expects (a grid is every combination, a Latin
hypercube hits each stratum of each field once and is drawn again from its seed), and a
mistake in a sweep file must be one line naming the field, with nothing written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.sweep_metrics import DEFAULT_METRICS, METRICS
from sim.cli import main
from sim.config.loading import NO_CALIBRATION
from sim.errors import InputError
from sim.experiments import designs
from sim.experiments.sweep_spec import read_sweep

LEVER = '[[levers]]\nlever = "ca_staffing"\nstrength = 0.5\nstates = ["USA"]\n'


def _sweep(directory: Path, body: str, write_tiny, extra: str = "") -> Path:
    write_tiny(directory, name="base", extra=extra)
    path = directory / "sweep.toml"
    path.write_text(f'base = "base.toml"\n{body}', encoding="utf-8")
    return path


# --- designs ----------------------------------------------------------------------------------


def test_grid_is_every_combination_first_field_slowest():
    """A grid of 3 x 2 values is 6 distinct points, the first field varying slowest."""
    points = designs.grid({"a": [1, 2, 3], "b": [0.5, 1.5]})
    assert len(points) == 6
    assert points[0] == {"a": 1, "b": 0.5}
    assert points[1] == {"a": 1, "b": 1.5}
    assert points[-1] == {"a": 3, "b": 1.5}
    assert len({tuple(p.values()) for p in points}) == 6


@pytest.mark.parametrize("samples", [1, 5, 17])
def test_latin_hypercube_hits_each_stratum_of_each_field_once(samples):
    """Each of the n equal strata of each field's range holds exactly one point."""
    points = designs.latin_hypercube({"x": (2.0, 4.0), "y": (0.0, 1.0)}, samples, seed=3)
    assert len(points) == samples
    for field, (low, high) in {"x": (2.0, 4.0), "y": (0.0, 1.0)}.items():
        values = np.array([point[field] for point in points])
        assert ((values >= low) & (values < high)).all()
        strata = np.floor((values - low) / (high - low) * samples).astype(int)
        assert sorted(strata) == list(range(samples))


def test_latin_hypercube_is_drawn_again_from_its_seed():
    """The same seed draws the same points; another seed others."""
    ranges = {"x": (0.0, 1.0), "y": (10.0, 20.0)}
    first = designs.latin_hypercube(ranges, 8, seed=5)
    assert designs.latin_hypercube(ranges, 8, seed=5) == first
    assert designs.latin_hypercube(ranges, 8, seed=6) != first


def test_latin_hypercube_keeps_whole_numbers_and_dates():
    """A range of whole numbers gives whole numbers, one of dates gives dates."""
    ranges = {"staff": (10, 14), "start": (dt.date(2027, 1, 1), dt.date(2027, 1, 10))}
    points = designs.latin_hypercube(ranges, 5, seed=1)
    staff = [point["staff"] for point in points]
    assert all(isinstance(value, int) for value in staff)
    assert sorted(staff) == [10, 11, 12, 13, 14]  # five strata of five whole numbers
    starts = [point["start"] for point in points]
    assert all(dt.date(2027, 1, 1) <= day <= dt.date(2027, 1, 10) for day in starts)
    assert all(type(day) is dt.date for day in starts)


# --- reading a sweep file ---------------------------------------------------------------------


def test_a_grid_file_makes_one_valid_scenario_per_point(tmp_path, write_tiny):
    """Quoted or dotted paths, list items, new state overrides; fixed, seed, replications."""
    body = (
        "replications = 3\nseed = 99\n"
        '[fixed]\n"demand.scale" = 0.02\n'
        '[design]\nkind = "grid"\n[design.fields]\n'
        '"routing.pursuit_scale" = [0.5, 1.0]\n'
        "levers.0.strength = [0.0, 0.25, 1.0]\n"  # unquoted: nested tables, same path
        '"states.USA.ca_staff" = [7]\n'
    )
    spec = read_sweep(_sweep(tmp_path, body, write_tiny, extra=LEVER), NO_CALIBRATION)
    assert spec.fields == ("routing.pursuit_scale", "levers.0.strength", "states.USA.ca_staff")
    assert len(spec.points) == 6
    assert spec.metrics == DEFAULT_METRICS
    assert (spec.replications, spec.seed) == (3, 99)
    last = spec.points[-1].scenario
    assert last.routing.pursuit_scale == 1.0
    assert last.levers[0].strength == 1.0
    assert last.states["USA"].ca_staff == 7
    for point in spec.points:  # the fixed change, the seed and replications everywhere
        assert point.scenario.demand.scale == 0.02
        assert point.scenario.simulation.seed == 99
        assert point.scenario.simulation.replications == 3


def test_a_points_file_and_an_lhs_file(tmp_path, write_tiny):
    """Listed points set dates of levers; a hypercube keeps each field in its range."""
    listed = (
        'metrics = ["p90_days", "share_met"]\n[design]\nkind = "points"\npoints = [\n'
        '  { "routing.pursuit_scale" = 0.5, "levers.0.start" = 2026-06-01 },\n'
        '  { "routing.pursuit_scale" = 2.0, "levers.0.start" = 2026-09-01 },\n]\n'
    )
    spec = read_sweep(_sweep(tmp_path, listed, write_tiny, extra=LEVER), NO_CALIBRATION)
    assert [p.scenario.levers[0].start for p in spec.points] == [
        dt.date(2026, 6, 1),
        dt.date(2026, 9, 1),
    ]
    assert spec.metrics == ("p90_days", "share_met")
    sampled = (
        '[design]\nkind = "lhs"\nsamples = 6\nseed = 2\n[design.ranges]\n'
        '"routing.pursuit_scale" = [0.25, 4.0]\n"states.USA.ca_staff" = [5, 40]\n'
    )
    spec = read_sweep(_sweep(tmp_path, sampled, write_tiny), NO_CALIBRATION)
    scales = [p.scenario.routing.pursuit_scale for p in spec.points]
    assert len(scales) == 6 and all(0.25 <= s < 4.0 for s in scales)
    assert all(5 <= p.scenario.states["USA"].ca_staff <= 40 for p in spec.points)


def test_every_metric_name_is_documented():
    """docs/experiments.md names every metric a sweep file may ask for."""
    text = Path(__file__).parents[1].joinpath("docs", "experiments.md").read_text()
    missing = [name for name in METRICS if f"`{name}`" not in text]
    assert not missing


# --- bad input: exit 2, one line naming the field, nothing written ----------------------------

GRID = '[design]\nkind = "grid"\n[design.fields]\n'
BAD = {
    "unknown field path": (GRID + '"routing.pursuit_scal" = [0.5]\n', "routing.pursuit_scal"),
    "a list item the base lacks": (GRID + '"levers.0.strength" = [0.5]\n', "levers.0"),
    "a value the field refuses": (
        GRID + '"routing.urgent_patience" = [0.5, 2.0]\n',
        "routing.urgent_patience",
    ),
    "a whole-number field given a fraction": (
        GRID + '"states.USA.ca_staff" = [5.5]\n',
        "states.USA.ca_staff",
    ),
    "a state the world lacks": (GRID + '"states.XXX.ca_staff" = [5]\n', "states.XXX"),
    "an empty grid": (GRID, "design.fields"),
    "a field with no values": (GRID + '"routing.pursuit_scale" = []\n', "routing.pursuit_scale"),
    "an empty list of points": ('[design]\nkind = "points"\npoints = []\n', "design.points"),
    "points setting other fields": (
        '[design]\nkind = "points"\npoints = [{ "routing.pursuit_scale" = 1.0 }, '
        '{ "demand.scale" = 0.1 }]\n',
        "design.points[1]",
    ),
    "zero replications": (
        "replications = 0\n" + GRID + '"routing.pursuit_scale" = [1.0]\n',
        "replications",
    ),
    "zero samples": (
        '[design]\nkind = "lhs"\nsamples = 0\nseed = 1\n[design.ranges]\n'
        '"routing.pursuit_scale" = [0.5, 1.0]\n',
        "design.samples",
    ),
    "a range outside the field's": (
        '[design]\nkind = "lhs"\nsamples = 4\nseed = 1\n[design.ranges]\n'
        '"routing.pursuit_scale" = [-1.0, 1.0]\n',
        "routing.pursuit_scale",
    ),
    "a range upside down": (
        '[design]\nkind = "lhs"\nsamples = 4\nseed = 1\n[design.ranges]\n'
        '"routing.pursuit_scale" = [2.0, 1.0]\n',
        "design.ranges.routing.pursuit_scale",
    ),
    "an unknown design": ('[design]\nkind = "random"\n', "design.kind"),
    "an unknown metric": (
        'metrics = ["median_dayz"]\n' + GRID + '"routing.pursuit_scale" = [1.0]\n',
        "median_dayz",
    ),
    "the seed varied": (GRID + '"simulation.seed" = [1, 2]\n', "simulation.seed"),
    "an unknown key": (
        "replicates = 3\n" + GRID + '"routing.pursuit_scale" = [1.0]\n',
        "replicates",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_sweep_file_exits_2_with_one_line_and_writes_nothing(
    case, tmp_path, write_tiny, capsys
):
    """Each mistake: exit 2, one line naming the file and field, no directory made."""
    body, field = BAD[case]
    path = _sweep(tmp_path, body, write_tiny)
    out = tmp_path / "out"
    code = main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    _, err = capsys.readouterr()
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert field in lines[0] and "sweep.toml" in lines[0], lines[0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.toml", "sweep.toml"]


def test_bad_input_error_names_the_point_and_its_values(tmp_path, write_tiny):
    """The error says which point, with its values, broke which field."""
    body = GRID + '"routing.urgent_patience" = [0.5, 2.0]\n'
    with pytest.raises(InputError) as caught:
        read_sweep(_sweep(tmp_path, body, write_tiny), NO_CALIBRATION)
    assert "point 1 (routing.urgent_patience = 2)" in str(caught.value)
