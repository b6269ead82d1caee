"""Blocking statutes as rules: what they do to a request for data held in their state.

A blocking statute (``blocking_statutes.csv``, :mod:`sim.world.blocking`) conditions or bars data
leaving its state for foreign judicial or law-enforcement authorities: China's Data Security
Law Art. 36 and Personal Information Protection Law Art. 41 require the approval of the
competent Chinese authority, its International Criminal Judicial Assistance Law Art. 4 its
consent. It reaches a request only where the data would leave without the state's own
authorities: on a channel to the provider (:data:`TO_PROVIDERS`: a direct or emergency request,
a Second Protocol Art. 6 request or Art. 7 order, a CLOUD Act order, a European Production
Order). A formal request through the state's central authority, or an EIO, is that state's
authorities handling the foreign request, which is what the statutes ask for; so they are not
reached.

On such a channel, from the day a statute is in force, an attempt first waits for the approval
(an exponential time with mean ``approval_days``: its stages start that much later, so the
data may expire meanwhile) and is refused with ``p_refuse`` at its execution, where the
provider would disclose; a ``refuse`` statute has no wait and always refuses. A refused attempt
falls back to the request's next channel as any refusal does (docs/model.md 7.9).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from sim.vocabulary import CHANNELS
from sim.world.blocking import BlockingStatute

TO_PROVIDERS = frozenset(
    {
        "direct_provider",
        "sp_domain_registration",
        "sp_subscriber_order",
        "e_evidence",
        "cloud_act",
        "emergency_disclosure",
    }
)
"""The channels on which a request reaches the provider without the requested state's
authorities: those a blocking statute stands in the way of. Of the Second Protocol's, Arts. 6
and 7 go to the registrar or provider directly; Arts. 8, 9 and 10 go through the requested
Party's authorities (its order, its 24/7 point of contact, its central authority)."""
if not set(CHANNELS) >= TO_PROVIDERS:
    raise TypeError("TO_PROVIDERS names a channel that is not in vocabulary.CHANNELS")


@dataclass(frozen=True, slots=True)
class Barrier:
    """What the blocking statutes in force in a state do to data leaving it through a provider.

    The attempt waits ``approval_days`` on average, then is refused with ``p_refuse``.
    """

    approval_days: float
    p_refuse: float


Steps = tuple[tuple[float, Barrier], ...]
"""A state's barriers by day: each from its day on, until the next (days since the start)."""


def barrier_steps(statutes: Iterable[BlockingStatute], start: dt.date) -> Steps:
    """One state's barriers over time, from its statutes' in-force dates.

    Several statutes in force together are one approval by the competent authority, as strict
    as the strictest of them: the longest mean wait and the highest chance of refusal (a
    ``refuse`` statute: no wait, certain refusal).
    """
    rows = sorted(statutes, key=lambda s: s.in_force)
    steps: list[tuple[float, Barrier]] = []
    for n, statute in enumerate(rows):
        in_force = rows[: n + 1]
        if any(s.effect == "refuse" for s in in_force):
            barrier = Barrier(0.0, 1.0)
        else:
            barrier = Barrier(
                max(s.approval_days for s in in_force), max(s.p_refuse for s in in_force)
            )
        steps.append((float((statute.in_force - start).days), barrier))
    return tuple(steps)


def barrier_on(steps: Steps, day: float) -> Barrier | None:
    """The barrier in force on ``day`` (None before the first statute is in force)."""
    found = None
    for since, barrier in steps:
        if day < since:
            break
        found = barrier
    return found


def approval(barrier: Barrier, u_refuse: float, u_wait: float) -> tuple[float, bool]:
    """The days an attempt waits for approval and whether the approval is refused.

    Args:
        barrier: The requested state's barrier on the day.
        u_refuse: The attempt's uniform for the refusal.
        u_wait: The attempt's uniform for the wait (exponential by inversion).
    """
    days = -barrier.approval_days * math.log1p(-u_wait) if barrier.approval_days > 0.0 else 0.0
    return days, u_refuse < barrier.p_refuse
