"""A sweep's summary and figures, from made-up rows: intervals as elsewhere, a figure per shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis import statistics, sweep_figures, sweep_tables


def _points(fields: dict[str, list], replications: int = 3) -> pd.DataFrame:
    """A tidy table over the grid of ``fields`` with two metrics of known values."""
    rng = np.random.default_rng(0)
    rows = []
    names = list(fields)
    grid = pd.MultiIndex.from_product(list(fields.values()), names=names).to_frame(index=False)
    for point, values in grid.iterrows():
        for replication in range(replications):
            rows.append(
                {
                    "point": point,
                    **values.to_dict(),
                    "replication": replication,
                    "median_days": 100 + 10 * point + rng.normal(),
                    "share_met": min(1.0, 0.98 + 0.01 * replication),
                }
            )
    return pd.DataFrame(rows)


def test_the_summary_is_the_mean_and_t_interval_a_shares_clipped():
    """Each point and metric: the statistics module's interval, shares kept within [0, 1]."""
    points = _points({"routing.pursuit_scale": [0.5, 1.0]})
    summary = sweep_tables.summary_table(
        points, ["routing.pursuit_scale"], ["median_days", "share_met"]
    )
    assert len(summary) == 4
    first = points[points["point"] == 0]
    row = summary[(summary["point"] == 0) & (summary["metric"] == "median_days")].iloc[0]
    expected = statistics.confidence_interval(first["median_days"].to_numpy())
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx(expected)
    shares = summary[summary["metric"] == "share_met"]
    assert (shares["ci_high"] <= 1.0).all() and (shares["ci_low"] >= 0.0).all()
    assert (summary["replications"] == 3).all()


@pytest.mark.parametrize(
    ("fields", "heat_map"),
    [
        ({"a": [0.5, 1.0, 2.0]}, False),
        ({"a": [0.5, 1.0, 2.0], "b": [1, 2]}, True),
        ({"a": [0.5, 1.0], "b": [1, 2], "c": ["x", "y"]}, False),
    ],
    ids=["one field", "two on a grid", "three"],
)
def test_a_response_figure_for_each_shape_and_a_heat_map_for_a_grid(fields, heat_map, tmp_path):
    """Curves with bands, small multiples or dots; a heat map only where two fields are a grid."""
    metrics = ["median_days", "share_met"]
    points = _points(fields)
    summary = sweep_tables.summary_table(points, list(fields), metrics)
    labels = {"title": "test", "replications": 3, "seed": 1}
    figure = sweep_figures.response_figure(summary, list(fields), metrics, **labels)
    visible = [ax for ax in figure.axes if ax.get_visible() and ax.has_data()]
    assert len(visible) == len(metrics) * (len(fields) if len(fields) > 2 else 1)
    assert sweep_figures.is_grid(summary, list(fields)) is heat_map
    if heat_map:
        heat = sweep_figures.heatmap_figure(summary, list(fields), metrics, **labels)
        assert len(heat.axes[0].images) == 1
        assert np.isfinite(heat.axes[0].images[0].get_array()).all()
