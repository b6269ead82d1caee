"""Which cooperation channels are open to a pair of states, and in what order they are tried.

Eligibility follows DESIGN's table: a channel opens when both states are bound by its
instrument (or linked by its bilateral tie) on the day of the request, and when it can obtain
the data type wanted. The requesting state tries the open channels fastest first, judging
speed by each channel's ``nominal_days``. Letters rogatory are always open: the diplomatic
channel needs no treaty. (Whether 24/7 preservation is open is :mod:`sim.rules.preservation`.)
"""

from __future__ import annotations

from collections.abc import Callable

from sim.config.schema import Channels
from sim.world.build import StateProfile
from sim.world.treaties import TreatyCalendar

FORMAL_MLA = ("bilateral_mlat", "budapest_mla", "un_convention_mla", "letters_rogatory")
"""The formal mutual legal assistance channels: through central authorities, slow, costly."""

Rule = Callable[[TreatyCalendar, StateProfile, StateProfile, str, float], bool]


def _direct_provider(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    # The provider's home law must allow voluntary disclosure; content never goes this way.
    return b.params.voluntary_disclosure and data != "content"


def _second_protocol(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    return cal.both_bound(a.iso3, b.iso3, "second_protocol", day)


def _e_evidence(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    return cal.both_bound(a.iso3, b.iso3, "e_evidence", day)


def _eio(cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float) -> bool:
    return cal.both_bound(a.iso3, b.iso3, "eio", day)


def _cloud_act(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    return cal.has_tie("cloud_act", a.iso3, b.iso3, day)


def _bilateral_mlat(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    return cal.has_tie("mlat", a.iso3, b.iso3, day)


def _budapest_mla(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    # Art. 27 applies only where no treaty is in force between the two parties.
    return cal.both_bound(a.iso3, b.iso3, "budapest", day) and not cal.has_tie(
        "mlat", a.iso3, b.iso3, day
    )


def _un_convention_mla(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    return cal.both_bound(a.iso3, b.iso3, "un_cybercrime", day)


def _letters_rogatory(
    cal: TreatyCalendar, a: StateProfile, b: StateProfile, data: str, day: float
) -> bool:
    return True


ELIGIBILITY: dict[str, Rule] = {
    "direct_provider": _direct_provider,
    "second_protocol": _second_protocol,
    "e_evidence": _e_evidence,
    "eio": _eio,
    "cloud_act": _cloud_act,
    "bilateral_mlat": _bilateral_mlat,
    "budapest_mla": _budapest_mla,
    "un_convention_mla": _un_convention_mla,
    "letters_rogatory": _letters_rogatory,
}


class ChannelRouter:
    """Ranks the channels open to a request, caching the answer between treaty changes.

    Args:
        channels: The scenario's channel settings.
        calendar: The treaty calendar of the run.
    """

    def __init__(self, channels: Channels, calendar: TreatyCalendar) -> None:
        self._calendar = calendar
        ranked = sorted(
            ((name, channel) for name, channel in channels.items() if channel.enabled),
            key=lambda item: item[1].nominal_days,
        )
        self._ranked = [
            (name, frozenset(channel.data_types), ELIGIBILITY[name]) for name, channel in ranked
        ]
        self._cache: dict[tuple[str, str, str, int, int], tuple[str, ...]] = {}

    def open_channels(
        self, requesting: StateProfile, requested: StateProfile, data_type: str, day: float
    ) -> tuple[str, ...]:
        """The channels open to this request on ``day``, fastest first."""
        calendar = self._calendar
        key = (requesting.iso3, requested.iso3, data_type, calendar.epoch(day), calendar.version)
        found = self._cache.get(key)
        if found is None:
            found = tuple(
                name
                for name, data_types, rule in self._ranked
                if data_type in data_types and rule(calendar, requesting, requested, data_type, day)
            )
            self._cache[key] = found
        return found
