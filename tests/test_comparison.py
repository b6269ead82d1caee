"""Tests for comparing scenarios under common random numbers (``sim.analysis.comparison``).

Scenarios are run with one seed and one replication count, paired by replication number;
differences come with a paired-t interval and, for contrast, the unpaired Welch one. A run
already stored for the same resolved scenario is read back instead of simulated again. The
comparison's tables for people (``sim.analysis.report``) are checked here too, on the same
runs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import comparison, figure_registry, report, statistics
from sim.analysis.summary import summarise_run
from sim.config.loading import load_scenario
from sim.experiments import compare
from sim.experiments.inputs import RunInputs
from sim.experiments.runner import run_scenario
from sim.experiments.store import ResultStore, read_run

STATES = ["DEU", "FRA", "USA", "GBR", "IRL"]


def scenario_text(*, seed: int = 11, replications: int = 3, extra: str = "") -> str:
    """Two years of a five-state world at 0.5% of the usual demand (~2,400 requests a run)."""
    states = ", ".join(f'"{code}"' for code in STATES)
    return (
        "[simulation]\n"
        "start = 2026-01-01\n"
        "end = 2028-01-01\n"
        "warm_up_days = 60\n"
        "drain_days = 120\n"
        f"replications = {replications}\n"
        f"seed = {seed}\n"
        "\n"
        "[world]\n"
        f"states = [{states}]\n"
        "\n"
        "[demand]\n"
        "scale = 0.005\n"
        f"{extra}"
    )


FAST_MLAT = "\n[channels.bilateral_mlat]\ntime_scale = 0.5\n"
"""One lever: formal requests under bilateral treaties take half as long."""


def write(directory: Path, name: str, **kwargs) -> Path:
    """Write ``scenario_text(**kwargs)`` as ``DIRECTORY/NAME.toml`` (the name is the stem)."""
    path = directory / f"{name}.toml"
    path.write_text(scenario_text(**kwargs), encoding="utf-8")
    return path


def simulate(path: Path, **overrides) -> comparison.ScenarioRun:
    """Run a scenario file in this process (not stored: the directory is only a label)."""
    (scenario,) = compare.common_random_numbers([load_scenario(path)], **overrides)
    return comparison.ScenarioRun(scenario, run_scenario(scenario), Path("unstored"), False)


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A baseline, an identical copy under another name, and the baseline with faster MLATs."""
    directory = tmp_path_factory.mktemp("scenarios")
    return {
        "base": write(directory, "base"),
        "copy": write(directory, "copy"),
        "fast_mlat": write(directory, "fast_mlat", extra=FAST_MLAT),
    }


@pytest.fixture(scope="module")
def identical(scenario_files) -> comparison.Comparison:
    """The baseline compared with its identical copy."""
    runs = [simulate(scenario_files["base"]), simulate(scenario_files["copy"])]
    return comparison.compare(runs, by="channel")


@pytest.fixture(scope="module")
def base_run(scenario_files) -> comparison.ScenarioRun:
    """The baseline, run once for the tests that need a single scenario."""
    return simulate(scenario_files["base"])


# --- common random numbers --------------------------------------------------------------------


def test_identical_copy_differs_by_exactly_zero(identical):
    """A scenario compared with an identical copy under another name: every difference is 0.

    Same seed, same replications, same content: the runs draw the same numbers, so each
    per-replication difference is zero, and so are its mean and its paired interval. The
    unpaired (Welch) interval ignores the pairing: it is centred on 0 but as wide as the
    spread between replications makes it.
    """
    table = identical.table
    copy = table[table["scenario"] == "copy"]
    assert not copy.empty
    defined = copy[np.isfinite(copy["estimate"]) & (copy["replications"] > 1)]
    assert len(defined) > len(comparison.METRICS)
    for column in ("diff", "diff_ci_low", "diff_ci_high"):
        assert (defined[column] == 0.0).all(), column
    np.testing.assert_allclose(defined["diff_unpaired_ci_low"], -defined["diff_unpaired_ci_high"])
    assert (defined["diff_unpaired_ci_high"] > 0).any()
    base = table[table["scenario"] == "base"].set_index(["group", "metric"])
    pd.testing.assert_series_equal(
        base["estimate"], copy.set_index(["group", "metric"])["estimate"], check_names=False
    )


def test_reference_rows_have_no_difference(identical):
    """The first scenario is the reference: its difference columns are empty (NaN)."""
    base = identical.table[identical.table["scenario"] == "base"]
    diff_columns = [c for c in comparison.CSV_COLUMNS if c.startswith("diff")]
    assert base[diff_columns].isna().all().all()
    assert identical.reference == "base"


def test_common_random_numbers_narrow_the_median_difference(scenario_files):
    """CRN: halving bilateral MLAT times, the paired CI of the median difference is narrower.

    Both scenarios share their seed, so replication r of each sees the same case arrivals
    and case mix; the difference taken replication by replication cancels that shared noise,
    and its paired-t interval is narrower than the unpaired Welch interval of the same
    difference (8 replications, seed 11).
    """
    runs = [
        simulate(scenario_files["base"], replications=8),
        simulate(scenario_files["fast_mlat"], replications=8),
    ]
    table = comparison.compare(runs).table
    row = table[
        (table["scenario"] == "fast_mlat")
        & (table["group"] == "all")
        & (table["metric"] == "median_days")
    ].iloc[0]
    paired = row["diff_ci_high"] - row["diff_ci_low"]
    unpaired = row["diff_unpaired_ci_high"] - row["diff_unpaired_ci_low"]
    assert 0 < paired < unpaired


def test_common_random_numbers_align_seed_and_replications(scenario_files):
    """Every scenario gets the first's seed and replications unless both are given."""
    first = load_scenario(scenario_files["base"])
    other = load_scenario(scenario_files["fast_mlat"]).model_copy(
        update={"simulation": first.simulation.model_copy(update={"seed": 99, "replications": 7})}
    )
    aligned = compare.common_random_numbers([first, other])
    assert [(s.simulation.seed, s.simulation.replications) for s in aligned] == [(11, 3)] * 2
    given = compare.common_random_numbers([first, other], replications=2, seed=5)
    assert [(s.simulation.seed, s.simulation.replications) for s in given] == [(5, 2)] * 2
    assert [s.name for s in given] == ["base", "fast_mlat"]


def test_compare_refuses_runs_that_cannot_be_paired(base_run, scenario_files):
    """Fewer than two runs, repeated names or different seeds cannot be compared."""
    with pytest.raises(ValueError, match="at least two"):
        comparison.compare([base_run])
    with pytest.raises(ValueError, match="must differ"):
        comparison.compare([base_run, base_run])
    reseeded = compare.common_random_numbers([load_scenario(scenario_files["copy"])], seed=12)
    other = comparison.ScenarioRun(reseeded[0], base_run.result, Path("x"), False)
    with pytest.raises(ValueError, match="seed"):
        comparison.compare([base_run, other])


# --- intervals -------------------------------------------------------------------------------


def test_paired_difference_is_a_t_interval_of_the_differences():
    """The paired interval is the Student-t interval of the per-replication differences."""
    values = np.array([10.0, 12.0, 11.0, 15.0])
    reference = np.array([9.0, 10.0, 10.5, 12.0])
    mean, low, high = comparison.paired_difference(values, reference)
    differences = values - reference
    half = stats.t.ppf(0.975, 3) * differences.std(ddof=1) / 2.0
    assert mean == pytest.approx(differences.mean())
    assert (low, high) == pytest.approx((mean - half, mean + half))


def test_paired_difference_drops_unpaired_replications():
    """A replication with a NaN on either side (say an undefined median) is left out."""
    mean, low, high = comparison.paired_difference(
        np.array([1.0, np.nan, 3.0, 5.0]), np.array([0.0, 1.0, np.nan, 4.0])
    )
    assert mean == pytest.approx(1.0)
    assert (low, high) == (1.0, 1.0)


def test_welch_difference_matches_scipy():
    """The unpaired interval is Welch's (unequal variances), as scipy's ttest_ind computes."""
    values = np.array([10.0, 12.0, 11.0, 15.0, 13.0])
    reference = np.array([9.0, 10.0, 10.5, 12.0])
    diff, low, high = comparison.welch_difference(values, reference)
    expected = stats.ttest_ind(values, reference, equal_var=False).confidence_interval(0.95)
    assert diff == pytest.approx(values.mean() - reference.mean())
    assert (low, high) == pytest.approx((expected.low, expected.high))


def test_welch_difference_with_too_few_values_has_no_bounds():
    """One value on a side gives a difference but no interval; none gives nothing."""
    diff, low, high = comparison.welch_difference(np.array([2.0]), np.array([1.0, 1.5]))
    assert diff == pytest.approx(0.75)
    assert math.isnan(low) and math.isnan(high)
    assert all(math.isnan(x) for x in comparison.welch_difference(np.array([]), np.array([1.0])))


def test_group_missing_from_one_scenario_has_undefined_difference():
    """A group only one scenario has: estimates where it exists, NaN differences, no warning."""
    rows = []
    for scenario, groups in (("a", ["all", "eio"]), ("b", ["all"])):
        for group in groups:
            for replication in range(3):
                rows.append((scenario, group, "median_days", replication, 10.0 + replication))
    values = pd.DataFrame(rows, columns=["scenario", "group", "metric", "replication", "value"])
    table = comparison.compare_values(values, ["a", "b"]).set_index(["scenario", "group"])
    assert table.loc[("a", "eio"), "estimate"] == pytest.approx(11.0)
    assert math.isnan(table.loc[("b", "eio"), "estimate"])
    assert table.loc[("b", "eio"), "replications"] == 0
    assert math.isnan(table.loc[("b", "eio"), "diff"])
    assert table.loc[("b", "all"), "diff"] == 0.0


# --- metrics ---------------------------------------------------------------------------------


def test_metrics_match_the_run_summary(base_run):
    """The 'all' estimates are summary.json's: same estimator, same warm-up exclusion."""
    values = comparison.replication_values(base_run, by="channel")
    table = comparison.compare_values(values.assign(scenario="base"), ["base"])
    overall = summarise_run(base_run.result, base_run.scenario)["overall"]["all"]
    for metric in comparison.REQUEST_METRICS:
        row = table[(table["group"] == "all") & (table["metric"] == metric)].iloc[0]
        assert row["estimate"] == pytest.approx(overall[metric]["estimate"]), metric
        assert row["ci_low"] == pytest.approx(overall[metric]["ci_low"]), metric


def test_groups_follow_by(base_run):
    """--by sets the groups besides 'all': channels, requesting or requested states, regions."""
    requests = base_run.result.requests
    by_channel = comparison.replication_values(base_run, by="channel")
    assert set(by_channel["group"]) - {"all"} <= set(requests["channel"].astype(str))
    by_requesting = comparison.replication_values(base_run, by="requesting")
    assert set(by_requesting["group"]) - {"all"} <= set(STATES)
    regions = comparison.world_regions()
    by_region = comparison.replication_values(base_run, by="region")
    assert set(by_region["group"]) - {"all"} == {regions[code] for code in STATES}
    with pytest.raises(ValueError, match="by must be one of"):
        comparison.replication_values(base_run, by="crime")


def _backlog(values: pd.DataFrame) -> pd.DataFrame:
    backlog = values[values["metric"] == "backlog"]
    return backlog.pivot(index="replication", columns="group", values="value")


def test_backlog_is_the_world_total_split_by_requested_state(base_run):
    """Backlog: 'all' is the world's total; by requested state or region the parts add up to it.

    Each is a mean over the same measured days (warm-up end to drain start), so the states'
    (and the regions') mean backlogs sum to the mean world total, replication by replication.
    """
    by_state = _backlog(comparison.replication_values(base_run, by="requested"))
    assert set(by_state.columns) == {"all", *STATES}
    np.testing.assert_allclose(by_state[STATES].sum(axis=1), by_state["all"])
    by_region = _backlog(comparison.replication_values(base_run, by="region"))
    parts = by_region.drop(columns="all")
    np.testing.assert_allclose(parts.sum(axis=1), by_region["all"])
    series = base_run.result.timeseries
    start, stop = 60, 730 - 120
    measured = series[(series["day"] >= start) & (series["day"] < stop)]
    world = measured.groupby(["replication", "day"])["backlog"].sum().groupby("replication").mean()
    np.testing.assert_allclose(by_state["all"].to_numpy(), world.to_numpy())


def test_backlog_by_channel_is_only_the_world_total(base_run):
    """Requests of a channel queue together with others, so backlog is reported for 'all' only."""
    values = comparison.replication_values(base_run, by="channel")
    assert set(values.loc[values["metric"] == "backlog", "group"]) == {"all"}


# --- reuse of stored runs ---------------------------------------------------------------------


def test_stored_run_of_the_same_scenario_is_reused(tmp_path, scenario_files, monkeypatch):
    """obtain_run writes a result directory once; the next call reads it back without running.

    A different seed (so a different resolved scenario) is not reused.
    """
    (scenario,) = compare.common_random_numbers([load_scenario(scenario_files["base"])])
    store = ResultStore(tmp_path)
    first = compare.obtain_run(RunInputs.of(scenario), store)
    assert not first.reused
    assert first.directory == tmp_path / "base"
    manifest = json.loads((tmp_path / "base" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == scenario.model_dump(mode="json")
    assert manifest["key"] == RunInputs.of(scenario).key

    def no_running(*args, **kwargs):
        raise AssertionError("the stored run should have been reused")

    monkeypatch.setattr(compare, "run_scenario", no_running)
    again = compare.obtain_run(RunInputs.of(scenario), store)
    assert again.reused
    pd.testing.assert_frame_equal(again.result.requests, first.result.requests)
    assert again.result.seconds == manifest["run_seconds"]

    (reseeded,) = compare.common_random_numbers([scenario], seed=12)
    assert read_run(tmp_path / "base", RunInputs.of(reseeded)) is None


def test_damaged_or_foreign_directory_is_not_reused(tmp_path, base_run):
    """No manifest, a manifest of something else, or missing tables: the run is not reused."""
    directory = tmp_path / "run"
    inputs = RunInputs.of(base_run.scenario)
    assert read_run(directory, inputs) is None
    directory.mkdir()
    (directory / "manifest.json").write_text("{not json", encoding="utf-8")
    assert read_run(directory, inputs) is None
    dump = base_run.scenario.model_dump(mode="json")
    (directory / "manifest.json").write_text(json.dumps({"scenario": dump}), encoding="utf-8")
    assert read_run(directory, inputs) is None  # written before keys existed
    stored = {"scenario": dump, "key": inputs.key}
    (directory / "manifest.json").write_text(json.dumps(stored), encoding="utf-8")
    assert read_run(directory, inputs) is None  # no tables


def test_scenario_digest_ignores_key_order_but_not_values(base_run):
    """The digest identifies the resolved scenario: stable, and changed by any value."""
    digest = compare.scenario_digest(base_run.scenario)
    assert len(digest) == 64
    assert compare.scenario_digest(base_run.scenario) == digest
    (other,) = compare.common_random_numbers([base_run.scenario], replications=4)
    assert compare.scenario_digest(other) != digest


# --- tables for people (sim.analysis.report) --------------------------------------------------


def test_terminal_table_lists_headline_metrics_and_paired_differences(identical):
    """The terminal table has each headline metric, each scenario and the paired difference."""
    text = report.format_table(identical)
    for label in comparison.METRIC_LABELS.values():
        assert label in text
    assert "paired diff vs base" in text
    assert "+0.0 [+0.0, +0.0]" in text
    assert "-0.0" not in text
    assert "Student-t" in text


def test_markdown_states_the_method_and_has_a_table_per_metric(identical):
    """comparison.md states how the intervals were computed and has one table per metric."""
    text = report.format_markdown(identical)
    assert "common random numbers" in text
    assert "Welch" in text
    assert "Student-t" in text
    assert text.count("## ") == len(comparison.METRICS)
    assert text.count("| group | scenario | estimate |") == len(comparison.METRICS)


def test_default_destination_names_every_scenario():
    """Without --out a comparison goes to results/compare_<a>_vs_<b>[_vs_<c>]."""
    assert compare.default_destination(["a", "b", "c"]) == Path("results/compare_a_vs_b_vs_c")


def test_cif_statistics_are_those_of_the_statistics_module(base_run):
    """The time-to-evidence curve drawn is statistics.cif_curves over post-warm-up requests."""
    tables = figure_registry.comparison_tables([base_run])
    curve = tables["time_to_evidence"]
    expected = statistics.cif_curves(
        base_run.result.requests, np.arange(0.0, 731.0), warm_up_days=60
    )
    np.testing.assert_allclose(curve["estimate"], expected["estimate"])
    assert set(curve["group"]) == {"base"}
    assert set(tables["backlog"]["scenario"]) == {"base"}


def test_intervals_of_shares_stay_within_their_range():
    """With two replications a share's t interval runs past [0, 1]; it is clipped there.

    Differences of shares keep within [-1, 1]; metrics in days are not clipped.
    """
    rows = []
    for scenario, shares in (("a", (1.0, 0.25)), ("b", (0.0, 0.9))):
        for replication, share in enumerate(shares):
            rows.append(("all", "fulfilled_90d", replication, scenario, share))
            rows.append(("all", "median_days", replication, scenario, 10.0 + 90 * share))
    values = pd.DataFrame(rows, columns=["group", "metric", "replication", "scenario", "value"])
    table = comparison.compare_values(values, ["a", "b"])
    share = table[table["metric"] == "fulfilled_90d"]
    assert (share["ci_low"] >= 0.0).all() and (share["ci_high"] <= 1.0).all()
    assert share["ci_low"].min() == 0.0 and share["ci_high"].max() == 1.0
    difference = share[share["scenario"] == "b"].iloc[0]
    for column in ("diff_ci_low", "diff_unpaired_ci_low"):
        assert difference[column] >= -1.0
    for column in ("diff_ci_high", "diff_unpaired_ci_high"):
        assert difference[column] <= 1.0
    days = table[(table["metric"] == "median_days") & (table["scenario"] == "a")].iloc[0]
    assert days["ci_low"] < 0.0  # a t interval of (100, 32.5) with 2 values: not clipped
