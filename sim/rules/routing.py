"""The router: which channels are open to a request on a day, fastest first, cached.

It reads the channel registry (:mod:`sim.rules.channels`): each enabled channel's rule, data
types and ``nominal_days``. The answer depends on the two states (and whether the holder's
provider offers services in the Union), the data type, whether the request is urgent (the
Second Protocol's emergency channels, Arts. 9 and 10, are for urgent requests only) and the
treaty calendar's state on the day, so it is cached per treaty epoch: the engine asks once per
evidence need, millions of times a run. A channel that opens by the request rather than by the
pair (``per_request`` in the registry: the emergency path, which needs an urgent case in
danger) is never listed here, so the cache stays right whatever the request; the model adds
it to a qualifying need.
"""

from __future__ import annotations

import math

from sim.config.schema import Channels
from sim.rules import channels as registry
from sim.world.build import StateProfile
from sim.world.treaties import TreatyCalendar

_Key = tuple[str, str, bool | None, str]
"""A cache key: requesting and requested state, provider in the Union (or None), data type."""
_Routes = tuple[str, ...]


class ChannelRouter:
    """Ranks the channels open to a request, caching the answer between treaty changes.

    Args:
        channels: The scenario's channel settings.
        calendar: The treaty calendar of the run.
    """

    def __init__(self, channels: Channels, calendar: TreatyCalendar) -> None:
        self._calendar = calendar
        specs = {spec.name: spec for spec in registry.CHANNEL_SPECS}  # read now: patchable
        per_request = registry.PER_REQUEST
        ranked = sorted(
            (
                (name, channel)
                for name, channel in channels.items()
                if channel.enabled and name not in per_request
            ),
            key=lambda item: item[1].nominal_days,
        )
        self._ranked = [
            (name, frozenset(channel.data_types), specs[name].rule, specs[name].emergency_only)
            for name, channel in ranked
        ]
        # One cache per treaty epoch (the days between two change days) and calendar version,
        # keyed by the pair (with whether the holder's provider offers services in the Union,
        # which the e-Evidence rule reads) and the data type, holding the answers for a normal
        # and an urgent request; the current one is
        # kept with its day bounds, so a call inside them costs one comparison and one lookup,
        # no bisect.
        self._caches: dict[tuple[int, int], dict[_Key, tuple[_Routes, _Routes]]] = {}
        self._cache: dict[_Key, tuple[_Routes, _Routes]] = {}
        self._low = self._high = 0.0
        self._version = -1

    def _enter_epoch(self, day: float) -> None:
        """Make the cache of the epoch that contains ``day`` the current one."""
        calendar = self._calendar
        epoch = calendar.epoch(day)
        changes = calendar.change_days
        self._low = changes[epoch - 1] if epoch > 0 else -math.inf
        self._high = changes[epoch] if epoch < len(changes) else math.inf
        self._version = calendar.version
        self._cache = self._caches.setdefault((epoch, calendar.version), {})

    def open_channels(
        self,
        requesting: StateProfile,
        requested: StateProfile,
        data_type: str,
        day: float,
        urgent: bool = False,
    ) -> tuple[str, ...]:
        """The channels open to this request on ``day``, fastest first.

        ``requested`` may be a :class:`~sim.world.build.HolderProfile`: whether its provider
        offers services in the Union is then part of the cache key (the e-Evidence rule). A
        channel for emergencies only (CETS 224 Arts. 9 and 10) is open to an urgent request
        only: each cache entry holds the answer for a normal and for an urgent request.
        """
        if not self._low <= day < self._high or self._version != self._calendar.version:
            self._enter_epoch(day)
        key = (
            requesting.iso3,
            requested.iso3,
            getattr(requested, "provider_in_union", None),
            data_type,
        )
        found = self._cache.get(key)
        if found is None:
            # Both answers at once: (normal, urgent). Most keys are asked for both, and the
            # urgent one differs only by the emergency-only channels open to the pair.
            calendar = self._calendar
            ranked = [
                (name, emergency_only)
                for name, data_types, rule, emergency_only in self._ranked
                if data_type in data_types and rule(calendar, requesting, requested, data_type, day)
            ]
            urgent_routes = tuple(name for name, _ in ranked)
            normal = tuple(name for name, emergency_only in ranked if not emergency_only)
            found = self._cache[key] = (
                normal,
                urgent_routes if urgent_routes != normal else normal,
            )
        return found[urgent]
