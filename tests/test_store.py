"""Tests of the result store (``sim.experiments.store``) and of a run's key.

A stored run is reused only when everything that makes its rows is unchanged: the resolved
scenario (seed and replications included), the calibration, every world data file read and
the package version. A run of other inputs is never replaced: the new one goes beside it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sim.config.loading import NO_CALIBRATION, load_scenario, packaged_calibration
from sim.experiments import compare, inputs
from sim.experiments.inputs import RunInputs
from sim.experiments.store import KEY_CHARACTERS, ResultStore, read_run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def world_copy(tmp_path: Path) -> Path:
    """A copy of the packaged world data (the CSV files) that a test may edit."""
    copy = tmp_path / "world"
    copy.mkdir()
    for path in (ROOT / "sim" / "data").glob("*.csv"):
        shutil.copy(path, copy / path.name)
    return copy


@pytest.fixture
def counted_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Path | None]]:
    """The runs ``compare.obtain_run`` simulates (scenario name and world folder), counted."""
    calls: list[tuple[str, Path | None]] = []
    real = compare.run_scenario

    def counting(scenario, **kwargs):
        calls.append((scenario.name, kwargs.get("world_dir")))
        return real(scenario, **kwargs)

    monkeypatch.setattr(compare, "run_scenario", counting)
    return calls


def test_an_edited_world_file_is_not_reused(tmp_path, write_tiny, world_copy, counted_runs):
    """A run on a copy of the world data is reused until one CSV of the copy changes.

    Then the stored run is kept as it was, and the new one (run on the edited data) is
    written beside it, under a name carrying the new key, with a note saying so.
    """
    scenario = load_scenario(write_tiny(tmp_path, replications=1, scale=0.005))
    store = ResultStore(tmp_path / "results")
    before = RunInputs(scenario, NO_CALIBRATION, world_copy)
    first = compare.obtain_run(before, store)
    assert (first.reused, first.directory) == (False, tmp_path / "results" / "tiny")
    again = compare.obtain_run(RunInputs(scenario, NO_CALIBRATION, world_copy), store)
    assert again.reused
    assert counted_runs == [("tiny", world_copy)]

    parameters = world_copy / "parameters.csv"
    text = parameters.read_text(encoding="utf-8")
    assert "\nUSA,310,12725," in text
    parameters.write_text(text.replace("\nUSA,310,12725,", "\nUSA,310,25450,"), encoding="utf-8")
    after = RunInputs(scenario, NO_CALIBRATION, world_copy)
    assert after.world_files["parameters.csv"] != before.world_files["parameters.csv"]
    assert after.key != before.key
    assert read_run(first.directory, after) is None

    edited = compare.obtain_run(after, store)
    assert not edited.reused
    assert counted_runs == [("tiny", world_copy), ("tiny", world_copy)]
    assert edited.directory.name == f"tiny-{after.key[:KEY_CHARACTERS]}"
    assert "holds another run" in edited.note and str(edited.directory) in edited.note
    kept = json.loads((first.directory / "manifest.json").read_text(encoding="utf-8"))
    assert kept["key"] == before.key
    written = json.loads((edited.directory / "manifest.json").read_text(encoding="utf-8"))
    assert written["world_data"] == {"directory": str(world_copy), "files": after.world_files}
    assert len(edited.result.requests) != len(first.result.requests)  # twice the US cases


def test_the_key_covers_every_input(tmp_path, write_tiny, world_copy, monkeypatch):
    """Each input changes the key; where the world data lie does not.

    The inputs: seed, replications, any scenario value, the calibration, a world data file
    and the package version.
    """
    scenario = load_scenario(write_tiny(tmp_path))
    base = RunInputs(scenario, NO_CALIBRATION)
    keys = {base.key}
    for other in (
        load_scenario(write_tiny(tmp_path, seed=12)),
        load_scenario(write_tiny(tmp_path, replications=3)),
        load_scenario(
            write_tiny(tmp_path, name="tiny", extra="[channels.eio]\ntime_scale = 2.0\n")
        ),
    ):
        keys.add(RunInputs(other, NO_CALIBRATION).key)
    keys.add(RunInputs(scenario, packaged_calibration()).key)
    (world_copy / "states.csv").write_text(
        (world_copy / "states.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    keys.add(RunInputs(scenario, NO_CALIBRATION, world_copy).key)
    monkeypatch.setattr(inputs, "package_version", lambda: "99.0")
    keys.add(RunInputs(scenario, NO_CALIBRATION).key)
    assert len(keys) == 7

    monkeypatch.undo()
    unchanged = tmp_path / "unchanged"
    shutil.copytree(ROOT / "sim" / "data", unchanged, ignore=shutil.ignore_patterns("*.toml"))
    assert RunInputs(scenario, NO_CALIBRATION, unchanged).key == base.key


def test_a_run_of_another_calibration_is_not_reused(tmp_path, write_tiny):
    """A stored run is read back for its own calibration only (its manifest's key)."""
    scenario = load_scenario(write_tiny(tmp_path, replications=1, scale=0.005))
    store = ResultStore(tmp_path / "results")
    stored = compare.obtain_run(RunInputs(scenario, NO_CALIBRATION), store)
    manifest = json.loads((stored.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["calibration"] == "none"
    assert store.find(RunInputs(scenario, NO_CALIBRATION)) is not None
    assert store.find(RunInputs(scenario, packaged_calibration())) is None


def test_a_users_folder_under_the_name_is_kept_and_the_run_goes_beside(tmp_path, write_tiny):
    """``results/NAME`` holding a user's files: they stay; the run is stored beside it."""
    scenario = load_scenario(write_tiny(tmp_path, replications=1, scale=0.005))
    store = ResultStore(tmp_path / "results")
    home = tmp_path / "results" / "tiny"
    home.mkdir(parents=True)
    (home / "notes.txt").write_text("mine", encoding="utf-8")
    given = RunInputs(scenario, NO_CALIBRATION)
    run = compare.obtain_run(given, store)
    assert run.directory == store.beside(given)
    assert "holds files that are not this run" in run.note
    assert (home / "notes.txt").read_text(encoding="utf-8") == "mine"
    found = store.find(given)
    assert found is not None and found[0] == store.beside(given)
