"""Whether expedited 24/7 preservation is open to a pair of states on a day.

Preservation (Budapest Arts. 29 and 35, the G7 24/7 network) is asked of the requested
state's point of contact by the requesting state's point of contact, so both need one. This is
the one rule of who has a contact; the engine asks it with its run's treaty calendar and the
days from which levers give states a contact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sim.world.build import StateProfile
from sim.world.treaties import TreatyCalendar

BUDAPEST = "budapest"
_NEVER = math.inf


def has_contact_point(
    state: StateProfile, day: float, calendar: TreatyCalendar, lever_day: float = _NEVER
) -> bool:
    """Whether ``state`` has a 24/7 point of contact on ``day``.

    The rule: a state has one if the world data says so (``contact_24_7``), if a lever gave it
    one from ``lever_day`` on or before ``day`` (``preservation_24_7``), or if it is a party to
    the Budapest Convention on ``day``, since Art. 35 obliges every party to designate one; a
    party made by a ``join`` lever or by adaptive treaty uptake counts from the day it joins.

    Args:
        state: The state.
        day: The simulation day.
        calendar: The run's treaty calendar (with its levers' and accessions' changes).
        lever_day: The first day a lever gives the state a contact (infinity if none does).
    """
    return (
        state.facts.contact_24_7 or lever_day <= day or calendar.is_party(state.iso3, BUDAPEST, day)
    )


def preservation_open(
    requesting: StateProfile,
    requested: StateProfile,
    day: float,
    calendar: TreatyCalendar,
    lever_days: Mapping[str, float] | None = None,
) -> bool:
    """Whether 24/7 preservation is open to a request on ``day``.

    The rule: it is open when both the requesting and the requested state have a 24/7 point of
    contact on that day (:func:`has_contact_point`).

    Args:
        requesting: The requesting state.
        requested: The requested state (where the data is held).
        day: The simulation day.
        calendar: The run's treaty calendar.
        lever_days: The first day a lever gives a state a contact, by ISO3 code (states not
            listed get none from a lever).
    """
    days = lever_days or {}
    return has_contact_point(
        requesting, day, calendar, days.get(requesting.iso3, _NEVER)
    ) and has_contact_point(requested, day, calendar, days.get(requested.iso3, _NEVER))
