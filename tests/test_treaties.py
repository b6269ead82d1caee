"""Tests of ``sim.world.build.treaties``: who is bound to what on a simulation day."""

import datetime as dt
import math

import pytest

from sim.world.data import Membership, Tie
from sim.world.treaties import TreatyCalendar

START = dt.date(2026, 1, 1)


def day(date: str) -> float:
    """Simulation day of an ISO date."""
    return float((dt.date.fromisoformat(date) - START).days)


def party(iso3: str, instrument: str, in_force: str | None) -> Membership:
    """A party membership from ``in_force`` (None: date unknown)."""
    date = dt.date.fromisoformat(in_force) if in_force else None
    return Membership(iso3, instrument, "party", None, date, True)


def signatory(iso3: str, instrument: str) -> Membership:
    """A signature without ratification."""
    return Membership(iso3, instrument, "signatory", dt.date(2022, 5, 12), None, True)


def tie(kind: str, a: str, b: str, in_force: str | None) -> Tie:
    """A bilateral tie from ``in_force`` (None: date unknown)."""
    date = dt.date.fromisoformat(in_force) if in_force else None
    return Tie(kind, a, b, None, date, True)


@pytest.fixture
def calendar() -> TreatyCalendar:
    """A small calendar: AAA bound from mid-2026, BBB always, CCC only signed; one MLAT."""
    return TreatyCalendar(
        START,
        [
            party("AAA", "budapest", "2026-07-01"),
            party("BBB", "budapest", None),
            signatory("CCC", "budapest"),
            party("AAA", "second_protocol", "2020-01-01"),
            party("BBB", "second_protocol", "2020-01-01"),
        ],
        [tie("mlat", "AAA", "BBB", "2027-01-01"), tie("cloud_act", "BBB", "CCC", None)],
        {
            "budapest": dt.date(2004, 7, 1),
            "second_protocol": None,
            "e_evidence": dt.date(2026, 8, 18),
        },
    )


def test_party_is_bound_from_its_in_force_date_not_before(calendar: TreatyCalendar) -> None:
    """A party is bound on and after its entry-into-force day, and not the day before."""
    july = day("2026-07-01")
    assert not calendar.is_party("AAA", "budapest", july - 1)
    assert calendar.is_party("AAA", "budapest", july)
    assert calendar.is_party("AAA", "budapest", july + 365)


def test_party_without_date_is_always_bound(calendar: TreatyCalendar) -> None:
    """A party with no known date counts as bound since before the run."""
    assert calendar.is_party("BBB", "budapest", -10_000.0)
    assert calendar.is_party("BBB", "budapest", 0.0)


def test_signatory_is_never_bound(calendar: TreatyCalendar) -> None:
    """Signing does not bind: a signatory is never a party, whatever the day."""
    assert calendar.is_signatory("CCC", "budapest")
    assert not calendar.is_party("CCC", "budapest", 1e9)
    assert not calendar.both_bound("BBB", "CCC", "budapest", 1e9)
    assert not calendar.is_signatory("AAA", "budapest")


def test_unknown_state_or_instrument_is_not_bound(calendar: TreatyCalendar) -> None:
    """Anything the data does not list is not bound and not in force."""
    assert not calendar.is_party("ZZZ", "budapest", 0.0)
    assert not calendar.in_force("no_such_treaty", 1e9)
    assert not calendar.has_tie("mlat", "AAA", "CCC", 1e9)


def test_both_bound_needs_both_parties(calendar: TreatyCalendar) -> None:
    """``both_bound`` holds only once each of the two states is bound."""
    july = day("2026-07-01")
    assert not calendar.both_bound("AAA", "BBB", "budapest", july - 1)
    assert calendar.both_bound("AAA", "BBB", "budapest", july)
    assert calendar.both_bound("BBB", "AAA", "budapest", july)


def test_instrument_not_in_force_blocks_both_bound(calendar: TreatyCalendar) -> None:
    """Two parties are not bound by an instrument that is itself not in force."""
    assert calendar.is_party("AAA", "second_protocol", 100.0)
    assert calendar.is_party("BBB", "second_protocol", 100.0)
    assert not calendar.in_force("second_protocol", 1e9)
    assert not calendar.both_bound("AAA", "BBB", "second_protocol", 1e9)


def test_instrument_in_force_from_its_date(calendar: TreatyCalendar) -> None:
    """An instrument applies from its entry-into-force day (e-Evidence: 2026-08-18)."""
    august = day("2026-08-18")
    assert august == 229.0
    assert not calendar.in_force("e_evidence", august - 1)
    assert calendar.in_force("e_evidence", august)


def test_ties_are_symmetric_and_dated(calendar: TreatyCalendar) -> None:
    """A bilateral tie links both ways, from its in-force day; undated ties always hold."""
    january = day("2027-01-01")
    for a, b in (("AAA", "BBB"), ("BBB", "AAA")):
        assert not calendar.has_tie("mlat", a, b, january - 1)
        assert calendar.has_tie("mlat", a, b, january)
    assert calendar.has_tie("cloud_act", "CCC", "BBB", -1e6)
    assert not calendar.has_tie("mlat", "BBB", "CCC", 1e9)  # a tie is of one kind only


def test_set_party_binds_and_bumps_version(calendar: TreatyCalendar) -> None:
    """``set_party`` binds a state from a day, ends its signatory status, bumps ``version``."""
    before = calendar.version
    calendar.set_party("CCC", "budapest", 400.0)
    assert calendar.version == before + 1
    assert not calendar.is_signatory("CCC", "budapest")
    assert not calendar.is_party("CCC", "budapest", 399.0)
    assert calendar.is_party("CCC", "budapest", 400.0)
    assert calendar.both_bound("BBB", "CCC", "budapest", 400.0)


def test_set_party_keeps_an_earlier_date(calendar: TreatyCalendar) -> None:
    """Setting a later accession date does not unbind a state that is bound earlier."""
    calendar.set_party("AAA", "budapest", 900.0)
    assert calendar.is_party("AAA", "budapest", day("2026-07-01"))


def test_set_in_force_opens_an_instrument(calendar: TreatyCalendar) -> None:
    """``set_in_force`` brings an instrument into force from a day and bumps ``version``."""
    before = calendar.version
    calendar.set_in_force("second_protocol", 500.0)
    assert calendar.version == before + 1
    assert not calendar.both_bound("AAA", "BBB", "second_protocol", 499.0)
    assert calendar.both_bound("AAA", "BBB", "second_protocol", 500.0)


def test_add_tie_is_symmetric_and_bumps_version(calendar: TreatyCalendar) -> None:
    """``add_tie`` links two states both ways from a day and bumps ``version``."""
    before = calendar.version
    calendar.add_tie("mlat", "CCC", "AAA", 50.0)
    assert calendar.version == before + 1
    assert calendar.has_tie("mlat", "AAA", "CCC", 50.0)
    assert calendar.has_tie("mlat", "CCC", "AAA", 50.0)
    assert not calendar.has_tie("mlat", "AAA", "CCC", 49.0)
    calendar.add_tie("mlat", "AAA", "BBB", 10.0)  # brings an existing tie forward
    assert calendar.has_tie("mlat", "BBB", "AAA", 10.0)


def test_change_days_and_epochs(calendar: TreatyCalendar) -> None:
    """Change days are the finite dates in order; ``epoch`` counts those on or before a day."""
    july, august, january = day("2026-07-01"), day("2026-08-18"), day("2027-01-01")
    assert calendar.change_days[-3:] == (july, august, january)
    assert list(calendar.change_days) == sorted(calendar.change_days)
    assert all(math.isfinite(d) for d in calendar.change_days)
    base = calendar.epoch(0.0)
    assert calendar.epoch(july - 0.5) == base
    assert calendar.epoch(july) == base + 1
    assert calendar.epoch(august + 10) == base + 2
    assert calendar.epoch(january) == base + 3
    assert calendar.epoch(1e9) == len(calendar.change_days)


def test_reforms_add_change_days(calendar: TreatyCalendar) -> None:
    """A reform dated on a new day adds it to the change days, so caches see a new epoch."""
    assert 300.0 not in calendar.change_days
    before = calendar.epoch(300.0)
    calendar.set_party("CCC", "budapest", 300.0)
    assert 300.0 in calendar.change_days
    assert calendar.epoch(300.0) == before + 1
    calendar.set_in_force("second_protocol", math.inf)  # never: no change day added
    assert all(math.isfinite(d) for d in calendar.change_days)


# -- forks -------------------------------------------------------------------------------------


def test_fork_is_equal_and_answers_alike(calendar: TreatyCalendar) -> None:
    """A fresh fork binds the same states on every day, with the same change days and version."""
    fork = calendar.fork()
    assert fork == calendar
    assert fork is not calendar
    assert fork.change_days == calendar.change_days
    assert fork.version == calendar.version
    for probe in (-1.0, day("2026-07-01"), day("2027-01-01"), 1e9):
        assert fork.is_party("AAA", "budapest", probe) == calendar.is_party(
            "AAA", "budapest", probe
        )
        assert fork.has_tie("mlat", "AAA", "BBB", probe) == calendar.has_tie(
            "mlat", "AAA", "BBB", probe
        )
    assert fork.is_signatory("CCC", "budapest")


def test_changes_to_a_fork_leave_the_original_alone(calendar: TreatyCalendar) -> None:
    """Accessions, entries into force and new ties made on a fork are the fork's only.

    This is what lets one world serve many runs: each run changes its own fork.
    """
    original = calendar.fork()  # a second copy to compare with afterwards
    fork = calendar.fork()
    fork.set_party("CCC", "budapest", 300.0)
    fork.set_in_force("second_protocol", 500.0)
    fork.add_tie("cloud_act", "AAA", "CCC", 50.0)
    assert fork != calendar
    assert calendar == original
    assert calendar.version == original.version
    assert calendar.change_days == original.change_days
    assert calendar.is_signatory("CCC", "budapest")
    assert not calendar.is_party("CCC", "budapest", 1e9)
    assert not calendar.in_force("second_protocol", 1e9)
    assert not calendar.has_tie("cloud_act", "AAA", "CCC", 1e9)
    assert fork.is_party("CCC", "budapest", 300.0)
    assert fork.version == calendar.version + 3


def test_changes_to_the_original_leave_a_fork_alone(calendar: TreatyCalendar) -> None:
    """A fork is independent both ways: later changes to its source do not reach it."""
    fork = calendar.fork()
    calendar.set_party("CCC", "budapest", 10.0)
    calendar.add_tie("mlat", "AAA", "CCC", 10.0)
    assert not fork.is_party("CCC", "budapest", 1e9)
    assert not fork.has_tie("mlat", "AAA", "CCC", 1e9)
    assert 10.0 not in fork.change_days


def test_calendars_compare_by_content_and_are_not_hashable(calendar: TreatyCalendar) -> None:
    """Two calendars are equal when they bind alike; a mutable calendar has no hash."""
    assert calendar != "a calendar"
    with pytest.raises(TypeError):
        hash(calendar)
