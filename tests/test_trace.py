"""Tests of ``sim.analysis.trace``: a request's story read back from a run's result directory."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.analysis.trace import (
    PICKS,
    TIMELINE_FILE,
    format_story,
    load_story,
    pick_request,
)
from sim.analysis.trace_rules import REASON_RULES
from sim.cli import main
from sim.errors import InputError
from sim.vocabulary import STAGES

BUSY = "".join(
    f"[states.{code}]\nca_staff = 1\nother_matters_per_year = 150.0\n"
    for code in ("USA", "DEU", "FRA", "GBR", "IRL")
)
"""Central authorities of one person with other matters: formal requests queue."""


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory, write_tiny):
    """A run of the tiny world with busy central authorities, written by ``mlatsim run``."""
    folder = tmp_path_factory.mktemp("trace")
    scenario = write_tiny(folder, seed=5, replications=2, extra=BUSY)
    out = folder / "run"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    return out


@pytest.fixture(scope="module")
def requests(result_dir):
    """The run's request rows."""
    return pd.read_parquet(result_dir / "requests.parquet")


def _row(requests: pd.DataFrame, request_id: int, replication: int = 0) -> pd.Series:
    rows = requests[(requests.replication == replication) & (requests.request_id == request_id)]
    return rows.iloc[0]


def _sample(requests: pd.DataFrame) -> list[int]:
    """Requests of every kind in replication 0: queued, returned, preserved, and so on."""
    rows = requests[requests.replication == 0]
    waits = rows[[f"{stage}_wait_days" for stage in STAGES]].sum(axis=1)
    picks = [
        rows[waits > 0],
        rows[rows.clarifications > 0],
        rows[rows.preserved],
        rows[rows.attempts > 1],
        rows[rows.outcome == "pending"],
        rows[rows.outcome == "refused"],
        rows[rows.outcome == "lost"],
        rows.iloc[::997],
    ]
    return sorted({int(i) for frame in picks for i in frame.request_id.head(12)})


def test_stages_add_up_to_the_time_to_outcome(result_dir, requests):
    """A story's stages are the row's stage days and waits; with preservation, all its time.

    As the request log says (``sim.engine.records.RequestLog``): the stage days sum to at most
    the time to outcome, the rest being time spent asking for preservation; a pending
    request's stages stop at the horizon.
    """
    sample = _sample(requests)
    assert len(sample) > 40
    for request_id in sample:
        story = load_story(result_dir, request_id)
        row = _row(requests, request_id)
        assert story.stage_days == pytest.approx(
            sum(row[f"{stage}_days"] for stage in STAGES), abs=1e-6
        )
        assert story.wait_days == pytest.approx(
            sum(row[f"{stage}_wait_days"] for stage in STAGES), abs=1e-6
        )
        total = story.stage_days + story.preservation_days
        assert total == pytest.approx(row.time_to_outcome_days, abs=1e-6), request_id
        assert story.time_to_outcome_days == pytest.approx(row.time_to_outcome_days)
        ends = [span.end_day for span in story.spans]
        assert ends == sorted(ends)


def test_a_story_with_queues_shows_the_waits(result_dir, requests):
    """A request that queued at a central authority shows the wait in its story and bar."""
    rows = requests[requests.replication == 0]
    waits = rows[[f"{stage}_wait_days" for stage in STAGES]].sum(axis=1)
    request_id = int(rows.loc[waits.idxmax(), "request_id"])
    story = load_story(result_dir, request_id)
    assert story.wait_days == pytest.approx(waits.max())
    text = format_story(story)
    assert "queued" in text
    assert "░" in text


def test_a_refused_request_shows_its_reason_and_rule(result_dir, requests):
    """The story of a refused request names its reason and the rule that applied."""
    request_id = pick_request(result_dir, "refused")
    story = load_story(result_dir, request_id)
    row = _row(requests, request_id)
    assert story.outcome == row.outcome == "refused"
    assert story.reason == row.reason != ""
    assert story.rule.startswith(REASON_RULES[story.reason].split(";")[0])
    text = format_story(story)
    assert f"refused ({story.reason})" in text
    assert REASON_RULES[story.reason][:40] in text
    assert story.attempts[-1].outcome == "refused"


def test_fallback_attempts_each_have_their_own_end(result_dir, requests):
    """A request that tried several channels shows each, and how each ended."""
    rows = requests[(requests.replication == 0) & (requests.attempts > 1)]
    request_id = int(rows.request_id.iloc[0])
    story = load_story(result_dir, request_id)
    row = _row(requests, request_id)
    assert len(story.attempts) == row.attempts
    assert story.channels[0] == row.first_channel
    assert story.channels[-1] == row.channel
    assert all(attempt.outcome != "fulfilled" for attempt in story.attempts[:-1])
    text = format_story(story)
    assert "went on to its next open channel" in text
    for attempt in story.attempts:
        assert f"Attempt {attempt.number}: {attempt.channel}" in text


def test_a_preserved_request_shows_its_preservation(result_dir, requests):
    """Preservation before an attempt is a span of its own, with its path and result."""
    rows = requests[(requests.replication == 0) & requests.preserved]
    story = load_story(result_dir, int(rows.request_id.iloc[0]))
    asked = [span for span in story.spans if span.stage == "preservation"]
    assert asked and asked[-1].preserved
    assert asked[-1].preservation == rows.preservation.iloc[0]
    assert f"Data preserved (path: {asked[-1].preservation})" in format_story(story)


def test_a_pending_request_stops_at_the_horizon(result_dir, requests):
    """A request open at the end of the run is pending, its last span cut at the horizon."""
    rows = requests[(requests.replication == 0) & (requests.outcome == "pending")]
    story = load_story(result_dir, int(rows.request_id.iloc[0]))
    assert story.outcome == "pending"
    assert story.spans[-1].in_progress
    assert story.spans[-1].end_day == pytest.approx(story.outcome_day)
    assert "still open at the end of the run" in format_story(story)


@pytest.mark.parametrize("which", PICKS)
def test_a_pick_is_of_its_kind_and_the_same_every_time(result_dir, requests, which):
    """``pick_request`` gives a request of the kind asked, and the same one again."""
    first = pick_request(result_dir, which, replication=1)
    assert pick_request(result_dir, which, replication=1) == first
    outcome = {"slow": "fulfilled", "refused": "refused", "lost": "lost"}[which]
    assert _row(requests, first, replication=1).outcome == outcome


def test_slow_is_a_slow_formal_request(result_dir, requests):
    """The slow pick went through formal MLA and took longer than most such requests."""
    from sim.rules.channels import FORMAL_MLA

    rows = requests[(requests.replication == 0) & (requests.outcome == "fulfilled")]
    formal = rows[rows.channel.astype(str).isin(FORMAL_MLA)]
    chosen = _row(requests, pick_request(result_dir, "slow"))
    assert chosen.channel in FORMAL_MLA
    assert (formal.time_to_evidence_days <= chosen.time_to_evidence_days).mean() >= 0.8


def test_bad_inputs_are_one_line_errors(result_dir, tmp_path):
    """A missing directory, a directory without a run, an unknown request or replication."""
    cases = [
        (lambda: load_story(tmp_path / "missing", 0), "is not a directory"),
        (lambda: load_story(tmp_path, 0), r"holds no requests\.parquet"),
        (lambda: load_story(result_dir, 10**9), "has no request 1000000000"),
        (lambda: load_story(result_dir, 0, replication=7), "has no replication 7"),
        (lambda: pick_request(result_dir, "fast"), "'fast' is not one of"),
    ]
    for call, words in cases:
        with pytest.raises(InputError, match=words) as caught:
            call()
        assert "\n" not in str(caught.value)


def test_a_run_without_timeline_says_so(tmp_path, write_tiny):
    """A run made with --no-timeline has no timeline file, and the story says how to get one."""
    scenario = write_tiny(tmp_path, seed=5, replications=1)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--no-timeline"]) == 0
    assert not (out / TIMELINE_FILE).exists()
    with pytest.raises(InputError, match=r"holds no timeline\.parquet"):
        load_story(out, 0)
    assert pick_request(out, "refused") >= 0  # the pick needs the request rows only


def test_times_are_finite(result_dir, requests):
    """No span of the sample has an unknown or negative time once read."""
    for request_id in _sample(requests)[:20]:
        for span in load_story(result_dir, request_id).spans:
            assert all(math.isfinite(x) for x in (span.entered_day, span.start_day, span.end_day))
            assert span.wait_days >= -1e-9
            assert span.days >= span.wait_days - 1e-9
