"""Tests for ``mlatsim compare`` (DESIGN sections 2 and 4).

``compare A.toml B.toml`` runs the scenarios with common random numbers (or reuses their
stored runs), writes comparison.csv, comparison.md and figures into one directory, written
whole or not at all, and prints the headline table. Bad input ends with exit status 2 and
one line on standard error, leaving no directory behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis import comparison
from sim.cli import main
from sim.experiments import compare
from sim.vocabulary import RECORDED_CHANNELS

STATES = '["DEU", "FRA", "USA", "GBR", "IRL"]'
SCENARIO = (
    "[simulation]\nstart = 2026-01-01\nend = 2028-01-01\nwarm_up_days = 60\ndrain_days = 120\n"
    f"replications = 3\nseed = 11\n[world]\nstates = {STATES}\n[demand]\nscale = 0.005\n"
)
FAST_MLAT = "[channels.bilateral_mlat]\ntime_scale = 0.5\n"
CSV_COLUMNS = [
    "scenario",
    "group",
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "diff_unpaired_ci_low",
    "diff_unpaired_ci_high",
    "replications",
]
FIGURES = {
    "time_to_evidence.png",
    "median_time_to_evidence.png",
    "outcome_shares.png",
    "backlog.png",
}
HEADLINE = ["fulfilled_30d", "fulfilled_90d", "fulfilled_180d", "fulfilled_365d"]
HEADLINE += ["median_days", "p90_days", "share_refused", "share_lost", "backlog"]


def _scenarios(directory: Path) -> tuple[Path, Path]:
    """Write base.toml and fast_mlat.toml (half-time bilateral MLATs) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / "base.toml"
    base.write_text(SCENARIO, encoding="utf-8")
    fast = directory / "fast_mlat.toml"
    fast.write_text(SCENARIO + FAST_MLAT, encoding="utf-8")
    return base, fast


def _invoke(argv: list[str | Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Call ``main`` and return exit status, stdout and stderr (argparse exits count too)."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, err: str, where: str) -> None:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert where in lines[0], lines[0]
    assert "Traceback" not in err


def _tree(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One ``mlatsim compare base.toml fast_mlat.toml`` in a fresh working directory.

    Returns the working directory and what the command printed.
    """
    work = tmp_path_factory.mktemp("compare")
    base, fast = _scenarios(work / "scenarios")
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.chdir(work)
        code = main(["compare", str(base), str(fast), "--workers", "1"])
    assert code == 0
    return work, printed.getvalue()


def _destination(work: Path) -> Path:
    return work / "results" / "compare_base_vs_fast_mlat"


# --- what it writes --------------------------------------------------------------------------


def test_compare_writes_its_directory_and_both_runs(compared):
    """Without --out: results/compare_base_vs_fast_mlat/, plus each scenario's run directory."""
    work, _ = compared
    assert sorted(p.name for p in (work / "results").iterdir()) == [
        "base",
        "compare_base_vs_fast_mlat",
        "fast_mlat",
    ]
    out = _destination(work)
    names = {path.name for path in out.iterdir()}
    assert {"comparison.csv", "comparison.md", "manifest.json", "figures"} <= names
    for name in ("base", "fast_mlat"):
        assert (work / "results" / name / "manifest.json").is_file()


def test_comparison_csv_has_the_long_form_columns(compared):
    """comparison.csv: the long-form columns, every headline metric of 'all' per scenario."""
    work, _ = compared
    table = pd.read_csv(_destination(work) / "comparison.csv")
    assert list(table.columns) == CSV_COLUMNS
    overall = table[table["group"] == "all"]
    assert set(overall["metric"]) == set(HEADLINE)
    assert set(table["scenario"]) == {"base", "fast_mlat"}
    assert (table["replications"] <= 3).all()
    fast = overall[overall["scenario"] == "fast_mlat"].set_index("metric")
    assert fast[["diff", "diff_ci_low", "diff_ci_high"]].notna().all().all()
    assert (fast["diff_ci_low"] <= fast["diff"] + 1e-12).all()
    assert (fast["diff"] <= fast["diff_ci_high"] + 1e-12).all()
    assert set(table["group"]) - {"all"} <= set(comparison.GROUPINGS) | set(RECORDED_CHANNELS)


def test_comparison_md_states_the_method(compared):
    """comparison.md has a table per headline metric and says how intervals were computed."""
    work, _ = compared
    text = (_destination(work) / "comparison.md").read_text(encoding="utf-8")
    assert text.startswith("# Comparison: base vs fast_mlat")
    assert "Student-t" in text and "Welch" in text and "common random numbers" in text
    assert text.count("| group | scenario | estimate |") == len(HEADLINE)


def test_manifest_records_scenarios_seed_and_digests(compared):
    """manifest.json names each scenario, its digest and run directory, the seed and --by."""
    work, _ = compared
    manifest = json.loads((_destination(work) / "manifest.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["scenarios"]] == ["base", "fast_mlat"]
    assert [s["reused"] for s in manifest["scenarios"]] == [False, False]
    assert manifest["seed"] == 11
    assert manifest["replications"] == 3
    assert manifest["by"] == "channel"
    assert all(len(s["scenario_sha256"]) == 64 for s in manifest["scenarios"])


def test_figures_are_written_with_their_tables(compared):
    """figures/ holds the four PNGs and the tables behind the three drawn from curves."""
    work, _ = compared
    figures = _destination(work) / "figures"
    assert {p.name for p in figures.glob("*.png")} == FIGURES
    for name in FIGURES:
        assert (figures / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    curves = pd.read_csv(figures / "time_to_evidence.csv")
    assert set(curves["group"]) == {"base", "fast_mlat"}


def test_terminal_shows_the_headline_table(compared):
    """The terminal table: every headline metric, both scenarios, the paired difference."""
    _, printed = compared
    for label in comparison.METRIC_LABELS.values():
        assert label in printed
    assert "paired diff vs base" in printed
    assert "fast_mlat" in printed
    assert printed.splitlines()[-1] == f"comparison -> {Path('results/compare_base_vs_fast_mlat')}"


def test_both_scenarios_share_seed_and_replications(compared):
    """Common random numbers: both runs were made with the first scenario's seed and count."""
    work, _ = compared
    for name in ("base", "fast_mlat"):
        manifest = json.loads((work / "results" / name / "manifest.json").read_text())
        assert (manifest["seed"], manifest["replications"]) == (11, 3)


# --- reuse ----------------------------------------------------------------------------------


def test_second_compare_reuses_stored_runs(compared, monkeypatch, capsys):
    """A second compare of the same scenarios reads their runs back: nothing is simulated.

    The runs' manifests (with their creation time) are untouched and the report says reused.
    """
    work, _ = compared
    monkeypatch.chdir(work)
    before = {
        n: (work / "results" / n / "manifest.json").read_bytes() for n in ("base", "fast_mlat")
    }

    def no_running(*args, **kwargs):
        raise AssertionError("a stored run should have been reused")

    monkeypatch.setattr(compare, "run_scenario", no_running)
    argv = ["compare", "scenarios/base.toml", "scenarios/fast_mlat.toml", "--workers", "1"]
    code, out, err = _invoke([*argv, "--out", "again", "--by", "requested"], capsys)
    assert code == 0, err
    assert "base: reused" in out and "fast_mlat: reused" in out
    after = {
        n: (work / "results" / n / "manifest.json").read_bytes() for n in ("base", "fast_mlat")
    }
    assert after == before
    manifest = json.loads((work / "again" / "manifest.json").read_text())
    assert [s["reused"] for s in manifest["scenarios"]] == [True, True]
    groups = set(pd.read_csv(work / "again" / "comparison.csv")["group"])
    assert groups == {"all", "DEU", "FRA", "GBR", "IRL", "USA"}


def _copy_of(work: Path, directory: Path) -> tuple[Path, Path]:
    """Copy the scenarios and stored runs of ``work`` into ``directory``; return the files."""
    shutil.copytree(work / "scenarios", directory / "scenarios")
    for name in ("base", "fast_mlat"):
        shutil.copytree(work / "results" / name, directory / "results" / name)
    return directory / "scenarios" / "base.toml", directory / "scenarios" / "fast_mlat.toml"


def test_other_seed_runs_beside_the_stored_run_and_says_so(compared, tmp_path, monkeypatch, capsys):
    """--seed changes the resolved scenario, so stored runs are not reused, nor replaced.

    Every scenario takes the given seed and the first scenario's replications. The run
    already in ``results/NAME`` (another seed) is kept as it was; the new one is written
    beside it, in a directory named by the scenario's digest, and a note on stderr says
    where. --quiet prints only the comparison's path on stdout.
    """
    base, fast = _copy_of(compared[0], tmp_path)
    monkeypatch.chdir(tmp_path)
    calls = []
    real = compare.run_scenario

    def counting(scenario, **kwargs):
        calls.append((scenario.name, scenario.simulation.seed, scenario.simulation.replications))
        return real(scenario, **kwargs)

    monkeypatch.setattr(compare, "run_scenario", counting)
    argv = ["compare", base, fast, "--workers", "1", "--quiet", "--seed", "5", "--out", "o"]
    code, out, err = _invoke([*argv, "--replications", "2"], capsys)
    assert code == 0, err
    assert calls == [("base", 5, 2), ("fast_mlat", 5, 2)]
    assert out == "comparison -> o\n"
    notes = err.splitlines()
    assert len(notes) == 2 and all(n.startswith("mlatsim: note: results/") for n in notes), err
    kept = json.loads((tmp_path / "results" / "base" / "manifest.json").read_text())
    assert (kept["seed"], kept["replications"]) == (11, 3)
    (beside,) = (tmp_path / "results").glob("base-*")
    assert str(beside.relative_to(tmp_path)) in notes[0]
    manifest = json.loads((beside / "manifest.json").read_text())
    assert (manifest["seed"], manifest["replications"]) == (5, 2)
    used = json.loads((tmp_path / "o" / "manifest.json").read_text())["scenarios"]
    assert used[0]["result_directory"] == str(Path("results") / beside.name)


# --- all or nothing -------------------------------------------------------------------------


def test_failure_while_writing_leaves_no_comparison_directory(compared, tmp_path, monkeypatch):
    """If drawing the figures fails, no comparison directory (nor a staging one) is left."""
    base, fast = _copy_of(compared[0], tmp_path)
    monkeypatch.chdir(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("sim.experiments.compare.write_figures", broken)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match="disk on fire"):
        main(["compare", str(base), str(fast), "--workers", "1", "--quiet", "--out", "out/c"])
    assert list(out.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["base", "fast_mlat"]


# --- bad input ------------------------------------------------------------------------------


def test_single_scenario_is_refused(tmp_path, monkeypatch, capsys):
    """One scenario is nothing to compare: exit 2, one line, nothing written."""
    base, _ = _scenarios(tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    code, out, err = _invoke(["compare", base], capsys)
    _assert_one_line_error(code, err, "at least two")
    assert out == ""
    assert not (tmp_path / "results").exists()


def test_no_scenario_is_refused(capsys):
    """``compare`` without files: argparse's one-line error and exit 2."""
    code, _, err = _invoke(["compare"], capsys)
    _assert_one_line_error(code, err, "scenarios")


def test_two_scenarios_with_one_name_are_refused(tmp_path, monkeypatch, capsys):
    """Two files whose scenarios share a name would share a result directory: exit 2."""
    base, fast = _scenarios(tmp_path / "scenarios")
    fast.write_text('name = "base"\n' + fast.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = _invoke(["compare", base, fast], capsys)
    _assert_one_line_error(code, err, "fast_mlat.toml")
    assert "'base'" in err
    assert not (tmp_path / "results").exists()


def test_bad_scenario_file_is_refused(tmp_path, monkeypatch, capsys):
    """A bad scenario among good ones: load_scenario's one line naming the field, exit 2."""
    base, fast = _scenarios(tmp_path / "scenarios")
    fast.write_text(SCENARIO.replace("scale = 0.005", "scale = -1"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = _invoke(["compare", base, fast, "--workers", "1"], capsys)
    _assert_one_line_error(code, err, "demand.scale")
    assert not (tmp_path / "results").exists()


def test_missing_scenario_file_is_refused(tmp_path, monkeypatch, capsys):
    """A scenario file that does not exist: one line naming it, exit 2."""
    base, _ = _scenarios(tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    code, _, err = _invoke(["compare", base, tmp_path / "absent.toml"], capsys)
    _assert_one_line_error(code, err, "absent.toml")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("options", "where"),
    [
        (("--by", "crime_type"), "--by"),
        (("--replications", "0"), "--replications"),
        (("--seed", "-1"), "--seed"),
    ],
    ids=["unknown-by", "zero-replications", "negative-seed"],
)
def test_bad_options_are_refused(options, where, tmp_path, monkeypatch, capsys):
    """Bad options: argparse's one-line error, exit 2, nothing written."""
    base, fast = _scenarios(tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    code, out, err = _invoke(["compare", base, fast, *options], capsys)
    _assert_one_line_error(code, err, where)
    assert out == ""
    assert _tree(tmp_path) == ["scenarios", "scenarios/base.toml", "scenarios/fast_mlat.toml"]


def test_out_that_is_a_file_is_refused(tmp_path, monkeypatch, capsys):
    """--out naming a file: exit 2 naming --out, before anything is run."""
    base, fast = _scenarios(tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("keep me", encoding="utf-8")
    code, _, err = _invoke(["compare", base, fast, "--out", "taken"], capsys)
    _assert_one_line_error(code, err, "--out")
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "results").exists()
