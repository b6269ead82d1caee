"""The collector's thresholds during a run, and after it."""

import gc

import pytest

from sim.engine.collector import FIRST_GENERATION_THRESHOLD, collector_for_a_run


def test_a_run_collects_less_often_and_restores_the_thresholds() -> None:
    """Inside the block the first threshold is raised; after it, the thresholds are as before."""
    before = gc.get_threshold()
    with collector_for_a_run():
        inside = gc.get_threshold()
    assert inside == (FIRST_GENERATION_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before
    assert gc.isenabled()


def test_the_thresholds_are_restored_when_the_run_fails() -> None:
    """A replication that raises leaves the process's collector as it found it."""
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), collector_for_a_run():
        raise RuntimeError("a failed replication")
    assert gc.get_threshold() == before
