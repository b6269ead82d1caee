"""Tests of ``sim.engine.records``: the columnar request log and state time series."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config.loading import load_scenario, validate_settings
from sim.engine.adaptation import TIMESERIES_COLUMNS
from sim.engine.records import STATE_COLUMNS, Column, RequestLog, TimeseriesLog
from sim.engine.replication import run_replication
from sim.vocabulary import (
    ABANDONED,
    CHANNELS,
    DATA_TYPES,
    DUAL_CRIMINALITY,
    FULFILLED,
    LOST,
    NO_REASON,
    OUTCOMES,
    PENDING,
    REASONS,
    REFUSED,
    RETENTION_EXPIRED,
    STAGES,
    TIMEOUT,
    UNROUTED,
    Channel,
)

STATES = ("DEU", "FRA", "USA")
CRIMES = ("ransomware", "csam")
DESIGN_COLUMNS = [
    "replication",
    "request_id",
    "case_id",
    "crime_type",
    "requesting",
    "requested",
    "channel",
    "data_type",
    "urgent",
    "created_day",
    "outcome",
    "reason",
    "time_to_evidence_days",
]
STAGE_COLUMNS = [f"{stage}_days" for stage in STAGES]
WAIT_COLUMNS = [f"{stage}_wait_days" for stage in STAGES]


def ints(
    request_id: int,
    outcome: int,
    reason: int = NO_REASON,
    *,
    channel: int = Channel.BILATERAL_MLAT,
    requesting: int = 0,
    requested: int = 2,
    urgent: int = 0,
) -> tuple[int, ...]:
    """The integer fields of one row, in ``RequestLog._INTS`` order."""
    return (
        request_id,  # request_id
        request_id // 2,  # case_id
        1,  # crime_type: csam
        requesting,
        requested,
        channel,
        0,  # first_channel: direct_provider
        2,  # data_type: content
        urgent,
        2,  # attempts
        1,  # clarifications
        1,  # preserved
        1,  # preservation: budapest
        outcome,
        reason,
        5 if outcome == LOST else 0,  # loss_driver: hold_expired
        0,  # provider: domestic
    )


def stages(value: float) -> list[float]:
    """One value per stage."""
    return [value] * len(STAGES)


@pytest.fixture
def log() -> RequestLog:
    """A log of five requests, one of each outcome, added out of id order."""
    log = RequestLog(STATES, CRIMES)
    log.add(ints(3, LOST, RETENTION_EXPIRED), 10.0, 200.0, stages(1.0), stages(0.0))
    log.add(ints(0, FULFILLED, urgent=1), 5.0, 65.5, stages(2.0), stages(0.5))
    log.add(
        ints(1, REFUSED, DUAL_CRIMINALITY, channel=Channel.LETTERS_ROGATORY),
        6.0,
        100.0,
        stages(0.0),
        stages(0.0),
    )
    log.add(ints(2, ABANDONED, TIMEOUT), 7.0, 900.0, stages(0.0), stages(0.0))
    log.add(ints(4, PENDING, requesting=2, requested=1), 300.0, 365.0, stages(0.0), stages(0.0))
    return log


def test_vocabularies_and_codes_agree() -> None:
    """Outcome and reason codes index their vocabularies; the empty reason is code 0."""
    assert OUTCOMES[FULFILLED] == "fulfilled"
    assert OUTCOMES[PENDING] == "pending"
    assert REASONS[NO_REASON] == ""
    assert REASONS[RETENTION_EXPIRED] == "retention_expired"
    assert len(set(REASONS)) == len(REASONS)


def test_len_counts_rows(log: RequestLog) -> None:
    """``len`` is the number of requests added."""
    assert len(log) == 5
    assert len(RequestLog(STATES, CRIMES)) == 0


def test_request_frame_has_design_columns_sorted_by_id(log: RequestLog) -> None:
    """The frame carries DESIGN section 4's columns and stage times, sorted by request id."""
    frame = log.to_frame(replication=3)
    assert set(DESIGN_COLUMNS) <= set(frame.columns)
    assert len(set(frame.columns)) == len(frame.columns)
    for stage in STAGES:
        assert f"{stage}_days" in frame.columns
        assert f"{stage}_wait_days" in frame.columns
    assert frame["request_id"].tolist() == [0, 1, 2, 3, 4]
    assert frame.index.tolist() == [0, 1, 2, 3, 4]
    assert (frame["replication"] == 3).all()


def test_request_frame_dtypes(log: RequestLog) -> None:
    """Codes become categoricals, flags booleans, times floats, counts small integers."""
    frame = log.to_frame(0)
    for column in ("crime_type", "requesting", "requested", "channel", "first_channel"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    for column in ("data_type", "outcome", "reason", "preservation", "loss_driver"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    assert frame["replication"].dtype == np.int32
    assert frame["request_id"].dtype == np.int64
    assert frame["case_id"].dtype == np.int64
    assert frame["urgent"].dtype == bool
    assert frame["preserved"].dtype == bool
    assert frame["attempts"].dtype == np.int8
    assert frame["clarifications"].dtype == np.int16
    for column in ("created_day", "time_to_evidence_days", "time_to_outcome_days"):
        assert frame[column].dtype == np.float64, column
    assert frame["drafting_days"].dtype == np.float64


def test_categories_are_the_full_vocabularies(log: RequestLog) -> None:
    """Categoricals list every possible value, so frames of different runs concatenate cleanly."""
    frame = log.to_frame(0)
    assert list(frame["outcome"].cat.categories) == list(OUTCOMES)
    assert list(frame["reason"].cat.categories) == list(REASONS)
    assert list(frame["channel"].cat.categories) == [*CHANNELS, UNROUTED]
    assert list(frame["data_type"].cat.categories) == list(DATA_TYPES)
    assert list(frame["requesting"].cat.categories) == list(STATES)
    assert list(frame["crime_type"].cat.categories) == list(CRIMES)


def test_categorical_decoding(log: RequestLog) -> None:
    """Integer codes decode to the names of states, channels, crimes and outcomes."""
    frame = log.to_frame(0).set_index("request_id")
    assert frame.loc[0, "outcome"] == "fulfilled"
    assert frame.loc[0, "reason"] == ""
    assert frame.loc[0, "urgent"]
    assert not frame.loc[1, "urgent"]
    assert frame.loc[1, "reason"] == "dual_criminality"
    assert frame.loc[1, "channel"] == "letters_rogatory"
    assert frame.loc[0, "channel"] == "bilateral_mlat"
    assert frame.loc[0, "first_channel"] == "direct_provider"
    assert frame.loc[4, "requesting"] == "USA"
    assert frame.loc[4, "requested"] == "FRA"
    assert frame.loc[3, "reason"] == "retention_expired"
    assert frame.loc[3, "crime_type"] == "csam"
    assert frame.loc[3, "data_type"] == "content"
    assert frame.loc[3, "case_id"] == 1


def test_time_to_evidence_only_for_fulfilled(log: RequestLog) -> None:
    """Time to evidence is the time to outcome for fulfilled requests, NaN for all others."""
    frame = log.to_frame(0).set_index("request_id")
    assert frame.loc[0, "time_to_evidence_days"] == pytest.approx(60.5)
    for request_id in (1, 2, 3, 4):
        assert math.isnan(frame.loc[request_id, "time_to_evidence_days"])
    assert frame["time_to_outcome_days"].tolist() == pytest.approx([60.5, 94.0, 893.0, 190.0, 65.0])


def test_stage_and_wait_times_are_kept(log: RequestLog) -> None:
    """Each stage's time and queue wait appear in their own column."""
    frame = log.to_frame(0).set_index("request_id")
    assert frame.loc[0, "legal_review_days"] == 2.0
    assert frame.loc[0, "legal_review_wait_days"] == 0.5
    assert frame.loc[3, "execution_days"] == 1.0


def test_empty_log_gives_an_empty_frame_with_columns() -> None:
    """A run without requests still yields the full set of typed columns."""
    frame = RequestLog(STATES, CRIMES).to_frame(0)
    assert len(frame) == 0
    assert set(DESIGN_COLUMNS) <= set(frame.columns)
    assert isinstance(frame["outcome"].dtype, pd.CategoricalDtype)


def test_frame_is_a_copy(log: RequestLog) -> None:
    """Adding rows after ``to_frame`` does not change an earlier frame."""
    frame = log.to_frame(0)
    log.add(ints(5, FULFILLED), 1.0, 2.0, stages(0.0), stages(0.0))
    assert len(frame) == 5
    assert len(log.to_frame(0)) == 6


def test_release_gives_the_same_frame_and_empties_the_log(log: RequestLog) -> None:
    """A frame built while releasing the log equals one built from a kept log; the log is spent."""
    kept = log.to_frame(3)
    released = log.to_frame(3, release=True)
    pd.testing.assert_frame_equal(kept, released)
    assert len(log) == 0
    assert all(len(ints) == len(floats) == 0 for ints, floats in log._chunks)


def test_rows_across_chunks_make_the_same_frame(monkeypatch) -> None:
    """Rows written across several chunks read back as from one, kept or released.

    A chunk of two rows here, so that seven rows fill three chunks and start a fourth; every
    value must land in its own column and row whatever chunk it was written to.
    """
    rows = [
        (ints(n, FULFILLED, urgent=n % 2), float(n), 10.0 + n, stages(n / 2), stages(n / 4))
        for n in (6, 3, 0, 5, 1, 4, 2)
    ]
    one = RequestLog(STATES, CRIMES)
    for row in rows:
        one.add(*row)
    monkeypatch.setattr("sim.engine.records.CHUNK_ROWS", 2)
    chunked = RequestLog(STATES, CRIMES)
    for row in rows:
        chunked.add(*row)
    assert len(chunked._chunks) == 4
    assert len(chunked) == 7
    expected = one.to_frame(1)
    pd.testing.assert_frame_equal(chunked.to_frame(1), expected)
    pd.testing.assert_frame_equal(chunked.to_frame(1, release=True), expected)
    assert expected["request_id"].tolist() == list(range(7))
    assert expected["created_day"].tolist() == [float(n) for n in range(7)]
    assert expected["execution_wait_days"].tolist() == [n / 4 for n in range(7)]
    assert len(chunked) == 0


def test_add_rejects_a_row_of_the_wrong_width() -> None:
    """A row with too few fields is refused rather than misaligning the columns."""
    with pytest.raises(ValueError):
        RequestLog(STATES, CRIMES).add((1, 2, 3), 0.0, 1.0, stages(0.0), stages(0.0))


def test_timeseries_frame() -> None:
    """The time series has one typed row per observation, with state names decoded.

    Its columns are those of the registry, in order: each state's own, then each behaviour's.
    """
    series = TimeseriesLog(STATES, TIMESERIES_COLUMNS)
    series.add(0.0, 0, [0, 4, 0, 0, 0.5, False])
    series.add(0.0, 2, [1, 10, 3, 0, 0.5, False])
    series.add(7.0, 1, [5, 6, 9, 4, 0.75, True])
    frame = series.to_frame(replication=2)
    assert list(frame.columns) == [
        "replication",
        "day",
        "state",
        "backlog",
        "staff",
        "open_requests",
        "unpursued",
        "trust",
        "budapest_party",
    ]
    assert frame["replication"].dtype == np.int32
    assert frame["day"].dtype == np.float64
    assert isinstance(frame["state"].dtype, pd.CategoricalDtype)
    assert list(frame["state"].cat.categories) == list(STATES)
    for column in ("backlog", "staff", "open_requests", "unpursued"):
        assert frame[column].dtype == np.int64
    assert frame["trust"].dtype == np.float64
    assert frame["budapest_party"].dtype == np.bool_
    assert frame["state"].tolist() == ["DEU", "USA", "FRA"]
    assert frame["backlog"].tolist() == [0, 1, 5]
    assert frame["staff"].tolist() == [4, 10, 6]
    assert frame["open_requests"].tolist() == [0, 3, 9]
    assert frame["unpursued"].tolist() == [0, 0, 4]
    assert frame["trust"].tolist() == [0.5, 0.5, 0.75]
    assert frame["budapest_party"].tolist() == [False, False, True]
    assert frame["day"].tolist() == [0.0, 0.0, 7.0]
    assert (frame["replication"] == 2).all()


def test_timeseries_takes_any_registered_columns() -> None:
    """A new column is one registry entry: the log stores and types it like the others."""
    columns = (
        *STATE_COLUMNS,
        Column("answered", np.float64, lambda model, agent, day: 0.0, "a new column"),
    )
    series = TimeseriesLog(STATES, columns)
    series.add(1.0, 0, [2, 3, 4, 5, 0.25])
    frame = series.to_frame(replication=0)
    assert list(frame.columns)[-2:] == ["unpursued", "answered"]
    assert frame["answered"].tolist() == [0.25]
    assert len(series) == 1


def test_timeseries_refuses_a_row_of_the_wrong_width_and_clashing_names() -> None:
    """A row without a value for every column, or a column named like a key, is an error."""
    series = TimeseriesLog(STATES, STATE_COLUMNS)
    with pytest.raises(ValueError, match="3 values for 4 columns"):
        series.add(0.0, 0, [1, 2, 3])
    assert len(series) == 0
    series.add(0.0, 0, [1, 2, 3, 4])
    assert series.to_frame(0)["unpursued"].tolist() == [4]
    clash = Column("day", np.float64, lambda model, agent, day: 0.0, "a second day")
    with pytest.raises(ValueError, match="new and distinct"):
        TimeseriesLog(STATES, (*STATE_COLUMNS, clash))
    with pytest.raises(ValueError, match="new and distinct"):
        TimeseriesLog(STATES, (*STATE_COLUMNS, STATE_COLUMNS[0]))


# -- stage times of a simulated run ----------------------------------------------------------


def simulate(directory: Path, write_tiny, *, preservation: bool) -> pd.DataFrame:
    """One replication of the tiny scenario without a drain, so many requests end pending.

    The US central authority has a single officer and more other matters than it can
    review, so requests to it are still queuing for legal review when the run ends.
    """
    settings = load_scenario(write_tiny(directory, replications=1)).model_dump()
    settings["simulation"]["drain_days"] = 0
    settings["preservation"]["enabled"] = preservation
    settings["states"] = {"USA": {"ca_staff": 1, "other_matters_per_year": 2000.0}}
    frame, *_ = run_replication(validate_settings(settings), 0)
    assert (frame["outcome"] == "pending").sum() > 100
    return frame


@pytest.fixture(scope="module")
def with_preservation(tmp_path_factory: pytest.TempPathFactory, write_tiny) -> pd.DataFrame:
    """A run in which some requests spend time asking for preservation, which is no stage."""
    return simulate(tmp_path_factory.mktemp("records"), write_tiny, preservation=True)


@pytest.fixture(scope="module")
def without_preservation(tmp_path_factory: pytest.TempPathFactory, write_tiny) -> pd.DataFrame:
    """A run in which a request is in one of its stages from its creation to its outcome."""
    return simulate(tmp_path_factory.mktemp("records"), write_tiny, preservation=False)


@pytest.fixture(params=["with_preservation", "without_preservation"])
def simulated(request: pytest.FixtureRequest) -> pd.DataFrame:
    """Each of the two runs."""
    return request.getfixturevalue(request.param)


def test_stage_times_never_exceed_the_time_to_outcome(simulated: pd.DataFrame) -> None:
    """Every request's stage times add up to at most its time to outcome, pending ones too.

    A pending request is recorded at the horizon: a stage it was in counts only the days up
    to the horizon, and a stage after it counts 0, however far its own clock had run ahead.
    """
    total = simulated[STAGE_COLUMNS].sum(axis=1).to_numpy()
    to_outcome = simulated["time_to_outcome_days"].to_numpy()
    excess = total - to_outcome
    assert (excess <= 1e-9).all(), simulated.loc[excess > 1e-9, "outcome"].value_counts()
    pending = (simulated["outcome"] == "pending").to_numpy()
    assert (total[pending] <= to_outcome[pending] + 1e-9).all()


def test_stage_and_wait_times_are_not_negative(simulated: pd.DataFrame) -> None:
    """No stage or wait time is negative, and a stage's wait is part of that stage's time."""
    stage = simulated[STAGE_COLUMNS].to_numpy()
    wait = simulated[WAIT_COLUMNS].to_numpy()
    assert (stage >= 0.0).all()
    assert (wait >= 0.0).all()
    assert (wait <= stage + 1e-9).all()


def test_without_preservation_stages_fill_a_request_up_to_its_outcome(
    without_preservation: pd.DataFrame,
) -> None:
    """Without preservation, stage times add up to exactly the time to outcome.

    This holds for pending requests as well: the stage a request is in at the horizon
    (waiting in a queue, being served, or in a stage without a queue) counts the days
    elapsed in it until then, neither more nor less. (With preservation, the time spent
    asking for it belongs to no stage, so the sum may fall short.)
    """
    frame = without_preservation
    gap = frame["time_to_outcome_days"] - frame[STAGE_COLUMNS].sum(axis=1)
    assert gap.abs().max() < 1e-9
    pending = frame[frame["outcome"] == "pending"]
    queuing = pending["legal_review_wait_days"] > 0.0
    assert queuing.sum() > 10
    assert (pending.loc[queuing, "legal_review_days"] > 0.0).all()
