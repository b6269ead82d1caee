"""Adaptive states: the behaviours a scenario switches on, and what they give a request.

The behaviours themselves (capacity response, reciprocity, trust, treaty uptake; DESIGN
section 1) are the entries of :data:`sim.engine.behaviours.BEHAVIOURS`. :class:`Adaptation`
starts those with a positive strength, passes each final request outcome to those that learn,
and combines the modifiers they give into the two the request process asks for. The
behaviours' state is recorded in ``timeseries.parquet`` (staff, trust placed in each state,
Budapest membership) so their effect can be seen; :data:`TIMESERIES_COLUMNS` is the registry
of its columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sim.engine.behaviours import BEHAVIOURS, MODIFIERS, Behaviour
from sim.engine.records import STATE_COLUMNS
from sim.vocabulary import PENDING

if TYPE_CHECKING:
    from sim.engine.model import CooperationModel
    from sim.engine.request import Request

TIMESERIES_COLUMNS = (
    *STATE_COLUMNS,
    *(column for entry in BEHAVIOURS.values() for column in entry.columns),
)
"""The registry of time-series columns after ``day`` and ``state``: each state's own, then each
behaviour's, in the order of :data:`BEHAVIOURS` (the same in every run, whatever is on)."""

PairModifier = Callable[[int, int], float]


def _combined(name: str, behaviours: Iterable[Behaviour]) -> PairModifier:
    """One modifier from the behaviours that give it: the neutral value if none does."""
    parts: list[PairModifier] = [getattr(b, name) for b in behaviours if name in b.modifiers]
    neutral, combine = MODIFIERS[name]
    if len(parts) == 1:
        return parts[0]  # the usual cases (one behaviour, or none) are the hot path's: no loop

    if not parts:

        def unchanged(requested: int, requesting: int) -> float:
            return neutral

        return unchanged

    def modifier(requested: int, requesting: int) -> float:
        value = neutral
        for part in parts:
            value = combine(value, part(requested, requesting))
        return value

    return modifier


class Adaptation:
    """The adaptive behaviours of one run.

    Args:
        model: The model whose states adapt (its config's ``adaptation`` section is used).

    Attributes:
        active: The behaviours switched on, by name, started in the order of the registry.
        observing: Whether any of them learns from request outcomes (:meth:`observe`).
        review_time_factor: ``(requested, requesting) ->`` the multiplier on the requested
            state's legal review time and returns for clarification (1.0 with none on).
        queue_delay: ``(requested, requesting) ->`` the days a normal request is put back in
            line at the requested state's central authority (0.0 with none on).
    """

    def __init__(self, model: CooperationModel) -> None:
        settings = model.config.adaptation
        self.active: dict[str, Behaviour] = {
            name: entry(model)
            for name, entry in BEHAVIOURS.items()
            if getattr(settings, entry.strength) > 0.0
        }
        behaviours = list(self.active.values())
        self._learners = tuple(b.on_outcome for b in behaviours if b.learns)
        self.observing = bool(self._learners)
        self.review_time_factor = _combined("review_time_factor", behaviours)
        self.queue_delay = _combined("queue_delay", behaviours)
        self.trust_factor = self.review_time_factor
        """The name ``sim.engine.request`` uses for :attr:`review_time_factor`."""

    def observe(self, req: Request, outcome: int, day: float) -> None:
        """Let the behaviours learn from a request's final outcome (pending ones teach nothing)."""
        if outcome == PENDING:
            return
        for learn in self._learners:
            learn(req, outcome, day)
