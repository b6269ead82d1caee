"""Tests of ``sim.rules.pursuit``: which evidence needs investigators turn into requests."""

import pytest

from sim.rules.channels import FORMAL_MLA
from sim.rules.pursuit import pursues


@pytest.mark.parametrize("formal", FORMAL_MLA)
def test_formal_only_needs_are_pursued_with_the_chance_given(formal: str) -> None:
    """When the fastest open channel is formal MLA, the draw decides: pursued iff u < p."""
    routes = (formal, "letters_rogatory")
    assert pursues(routes, 0.04, 0.05)
    assert not pursues(routes, 0.05, 0.05)
    assert not pursues(routes, 0.0, 0.0)
    assert pursues(routes, 0.999, 1.0)


def test_needs_with_a_faster_channel_are_always_pursued() -> None:
    """A direct or other fast channel first: pursued whatever the draw, even at p = 0."""
    for first in ("direct_provider", "cloud_act", "eio", "e_evidence", "second_protocol"):
        assert pursues((first, "bilateral_mlat"), 0.99, 0.0)


def test_needs_with_no_open_channel_are_pursued() -> None:
    """With no channel open the need is still requested (and then abandoned for want of one)."""
    assert pursues((), 0.99, 0.0)
