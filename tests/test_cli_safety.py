"""The command line never destroys a user's data and never accepts a run it cannot finish.

Each test replays a mistake a user made in review: an ``--out`` naming a folder of notes or
the current directory, a scenario named ``.``, a comparison written over ``results/``, a
value so large that the run would never end, a hostile file or environment. The expected
answer is always the same: exit status 2 (0 where the run is fine), one line on standard
error naming what is wrong, nothing half-written, and every decoy file still there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

SMALL = (
    "[simulation]\nstart = 2026-01-01\nend = 2027-01-01\nwarm_up_days = 30\ndrain_days = 60\n"
    'replications = 2\nseed = 11\n[world]\nstates = ["GBR", "USA", "DEU"]\n'
)
DEMAND = "[demand]\nscale = 0.01\n"


def _invoke(argv: list[str | Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(code: int, err: str, *words: str) -> str:
    """Exit 2, one line on stderr without traceback, holding each of ``words``."""
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _scenario(directory: Path, name: str = "small", extra: str = DEMAND) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(SMALL + extra, encoding="utf-8")
    return path


def _decoy(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    decoy = directory / "thesis.txt"
    decoy.write_text("three years of work")
    return decoy


def _tree(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def _run(scenario: Path, *options: str | Path) -> list[str | Path]:
    return ["run", scenario, "--workers", "1", "--quiet", *options]


# --- data is never destroyed ------------------------------------------------------------------


def test_out_naming_a_folder_of_notes_is_refused(tmp_path, capsys):
    """``--out notes`` where notes holds a user's files: refused, the files untouched."""
    scenario = _scenario(tmp_path)
    decoy = _decoy(tmp_path / "notes")
    before = _tree(tmp_path)
    code, _, err = _invoke(_run(scenario, "--out", tmp_path / "notes"), capsys)
    _one_line(code, err, "--out", "notes", "never replaced")
    assert decoy.read_text() == "three years of work"
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("out", [".", ".."])
def test_out_naming_the_current_directory_or_its_parent_is_refused(
    tmp_path, monkeypatch, capsys, out
):
    """``--out .`` and ``--out ..``: refused before the run, nothing deleted or added."""
    work = tmp_path / "work"
    scenario = _scenario(work)
    decoy = _decoy(work)
    monkeypatch.chdir(work)
    before = _tree(tmp_path)
    code, _, err = _invoke(_run(scenario, "--out", out), capsys)
    _one_line(code, err, "--out", "current directory")
    assert decoy.exists()
    assert _tree(tmp_path) == before


def test_out_naming_the_folder_of_the_scenario_file_is_refused(tmp_path, capsys):
    """The folder that holds the scenario file is not a result: refused, file kept."""
    scenario = _scenario(tmp_path / "mine")
    code, _, err = _invoke(_run(scenario, "--out", scenario.parent), capsys)
    _one_line(code, err, "--out", "holds no mlatsim result")
    assert scenario.exists()


@pytest.mark.parametrize(
    ("file_name", "text"),
    [("dot.toml", 'name = "."\n'), ("dots.toml", 'name = ".."\n'), ("..toml", "")],
)
def test_a_name_or_stem_that_is_not_a_directory_name_is_refused(
    tmp_path, monkeypatch, capsys, file_name, text
):
    """A name (or file stem) of ``.`` would make ``results/`` itself the destination."""
    monkeypatch.chdir(tmp_path)
    earlier = _decoy(tmp_path / "results" / "earlier")
    path = tmp_path / file_name
    path.write_text(text + SMALL + DEMAND, encoding="utf-8")
    code, _, err = _invoke(_run(path), capsys)
    _one_line(code, err, file_name, "name")
    assert earlier.exists()


def test_a_name_too_long_for_a_directory_is_refused(tmp_path, capsys):
    """A 300-character name is refused when validated, not by the file system later."""
    path = tmp_path / "long.toml"
    path.write_text(f'name = "{"a" * 300}"\n' + SMALL + DEMAND, encoding="utf-8")
    code, _, err = _invoke(["validate", path], capsys)
    _one_line(code, err, "long.toml", "name", "at most 100")


def test_run_replaces_its_own_earlier_result(tmp_path, capsys):
    """A second run to the same place replaces the first result (it carries the marker)."""
    scenario = _scenario(tmp_path)
    out = tmp_path / "out"
    assert _invoke(_run(scenario, "--out", out), capsys)[0] == 0
    first = json.loads((out / "manifest.json").read_text())
    assert first["format"] == "mlatsim-run/1"
    assert _invoke(_run(scenario, "--out", out, "--seed", "3"), capsys)[0] == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "small.toml"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with two scenarios whose runs are stored under results/ by a comparison."""
    work = tmp_path_factory.mktemp("compare_safety")
    _scenario(work, "alpha")
    _scenario(work, "beta", DEMAND + "[channels.bilateral_mlat]\ntime_scale = 0.5\n")
    old = Path.cwd()
    os.chdir(work)
    try:
        argv = ["compare", "alpha.toml", "beta.toml", "--workers", "1", "--quiet"]
        assert main(argv) == 0
    finally:
        os.chdir(old)
    return work


@pytest.mark.parametrize(
    "out", ["results", "results/alpha", "results/../results/alpha", "results/beta/inner"]
)
def test_compare_never_writes_over_or_around_the_runs_it_compares(
    two_runs, monkeypatch, capsys, out
):
    """``--out`` that is, holds, or lies inside a compared run is refused; runs survive."""
    monkeypatch.chdir(two_runs)
    before = _tree(two_runs)
    code, _, err = _invoke(
        ["compare", "alpha.toml", "beta.toml", "--workers", "1", "--quiet", "--out", out], capsys
    )
    _one_line(code, err, "--out")
    assert _tree(two_runs) == before
    assert (two_runs / "results" / "alpha" / "requests.parquet").exists()


def test_compare_refuses_a_folder_of_notes(two_runs, monkeypatch, capsys):
    """A comparison is not written over a folder that holds no comparison."""
    monkeypatch.chdir(two_runs)
    decoy = _decoy(two_runs / "notes")
    code, _, err = _invoke(
        ["compare", "alpha.toml", "beta.toml", "--workers", "1", "--quiet", "--out", "notes"],
        capsys,
    )
    _one_line(code, err, "--out", "notes")
    assert decoy.exists()


# --- runs that would never finish ---------------------------------------------------------------

NEVER_ENDING = [
    ("scale-1e308", "[demand]\nscale = 1e308\n", "demand.scale"),
    (
        "cases-1e308",
        DEMAND + "[states.USA]\ncases_per_year = 1e308\n",
        "states.USA.cases_per_year",
    ),
    ("staff-huge", DEMAND + "[states.USA]\nca_staff = 99999999999999999999\n", "ca_staff"),
    (
        "other-matters-huge",
        DEMAND + "[states.USA]\nother_matters_per_year = 1e300\n",
        "other_matters_per_year",
    ),
    (
        "stage-mean-1e308",
        DEMAND
        + "[channels.bilateral_mlat.stages.execution]\n"
        + 'time = { distribution = "exponential", mean = 1e308 }\n',
        "channels.bilateral_mlat.stages.execution.time.mean",
    ),
    (
        "lognormal-overflow",
        DEMAND
        + "[channels.eio.stages.execution]\n"
        + 'time = { distribution = "lognormal", mean = 1e-300, sd = 1e5 }\n',
        "channels.eio.stages.execution.time",
    ),
]


@pytest.mark.parametrize(
    ("extra", "where"),
    [(extra, where) for _, extra, where in NEVER_ENDING],
    ids=[case for case, _, _ in NEVER_ENDING],
)
def test_runs_that_would_never_finish_are_refused_by_validate_and_run(
    tmp_path, monkeypatch, capsys, extra, where
):
    """Validation no longer says "valid" to a run that never ends; run refuses it at once."""
    monkeypatch.chdir(tmp_path)
    scenario = _scenario(tmp_path, "huge", extra)
    code, out, err = _invoke(["validate", scenario], capsys)
    _one_line(code, err, "huge.toml", where)
    assert out == ""
    code, _, err = _invoke(_run(scenario), capsys)
    _one_line(code, err, where)
    assert not (tmp_path / "results").exists()


def test_a_run_of_ten_thousand_years_is_refused_unless_forced(tmp_path, capsys):
    """Year 1 to 9999 exceeds the century limit; the error says how to insist."""
    scenario = tmp_path / "long.toml"
    scenario.write_text(
        SMALL.replace("2026-01-01", "0001-01-01").replace("2027-01-01", "9999-01-01") + DEMAND
    )
    code, _, err = _invoke(_run(scenario, "--out", tmp_path / "o"), capsys)
    _one_line(code, err, "simulation.end", "--force")
    assert not (tmp_path / "o").exists()


# --- one line for every failure a user can cause --------------------------------------------------


@pytest.mark.parametrize("out", ["/proc/mlatsim/out", "/sys/mlatsim/out"])
def test_out_in_a_pseudo_file_system_is_one_line(tmp_path, capsys, out):
    """A place no file can be written gives one line before the run, not a traceback after."""
    code, _, err = _invoke(_run(_scenario(tmp_path), "--out", out), capsys)
    _one_line(code, err, "--out")


def test_out_through_a_dangling_link_is_one_line(tmp_path, capsys):
    """A dangling link as ``--out`` is refused; nothing is created where it points."""
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    code, _, err = _invoke(_run(_scenario(tmp_path), "--out", tmp_path / "link"), capsys)
    _one_line(code, err, "--out", "symbolic link")
    assert not (tmp_path / "nowhere").exists()


def test_out_below_a_dangling_link_names_the_link(tmp_path, capsys):
    """A destination below a dangling link is refused naming the broken link."""
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    out = tmp_path / "link" / "run"
    code, _, err = _invoke(_run(_scenario(tmp_path), "--out", out), capsys)
    _one_line(code, err, "--out", "broken symbolic link")
    assert not (tmp_path / "nowhere").exists()


LONG = "c" * 300


@pytest.mark.parametrize("out", [LONG, f"{LONG}/run", "d/" * 2100 + "run"])
def test_an_out_path_the_system_refuses_is_one_line(tmp_path, capsys, monkeypatch, out):
    """A name over 255 bytes, or a path over 4096, gives one line before the run starts."""
    monkeypatch.chdir(tmp_path)
    code, _, err = _invoke(_run(_scenario(tmp_path), "--out", out), capsys)
    _one_line(code, err, "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.toml"]


def test_compare_and_calibrate_refuse_an_over_long_out_in_one_line(tmp_path, capsys):
    """The same for ``compare --out`` and ``calibrate --out``."""
    scenario, other = _scenario(tmp_path), _scenario(tmp_path, "other")
    code, _, err = _invoke(["compare", scenario, other, "--out", tmp_path / LONG], capsys)
    _one_line(code, err, "--out")
    code, _, err = _invoke(["calibrate", scenario, "--out", tmp_path / LONG], capsys)
    _one_line(code, err, "--out")


@pytest.mark.parametrize("command", ["run", "validate"])
def test_an_over_long_calibration_path_is_one_line(tmp_path, capsys, command):
    """``--calibration`` naming a path the system refuses gives one line naming the option."""
    code, _, err = _invoke([command, _scenario(tmp_path), "--calibration", LONG], capsys)
    _one_line(code, err, "--calibration")


def test_out_root_is_one_line(capsys, tmp_path, monkeypatch):
    """``--out /`` is refused at once, with no stray directory left anywhere."""
    monkeypatch.chdir(tmp_path)
    code, _, err = _invoke(_run(_scenario(tmp_path), "--out", "/"), capsys)
    _one_line(code, err, "--out")
    assert not list(Path("/").glob(".*.old*"))


@pytest.mark.parametrize(
    ("case", "content"),
    [
        ("huge-integer", "[simulation]\nseed = " + "9" * 5000 + "\n"),
        ("deep-nesting", "a = " + "[" * 100_000 + "\n"),
        ("deep-dotted-key", "a." * 50_000 + "b = 1\n"),
    ],
)
def test_hostile_toml_is_one_line(tmp_path, capsys, case, content):
    """Integers of thousands of digits and nesting 100,000 deep give one line, not 3,000."""
    path = tmp_path / f"{case}.toml"
    path.write_text(content)
    code, _, err = _invoke(["validate", path], capsys)
    _one_line(code, err, f"{case}.toml")


@pytest.mark.parametrize(
    ("case", "make", "words"),
    [
        ("device", lambda tmp: Path("/dev/zero"), ("/dev/zero", "larger than")),
        ("empty-folder", lambda tmp: tmp, ("calibration.toml", "file not found")),
        (
            "deep-nesting",
            lambda tmp: _written(tmp / "c.toml", "a = " + "[" * 100_000 + "\n"),
            ("c.toml", "malformed TOML"),
        ),
        (
            "settings-not-a-table",
            lambda tmp: _written(tmp / "c.toml", "settings = 3\n"),
            ("c.toml: settings", "must be a table"),
        ),
    ],
)
def test_a_hostile_calibration_is_one_line(tmp_path, capsys, case, make, words):
    """``--calibration`` naming a device, a folder without one, or a hostile file: one line."""
    scenario = _scenario(tmp_path / "scenarios")
    folder = tmp_path / "calibration"
    folder.mkdir()
    code, out, err = _invoke(["validate", scenario, "--calibration", make(folder)], capsys)
    _one_line(code, err, "--calibration", *words)
    assert out == ""


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_device_is_not_read_without_end(capsys):
    """``validate /dev/zero`` stops at the size limit with one line."""
    code, _, err = _invoke(["validate", "/dev/zero"], capsys)
    _one_line(code, err, "/dev/zero", "larger than")


def test_an_empty_file_is_the_default_scenario_and_validate_says_so(tmp_path, capsys):
    """An empty file is the default scenario; validate says so instead of a bare "valid".

    The defaults simulate the whole world ten times, which does not fit in this machine's
    memory, so it is valid only with --force; without, the size check says why.
    """
    path = tmp_path / "empty.toml"
    path.write_text("")
    code, out, err = _invoke(["validate", path, "--force"], capsys)
    assert code == 0, err
    assert "sets nothing" in out


def test_errors_name_the_file_they_come_from(tmp_path, capsys):
    """With several files, the error line says which one is wrong."""
    good = _scenario(tmp_path, "good")
    bad = _scenario(tmp_path, "bad", "[demand]\nscale = -1.0\n")
    code, out, err = _invoke(["validate", good, bad], capsys)
    _one_line(code, err, "bad.toml: demand.scale")
    assert "good.toml: valid" in out


def test_compare_with_no_requests_is_one_line(tmp_path, monkeypatch, capsys):
    """A scenario that makes no requests cannot be compared: one line, nothing written."""
    monkeypatch.chdir(tmp_path)
    empty = _scenario(tmp_path, "empty", "[demand]\nscale = 0.0\n")
    other = _scenario(tmp_path, "other")
    code, _, err = _invoke(["compare", empty, other, "--workers", "1", "--quiet"], capsys)
    _one_line(code, err, "empty.toml", "no requests")
    assert not (tmp_path / "results").exists()


# --- honest comparisons ---------------------------------------------------------------------------


def test_compare_refuses_different_calendars(tmp_path, monkeypatch, capsys):
    """Scenarios with another horizon or warm-up are not paired: one line naming the field."""
    monkeypatch.chdir(tmp_path)
    base = _scenario(tmp_path, "base")
    longer = tmp_path / "longer.toml"
    longer.write_text(SMALL.replace("2027-01-01", "2028-01-01") + DEMAND)
    code, _, err = _invoke(["compare", base, longer, "--workers", "1", "--quiet"], capsys)
    _one_line(code, err, "longer.toml: simulation.end")
    warmer = tmp_path / "warmer.toml"
    warmer.write_text(SMALL.replace("warm_up_days = 30", "warm_up_days = 40") + DEMAND)
    code, _, err = _invoke(["compare", base, warmer, "--workers", "1", "--quiet"], capsys)
    _one_line(code, err, "warmer.toml: simulation.warm_up_days")
    assert not (tmp_path / "results").exists()


def test_compare_refuses_worlds_with_no_state_in_common(tmp_path, monkeypatch, capsys):
    """Two disjoint worlds share no pairs at all: refused."""
    monkeypatch.chdir(tmp_path)
    base = _scenario(tmp_path, "base")
    other = tmp_path / "other.toml"
    other.write_text(SMALL.replace('["GBR", "USA", "DEU"]', '["FRA", "IRL"]') + DEMAND)
    code, _, err = _invoke(["compare", base, other, "--workers", "1", "--quiet"], capsys)
    _one_line(code, err, "other.toml: world.states", "no state in common")


# --- hostile environments (a real process) -------------------------------------------------


def _mlatsim(*args: str | Path, env: dict[str, str] | None = None, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
        **kwargs,
    )


def test_an_unknown_matplotlib_backend_does_not_stop_a_run(tmp_path):
    """``MPLBACKEND=nonsense`` (matplotlib refuses it on import) does not break the figures."""
    done = _mlatsim(
        *_run(_scenario(tmp_path), "--out", tmp_path / "o"), env={"MPLBACKEND": "nonsense"}
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "figures" / "backlog.png").exists()


def test_an_ascii_only_terminal_gets_escapes_not_a_traceback():
    """Output that an ASCII-only stdout cannot encode is escaped; the command succeeds."""
    done = _mlatsim("world", env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"})
    assert done.returncode == 0, done.stderr[-500:]
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_standard_output_on_a_full_device_is_one_line(tmp_path):
    """Writing to a full device ends with one line and exit 2, not a traceback."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "sim", "world"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    _one_line(done.returncode, done.stderr, "standard output")
