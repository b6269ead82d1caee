"""Tests of ``sim.engine.timeline``: each request's steps, recorded without changing its row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.config.loading import load_scenario, with_changes
from sim.engine.replication import run_replication
from sim.engine.timeline import TIMELINE_STAGES, TimelineLog
from sim.vocabulary import STAGES

QUEUED = "".join(
    f"[states.{code}]\nca_staff = 1\nother_matters_per_year = 150.0\n"
    for code in ("USA", "DEU", "FRA", "GBR", "IRL")
)
"""Central authorities of one person with other matters: formal requests queue."""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, write_tiny):
    """The tiny world with busy central authorities, one replication."""
    path = write_tiny(tmp_path_factory.mktemp("timeline"), seed=5, replications=1, extra=QUEUED)
    return load_scenario(path)


@pytest.fixture(scope="module")
def output(scenario):
    """One replication with the timeline on (the default)."""
    return run_replication(scenario, 0)


def test_the_request_rows_are_the_same_with_the_timeline_off(scenario, output):
    """Recording takes no draw and changes no request: the rows are identical either way."""
    off = with_changes(scenario, {"simulation": {"timeline": False}})
    requests, timeseries, _, unpursued, timeline = run_replication(off, 0)
    assert timeline.empty
    pd.testing.assert_frame_equal(requests, output[0])
    pd.testing.assert_frame_equal(timeseries, output[1])
    pd.testing.assert_frame_equal(unpursued, output[3])


def test_the_timeline_is_on_by_default(scenario, output):
    """The defaults keep a timeline, with some queued stages in this busy world."""
    assert scenario.simulation.timeline
    timeline = output[4]
    assert len(timeline) > len(output[0])
    assert list(timeline["stage"].cat.categories) == list(TIMELINE_STAGES)
    stages = timeline[timeline["stage"].isin(STAGES)]
    assert (stages["start_day"] > stages["entered_day"]).any()


def test_stage_rows_add_up_to_each_request_row(output):
    """Per request and stage, the rows' days (clipped at the outcome) are the row's days.

    The same holds for queue waits; a step planned past a pending request's horizon counts 0,
    and the wait of a stage in service at the horizon is the row's (its start is unknown).
    """
    requests, timeline = output[0], output[4]
    outcome_day = (
        requests.set_index("request_id")["created_day"]
        + requests.set_index("request_id")["time_to_outcome_days"]
    )
    steps = timeline[timeline["stage"].isin(STAGES)].copy()
    steps["stage"] = steps["stage"].astype(str)
    until = outcome_day.loc[steps["request_id"]].to_numpy()
    entered = np.minimum(steps["entered_day"].to_numpy(), until)
    steps["days"] = np.minimum(steps["end_day"].to_numpy(), until) - entered
    sums = steps.pivot_table(index="request_id", columns="stage", values="days", aggfunc="sum")
    sums = sums.reindex(index=requests["request_id"], columns=list(STAGES)).fillna(0.0)
    expected = requests.set_index("request_id")[[f"{stage}_days" for stage in STAGES]]
    np.testing.assert_allclose(sums.to_numpy(), expected.to_numpy(), atol=1e-6)
    start = np.minimum(steps["start_day"].to_numpy(), until)
    steps["wait"] = start - entered
    assert (steps["wait"].dropna() >= -1e-9).all()
    unknown = steps.loc[steps["wait"].isna(), "request_id"].unique()  # in service at the end
    waits = steps.pivot_table(index="request_id", columns="stage", values="wait", aggfunc="sum")
    waits = waits.reindex(index=requests["request_id"], columns=list(STAGES)).fillna(0.0)
    expected = requests.set_index("request_id")[[f"{stage}_wait_days" for stage in STAGES]]
    known = ~requests["request_id"].isin(unknown).to_numpy()
    assert expected.to_numpy()[known].sum() > 0
    np.testing.assert_allclose(waits.to_numpy()[known], expected.to_numpy()[known], atol=1e-6)


def test_every_attempt_ends_once_with_the_request_outcome_last(output):
    """Each attempt's last stage carries its outcome; the last attempt's is the request's."""
    requests, timeline = output[0], output[4]
    ends = timeline[timeline["outcome"].notna()]
    assert not ends.duplicated(["request_id", "attempt"]).any()
    assert (ends["stage"] != "attempt_end").all()  # always on the attempt's last stage
    last_rows = timeline.groupby(["request_id", "attempt"]).tail(1)
    assert ends.index.isin(last_rows.index).all()
    last = ends.groupby("request_id").tail(1).set_index("request_id")
    done = requests[requests["outcome"] != "pending"].set_index("request_id")
    routed = done[done["channel"] != "none"]
    assert (last.loc[routed.index, "outcome"].astype(str) == routed["outcome"].astype(str)).all()
    assert (last.loc[routed.index, "reason"].astype(str) == routed["reason"].astype(str)).all()
    attempts = ends.groupby("request_id").size()
    assert (attempts.loc[routed.index] == routed["attempts"]).all()


def test_an_end_after_another_request_is_a_row_of_its_own():
    """If another request wrote last, an attempt's end becomes an ``attempt_end`` row."""
    from types import SimpleNamespace

    log = TimelineLog()
    first = SimpleNamespace(request_id=1, attempts=1, channel=0, clarifications=0)
    other = SimpleNamespace(request_id=2, attempts=1, channel=0, clarifications=0)
    log.stage(first, 0, 0.0, 1.0, 1.0)
    log.stage(other, 0, 0.5, 1.0, 1.5)
    log.attempt_end(other, 1, 5, 1.5)  # on its own last row
    log.attempt_end(first, 0, 0, 1.0)  # another request wrote since: a row of its own
    frame = log.to_frame(0, release=True)
    assert list(frame["stage"].astype(str)) == ["drafting", "attempt_end", "drafting"]
    assert list(frame["outcome"].astype(object).fillna("")) == ["", "fulfilled", "refused"]
    assert frame["start_day"].iloc[0] == 0.0  # no queue: the start is the entry
    assert len(log) == 0
