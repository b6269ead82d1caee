"""Tests of the calibration: targets, staffing, the check, the fit's files and the command."""

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.runs import RunResult
from sim.cli import main
from sim.config.loading import (
    default_settings,
    load_scenario,
    packaged_calibration,
    read_calibration,
    validate_settings,
)
from sim.experiments.calibration import FREE_PARAMETERS, Fit, pilot_scenario, staff_from
from sim.experiments.calibration_files import write_calibration_files
from sim.experiments.calibration_targets import (
    DAYS_PER_MONTH,
    TARGETS,
    CheckRow,
    direct_answered_share,
    eio_median_days,
    formal_quantile_months,
    format_check,
    measured,
    us_formal_mean_months,
    us_formal_per_year,
    us_queue_share,
)
from sim.experiments.calibration_workload import (
    E_EVIDENCE_SHARE,
    UTILISATION,
    other_matters,
    read_all_crime,
    staffing,
    workload,
)
from sim.experiments.inputs import RunInputs
from sim.experiments.result_dir import CALIBRATION_FORMAT, result_format

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.calibrated


def frame(rows: list[dict]) -> pd.DataFrame:
    """Request rows with the columns the measures read; unspecified ones take defaults."""
    base = {
        "replication": 0,
        "created_day": 400.0,
        "channel": "bilateral_mlat",
        "first_channel": "bilateral_mlat",
        "requested": "USA",
        "outcome": "fulfilled",
        "outgoing_review_wait_days": 0.0,
        "legal_review_wait_days": 0.0,
    }
    records = []
    for row in rows:
        record = {**base, **row}
        days = record.pop("days", 100.0)
        record["time_to_outcome_days"] = days
        record["time_to_evidence_days"] = days if record["outcome"] == "fulfilled" else math.nan
        records.append(record)
    return pd.DataFrame.from_records(records)


def test_us_mean_counts_formal_requests_to_the_usa_only() -> None:
    """The US target averages formal requests to the USA, not other channels or states."""
    requests = frame(
        [
            {"days": 300.0},
            {"days": 310.0, "channel": "budapest_mla"},
            {"days": 5.0, "channel": "direct_provider"},
            {"days": 50.0, "requested": "DEU"},
        ]
    )
    assert us_formal_mean_months(requests) == pytest.approx(305.0 / DAYS_PER_MONTH)


def test_formal_quantiles_skip_refused_requests() -> None:
    """Quantiles are of the time to evidence among fulfilled requests, refusals left out."""
    requests = frame(
        [{"days": float(d)} for d in range(30, 330, 30)] + [{"days": 1.0, "outcome": "refused"}] * 5
    )
    median = formal_quantile_months(0.5)(requests) * DAYS_PER_MONTH
    assert median == pytest.approx(150.0)
    assert formal_quantile_months(0.9)(requests) * DAYS_PER_MONTH == pytest.approx(270.0)


def test_eio_median_is_nan_without_eios() -> None:
    """With no European Investigation Order in the run the EIO target cannot be measured."""
    assert math.isnan(eio_median_days(frame([{"days": 10.0}])))


def test_direct_share_counts_answers_on_the_direct_channel() -> None:
    """A direct request answered later through MLAT is not one the provider answered."""
    direct = {"first_channel": "direct_provider", "channel": "direct_provider"}
    requests = frame(
        [
            {**direct, "days": 10.0},
            {**direct, "days": 12.0},
            {**direct, "outcome": "refused"},
            {"first_channel": "direct_provider", "channel": "bilateral_mlat", "days": 300.0},
            {**direct, "outcome": "pending"},
        ]
    )
    assert direct_answered_share(requests) == pytest.approx(2 / 4)


def test_queue_share_is_waiting_over_time_to_evidence() -> None:
    """The US queue share is the central-authority waiting time over the whole delay."""
    requests = frame(
        [
            {"days": 300.0, "legal_review_wait_days": 100.0, "outgoing_review_wait_days": 20.0},
            {"days": 100.0, "legal_review_wait_days": 40.0},
        ]
    )
    assert us_queue_share(requests) == pytest.approx(160.0 / 400.0)


def test_measured_leaves_out_the_warm_up_and_keeps_replications_apart() -> None:
    """Each replication gets its own row; requests created in the warm-up do not count."""
    requests = frame(
        [
            {"replication": 0, "days": 300.0},
            {"replication": 0, "days": 10.0, "created_day": 100.0},
            {"replication": 1, "days": 600.0},
        ]
    )
    settings = default_settings()
    settings["simulation"].update(warm_up_days=365.0, drain_days=365.0)
    values = measured(requests, validate_settings(settings))
    assert list(values.index) == [0, 1]
    assert values.loc[0, "us_formal_mean_months"] == pytest.approx(300.0 / DAYS_PER_MONTH)
    assert values.loc[1, "us_formal_mean_months"] == pytest.approx(600.0 / DAYS_PER_MONTH)


def test_workload_weighs_urgent_review_days_by_the_urgent_factor() -> None:
    """Review days per year and state, with an urgent request's days scaled as a run would."""
    settings = default_settings()
    settings["simulation"].update(warm_up_days=365.0, drain_days=365.0)
    scenario = validate_settings(settings)  # 2026-01-01 to 2028-01-01: a window of one year
    requests = frame(
        [
            {"requesting": "DEU", "urgent": False, "outgoing_review_days": 4.0},
            {"requesting": "DEU", "urgent": True, "outgoing_review_days": 10.0},
            {"requesting": "FRA", "urgent": False, "outgoing_review_days": 1.0, "created_day": 1.0},
        ]
    )
    requests["legal_review_days"] = [6.0, 2.0, 0.0]
    for column in ("requesting", "requested"):
        requests[column] = pd.Categorical(requests[column], categories=["DEU", "FRA", "USA"])
    result = RunResult(requests, pd.DataFrame(), 0.0, (0.0,))
    window = (scenario.simulation.horizon_days - 730.0) / 365.0
    load = workload(result, scenario, urgent_factor=0.5)
    assert load["DEU"] == pytest.approx((4.0 + 10.0 * 0.5) / window)
    assert load["USA"] == pytest.approx((6.0 + 2.0 * 0.5) / window)
    assert load["FRA"] == 0.0  # created in the warm-up
    assert workload(result, scenario)["DEU"] == pytest.approx(14.0 / window)


def test_pilot_runs_at_the_given_values_unqueued() -> None:
    """The pilot sets the formal channels' time scale and the pursuit scale, and no queues."""
    settings = default_settings()
    settings["world"]["states"] = ["DEU", "USA"]
    pilot = pilot_scenario(validate_settings(settings), 1, time_scale=1.7, pursuit=0.03)
    for name in ("bilateral_mlat", "budapest_mla", "un_convention_mla", "letters_rogatory"):
        assert getattr(pilot.channels, name).time_scale == 1.7
    assert pilot.channels.eio.time_scale == 1.0
    assert pilot.routing.pursuit_scale == 0.03
    assert pilot.states["USA"].ca_staff >= 1_000_000
    assert pilot.states["USA"].other_matters_per_year == 0.0


def test_staff_from_a_pilot_adds_the_all_crime_workload() -> None:
    """The US authority's other matters fill its published inflow beyond e-evidence requests.

    A pilot with 500 formal requests to the USA in a one-year window, each with 2 days of
    legal review: 1,000 days of e-evidence work, 2,500 other matters (3,000 published) of
    the bilateral MLAT's legal-review mean times the time scale each.
    """
    settings = default_settings()
    settings["world"]["states"] = ["DEU", "USA"]
    settings["simulation"].update(
        start=dt.date(2026, 1, 1), end=dt.date(2029, 1, 1), warm_up_days=365.0, drain_days=366.0
    )  # a window of one year: 1,096 days less 365 and 366
    scenario = validate_settings(settings)
    requests = frame([{"days": 100.0, "requesting": "DEU"}] * 500)
    requests["legal_review_days"] = 2.0
    requests["outgoing_review_days"] = 0.0
    requests["urgent"] = False
    for column in ("requesting", "requested"):
        requests[column] = pd.Categorical(requests[column], categories=["DEU", "USA"])
    staff = staff_from(requests, scenario, time_scale=2.0).set_index("iso3")
    mean = scenario.channels.bilateral_mlat.stages["legal_review"].time.expected() * 2.0
    assert staff.loc["USA", "other_matters_per_year"] == 2_500.0
    work = 1_000.0 + 2_500.0 * mean
    assert staff.loc["USA", "workload_days_per_year"] == pytest.approx(work, abs=0.1)
    assert staff.loc["USA", "ca_staff"] == math.ceil(work / 365.0 / UTILISATION)


def test_staffing_sizes_staff_to_the_whole_review_work() -> None:
    """Staff is e-evidence review work plus other matters' over the utilisation, at least one.

    Every authority runs at the same stated utilisation; a state doing at least 5% of the
    world's e-evidence review work is flagged a main authority, which changes nothing else.
    """
    load = pd.Series({"USA": 365.0 * 49.0, "SMR": 10.0, "DEU": 365.0 * 8.5, "TUV": 0.0})
    other = pd.Series({"USA": 730.0, "DEU": 0.0})
    staff = staffing(load, other, review_days=5.0).set_index("iso3")
    assert staff.loc["USA", "ca_staff"] == math.ceil((49.0 + 730.0 * 5.0 / 365.0) / UTILISATION)
    assert staff.loc["USA", "other_matters_per_year"] == 730.0
    assert bool(staff.loc["USA", "main_authority"])
    assert staff.loc["DEU", "ca_staff"] == math.ceil(8.5 / UTILISATION)
    assert staff.loc["SMR", "ca_staff"] == 1
    assert staff.loc["TUV", "ca_staff"] == 1
    assert not bool(staff.loc["SMR", "main_authority"])
    assert (staff["utilisation"] <= 1.0).all()


def test_other_matters_fill_the_published_all_crime_inflow() -> None:
    """Other matters: the published all-crime inflow less the e-evidence requests.

    Never below zero; without a published figure, the assumed e-evidence share sets them.
    """
    incoming = pd.Series({"USA": 2_000.0, "GBR": 9_000.0, "FJI": 30.0})
    other = other_matters(incoming, {"USA": 3_000.0, "GBR": 7_000.0})
    assert other["USA"] == 1_000.0
    assert other["GBR"] == 0.0  # the e-evidence requests alone exceed the published inflow
    assert other["FJI"] == pytest.approx(30.0 * (1 - E_EVIDENCE_SHARE) / E_EVIDENCE_SHARE)


def test_all_crime_inflows_are_read_with_their_sources() -> None:
    """The packaged all-crime table gives the US authority its published inflow."""
    inflows = read_all_crime()
    assert inflows["USA"] >= 3_000.0
    assert all(value > 0 for value in inflows.values())


def test_us_formal_per_year_counts_formal_requests_to_the_usa() -> None:
    """Formal requests to the USA over the window's years; others and direct ones don't count."""
    requests = frame(
        [
            {"days": 10.0},
            {"days": 10.0, "channel": "direct_provider"},
            {"days": 10.0, "requested": "DEU"},
            {"days": 10.0, "channel": "budapest_mla"},
        ]
    )
    assert us_formal_per_year(requests, 0.5) == pytest.approx(4.0)


def test_check_row_passes_inside_the_range_only() -> None:
    """A target passes when its estimate lies in the accepted range, bounds included."""
    target = TARGETS[0]
    assert CheckRow(target, target.low, 0.0, 99.0).passed
    assert CheckRow(target, target.high, 0.0, 99.0).passed
    assert not CheckRow(target, target.high + 0.01, 0.0, 99.0).passed
    assert not CheckRow(target, math.nan, math.nan, math.nan).passed


def test_format_check_is_a_table_with_every_target() -> None:
    """The check table has a header, a rule and one line per target marked pass or FAIL."""
    rows = [CheckRow(t, (t.low + t.high) / 2, t.low, t.high) for t in TARGETS]
    rows[1] = CheckRow(TARGETS[1], TARGETS[1].high * 2, np.nan, np.nan)
    lines = format_check(rows).splitlines()
    assert lines[0].startswith("target")
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(TARGETS)
    assert lines[3].rstrip().endswith("FAIL")
    checked = sum(target.kind == "check" for target in TARGETS)
    assert sum(line.rstrip().endswith("pass") for line in lines) == checked - 1
    reported = sum(line.rstrip().endswith("reported (inside)") for line in lines)
    assert reported == len(TARGETS) - checked
    assert "n/a" in lines[3]


def test_reported_targets_never_fail_the_check() -> None:
    """Targets set by one input, or out of a stationary model's reach, are shown, not failed."""
    reported = [t for t in TARGETS if t.kind == "reported"]
    assert {t.key for t in reported} == {
        "eio_median_days",
        "direct_answered_share",
        "us_queue_share",
    }
    for target in reported:
        row = CheckRow(target, target.high * 10 + 1, 0.0, 0.0)
        assert row.passed and not row.inside


def test_calibrate_refuses_a_missing_scenario(tmp_path: Path, capsys) -> None:
    """A missing scenario file is a one-line error and exit status 2."""
    code = main(["calibrate", str(tmp_path / "nope.toml"), "--check"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "nope.toml" in err


def test_packaged_calibration_is_read_with_its_method() -> None:
    """The packaged calibration file records its method, date and fitted values."""
    record = packaged_calibration().record
    assert {"date", "method", "seed"} <= set(record["meta"])
    assert record["fitted"]["formal_time_scale"] > 0
    assert record["settings"]["channels"]["bilateral_mlat"]["time_scale"] == pytest.approx(
        record["fitted"]["formal_time_scale"], rel=1e-3
    )
    assert record["settings"]["routing"]["pursuit_scale"] == pytest.approx(
        record["fitted"]["pursuit_scale"], rel=1e-3
    )
    history = record["history"]
    assert len(history["rows"]) == record["meta"]["evaluations"]
    assert all(len(row) == len(history["columns"]) for row in history["rows"])


def test_packaged_calibration_is_the_default_with_its_staff() -> None:
    """Calibrated tests run on the packaged fit: its settings and its staff table.

    The staff reach the world as overrides of the states a scenario simulates; a scenario's
    own override of a state wins.
    """
    calibration = packaged_calibration()
    assert set(calibration.files) == {"calibration.toml", "central_authorities.csv"}
    assert calibration.staff["USA"]["ca_staff"] >= 1
    settings = default_settings()
    assert settings["states"]["USA"] == dict(calibration.staff["USA"])
    fitted = calibration.record["fitted"]["formal_time_scale"]
    assert settings["channels"]["bilateral_mlat"]["time_scale"] == pytest.approx(fitted, 1e-3)


def _fake_fit() -> Fit:
    """A fit as ``calibrate`` returns it (at the starting values), without running anything."""
    staff = staffing(pd.Series({"USA": 365.0 * 40.0, "DEU": 365.0 * 2.0, "FRA": 30.0}))
    return Fit(
        parameters={p.key: p.start for p in FREE_PARAMETERS},
        staff=staff,
        objective={"us_formal_mean_months": 9.9, "us_formal_per_year": 2010},
        evaluations=2,
        history=((1.93, 0.02, 9.9, 2010), (2.03, 0.02, 10.3, 2000)),
    )


def test_written_calibration_reads_back_as_a_calibration(tmp_path, write_tiny) -> None:
    """``calibrate --out`` writes a calibration file, its staff table and a tagged manifest.

    Read back, it is a calibration whose values reach a scenario (the staff only of the
    states the scenario simulates).
    """
    scenario = load_scenario(write_tiny(tmp_path))
    out = tmp_path / "fit"
    out.mkdir()
    fit = _fake_fit()
    write_calibration_files(fit, RunInputs.of(scenario), out, replications=2)
    assert sorted(p.name for p in out.iterdir()) == [
        "calibration.toml",
        "central_authorities.csv",
        "manifest.json",
    ]
    assert result_format(out) == CALIBRATION_FORMAT
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["fitted"] == fit.parameters
    assert set(manifest["started_from"]) == {"calibration", "world_data", "version"}

    calibration = read_calibration(out)
    assert len(calibration.record["history"]["rows"]) == 2
    staff = fit.staff.set_index("iso3")
    assert calibration.staff["USA"]["ca_staff"] == int(staff.loc["USA", "ca_staff"])
    calibrated = load_scenario(write_tiny(tmp_path, name="other"), calibration)
    assert calibrated.channels.bilateral_mlat.time_scale == pytest.approx(FREE_PARAMETERS[0].start)
    assert sorted(calibrated.states) == ["DEU", "FRA", "USA"]  # only the simulated states


def test_a_run_on_a_written_calibration_records_it(tmp_path, write_tiny, capsys) -> None:
    """``run --calibration DIR`` lays DIR's values over the defaults and records its digest."""
    scenario = load_scenario(write_tiny(tmp_path))
    fit_dir = tmp_path / "fit"
    fit_dir.mkdir()
    write_calibration_files(_fake_fit(), RunInputs.of(scenario), fit_dir, replications=2)
    out = tmp_path / "out"
    argv = ["run", str(write_tiny(tmp_path)), "--out", str(out), "--workers", "1", "--quiet"]
    assert main([*argv, "--replications", "1", "--calibration", str(fit_dir)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["calibration"]["path"] == str(fit_dir / "calibration.toml")
    assert manifest["calibration"]["sha256"] == read_calibration(fit_dir).files["calibration.toml"]
    assert manifest["scenario"]["channels"]["bilateral_mlat"]["time_scale"] == pytest.approx(
        FREE_PARAMETERS[0].start
    )
    assert manifest["scenario"]["states"]["USA"]["ca_staff"] >= 1


def test_calibrate_never_writes_into_the_installed_package(capsys) -> None:
    """``calibrate --out`` inside the package is refused before anything runs or is written."""
    package = Path(__file__).resolve().parents[1] / "sim"
    data = package / "data"
    before = {p.name: p.stat().st_mtime_ns for p in data.iterdir()}
    for out in (data, package, data / "new_fit"):
        code = main(["calibrate", "scenarios/baseline.toml", "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1 and "--out" in err and "installed package" in err
    assert {p.name: p.stat().st_mtime_ns for p in data.iterdir()} == before
    assert not (data / "new_fit").exists()


def test_calibrate_out_writes_a_calibration_directory(tmp_path, write_tiny, monkeypatch, capsys):
    """``calibrate --out DIR`` writes DIR whole; a user's folder there is refused, not filled.

    (The fit itself is replaced by a fixed one: the command's part is where it writes.)
    """
    monkeypatch.setattr("sim.experiments.calibration.calibrate", lambda *a, **k: _fake_fit())
    scenario = write_tiny(tmp_path)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.txt").write_text("mine")
    argv = ["calibrate", str(scenario), "--quiet", "--workers", "1", "--out"]
    assert main([*argv, str(notes)]) == 2
    assert "holds no mlatsim result" in capsys.readouterr().err
    assert [p.name for p in notes.iterdir()] == ["thesis.txt"]

    out = tmp_path / "fits" / "first"
    assert main([*argv, str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"-> {out}" in printed and f"--calibration {out}" in printed
    assert result_format(out) == CALIBRATION_FORMAT
    assert read_calibration(out).record["fitted"]["formal_time_scale"] == pytest.approx(
        FREE_PARAMETERS[0].start
    )
    assert main([*argv, str(out)]) == 0  # a calibration replaces a calibration
    assert sorted(p.name for p in out.parent.iterdir()) == ["first"]


@pytest.mark.parametrize(
    ("options", "problem"),
    [((), "a fit needs a directory"), (("--check", "--out", "x"), "--check writes nothing")],
    ids=["fit-without-out", "check-with-out"],
)
def test_calibrate_options_that_do_not_go_together(tmp_path, capsys, options, problem) -> None:
    """A fit without --out, or --check with it: one line, nothing run or written."""
    code = main(["calibrate", "scenarios/baseline.toml", *options])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and problem in err
    assert not Path("x").exists()


@pytest.mark.slow
def test_baseline_passes_every_calibration_target_and_is_stationary() -> None:
    """`mlatsim calibrate --check` on the baseline: targets pass, the window is stationary.

    Every checked target lies in its range; the queue wait's slope CI includes zero and the
    quarter cohorts' mean times to evidence agree within their CIs.
    """
    done = subprocess.run(
        [sys.executable, "-m", "sim", "calibrate", "scenarios/baseline.toml", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert "CI includes zero" in done.stdout
    assert "agree (all CIs overlap)" in done.stdout
    assert "verdict: stationary" in done.stdout
