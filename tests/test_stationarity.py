"""Tests of the stationarity diagnostics (sim/analysis/stationarity.py and its report).

On synthetic queues with known answers: a stationary M/M/1 queue has a queue-wait slope whose
interval includes zero and quarter means that agree; a queue draining a backlog has a negative
slope whose interval excludes zero; MSER-5 finds the end of a known initial transient. Edge
cases give clear errors or NaN as the rest of the analysis does; a run's summary.json and the
calibration check carry the diagnostics.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis import stationarity
from sim.analysis.stationarity import (
    Slope,
    mser5,
    mser_statistics,
    quarter_means,
    quarters_agree,
    wait_slope,
)
from sim.analysis.stationarity_report import format_report, report
from sim.cli import main
from sim.config.loading import load_scenario
from sim.config.schema import Simulation

ARRIVALS_PER_DAY = 20.0
SERVICES_PER_DAY = 25.0  # utilisation 0.8: mean wait 0.16 days, relaxation a few days
OTHER_DAYS = 30.0  # the stages without a queue, the same for every request


def _mm1_waits(rng: np.random.Generator, days: float, initial_work: float) -> tuple:
    """Creation days and queue waits of an M/M/1 queue's customers (Lindley's recursion)."""
    count = rng.poisson(ARRIVALS_PER_DAY * days)
    arrivals = np.sort(rng.uniform(0.0, days, count))
    services = rng.exponential(1.0 / SERVICES_PER_DAY, count)
    waits = np.empty(count)
    work, last = initial_work, 0.0
    for i, (arrival, service) in enumerate(zip(arrivals, services, strict=True)):
        work = max(0.0, work - (arrival - last))
        waits[i] = work
        work += service
        last = arrival
    return arrivals, waits, services


def _queue_requests(
    seed: int, replications: int = 5, days: float = 410.0, initial_work: float = 0.0
) -> pd.DataFrame:
    """A requests table of formal MLA requests that queued at one central authority.

    Every request is fulfilled after its queue wait, its service and ``OTHER_DAYS``; each
    replication is an independent queue from its own seeded generator.
    """
    frames = []
    for replication, rng in enumerate(np.random.default_rng(seed).spawn(replications)):
        created, waits, services = _mm1_waits(rng, days, initial_work)
        total = waits + services + OTHER_DAYS
        frames.append(
            pd.DataFrame(
                {
                    "replication": replication,
                    "created_day": created,
                    "channel": "bilateral_mlat",
                    "outcome": "fulfilled",
                    "time_to_outcome_days": total,
                    "time_to_evidence_days": total,
                    "outgoing_review_wait_days": 0.0,
                    "legal_review_wait_days": waits,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def steady() -> pd.DataFrame:
    """A stationary queue: started empty, measured from day 50 (its transient lasts days)."""
    return _queue_requests(seed=2026)


@pytest.fixture(scope="module")
def draining() -> pd.DataFrame:
    """A queue working off a prior backlog of 60 days of work (gone after about 300 days)."""
    return _queue_requests(seed=2027, initial_work=60.0)


# -- the verdict on known queues ------------------------------------------------------------------


def test_a_stationary_queue_has_a_slope_ci_including_zero(steady):
    """The wait of a stationary M/M/1 queue does not trend: the slope's CI includes zero."""
    slope = wait_slope(steady, 50.0, 410.0)
    assert slope.ci_low <= 0.0 <= slope.ci_high
    assert abs(slope.estimate) * 360 < 0.1  # less than 0.1 day of drift over the window
    assert len(slope.per_replication) == 5
    assert slope.mean_wait_days == pytest.approx(0.8 / (25.0 - 20.0), rel=0.15)


def test_a_stationary_queue_has_quarter_means_that_agree(steady):
    """Its four quarter cohorts have the same mean time to evidence within their CIs."""
    quarters = quarter_means(steady, 50.0, 410.0)
    assert list(quarters["quarter"]) == [1, 2, 3, 4]
    assert quarters["start_day"].iloc[0] == 50.0 and quarters["end_day"].iloc[-1] == 410.0
    assert (quarters["replications"] == 5).all()
    expected = OTHER_DAYS + 1.0 / (SERVICES_PER_DAY - ARRIVALS_PER_DAY)  # M/M/1 time in system
    assert quarters["estimate"].to_numpy() == pytest.approx(expected, rel=0.01)
    assert quarters_agree(quarters) is True


def test_the_verdict_on_a_stationary_queue_is_stationary(steady):
    """The whole verdict says stationary; MSER-5 truncates within the configured warm-up."""
    result = _report(steady)
    assert result.verdict.slope_includes_zero is True
    assert result.verdict.quarters_agree is True
    assert result.stationary is True
    assert result.truncation is not None and result.truncation.day <= 50.0
    assert result.verdict.warm_up_covers_truncation is True


def test_a_draining_queue_has_a_negative_slope_excluding_zero(draining):
    """Waits that fall with creation day give a negative slope whose CI excludes zero."""
    slope = wait_slope(draining, 50.0, 410.0)
    assert slope.ci_high < 0.0
    assert slope.estimate == pytest.approx(-0.2 * 250 / 360, rel=0.35)  # 50 days gone by 300


def test_a_draining_queue_is_not_stationary(draining):
    """Its quarter means disagree and the verdict is 'not stationary'."""
    quarters = quarter_means(draining, 50.0, 410.0)
    assert quarters["estimate"].is_monotonic_decreasing
    assert quarters_agree(quarters) is False
    result = _report(draining)
    assert result.stationary is False
    assert result.verdict.warm_up_covers_truncation is False  # no warm-up up to day 50 removes it


def _report(requests: pd.DataFrame):
    """The report of a synthetic run: 410 days, warm-up 50, no drain."""
    simulation = _simulation(warm_up_days=50, horizon_days=410)
    return report(requests, simulation)


def _simulation(warm_up_days: int, horizon_days: int) -> Simulation:
    """A validated ``Simulation`` with the given warm-up and length and no drain."""
    start = pd.Timestamp("2026-01-01").date()
    return Simulation(
        start=start,
        end=(pd.Timestamp(start) + pd.Timedelta(days=horizon_days)).date(),
        warm_up_days=float(warm_up_days),
        drain_days=0.0,
        replications=5,
        seed=1,
        timeseries_interval_days=7,
    )


# -- MSER-5 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_mser5_finds_the_end_of_a_step_transient(seed):
    """A series 5 sd above its level for 100 days, then at it: truncation within 100 ± 25."""
    rng = np.random.default_rng(seed)
    days = np.arange(1000)
    series = pd.Series(np.where(days < 100, 5.0, 0.0) + rng.normal(0.0, 1.0, days.size), days)
    truncation = mser5(series)
    assert 75 <= truncation.day <= 125
    assert truncation.deleted % 5 == 0
    assert not truncation.at_limit


@pytest.mark.parametrize("seed", range(5))
def test_mser5_finds_the_end_of_an_exponential_decay(seed):
    """10·exp(−t/20) plus unit noise: cut where the bias is below one sd and not far beyond.

    The bias falls below the noise's sd at t = 20·ln 10 ≈ 46 and below a tenth of it at 92.
    """
    rng = np.random.default_rng(seed)
    days = np.arange(1000)
    series = pd.Series(10.0 * np.exp(-days / 20.0) + rng.normal(0.0, 1.0, days.size), days)
    assert 40 <= mser5(series).day <= 150


def test_mser5_truncates_a_trending_series_as_deep_as_it_may():
    """A steady trend has no level stretch: the truncation goes to (nearly) half the series."""
    rng = np.random.default_rng(3)
    days = np.arange(1000)
    truncation = mser5(pd.Series(0.01 * days + rng.normal(0.0, 1.0, days.size), days))
    assert truncation.day >= 450


def test_mser5_reports_days_from_the_index():
    """The truncation day is the index label of the first observation kept."""
    values = np.r_[np.full(20, 9.0), np.zeros(80)] + np.tile([0.1, -0.1], 50)
    truncation = mser5(pd.Series(values, index=np.arange(100) + 365))
    assert truncation.day == 385.0
    assert truncation.deleted == 20


def test_mser_statistic_matches_its_definition():
    """MSER(d) = Σ_{i>d} (x_i − mean)² / (n − d)², checked against a direct computation."""
    x = np.random.default_rng(0).normal(size=30)
    direct = [((x[d:] - x[d:].mean()) ** 2).sum() / (x.size - d) ** 2 for d in range(x.size)]
    assert mser_statistics(x) == pytest.approx(direct, rel=1e-9, abs=1e-12)


def test_mser5_refuses_a_series_too_short_or_with_gaps():
    """Fewer than ten batches, or NaN values: a ValueError that says why."""
    with pytest.raises(ValueError, match="at least 50 observations"):
        mser5(pd.Series(np.zeros(49)))
    with pytest.raises(ValueError, match="NaN"):
        mser5(pd.Series(np.r_[np.zeros(60), np.nan]))


# -- edge cases ---------------------------------------------------------------------------------


def test_one_replication_gives_estimates_without_intervals(steady):
    """With one replication the estimates stand, the CIs are NaN and the verdict undetermined."""
    one = steady[steady["replication"] == 0]
    slope = wait_slope(one, 50.0, 410.0)
    assert math.isfinite(slope.estimate)
    assert math.isnan(slope.ci_low) and math.isnan(slope.ci_high)
    quarters = quarter_means(one, 50.0, 410.0)
    assert quarters["estimate"].notna().all() and quarters["ci_low"].isna().all()
    result = _report(one)
    assert result.verdict.slope_includes_zero is None
    assert result.verdict.quarters_agree is None
    assert result.stationary is None
    assert "cannot tell" in format_report(result)


def test_too_few_rows_give_nan_not_an_error(steady):
    """A replication with one request, or none in a quarter, gives NaN there, not an error."""
    two = steady.groupby("replication").head(1)
    slope = wait_slope(two, 0.0, 410.0)
    assert all(math.isnan(value) for value in slope.per_replication)
    assert math.isnan(slope.estimate)
    quarters = quarter_means(two, 50.0, 410.0)
    assert (quarters["requests"] == 0).all() and quarters["estimate"].isna().all()
    assert (quarters["replications"] == 0).all()


def test_only_formal_requests_in_the_window_count(steady):
    """Requests on other channels or created outside the window do not enter the diagnostics."""
    other = steady.assign(channel="eio", legal_review_wait_days=1000.0)
    late = steady.assign(created_day=steady["created_day"] + 1000.0, legal_review_wait_days=500.0)
    mixed = pd.concat([steady, other, late], ignore_index=True)
    assert wait_slope(mixed, 50.0, 410.0) == wait_slope(steady, 50.0, 410.0)
    pd.testing.assert_frame_equal(
        quarter_means(mixed, 50.0, 410.0), quarter_means(steady, 50.0, 410.0)
    )


def test_missing_columns_and_an_empty_window_are_errors(steady):
    """A table without the wait columns is a KeyError; a window ending before it starts too."""
    with pytest.raises(KeyError, match="legal_review_wait_days"):
        wait_slope(steady.drop(columns="legal_review_wait_days"), 0.0, 10.0)
    with pytest.raises(ValueError, match="must end after it starts"):
        quarter_means(steady, 100.0, 100.0)


def test_quarters_agree_is_all_pairwise_overlap():
    """Intervals agree when they share a point; one disjoint pair is disagreement."""
    table = pd.DataFrame({"ci_low": [1.0, 2.0, 2.5], "ci_high": [3.0, 4.0, 2.6]})
    assert quarters_agree(table) is True
    table.loc[2, ["ci_low", "ci_high"]] = [3.5, 5.0]
    assert quarters_agree(table) is False
    assert quarters_agree(table.head(1)) is None


def test_a_slope_ci_touching_zero_counts_as_including_it():
    """The interval is closed: a bound at exactly zero includes zero."""
    assert stationarity.slope_includes_zero(Slope(-1.0, -2.0, 0.0, (), 1.0)) is True
    assert stationarity.slope_includes_zero(Slope(1.0, 0.5, 2.0, (), 1.0)) is False


# -- where the diagnostics are reported ------------------------------------------------------------


def test_report_serialises_to_json(steady):
    """The report is plain JSON: window, warm-up rule and series, quarters, slope, verdict."""
    block = json.loads(json.dumps(_report(steady).to_dict()))
    assert block["measured_window_days"] == [50.0, 410.0]
    assert block["warm_up"]["rule"].startswith("MSER-5")
    assert block["warm_up"]["series"] == stationarity.SERIES
    assert len(block["quarter_time_to_evidence_days"]) == 4
    assert {"estimate", "ci_low", "ci_high"} <= set(block["wait_slope"])
    assert block["verdict"]["stationary"] is True


def test_summary_json_of_a_run_has_the_stationarity_block(tmp_path, write_tiny, capsys):
    """``mlatsim run`` writes the diagnostics under summary.json's ``stationarity`` key."""
    out = tmp_path / "out"
    argv = ["run", str(write_tiny(tmp_path)), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(argv) == 0
    block = json.loads((out / "summary.json").read_text(encoding="utf-8"))["stationarity"]
    assert block["measured_window_days"] == [30.0, 305.0]
    assert block["warm_up"]["truncation_day"] is not None
    quarters = block["quarter_time_to_evidence_days"]
    assert [row["quarter"] for row in quarters] == [1, 2, 3]
    assert all(row["requests"] > 0 for row in quarters)
    assert set(block["verdict"]) >= {"slope_ci_includes_zero", "quarter_means_agree", "stationary"}


def test_calibration_check_prints_the_diagnostics(tmp_path, write_tiny, capsys):
    """``calibrate --check`` prints the quarter table and the slope line after the targets."""
    scenario = write_tiny(tmp_path)
    argv = ["calibrate", str(scenario), "--check", "--workers", "1", "--quiet"]
    code = main([*argv, "--calibration", "none"])
    out = capsys.readouterr().out
    assert code in (0, 1)  # the tiny world need not meet the published targets
    assert "warm-up by MSER-5" in out
    assert "Q1" in out and "Q3" in out
    assert "queue wait against creation day" in out
    assert "verdict:" in out
    assert out.index("target") < out.index("stationarity of the measured window")


def test_the_check_helper_gives_the_report(tmp_path, write_tiny):
    """``calibration_targets.stationarity`` gives the report the later test asserts on."""
    from sim.experiments.calibration_targets import stationarity as check_stationarity
    from sim.experiments.runner import run_scenario

    scenario = load_scenario(write_tiny(tmp_path))
    result = check_stationarity(run_scenario(scenario, workers=1), scenario)
    assert (result.start_day, result.end_day) == (30.0, 305.0)
    assert result.stationary in (True, False, None)
