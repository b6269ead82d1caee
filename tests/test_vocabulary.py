"""Tests for the vocabulary: one list per concept, codes that match, no third-party imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim import vocabulary as v


@pytest.mark.parametrize(
    ("enum", "names"),
    [
        (v.Outcome, v.OUTCOMES),
        (v.Reason, ("none", *v.REASONS[1:])),
        (v.Verdict, ("accept", "clarify", "refuse")),
        (v.Stage, v.STAGES),
        (v.Channel, v.RECORDED_CHANNELS),
        (v.DataType, v.DATA_TYPES),
        (v.Instrument, v.INSTRUMENTS),
    ],
)
def test_each_enum_codes_its_list_in_order(enum, names):
    """An enum member's value is the index of its name in the list records code by."""
    assert [member.name.lower() for member in enum] == list(names)
    assert [int(member) for member in enum] == list(range(len(names)))


def test_plain_codes_equal_the_enum_members():
    """The ints used on the hot path are the enum values, so records and enums agree."""
    assert (v.FULFILLED, v.PENDING) == (v.Outcome.FULFILLED, v.Outcome.PENDING)
    assert (v.NO_REASON, v.NO_CHANNEL) == (v.Reason.NONE, v.Reason.NO_CHANNEL)
    assert (v.ACCEPT, v.REFUSE) == (v.Verdict.ACCEPT, v.Verdict.REFUSE)
    assert v.RECORDED_CHANNELS[-1] == v.UNROUTED


def test_the_vocabulary_imports_nothing_from_third_parties():
    """Every layer may import the vocabulary, so it must not pull numpy, pandas or pydantic."""
    code = (
        "import sys; import sim.vocabulary; "
        "print(sorted(m for m in ('numpy', 'pandas', 'pydantic', 'simpy', 'mesa') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["arrivals/DEU", "levers/join", "requests", "other_matters"])
def test_registered_stream_names_pass(name):
    """Names built from a registered pattern are accepted as they are."""
    assert v.check_stream_name(name) == name


@pytest.mark.parametrize(
    "name", ["arrival/DEU", "arrivals/DEU/x", "arrivals/deu", "decide/review", "Requests"]
)
def test_other_stream_names_are_refused(name):
    """Anything else is refused, naming the registry."""
    with pytest.raises(KeyError, match="STREAM_NAMES"):
        v.check_stream_name(name)


def test_a_channel_needs_no_stream_of_its_own():
    """Stage times are keyed draws of the request, so a new channel registers no stream."""
    for channel in v.CHANNELS:
        with pytest.raises(KeyError):
            v.check_stream_name(f"time/{channel}/drafting")
