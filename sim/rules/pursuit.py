"""Whether an investigator turns an evidence need abroad into a formal request at all.

Many needs that only formal mutual legal assistance could serve are never pursued: "MLA is
considered too complex, lengthy and resource-intensive ... and thus often not pursued" (T-CY
2014), and investigations are dropped when the evidence would come too late (docs/model.md,
section 7.4). The decision is modelled from its mechanisms rather than as one flat chance:

    P(pursue) = min(1, pursuit_scale x seriousness(crime) x value(data type))
                x P(patience > expected delay of the channel)

The patience of an investigation is lognormal (median ``patience_days`` of its crime type,
log-sd ``patience_sigma``; an urgent case has ``routing.urgent_patience`` of it), and the
delay the investigator expects on a channel is its ``nominal_days`` times its
``time_scale``, so a reform that makes a formal channel faster (or a calibration that finds
it slower) moves the decision. The survival of the patience is in closed form
(:func:`math.erfc`), so the decision is one comparison of the need's own uniform (keyed by
the need, docs/model.md section 4.9) with a probability cached per crime type, data type,
urgency and channel. Channels that are not formal MLA are fast and always pursued, and so is
a need with no channel open (it is requested and abandoned for want of a channel).

The same rule decides the escalation after a provider declines a direct request (section
7.5), with the expected delay of the next channel, and there for every channel: after a
voluntary request is refused, any further step needs a compelled order or a formal request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sim.config.schema import Channel, CrimeType, Routing
from sim.rules.channels import FORMAL_MLA
from sim.rules.lever_kinds import NEUTRAL
from sim.vocabulary import DATA_TYPES, STAGES

UNCHANGED = NEUTRAL.stage_time
"""The stage-time factors of a pair no lever acts on (the default of every method)."""

_ROOT_HALF = math.sqrt(0.5)


def patience_outlasts(expected_days: float, median_days: float, sigma: float) -> float:
    """The chance that a lognormal patience exceeds the expected delay.

    ``P(T > d)`` for ``ln T ~ N(ln median, sigma^2)`` is ``erfc(z / sqrt 2) / 2`` with
    ``z = (ln d - ln median) / sigma``; a spread of 0 makes the patience the median itself.

    Args:
        expected_days: The delay the investigator expects on the channel.
        median_days: The median patience of the case.
        sigma: The log-sd of the patience.
    """
    if expected_days <= 0.0:
        return 1.0
    if sigma <= 0.0:
        return 1.0 if median_days > expected_days else 0.0
    z = (math.log(expected_days) - math.log(median_days)) / sigma
    return 0.5 * math.erfc(z * _ROOT_HALF)


def pursuit_probability(
    value: float, expected_days: float, median_days: float, sigma: float
) -> float:
    """P(pursue) of a need on a slow channel: its value (clipped to 1) times the patience's.

    Args:
        value: ``pursuit_scale x seriousness x data value`` of the need (clipped to [0, 1]).
        expected_days: The delay the investigator expects on the channel.
        median_days: The median patience of the case (urgent cases: a fraction of it).
        sigma: The log-sd of the patience.
    """
    return min(1.0, max(0.0, value)) * patience_outlasts(expected_days, median_days, sigma)


class PursuitRule:
    """The pursuit rule of one scenario, with its probabilities cached.

    A run meets a few hundred distinct (channel, crime type, data type, urgency) keys, so
    each probability is computed once.

    Args:
        routing: The scenario's ``routing`` settings.
        crime_types: The crime types, in the order the model numbers them.
        channels: The enabled channels' settings, by name.
    """

    def __init__(
        self, routing: Routing, crime_types: Sequence[CrimeType], channels: Mapping[str, Channel]
    ) -> None:
        self._routing = routing
        self._crime_types = tuple(crime_types)
        self._expected = {
            name: channel.nominal_days * channel.time_scale for name, channel in channels.items()
        }
        self._weights = {name: _stage_weights(channel) for name, channel in channels.items()}
        self._values = tuple(getattr(routing.data_value, name) for name in DATA_TYPES)
        self._cache: dict[tuple[str, int, int, bool, float], float] = {}

    def expected_days(self, channel: str, stage_time: tuple[float, ...] = UNCHANGED) -> float:
        """The delay an investigator expects on ``channel``: nominal days times time scale.

        Levers in force for the pair (``stage_time``, :class:`~sim.rules.lever_kinds.Effects`)
        change it as they change the channel's stages: by their factors, each weighted by
        its stage's share of the channel's mean time, so investigators expect a reformed
        channel to be as much faster as it is on average.
        """
        return self._expected[channel] * self._speed(channel, stage_time)

    def _speed(self, channel: str, stage_time: tuple[float, ...]) -> float:
        if stage_time is UNCHANGED or stage_time == UNCHANGED:  # exactly 1, as without levers
            return 1.0
        return sum(w * f for w, f in zip(self._weights[channel], stage_time, strict=True))

    def probability(
        self,
        channel: str,
        crime: int,
        data_type: int,
        urgent: bool,
        stage_time: tuple[float, ...] = UNCHANGED,
    ) -> float:
        """The chance that a need whose best (or next) channel is ``channel`` is pursued.

        Args:
            channel: The channel the request would go to.
            crime: The crime type's number.
            data_type: The data type's number in ``DATA_TYPES``.
            urgent: Whether the case is urgent (its patience is a fraction of the median).
            stage_time: The levers' factors on the stage times for the pair, if any.
        """
        if channel not in FORMAL_MLA:
            return 1.0
        return self.escalation(channel, crime, data_type, urgent, stage_time)

    def escalation(
        self,
        channel: str,
        crime: int,
        data_type: int,
        urgent: bool,
        stage_time: tuple[float, ...] = UNCHANGED,
    ) -> float:
        """The chance that investigators go on to ``channel`` after a provider declined.

        A declined direct request is a voluntary request refused; every further step is a
        compelled order (a CLOUD Act order, a European Production Order, an EIO) or a formal
        request, drafted by a prosecutor and issued or validated by a judge. So it is weighed
        as a slow formal request is, whatever the channel: the need's value (seriousness x data
        value x ``pursuit_scale``) times the chance that the patience outlasts that channel's
        expected delay, which for a fast channel is close to 1 (docs/model.md section 7.5).

        Args:
            channel: The next channel of the request's routes.
            crime: The crime type's number.
            data_type: The data type's number in ``DATA_TYPES``.
            urgent: Whether the case is urgent.
            stage_time: The levers' factors on the stage times for the pair, if any.
        """
        speed = self._speed(channel, stage_time)
        key = (channel, crime, data_type, urgent, speed)
        p = self._cache.get(key)
        if p is None:
            routing, crime_type = self._routing, self._crime_types[crime]
            median = crime_type.patience_days * (routing.urgent_patience if urgent else 1.0)
            value = routing.pursuit_scale * crime_type.seriousness * self._values[data_type]
            p = pursuit_probability(
                value, self._expected[channel] * speed, median, crime_type.patience_sigma
            )
            self._cache[key] = p
        return p

    def pursues(
        self,
        routes: tuple[str, ...],
        u: float,
        crime: int,
        data_type: int,
        urgent: bool,
        stage_time: tuple[float, ...] = UNCHANGED,
    ) -> bool:
        """Whether a need becomes a request: always, unless its best channel is formal MLA.

        Args:
            routes: The channels open to the need, fastest first.
            u: The need's pursuit uniform on [0, 1).
            crime: The crime type's number.
            data_type: The data type's number.
            urgent: Whether the case is urgent.
            stage_time: The levers' factors on the stage times for the pair, if any.
        """
        if not routes or routes[0] not in FORMAL_MLA:
            return True
        return u < self.probability(routes[0], crime, data_type, urgent, stage_time)


def _stage_weights(channel: Channel) -> tuple[float, ...]:
    """Each stage's share of the channel's mean time, in ``STAGES`` order (0 off its path)."""
    means = {name: channel.stages[name].time.expected() for name in channel.path()}
    total = math.fsum(means.values())
    if total <= 0.0:
        return tuple(1.0 / len(STAGES) for _ in STAGES)
    return tuple(means.get(name, 0.0) / total for name in STAGES)
