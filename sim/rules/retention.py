"""How long a holder state's providers keep each data type (docs/model.md, section 7.2).

Providers keep subscriber data for the life of an account, content until the user deletes it,
and traffic data (logs, IP addresses) for days to months; a statute of the holder state may
set the traffic period (``retention_days``, the ``RET-*`` rows of observables.csv). The
periods are resolved once per holder state, so a need's expiry is one lookup by data type.
"""

from __future__ import annotations

from sim.config.schema import Retention, StateParameters
from sim.vocabulary import DATA_TYPES


def retention_periods(params: StateParameters, defaults: Retention) -> tuple[float, ...]:
    """The days a holder's providers keep each data type, in the order of ``DATA_TYPES``.

    A statute of the holder state (``retention_days``) sets the traffic-data period: retention
    laws (the Data Retention Directive and its national successors) cover traffic and location
    data; subscriber data and content are kept for business reasons, by provider practice.

    Args:
        params: The holder state's parameters.
        defaults: The scenario's periods by data type where no statute says.
    """
    periods = {
        "subscriber": defaults.subscriber_days,
        "traffic": params.retention_days or defaults.traffic_days,
        "content": defaults.content_days,
    }
    return tuple(periods[name] for name in DATA_TYPES)
