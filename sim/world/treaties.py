"""Who is bound to what, on a given simulation day.

Treaty ties change at known dates (an accession, an entry into force). The calendar turns the
world data's dates into simulation days once, so the request processes ask cheap questions:
is this state a party to that instrument today, do these two states have a treaty today.

A world's calendar is what the data says; a run changes its own :meth:`~TreatyCalendar.fork`
of it (treaty levers, adaptive accessions), so one world can serve many runs.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from collections.abc import Iterable
from typing import Self

from sim.world.data import Membership, Tie
from sim.world.reservations import Reservation

_ALWAYS = -math.inf


class TreatyCalendar:
    """Membership of instruments and bilateral ties, as functions of the simulation day.

    Args:
        start: Calendar date of simulation day 0.
        memberships: Multilateral memberships of the simulated states.
        ties: Bilateral ties among the simulated states.
        instrument_in_force: Date each instrument entered (or enters) into force; None if never.
        reservations: The reservations of the simulated states to the Second Protocol.

    A party without a known date counts as bound since before the run (the data marks such
    dates unverified). A signatory is never bound: signing does not open a channel.
    """

    def __init__(
        self,
        start: dt.date,
        memberships: Iterable[Membership],
        ties: Iterable[Tie],
        instrument_in_force: dict[str, dt.date | None],
        reservations: Iterable[Reservation] = (),
    ) -> None:
        self._start = start
        # A reservation binds with the party's consent, so it needs no day of its own: it
        # matters only while the party is bound, which the channel's rule checks first.
        self._reserved: frozenset[tuple[str, str, str | None]] = frozenset(
            (r.party, r.clause, r.data_type) for r in reservations
        )
        self._instrument: dict[str, float] = {
            name: self._day(date, missing=math.inf) for name, date in instrument_in_force.items()
        }
        self._party: dict[tuple[str, str], float] = {}
        self._signatory: set[tuple[str, str]] = set()
        for membership in memberships:
            key = (membership.iso3, membership.instrument)
            if membership.status == "party":
                self._party[key] = self._day(membership.in_force, missing=_ALWAYS)
            else:
                self._signatory.add(key)
        self._tie: dict[tuple[str, str, str], float] = {}
        for tie in ties:
            day = self._day(tie.in_force, missing=_ALWAYS)
            self._tie[(tie.kind, tie.state_a, tie.state_b)] = day
            self._tie[(tie.kind, tie.state_b, tie.state_a)] = day
        days = [*self._instrument.values(), *self._party.values(), *self._tie.values()]
        self.change_days: tuple[float, ...] = tuple(sorted({d for d in days if math.isfinite(d)}))
        """Days on which some channel may open or close, in order."""
        self.version = 0
        """Incremented whenever a tie changes during a run, so caches know to refresh."""

    def fork(self) -> Self:
        """An independent copy: changes to the fork leave this calendar as it is, and back.

        A model works on its own fork of its world's calendar, so that treaty levers and
        adaptive accessions of one run are never seen by another run of the same world.
        """
        fork = object.__new__(type(self))
        fork._start = self._start
        fork._reserved = self._reserved
        fork._instrument = dict(self._instrument)
        fork._party = dict(self._party)
        fork._signatory = set(self._signatory)
        fork._tie = dict(self._tie)
        fork.change_days = self.change_days
        fork.version = self.version
        return fork

    def __eq__(self, other: object) -> bool:
        """Whether two calendars bind the same states to the same instruments on every day."""
        if not isinstance(other, TreatyCalendar):
            return NotImplemented
        return (
            self._start == other._start
            and self._reserved == other._reserved
            and self._instrument == other._instrument
            and self._party == other._party
            and self._signatory == other._signatory
            and self._tie == other._tie
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: equal calendars may later differ

    def _day(self, date: dt.date | None, missing: float) -> float:
        return missing if date is None else float((date - self._start).days)

    def epoch(self, day: float) -> int:
        """Index of the period between change days that contains ``day`` (for caching)."""
        return bisect_right(self.change_days, day)

    def in_force(self, instrument: str, day: float) -> bool:
        """Whether the instrument itself is in force on ``day``."""
        return self._instrument.get(instrument, math.inf) <= day

    def is_party(self, state: str, instrument: str, day: float) -> bool:
        """Whether ``state`` is bound by ``instrument`` on ``day`` (regardless of its force)."""
        return self._party.get((state, instrument), math.inf) <= day

    def is_signatory(self, state: str, instrument: str) -> bool:
        """Whether ``state`` signed ``instrument`` without being a party."""
        return (state, instrument) in self._signatory

    def both_bound(self, a: str, b: str, instrument: str, day: float) -> bool:
        """Whether the instrument is in force and binds both states on ``day``."""
        return (
            self.in_force(instrument, day)
            and self.is_party(a, instrument, day)
            and self.is_party(b, instrument, day)
        )

    def has_reservation(self, state: str, clause: str, data_type: str) -> bool:
        """Whether ``state`` made reservation ``clause`` (e.g. ``8(13)``) covering ``data_type``.

        A reservation of a whole article covers every data type; one limited to a data type
        (Art. 8(13): traffic data) covers only that one.
        """
        reserved = self._reserved
        return (state, clause, None) in reserved or (state, clause, data_type) in reserved

    def has_tie(self, kind: str, a: str, b: str, day: float) -> bool:
        """Whether a bilateral tie of ``kind`` links ``a`` and ``b`` on ``day``."""
        return self._tie.get((kind, a, b), math.inf) <= day

    def set_party(self, state: str, instrument: str, day: float) -> None:
        """Make ``state`` a party from ``day`` (a treaty reform or an adaptive accession)."""
        self._party[(state, instrument)] = min(day, self._party.get((state, instrument), math.inf))
        self._signatory.discard((state, instrument))
        self._add_change(day)

    def set_in_force(self, instrument: str, day: float) -> None:
        """Bring ``instrument`` into force from ``day``."""
        self._instrument[instrument] = min(day, self._instrument.get(instrument, math.inf))
        self._add_change(day)

    def add_tie(self, kind: str, a: str, b: str, day: float) -> None:
        """Link ``a`` and ``b`` by a bilateral tie of ``kind`` from ``day``."""
        current = self._tie.get((kind, a, b), math.inf)
        self._tie[(kind, a, b)] = self._tie[(kind, b, a)] = min(day, current)
        self._add_change(day)

    def _add_change(self, day: float) -> None:
        self.version += 1
        if math.isfinite(day) and day not in self.change_days:
            self.change_days = tuple(sorted((*self.change_days, day)))
