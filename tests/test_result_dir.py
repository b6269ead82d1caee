"""Tests for result directories: what may be replaced, staging, stale leftovers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.experiments.result_dir import (
    COMPARISON_FORMAT,
    RUN_FORMAT,
    StagedDirectory,
    check_destination,
    remove_stale,
    result_format,
)


def _result(directory: Path, kind: str = RUN_FORMAT) -> Path:
    """A directory that looks like a finished result of ``kind``."""
    directory.mkdir(parents=True)
    (directory / "manifest.json").write_text(json.dumps({"format": kind}))
    (directory / "requests.parquet").write_bytes(b"old")
    return directory


def _decoy(directory: Path) -> Path:
    """A user's folder with a file that must survive."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "thesis.txt").write_text("three years of work")
    return directory


def test_format_is_read_from_the_manifest(tmp_path):
    """The manifest's format tag says what a directory holds; other folders hold nothing."""
    assert result_format(_result(tmp_path / "run")) == RUN_FORMAT
    assert result_format(_result(tmp_path / "cmp", COMPARISON_FORMAT)) == COMPARISON_FORMAT
    assert result_format(_decoy(tmp_path / "notes")) is None
    (tmp_path / "notes" / "manifest.json").write_text('{"format": "something else"}')
    assert result_format(tmp_path / "notes") is None
    (tmp_path / "notes" / "manifest.json").write_text("[not json")
    assert result_format(tmp_path / "notes") is None


def test_legacy_manifests_without_a_tag_are_recognised(tmp_path):
    """Results written before the tag existed are still results, by their manifest's keys."""
    run = tmp_path / "run"
    run.mkdir()
    keys = {"scenario": {}, "seed": 1, "replications": 1, "stream_derivation": "x"}
    (run / "manifest.json").write_text(json.dumps(keys))
    assert result_format(run) == RUN_FORMAT


@pytest.mark.parametrize("kind", [RUN_FORMAT, COMPARISON_FORMAT])
def test_a_users_folder_is_never_a_destination(tmp_path, kind):
    """A non-empty folder without a result's manifest is refused and left as it was."""
    notes = _decoy(tmp_path / "notes")
    with pytest.raises(InputError) as caught:
        StagedDirectory(notes, kind)
    assert "holds no mlatsim result" in caught.value.problem
    assert (notes / "thesis.txt").read_text() == "three years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]


def test_a_result_of_the_other_kind_is_refused(tmp_path):
    """A run's result directory is not replaced by a comparison, nor the reverse."""
    run = _result(tmp_path / "run")
    with pytest.raises(InputError, match="holds a run's result, not a comparison"):
        check_destination(run, COMPARISON_FORMAT)
    comparison = _result(tmp_path / "cmp", COMPARISON_FORMAT)
    with pytest.raises(InputError, match="holds a comparison, not a run's result"):
        check_destination(comparison, RUN_FORMAT)


@pytest.mark.parametrize("name", [".", "..", "/"])
def test_the_current_directory_and_its_parents_are_refused(tmp_path, monkeypatch, name):
    """``.``, ``..`` and ``/`` hold the current directory: never a destination, even empty."""
    work = tmp_path / "empty"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(InputError, match="holds the current directory"):
        check_destination(Path(name), RUN_FORMAT)


def test_symbolic_links_are_refused(tmp_path):
    """A link (dangling or not) is refused: replacing it would not write where it points."""
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError, match="symbolic link"):
        check_destination(tmp_path / "dangling", RUN_FORMAT)
    assert not (tmp_path / "nowhere").exists()


def test_publish_replaces_an_old_result_and_leaves_nothing_else(tmp_path):
    """An old result gives way to the new one; no staging or retired directory stays."""
    old = _result(tmp_path / "out")
    with StagedDirectory(old, RUN_FORMAT) as staged:
        (staged.path / "manifest.json").write_text(json.dumps({"format": RUN_FORMAT}))
        (staged.path / "requests.parquet").write_bytes(b"new")
        staged.publish()
    assert (tmp_path / "out" / "requests.parquet").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_publish_checks_again_what_arrived_meanwhile(tmp_path):
    """A user's files put at the destination during the run are not replaced at the end."""
    destination = tmp_path / "out"
    with StagedDirectory(destination, RUN_FORMAT) as staged:
        _decoy(destination)
        with pytest.raises(InputError, match="holds no mlatsim result"):
            staged.publish()
    assert (destination / "thesis.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_leaving_without_publishing_removes_staging_and_made_parents(tmp_path):
    """An error inside the block removes the staging directory and the parents it made."""
    destination = tmp_path / "a" / "b" / "out"
    with pytest.raises(RuntimeError), StagedDirectory(destination, RUN_FORMAT) as staged:
        assert staged.path.is_dir()
        raise RuntimeError("run failed")
    assert list(tmp_path.iterdir()) == []


def test_a_second_ctrl_c_during_cleanup_still_removes_everything(tmp_path, monkeypatch):
    """Ctrl-C pressed again while an interrupted run cleans up waits for the cleanup to end.

    The second interrupt arrives in the middle of the removal; the staging directory and the
    parents made for it are still all gone, and the interrupt is raised afterwards.
    """
    import shutil
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can be set only in the main thread")
    destination = tmp_path / "a" / "out"
    staged = StagedDirectory(destination, RUN_FORMAT)
    (staged.path / "requests.parquet").write_bytes(b"half")
    remove = shutil.rmtree

    def interrupted_removal(path, **options):
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C again, right now
        for _ in range(1000):  # give the handler every chance to run inside the removal
            pass
        remove(path, **options)

    monkeypatch.setattr(shutil, "rmtree", interrupted_removal)
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        staged.discard()
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGINT) is handler  # restored


def test_unwritable_place_is_reported_before_any_work(tmp_path):
    """A destination that cannot be created fails at once, naming the option."""
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError) as caught:
        StagedDirectory(tmp_path / "file" / "out", RUN_FORMAT)
    assert caught.value.where == "--out"
    with pytest.raises(InputError) as caught:
        StagedDirectory(Path("/proc/mlatsim-test/out"), RUN_FORMAT)
    assert "cannot write" in caught.value.problem or "not writable" in caught.value.problem


def test_stale_staging_of_a_dead_run_is_removed(tmp_path):
    """Staging left by a killed process is removed; that of a living process is kept."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".out.staging-{dead_pid}-abc"
    stale.mkdir()
    (stale / "requests.parquet").write_bytes(b"half")
    alive = tmp_path / f".out.staging-{os.getpid()}-def"
    alive.mkdir()
    remove_stale(tmp_path / "out")
    assert not stale.exists()
    assert alive.exists()
