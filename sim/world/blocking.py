"""Blocking statutes: laws that stop data held in a state from leaving it for foreign authorities.

``blocking_statutes.csv`` lists them, one row per law and article, each with its effect on a
request for data held by providers in that state through a channel that does not go through
the state's own authorities (a direct request, a European Production Order, ...): ``approval``
(the data may leave only with the approval of the state's competent authority: an extra stage
of ``approval_days`` on average, refused with ``p_refuse``) or ``refuse`` (the provider does
not disclose at all). What the rows do to a request is :mod:`sim.rules.blocking`'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sim.errors import WorldDataError

EFFECTS = ("approval", "refuse")
"""What a blocking statute does to data leaving its state (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class BlockingStatute:
    """One article of a law that blocks or conditions data leaving a state."""

    state: str
    law: str
    article: str
    effect: str
    approval_days: float
    """The mean days an approval takes (0 for ``refuse``): an assumption in every row."""
    p_refuse: float
    """The chance the approval is refused (1 for ``refuse``)."""
    in_force: dt.date
    verified: bool


def read_blocking_statutes(path: Path, states: dict[str, object]) -> tuple[BlockingStatute, ...]:
    """The rows of ``blocking_statutes.csv``: a known state, an effect, a date and a source each."""
    from sim.world.data import _fraction, _known, _Row, _rows  # the readers live there

    found: list[BlockingStatute] = []
    for number, raw in _rows(path):
        row = _Row(path, number, raw)
        state = _known(row, states, "state")
        effect = row.choice("effect", EFFECTS)
        in_force = row.date("in_force")
        if in_force is None or not row.text("law") or not row.text("source"):
            raise WorldDataError(row.where, "law, in_force and source must be given")
        days = 0.0
        if effect == "approval":
            try:
                days = float(row.text("approval_days"))
            except ValueError:
                raise WorldDataError(row.where, "approval_days must be a number") from None
            if days < 0.0:
                raise WorldDataError(row.where, "approval_days must not be negative")
        p_refuse = 1.0 if effect == "refuse" else _fraction(row, "p_refuse")
        found.append(
            BlockingStatute(
                *(state, row.text("law"), row.text("article"), effect, days, p_refuse),
                *(in_force, row.flag("verified")),
            )
        )
    return tuple(found)
