"""Reservations to the Second Additional Protocol to the Budapest Convention (CETS 224).

``second_protocol_reservations.csv`` lists the reservations each Party made to the Protocol's
evidence articles (Art. 19): which article or clause, for which data type, with its source
and whether it was verified. The treaty calendar reads them (:mod:`sim.world.treaties`): a
reservation closes its article's channel to requests into the reserving Party.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import WorldDataError
from sim.vocabulary import PROTOCOL_RESERVATIONS

if TYPE_CHECKING:
    from sim.world.data import Membership


@dataclass(frozen=True, slots=True)
class Reservation:
    """A Party's reservation to an evidence article of the Second Protocol (CETS 224 Art. 19).

    A reservation narrows what the Party is bound to as the *requested* Party: with one, the
    article's channel does not open to requests into that Party (for ``data_type`` only, if
    given). It takes effect with the Party's consent to be bound, so it has no date of its own
    in the model: ``deposited`` is kept for the reader.
    """

    party: str
    article: int
    clause: str
    """The clause of the Protocol that allows it, e.g. ``7(9)(a)`` (``PROTOCOL_RESERVATIONS``)."""
    data_type: str | None
    """The one data type it excludes; None if it excludes the article for every data type."""
    deposited: dt.date | None
    verified: bool
    source: str


RESERVATIONS_FILE = "second_protocol_reservations.csv"
"""The reservations each Party made to the Second Protocol's evidence articles."""

_RESERVATION_SCOPE: dict[str, tuple[str, ...]] = {"8(13)": ("traffic",), "7(9)(b)": ("subscriber",)}
"""Clauses that reserve one data type only: Art. 8(13) traffic data, Art. 7(9)(b) certain
access numbers (subscriber information). The others reserve the whole article."""


def read_reservations(path: Path, memberships: tuple[Membership, ...]) -> tuple[Reservation, ...]:
    """The reservations of ``second_protocol_reservations.csv``, each by a Party to it.

    Only a state that ``memberships.csv`` lists as a party to ``second_protocol`` can have
    made one (a reservation is made with the consent to be bound, Art. 19(1)); a row for any
    other state, an unknown clause, an article that is not the clause's, or a data type the
    clause cannot reserve is a data error.
    """
    from sim.world.data import _Row, _rows  # the readers live there

    parties = {
        m.iso3 for m in memberships if m.instrument == "second_protocol" and m.status == "party"
    }
    reservations: list[Reservation] = []
    seen: set[tuple[str, str]] = set()
    for number, raw in _rows(path):
        row = _Row(path, number, raw)
        party = row.iso3("party")
        if party not in parties:
            raise WorldDataError(
                row.where,
                f"{party} made a reservation but is not a party to second_protocol "
                "in memberships.csv",
            )
        clause = row.choice("clause", tuple(PROTOCOL_RESERVATIONS))
        article = row.text("article")
        if article != str(PROTOCOL_RESERVATIONS[clause]):
            raise WorldDataError(
                row.where, f"article '{article}' is not the article of clause {clause}"
            )
        if (party, clause) in seen:
            raise WorldDataError(row.where, f"{party} reserves {clause} twice")
        seen.add((party, clause))
        data_type = row.text("data_type") or None
        allowed = _RESERVATION_SCOPE.get(clause, ())
        if data_type is None and allowed:
            data_type = allowed[0]
        if data_type is not None and data_type not in allowed:
            raise WorldDataError(
                row.where,
                f"clause {clause} reserves "
                + (f"only {allowed[0]} data" if allowed else "the whole article (no data_type)"),
            )
        if not row.text("source"):
            raise WorldDataError(row.where, "source is empty")
        reservations.append(
            Reservation(
                party,
                int(article),
                clause,
                data_type,
                row.date("deposited"),
                row.flag("verified"),
                row.text("source"),
            )
        )
    return tuple(reservations)
