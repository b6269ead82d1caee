"""A request's expedited preservation, asked of the first path open to its pair of states.

The rules (whether preservation is due, which paths are open, whether it succeeds, how long
it holds) are in :mod:`sim.rules.attempts` and :mod:`sim.rules.preservation`; here they are
asked with the run's own treaty calendar, lever days and settings, and their answer is
written on the request. The journey (:mod:`sim.engine.request`) calls :func:`due` before an
attempt and :func:`preserve` once the preservation time has passed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.engine.streams import uniform_at
from sim.rules import attempts, preservation

if TYPE_CHECKING:
    from sim.engine.model import CooperationModel
    from sim.engine.request import Request


def due(model: CooperationModel, req: Request, nominal_days: float) -> int:
    """The path by which ``req`` asks for preservation before an attempt (0: none).

    The rules say whether it is due (the data would outlive neither the channel's
    ``nominal_days`` nor the margin); then the first path open to the pair is taken. What
    was due and open is noted on the request, for the driver of a later loss.
    """
    settings, day = model.config.preservation, model.env.now
    if not attempts.asks_preservation(
        settings.enabled, req.preserved, req.expiry, day, nominal_days, settings.margin_days
    ):
        return 0
    req.preservation_due = True
    path = preservation.preservation_path(
        req.requesting.profile,
        req.requested.profile,
        day,
        model.calendar,
        model.contact_days,
        settings.g7_network,
    )
    if path:
        req.path_open = True
    return path


def preserve(
    model: CooperationModel, req: Request, lever_gap: float, position: int, path: int
) -> None:
    """The answer to ``req``'s preservation request by ``path`` once its time has passed.

    A draw (at ``position`` of the request's key) decides it if the data are still held;
    preserved data are held for the path's hold and renewals (``renewed_hold``) and kept
    until the decision where the path says so. ``lever_gap`` is the levers' share of the
    chance of failure left. The run's timeline, if kept, notes the step.
    """
    settings, day = model.config.preservation, model.env.now
    if attempts.data_held(day, req.expiry) and attempts.preservation_succeeds(
        uniform_at(position), settings.p_success, lever_gap
    ):
        terms = model.preservation_paths[path]
        req.preserved = True
        req.preservation = path
        req.kept_pending = terms.until_decision
        hold = attempts.renewed_hold(terms.hold_days, terms.renewal_days, terms.renewals)
        req.expiry = attempts.preserved_expiry(req.expiry, day, hold)
    if (trace := model.trace_of(req)) is not None:
        trace.preservation(req, path, day)
