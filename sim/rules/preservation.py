"""Whether expedited preservation is open to a pair of states on a day, and by which path.

Preservation through a network (Budapest Arts. 29 and 35, the G7 24/7 network) is asked of
the requested state's point of contact by the requesting state's point of contact, so both
need one. Outside the networks, a request may go straight to the holder state's providers where
they accept one from a foreign authority (US providers under 18 U.S.C. 2703(f)); and states
bound by the e-Evidence Regulation issue preservation orders (EPOC-PR). This is the one rule
of who has a contact and which path a pair uses; the engine asks it with its run's treaty
calendar and the days from which levers give states a contact (docs/model.md, section 7.6).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sim.vocabulary import PRESERVATION_PATHS
from sim.world.build import StateProfile
from sim.world.treaties import TreatyCalendar

BUDAPEST = "budapest"
E_EVIDENCE = "e_evidence"
_NEVER = math.inf
NO_PATH, BUDAPEST_PATH, E_EVIDENCE_PATH, NETWORK_PATH, PROVIDER_PATH = range(
    len(PRESERVATION_PATHS)
)


def has_contact_point(
    state: StateProfile,
    day: float,
    calendar: TreatyCalendar,
    lever_day: float = _NEVER,
    g7_network: bool = False,
) -> bool:
    """Whether ``state`` has a 24/7 point of contact on ``day``.

    The rule: a state has one if the world data says so (``contact_24_7``), if a lever gave it
    one from ``lever_day`` on or before ``day`` (``preservation_24_7``), or if it is a party to
    the Budapest Convention on ``day``, since Art. 35 obliges every party to designate one; a
    party made by a ``join`` lever or by adaptive treaty uptake counts from the day it joins.
    Members of the G7 24/7 network count only when the scenario says so (``g7_network``):
    its membership is not published, so the per-state flag is an uncertain input.

    Args:
        state: The state.
        day: The simulation day.
        calendar: The run's treaty calendar (with its levers' and accessions' changes).
        lever_day: The first day a lever gives the state a contact (infinity if none does).
        g7_network: Whether members of the G7 24/7 network count as contacts.
    """
    return (
        state.facts.contact_24_7
        or lever_day <= day
        or calendar.is_party(state.iso3, BUDAPEST, day)
        or (g7_network and state.params.g7_network)
    )


def preservation_open(
    requesting: StateProfile,
    requested: StateProfile,
    day: float,
    calendar: TreatyCalendar,
    lever_days: Mapping[str, float] | None = None,
    g7_network: bool = False,
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
        g7_network: Whether members of the G7 24/7 network count as contacts.
    """
    days = lever_days or {}
    return has_contact_point(
        requesting, day, calendar, days.get(requesting.iso3, _NEVER), g7_network
    ) and has_contact_point(requested, day, calendar, days.get(requested.iso3, _NEVER), g7_network)


def preservation_path(
    requesting: StateProfile,
    requested: StateProfile,
    day: float,
    calendar: TreatyCalendar,
    lever_days: Mapping[str, float] | None = None,
    g7_network: bool = False,
) -> int:
    """The path by which a request's data can be preserved on ``day`` (``NO_PATH`` if none).

    The first open path in the order of ``PRESERVATION_PATHS`` is taken: the treaties first,
    since they bind the requested state (Budapest Art. 29 between parties, with its hold until
    the decision; an e-Evidence preservation order between states bound by the Regulation),
    then a request between two 24/7 contacts outside a treaty, then a request straight to the
    holder's providers where they accept foreign ones (``provider_preservation``).

    Args:
        requesting: The requesting state.
        requested: The requested state (where the data is held).
        day: The simulation day.
        calendar: The run's treaty calendar.
        lever_days: The first day a lever gives a state a contact, by ISO3 code.
        g7_network: Whether members of the G7 24/7 network count as contacts.
    """
    a, b = requesting.iso3, requested.iso3
    if calendar.both_bound(a, b, BUDAPEST, day):
        return BUDAPEST_PATH
    if calendar.both_bound(a, b, E_EVIDENCE, day):
        return E_EVIDENCE_PATH
    if preservation_open(requesting, requested, day, calendar, lever_days, g7_network):
        return NETWORK_PATH
    if requested.params.provider_preservation:
        return PROVIDER_PATH
    return NO_PATH
