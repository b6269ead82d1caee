"""Tests of a run's explicit inputs: the calibration and the world data files read.

The calibration is given, not switched by the environment: ``load_scenario(path,
calibration)`` and ``--calibration FILE|DIR|none`` on the command line; the environment
variable ``MLATSIM_UNCALIBRATED`` only makes *none* the default (this test suite sets it, see
``conftest.py``). A calibration file is checked like a scenario, and its errors name it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from sim.cli import main
from sim.config.loading import (
    NO_CALIBRATION,
    UNCALIBRATED_ENV,
    default_calibration,
    default_settings,
    load_scenario,
    packaged_calibration,
    read_calibration,
)
from sim.errors import ScenarioError, WorldDataError
from sim.world.data import world_data_files

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sim" / "data"
FITTED_SCALE = packaged_calibration().record["fitted"]["formal_time_scale"]


@pytest.fixture
def calibration_copy(tmp_path: Path) -> Path:
    """A copy of the packaged calibration (file and staff table) in a directory of its own."""
    directory = tmp_path / "calibration"
    directory.mkdir()
    for name in ("calibration.toml", "central_authorities.csv"):
        shutil.copy(DATA / name, directory / name)
    return directory


def _invoke(argv: list[str | Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


# --- the calibration is an argument --------------------------------------------------------


def test_the_environment_sets_only_the_default(tmp_path, write_tiny, monkeypatch):
    """With the variable set, the default is none; an explicit calibration is used anyway."""
    path = write_tiny(tmp_path)
    assert default_calibration() is NO_CALIBRATION
    uncalibrated = load_scenario(path)
    assert uncalibrated == load_scenario(path, NO_CALIBRATION)
    assert uncalibrated.channels.bilateral_mlat.time_scale == 1.0
    assert uncalibrated.states == {}
    calibrated = load_scenario(path, packaged_calibration())
    assert calibrated.channels.bilateral_mlat.time_scale == pytest.approx(FITTED_SCALE)
    monkeypatch.delenv(UNCALIBRATED_ENV)
    assert default_calibration() == packaged_calibration()
    assert load_scenario(path) == calibrated
    assert load_scenario(path, NO_CALIBRATION) == uncalibrated


def test_the_calibration_staff_reaches_only_simulated_states(tmp_path, write_tiny):
    """The staff table lays ``states.ISO3`` overrides for the simulated states only.

    A scenario's own override of a state wins over the calibration's.
    """
    calibration = packaged_calibration()
    own = "[states.USA]\nca_staff = 3\n"
    scenario = load_scenario(write_tiny(tmp_path, extra=own), calibration)
    assert sorted(scenario.states) == ["DEU", "FRA", "GBR", "IRL", "USA"]
    assert scenario.states["USA"].ca_staff == 3
    assert (
        scenario.states["USA"].other_matters_per_year
        == (calibration.staff["USA"]["other_matters_per_year"])
    )
    assert scenario.states["DEU"].ca_staff == calibration.staff["DEU"]["ca_staff"]
    assert len(default_settings(calibration)["states"]) == len(calibration.staff)
    assert default_settings(NO_CALIBRATION)["states"] == {}


def test_a_calibration_is_identified_by_its_content(calibration_copy):
    """Read from a file or its directory, a copy has the packaged digest; one change alters it."""
    packaged = packaged_calibration()
    copy = read_calibration(calibration_copy)
    assert copy == read_calibration(calibration_copy / "calibration.toml")
    assert copy.path == calibration_copy / "calibration.toml"
    assert copy.digest == packaged.digest
    assert (
        copy.describe()["sha256"]
        == hashlib.sha256((DATA / "calibration.toml").read_bytes()).hexdigest()
    )
    staff = calibration_copy / "central_authorities.csv"
    packaged_staff = int(packaged.staff["USA"]["ca_staff"])
    text = staff.read_text(encoding="utf-8")
    staff.write_text(text.replace(f"USA,{packaged_staff},", f"USA,{packaged_staff + 1},"))
    changed = read_calibration(calibration_copy)
    assert changed.staff["USA"]["ca_staff"] == packaged_staff + 1
    assert changed.digest != packaged.digest
    assert NO_CALIBRATION.digest == "none" and NO_CALIBRATION.describe() == "none"


@pytest.mark.parametrize(
    ("file", "edit", "where", "problem"),
    [
        (
            "calibration.toml",
            lambda text: text + "channels.eio.time_scale = -1.0\n",
            "calibration.toml: settings.channels.eio.time_scale",
            "greater than 0",
        ),
        (
            "calibration.toml",
            lambda text: text + "channels.eio.speed = 2.0\n",
            "calibration.toml: settings.channels.eio.speed",
            "unknown field",
        ),
        ("calibration.toml", lambda text: text + "[broken\n", "calibration.toml", "malformed TOML"),
        (
            "central_authorities.csv",
            lambda text: re.sub(r"^USA,\d+,", "USA,many,", text, flags=re.M),
            "central_authorities.csv line",
            "ca_staff 'many' is not a whole number",
        ),
        (
            "central_authorities.csv",
            lambda text: re.sub(r"^USA,\d+,", "USA,0,", text, flags=re.M),
            "central_authorities.csv: states.USA.ca_staff",
            "greater than or equal to 1",
        ),
    ],
    ids=["bad-value", "unknown-field", "not-toml", "not-a-number", "no-staff"],
)
def test_a_bad_calibration_is_one_error_naming_it(calibration_copy, file, edit, where, problem):
    """A calibration is checked like a scenario; the error names its file and field or line."""
    path = calibration_copy / file
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ScenarioError) as raised:
        read_calibration(calibration_copy)
    assert where in raised.value.where
    assert problem in raised.value.problem


def test_a_missing_calibration_is_named_with_the_option(tmp_path, write_tiny, capsys):
    """``--calibration`` naming nothing: one line naming the option and the file, exit 2."""
    code, out, err = _invoke(
        ["validate", write_tiny(tmp_path), "--calibration", tmp_path / "nope.toml"], capsys
    )
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"mlatsim: error: --calibration {tmp_path / 'nope.toml'}: file not found"
    ]


def test_run_records_the_calibration_it_used(tmp_path, write_tiny, calibration_copy, capsys):
    """``--calibration none`` and ``--calibration DIR``: each run's manifest says which."""
    scenario = write_tiny(tmp_path)
    for name, option in (("none", "none"), ("copy", calibration_copy)):
        argv = ["run", scenario, "--out", tmp_path / name, "--workers", "1", "--quiet"]
        code, _, err = _invoke([*argv, "--replications", "1", "--calibration", option], capsys)
        assert code == 0, err
    none = json.loads((tmp_path / "none" / "manifest.json").read_text(encoding="utf-8"))
    assert none["calibration"] == "none"
    assert none["scenario"]["channels"]["bilateral_mlat"]["time_scale"] == 1.0
    copy = json.loads((tmp_path / "copy" / "manifest.json").read_text(encoding="utf-8"))
    assert copy["calibration"]["path"] == str(calibration_copy / "calibration.toml")
    assert copy["calibration"]["files"] == dict(packaged_calibration().files)
    assert copy["scenario"]["channels"]["bilateral_mlat"]["time_scale"] == pytest.approx(
        FITTED_SCALE
    )
    assert (
        copy["scenario"]["states"]["USA"]["ca_staff"]
        == (packaged_calibration().staff["USA"]["ca_staff"])
    )
    for manifest in (none, copy):
        assert manifest["world_data"]["files"] == world_data_files()
        assert manifest["key"] != ""
    assert none["key"] != copy["key"]


# --- the world data files read ---------------------------------------------------------------


def test_world_data_files_are_hashed_by_name():
    """Every file the world loader reads, with its SHA-256.

    The calibration's staff table is not among them: it belongs to the calibration (hashed in
    its own record), and the world loader never reads it, whatever the environment says.
    """
    files = world_data_files()
    expected = {"states.csv", "memberships.csv", "bilateral.csv", "instruments.csv"}
    expected |= {"parameters.csv", "providers.csv", "provider_rates.csv", "blocking_statutes.csv"}
    assert set(files) == expected | {"second_protocol_reservations.csv"}
    for name, digest in files.items():
        assert digest == hashlib.sha256((DATA / name).read_bytes()).hexdigest()


def test_the_world_loader_never_reads_the_staff_table(monkeypatch):
    """The world data are the same whatever the environment.

    The fitted staff are the calibration's, so a run on another calibration (or on none)
    never gets the packaged ones.
    """
    from sim.world.data import load_world_data

    with_variable = load_world_data().parameters
    monkeypatch.delenv(UNCALIBRATED_ENV, raising=False)
    without = load_world_data().parameters
    assert without == with_variable
    assert without["AFG"]["ca_staff"] == "2"  # parameters.csv; the staff table fits 1
    assert "central_authorities.csv" not in world_data_files()


def test_a_missing_world_data_file_is_named(tmp_path):
    """A folder without one of the files: the world data error names it."""
    for path in DATA.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "bilateral.csv").unlink()
    with pytest.raises(WorldDataError) as raised:
        world_data_files(tmp_path)
    assert raised.value.where == str(tmp_path / "bilateral.csv")
