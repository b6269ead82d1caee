import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.analysis.statistics import (
    ALL,
    MILESTONE_DAYS,
    OUTCOMES,
    SHARE_BOUNDS,
    SHARE_METRICS,
    backlog_series,
    cif_curves,
    confidence_interval,
    cumulative_incidence,
    event_time_mean,
    event_time_quantile,
    outcome_shares,
    replication_metrics,
    request_metrics,
    share_interval,
    summarise,
)

METRIC_KEYS = [
    "n",
    "fulfilled_30d",
    "fulfilled_90d",
    "fulfilled_180d",
    "fulfilled_365d",
    "median_days",
    "p90_days",
    "mean_days",
    "share_fulfilled",
    "share_refused",
    "share_lost",
    "share_abandoned",
    "share_pending",
]

# Hand-computed competing-risks example (n = 5, one per time):
#   t=1 fulfilled: at risk 5, S(1-) = 1     -> ΔCIF_f = 1 × 1/5   = 0.2, S(1) = 4/5
#   t=2 refused:   at risk 4, S(2-) = 4/5   -> ΔCIF_r = 4/5 × 1/4 = 0.2, S(2) = 3/5
#   t=3 pending:   censored, leaves the risk set; S(3) = 3/5
#   t=4 fulfilled: at risk 2, S(4-) = 3/5   -> ΔCIF_f = 3/5 × 1/2 = 0.3, S(4) = 3/10
#   t=5 fulfilled: at risk 1, S(5-) = 3/10  -> ΔCIF_f = 3/10 × 1  = 0.3, S(5) = 0
# So CIF_f = 0, 0.2, 0.2, 0.2, 0.5, 0.8 at t = 0..5 and CIF_r = 0.2 from t = 2.
# Naive 1 − KM with "refused" censored: at risk 5, 4, 3, 2, 1 with events at 1, 4, 5:
#   S = 4/5 after t=1, 4/5 × 1/2 = 2/5 after t=4, 0 after t=5 -> 1 − KM(4) = 0.6 ≠ 0.5.
# Quantiles among eventually fulfilled (total 0.8): median target 0.4 -> t=4 (CIF 0.5),
# p90 target 0.72 -> t=5. Mean = (1×0.2 + 4×0.3 + 5×0.3) / 0.8 = 2.9 / 0.8 = 3.625.
HAND_DURATIONS = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
HAND_OUTCOMES = np.array(["fulfilled", "refused", "pending", "fulfilled", "fulfilled"])


def make_requests(
    durations: list[float],
    outcomes: list[str],
    replication: int | list[int] = 0,
    created_day: float | list[float] = 100.0,
    **columns: list[object],
) -> pd.DataFrame:
    """Build a minimal requests table; extra keyword columns are added as given."""
    size = len(durations)
    frame = pd.DataFrame(
        {
            "replication": np.broadcast_to(replication, size),
            "request_id": np.arange(size),
            "created_day": np.broadcast_to(np.asarray(created_day, dtype=float), size),
            "outcome": outcomes,
            "time_to_outcome_days": np.asarray(durations, dtype=float),
        }
    )
    frame["time_to_evidence_days"] = frame["time_to_outcome_days"].where(
        frame["outcome"] == "fulfilled"
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def random_requests(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Random durations (with ties) and outcomes drawn from all five outcomes."""
    durations = np.round(rng.exponential(100.0, size=n))
    outcomes = rng.choice(np.asarray(OUTCOMES), size=n, p=[0.5, 0.15, 0.05, 0.1, 0.2])
    return durations, outcomes


# --------------------------------------------------------------------------------------
# Estimator
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cif_without_competitors_equals_one_minus_kaplan_meier(seed: int) -> None:
    """With only fulfilled and pending, the AJ CIF is 1 − KM (checked against scipy)."""
    rng = np.random.default_rng(seed)
    durations = np.round(rng.exponential(50.0, size=300), 1)  # rounding creates ties
    outcomes = np.where(rng.random(300) < 0.7, "fulfilled", "pending")
    grid = np.concatenate(([0.0, -1.0], np.linspace(0.0, durations.max() + 10, 97), durations))
    expected = stats.ecdf(
        stats.CensoredData(
            uncensored=durations[outcomes == "fulfilled"], right=durations[outcomes == "pending"]
        )
    ).cdf.evaluate(grid)
    np.testing.assert_allclose(cumulative_incidence(durations, outcomes, grid), expected)


def test_hand_computed_competing_risks_example() -> None:
    """AJ matches the hand calculation above and differs from the naive 1 − KM."""
    grid = np.array([0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0])
    cif = cumulative_incidence(HAND_DURATIONS, HAND_OUTCOMES, grid)
    np.testing.assert_allclose(cif, [0.0, 0.2, 0.2, 0.2, 0.2, 0.5, 0.8, 0.8])
    refused = cumulative_incidence(HAND_DURATIONS, HAND_OUTCOMES, grid, cause="refused")
    np.testing.assert_allclose(refused, [0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2])
    naive_outcomes = np.where(HAND_OUTCOMES == "refused", "pending", HAND_OUTCOMES)
    naive = cumulative_incidence(HAND_DURATIONS, naive_outcomes, np.array([4.0]))
    assert naive[0] == pytest.approx(0.6)
    assert cif[5] != pytest.approx(naive[0])
    assert event_time_quantile(HAND_DURATIONS, HAND_OUTCOMES, 0.5) == 4.0
    assert event_time_quantile(HAND_DURATIONS, HAND_OUTCOMES, 0.9) == 5.0
    assert event_time_mean(HAND_DURATIONS, HAND_OUTCOMES) == pytest.approx(3.625)


def test_ties_count_events_before_removing_censorings() -> None:
    """An event and a censoring at the same time share one risk set (3, not 2).

    t=1: at risk 3, one fulfilled -> CIF 1/3, S = 2/3; the censoring then leaves.
    t=2: at risk 1, one fulfilled -> CIF = 1/3 + 2/3 = 1.
    """
    cif = cumulative_incidence(
        np.array([1.0, 1.0, 2.0]),
        np.array(["pending", "fulfilled", "fulfilled"]),
        np.array([1.0, 2.0]),
    )
    np.testing.assert_allclose(cif, [1 / 3, 1.0])


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_without_censoring_matches_plain_proportions_and_numpy(seed: int) -> None:
    """No pending: CIF is the fraction fulfilled by t; quantiles/mean match numpy's."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    durations = np.round(rng.gamma(2.0, 40.0, size=n))
    outcomes = rng.choice(np.array(["fulfilled", "refused", "lost", "abandoned"]), size=n)
    outcomes[0] = "fulfilled"
    grid = np.arange(0.0, durations.max() + 2)
    fulfilled_times = durations[outcomes == "fulfilled"]
    expected = (fulfilled_times[:, None] <= grid[None, :]).sum(axis=0) / n
    np.testing.assert_allclose(cumulative_incidence(durations, outcomes, grid), expected)
    for q in (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0):
        assert event_time_quantile(durations, outcomes, q) == np.quantile(
            fulfilled_times, q, method="inverted_cdf"
        )
    assert event_time_mean(durations, outcomes) == pytest.approx(fulfilled_times.mean())


def test_censoring_moves_the_quantile_away_from_the_naive_one() -> None:
    """With censoring the median is taken from the CIF, not from the finished requests."""
    durations = np.array([1.0, 2.0, 2.0, 3.0, 10.0])
    outcomes = np.array(["fulfilled", "pending", "pending", "fulfilled", "fulfilled"])
    # CIF: t=1 -> 1/5; t=3 -> + (4/5)(1/2) = 3/5; t=10 -> + (2/5)(1) = 1.
    # Median target 0.5 -> t=3, while the naive median of (1, 3, 10) would also be 3;
    # the mean is (1×0.2 + 3×0.4 + 10×0.4) = 5.4, not the naive 14/3.
    assert event_time_quantile(durations, outcomes, 0.5) == 3.0
    assert event_time_mean(durations, outcomes) == pytest.approx(5.4)


def test_no_fulfilment_and_empty_inputs_give_nan_without_warnings() -> None:
    """Nothing fulfilled -> NaN time metrics; no requests -> NaN everything and n = 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        durations = np.array([5.0, 7.0])
        outcomes = np.array(["refused", "pending"])
        assert np.isnan(event_time_quantile(durations, outcomes, 0.5))
        assert np.isnan(event_time_mean(durations, outcomes))
        np.testing.assert_array_equal(
            cumulative_incidence(durations, outcomes, np.array([1.0, 10.0])), [0.0, 0.0]
        )
        empty = request_metrics(np.array([]), np.array([], dtype=str))
        assert list(empty) == METRIC_KEYS
        assert empty["n"] == 0
        assert all(np.isnan(value) for key, value in empty.items() if key != "n")
        assert np.isnan(cumulative_incidence(np.array([]), np.array([]), np.array([1.0]))).all()


def test_invalid_inputs_are_rejected() -> None:
    """Unknown outcomes, 'pending' as a cause, bad q and negative durations raise."""
    with pytest.raises(ValueError, match="unknown outcomes"):
        cumulative_incidence(np.array([1.0]), np.array(["fulfiled"]), np.array([1.0]))
    with pytest.raises(ValueError, match="cause"):
        cumulative_incidence(HAND_DURATIONS, HAND_OUTCOMES, np.array([1.0]), cause="pending")
    with pytest.raises(ValueError, match="q must"):
        event_time_quantile(HAND_DURATIONS, HAND_OUTCOMES, 1.5)
    with pytest.raises(ValueError, match="non-negative"):
        event_time_mean(np.array([-1.0]), np.array(["fulfilled"]))
    with pytest.raises(ValueError, match="outcomes"):
        request_metrics(np.array([1.0, 2.0]), np.array(["fulfilled"]))


def test_request_metrics_on_hand_example() -> None:
    """request_metrics gathers CIF milestones, quantiles, mean and raw shares."""
    durations = HAND_DURATIONS * 30.0  # events at 30, 60, 90 (pending), 120, 150 days
    metrics = request_metrics(durations, HAND_OUTCOMES)
    assert list(metrics) == METRIC_KEYS
    assert metrics["n"] == 5
    assert metrics["fulfilled_30d"] == pytest.approx(0.2)
    assert metrics["fulfilled_90d"] == pytest.approx(0.2)
    assert metrics["fulfilled_180d"] == pytest.approx(0.8)
    assert metrics["fulfilled_365d"] == pytest.approx(0.8)
    assert metrics["median_days"] == 120.0
    assert metrics["p90_days"] == 150.0
    assert metrics["mean_days"] == pytest.approx(3.625 * 30.0)
    assert metrics["share_fulfilled"] == pytest.approx(0.6)
    assert metrics["share_refused"] == pytest.approx(0.2)
    assert metrics["share_pending"] == pytest.approx(0.2)
    assert metrics["share_lost"] == 0.0
    assert metrics["share_abandoned"] == 0.0


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.one_of(st.integers(0, 20).map(float), st.floats(0.0, 1e4, allow_nan=False)),
            st.sampled_from(OUTCOMES),
        ),
        max_size=60,
    ),
    grid=st.lists(st.floats(-5.0, 2e4, allow_nan=False), min_size=1, max_size=20),
)
def test_cif_properties(data: list[tuple[float, str]], grid: list[float]) -> None:
    """CIF is non-decreasing, within [0, 1], and the causes' CIFs sum to at most 1."""
    durations = np.array([d for d, _ in data], dtype=float)
    outcomes = np.array([o for _, o in data], dtype=object)
    grid_array = np.sort(np.array(grid))
    causes = [outcome for outcome in OUTCOMES if outcome != "pending"]
    cifs = np.array([cumulative_incidence(durations, outcomes, grid_array, c) for c in causes])
    if durations.size == 0:
        assert np.isnan(cifs).all()
        return
    assert (cifs >= 0.0).all()
    assert (cifs <= 1.0 + 1e-12).all()
    assert (np.diff(cifs, axis=1) >= -1e-15).all()
    assert (cifs.sum(axis=0) <= 1.0 + 1e-12).all()


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def test_warm_up_rows_are_excluded() -> None:
    """Requests created before warm_up_days do not enter any statistic."""
    requests = make_requests(
        [10.0, 20.0, 30.0, 40.0],
        ["refused", "refused", "fulfilled", "fulfilled"],
        created_day=[5.0, 49.9, 50.0, 80.0],
    )
    table = replication_metrics(requests, warm_up_days=50.0)
    assert table["n"].tolist() == [2]
    assert table["share_fulfilled"].tolist() == [1.0]
    assert table["median_days"].tolist() == [30.0]
    unfiltered = replication_metrics(requests)
    assert unfiltered["n"].tolist() == [4]
    shares = outcome_shares(requests, warm_up_days=50.0).set_index("outcome")["estimate"]
    assert shares["refused"] == 0.0
    curve = cif_curves(requests, np.array([35.0]), warm_up_days=50.0)
    assert curve["estimate"].tolist() == [0.5]


def test_no_request_after_the_warm_up_gives_empty_tables() -> None:
    """A run whose requests all fall in the warm-up has no estimate (empty or NaN), no error.

    (A comparison of a scenario that happened to make no measured request drew its
    figures from these and stopped with a traceback.)
    """
    requests = make_requests([10.0], ["fulfilled"], created_day=[5.0])
    nothing = requests.assign(channel="eio").iloc[:0]
    for frame, by in ((requests, None), (nothing, None), (nothing, "channel")):
        curve = cif_curves(frame, np.array([1.0, 2.0]), by=by, warm_up_days=50.0)
        assert curve["estimate"].isna().all()
        assert list(curve.columns) == ["group", "day", "estimate", "ci_low", "ci_high"]
        shares = outcome_shares(frame, by=by, warm_up_days=50.0)
        assert shares["estimate"].isna().all()
        assert list(shares.columns) == ["group", "outcome", "estimate", "ci_low", "ci_high"]


def test_replication_metrics_groups_by_column() -> None:
    """`by` splits each replication into groups; a group absent from a replication has n=0."""
    requests = pd.concat(
        [
            make_requests(
                [10.0, 20.0, 5.0],
                ["fulfilled", "fulfilled", "refused"],
                replication=0,
                requested=["DEU", "DEU", "USA"],
            ),
            make_requests([40.0], ["fulfilled"], replication=1, requested=["DEU"]),
        ],
        ignore_index=True,
    )
    table = replication_metrics(requests, by="requested")
    assert list(table.columns) == ["replication", "group", *METRIC_KEYS]
    assert table[["replication", "group", "n"]].values.tolist() == [
        [0, "DEU", 2],
        [0, "USA", 1],
        [1, "DEU", 1],
        [1, "USA", 0],
    ]
    assert table["median_days"].tolist()[0] == 10.0
    assert np.isnan(table["median_days"].tolist()[1])  # nothing fulfilled at USA
    assert np.isnan(table["share_refused"].tolist()[3])  # no requests at all
    pooled = replication_metrics(requests)
    assert pooled["group"].tolist() == [ALL, ALL]
    assert pooled["n"].tolist() == [3, 1]


def test_summarise_reports_mean_interval_and_contributing_replications() -> None:
    """Summarise() averages over replications, dropping NaN values and counting the rest."""
    requests = pd.concat(
        [
            make_requests([10.0, 30.0], ["fulfilled", "refused"], replication=0),
            make_requests([20.0, 30.0], ["fulfilled", "fulfilled"], replication=1),
            make_requests([30.0], ["refused"], replication=2),
        ],
        ignore_index=True,
    )
    summary = summarise(replication_metrics(requests)).set_index("metric")
    assert list(summary.columns) == ["group", "estimate", "ci_low", "ci_high", "replications"]
    assert summary.index.tolist() == METRIC_KEYS
    assert summary.loc["n", "estimate"] == pytest.approx(5 / 3)
    assert summary.loc["n", "replications"] == 3
    # Median per replication: 10, 20, NaN -> mean 15 over two replications.
    assert summary.loc["median_days", "replications"] == 2
    assert summary.loc["median_days", "estimate"] == pytest.approx(15.0)
    half = stats.t.ppf(0.975, 1) * np.std([10.0, 20.0], ddof=1) / np.sqrt(2)
    assert summary.loc["median_days", "ci_low"] == pytest.approx(15.0 - half)
    assert summary.loc["median_days", "ci_high"] == pytest.approx(15.0 + half)
    # Share fulfilled per replication: 1/2, 1, 0.
    assert summary.loc["share_fulfilled", "estimate"] == pytest.approx(0.5)


def test_single_replication_gives_nan_bounds_without_warnings() -> None:
    """One replication: estimates are the values themselves and bounds are NaN, silently."""
    requests = make_requests([10.0, 20.0, 30.0], ["fulfilled", "pending", "refused"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = summarise(replication_metrics(requests))
        curves = cif_curves(requests, np.array([0.0, 15.0, 100.0]))
        shares = outcome_shares(requests)
        single = confidence_interval(np.array([4.0]))
        none = confidence_interval(np.array([np.nan]))
    assert summary["ci_low"].isna().all() and summary["ci_high"].isna().all()
    assert (summary["replications"] <= 1).all()
    assert curves["estimate"].tolist() == pytest.approx([0.0, 1 / 3, 1 / 3])
    assert curves["ci_low"].isna().all()
    assert shares["estimate"].sum() == pytest.approx(1.0)
    assert single[0] == 4.0 and np.isnan(single[1]) and np.isnan(single[2])
    assert all(np.isnan(value) for value in none)


def test_confidence_interval_formula_and_nan_dropping() -> None:
    """The interval is mean ± t_{0.975,n−1}·s/√n computed on the non-NaN values."""
    values = np.array([1.0, 2.0, np.nan, 4.0, 7.0])
    clean = values[~np.isnan(values)]
    mean, low, high = confidence_interval(values)
    half = stats.t.ppf(0.975, clean.size - 1) * clean.std(ddof=1) / np.sqrt(clean.size)
    assert mean == pytest.approx(clean.mean())
    assert low == pytest.approx(clean.mean() - half)
    assert high == pytest.approx(clean.mean() + half)
    narrower = confidence_interval(values, level=0.5)
    assert narrower[2] - narrower[1] < high - low


def test_share_interval_is_the_t_interval_clipped_to_the_unit_range() -> None:
    """Two replications of 0.9 and 1.0: the t interval runs to 1.59, the share's stops at 1.

    The estimate is still the plain mean, and the side inside [0, 1] is unchanged.
    """
    mean, low, high = confidence_interval(np.array([0.9, 1.0]))
    assert high > 1.5
    assert share_interval(np.array([0.9, 1.0])) == (mean, low, 1.0)
    mean, low, high = confidence_interval(np.array([0.0, 0.1]))
    assert low < -0.5
    assert share_interval(np.array([0.0, 0.1])) == (mean, 0.0, high)
    assert share_interval(np.array([0.4, 0.5, 0.6])) == confidence_interval([0.4, 0.5, 0.6])


def test_confidence_interval_bounds_keyword() -> None:
    """``bounds`` clips the interval to any range; NaN bounds stay NaN; bad bounds are refused."""
    values = np.array([-0.9, 0.95])
    mean, low, high = confidence_interval(values, bounds=(-1.0, 1.0))
    assert (low, high) == (-1.0, 1.0)
    assert mean == pytest.approx(0.025)
    single = share_interval(np.array([1.0]))
    assert single[0] == 1.0 and np.isnan(single[1]) and np.isnan(single[2])
    assert SHARE_BOUNDS == (0.0, 1.0)
    with pytest.raises(ValueError, match="bounds"):
        confidence_interval(values, bounds=(1.0, 0.0))


def test_share_metrics_are_the_proportions_of_replication_metrics() -> None:
    """SHARE_METRICS names the milestone incidences and outcome shares, not counts or days."""
    assert set(METRIC_KEYS) >= SHARE_METRICS
    assert {
        *(f"fulfilled_{day}d" for day in MILESTONE_DAYS),
        *(f"share_{outcome}" for outcome in OUTCOMES),
    } == SHARE_METRICS
    assert not SHARE_METRICS & {"n", "median_days", "p90_days", "mean_days"}


def two_replications() -> pd.DataFrame:
    """Two replications far apart: all fulfilled within 20 days, or one in four by day 300."""
    return pd.concat(
        [
            make_requests([10.0, 20.0], ["fulfilled", "fulfilled"], replication=0),
            make_requests(
                [5.0, 6.0, 7.0, 300.0], ["refused", "lost", "refused", "fulfilled"], replication=1
            ),
        ],
        ignore_index=True,
    )


def test_summarise_clips_share_intervals_and_only_those() -> None:
    """With two replications every share's interval lies in [0, 1]; day metrics are not clipped.

    The t interval of the share fulfilled (1 and 0.25) would run from -4.1 to 5.4.
    """
    summary = summarise(replication_metrics(two_replications())).set_index("metric")
    shares = summary.loc[sorted(SHARE_METRICS)]
    assert (shares["ci_low"] >= 0.0).all()
    assert (shares["ci_high"] <= 1.0).all()
    assert summary.loc["share_fulfilled", "estimate"] == pytest.approx(0.625)
    fulfilled = summary.loc["share_fulfilled"]
    assert (fulfilled["ci_low"], fulfilled["ci_high"]) == (0.0, 1.0)
    assert summary.loc["median_days", "ci_low"] < 0.0  # a t interval of days, left as it is
    assert summary.loc["n", "ci_low"] < 0.0


def test_curves_and_outcome_shares_have_intervals_in_the_unit_range() -> None:
    """Cumulative incidence curves and outcome shares are shares: their intervals too."""
    requests = two_replications()
    curves = cif_curves(requests, np.array([0.0, 15.0, 25.0, 400.0]))
    shares = outcome_shares(requests)
    for table in (curves, shares):
        bounds = table[["ci_low", "ci_high"]].to_numpy()
        assert np.nanmin(bounds) >= 0.0
        assert np.nanmax(bounds) <= 1.0
    assert curves["ci_high"].iloc[2] == 1.0
    assert curves["ci_low"].iloc[2] == 0.0


def test_confidence_interval_covers_the_true_mean_about_95_percent() -> None:
    """In 400 simulated experiments the 95% interval contains the true mean 92–98% of times."""
    rng = np.random.default_rng(20240601)
    true_mean = 3.0
    covered = 0
    trials = 400
    for _ in range(trials):
        _, low, high = confidence_interval(rng.normal(true_mean, 2.0, size=8))
        covered += low <= true_mean <= high
    assert 0.92 <= covered / trials <= 0.98


def test_cif_curves_average_over_replications() -> None:
    """cif_curves evaluates each replication's CIF on the grid and averages them."""
    requests = pd.concat(
        [
            make_requests([10.0, 50.0], ["fulfilled", "fulfilled"], replication=0),
            make_requests([30.0, 50.0], ["fulfilled", "lost"], replication=1),
        ],
        ignore_index=True,
    )
    curves = cif_curves(requests, np.array([0.0, 20.0, 40.0, 60.0]))
    assert list(curves.columns) == ["group", "day", "estimate", "ci_low", "ci_high"]
    # Replication 0: 0, 0.5, 0.5, 1.0. Replication 1: 0, 0, 0.5, 0.5.
    np.testing.assert_allclose(curves["estimate"], [0.0, 0.25, 0.5, 0.75])
    assert curves["ci_low"].iloc[2] == curves["ci_high"].iloc[2] == 0.5
    assert curves["ci_low"].iloc[3] < 0.75 < curves["ci_high"].iloc[3]


def test_outcome_shares_per_group() -> None:
    """outcome_shares gives each outcome's raw share per group, all five outcomes listed."""
    requests = make_requests(
        [1.0, 2.0, 3.0, 4.0],
        ["fulfilled", "pending", "lost", "lost"],
        channel=["mlat", "mlat", "direct", "direct"],
    )
    shares = outcome_shares(requests, by="channel")
    assert list(shares.columns) == ["group", "outcome", "estimate", "ci_low", "ci_high"]
    table = shares.pivot(index="group", columns="outcome", values="estimate")
    assert table.loc["mlat", "fulfilled"] == 0.5
    assert table.loc["mlat", "pending"] == 0.5
    assert table.loc["direct", "lost"] == 1.0
    assert table.loc["direct", "refused"] == 0.0
    assert len(shares) == 2 * len(OUTCOMES)


def test_metrics_match_request_metrics_on_random_replications() -> None:
    """replication_metrics gives the same numbers as request_metrics on each slice."""
    rng = np.random.default_rng(7)
    frames = []
    for replication in range(3):
        durations, outcomes = random_requests(rng, 500)
        states = rng.choice(np.array(["FRA", "IRL", "USA"]), size=500)
        frames.append(
            make_requests(
                durations.tolist(), outcomes.tolist(), replication=replication, requested=states
            )
        )
    requests = pd.concat(frames, ignore_index=True)
    table = replication_metrics(requests, by="requested")
    for row in table.itertuples(index=False):
        subset = requests[
            (requests["replication"] == row.replication) & (requests["requested"] == row.group)
        ]
        expected = request_metrics(
            subset["time_to_outcome_days"].to_numpy(), subset["outcome"].to_numpy()
        )
        for key, value in expected.items():
            assert getattr(row, key) == pytest.approx(value, nan_ok=True)
    assert set(MILESTONE_DAYS) == {30, 90, 180, 365}


def test_backlog_series_picks_the_busiest_states() -> None:
    """Only the `top` states by mean backlog are kept, busiest first, ties by state code."""
    rows = []
    backlogs = {"AAA": 1, "BBB": 9, "CCC": 5, "DDD": 5, "EEE": 0}
    for replication in range(3):
        for day in (0.0, 1.0):
            for state, level in backlogs.items():
                rows.append(
                    {
                        "replication": replication,
                        "day": day,
                        "state": state,
                        "backlog": level + replication,
                        "staff": 3,
                    }
                )
    series = backlog_series(pd.DataFrame(rows), top=3)
    assert list(series.columns) == ["state", "day", "estimate", "ci_low", "ci_high"]
    assert series["state"].tolist() == ["BBB", "BBB", "CCC", "CCC", "DDD", "DDD"]
    assert series["day"].tolist() == [0.0, 1.0] * 3
    assert series["estimate"].tolist() == [10.0, 10.0, 6.0, 6.0, 6.0, 6.0]
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)  # values level + {0, 1, 2}, s = 1
    assert series["ci_high"].iloc[0] == pytest.approx(10.0 + half)
    assert backlog_series(pd.DataFrame(rows), top=0).empty
