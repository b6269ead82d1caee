"""Drive a request's generator through SimPy events without a ``simpy.Process``.

A ``simpy.Process`` costs two events of its own besides the ones it waits on: the
``Initialize`` event that starts it, and the event of its own end, which nobody waits on
here. A run has over a million requests and most of them (direct requests to a provider)
wait on one event only (or none: ``request.settle``), so those two events were most of their
scheduling. :func:`start` runs the generator at once, up to its first event, and resumes it
from that event's callbacks; it ends silently when the generator returns.

What it does not do, because the journeys never need it: pass an event's value into the
generator (every ``yield`` in a journey is a wait, its value unused), throw a failed event
into the generator (timeouts and queue grants never fail), or let anyone wait on the
journey's end. An exception inside a journey propagates out of ``env.run`` as it would
from a process nobody waits on.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from simpy.events import Event


class _Driver:
    """Resumes one generator each time the event it last yielded is processed."""

    __slots__ = ("_generator", "_resume")

    def __init__(self, generator: Generator[Event, Any, None]) -> None:
        self._generator = generator
        self._resume = self._step  # one bound method, appended to every event waited on

    def _step(self, _event: Event | None = None) -> None:
        send = self._generator.send
        while True:
            try:
                event = send(None)
            except StopIteration:
                # Break the cycle (self -> bound method -> self): the driver and its generator
                # are freed at once, not by the collector (a tenth of a run's time).
                self._resume = None
                return
            callbacks = event.callbacks
            if callbacks is not None:
                callbacks.append(self._resume)
                return
            # The event was processed already (a grant given at once): go on now.


def start(generator: Generator[Event, Any, None]) -> None:
    """Run ``generator`` now, up to its first wait, and on from each event it waits on."""
    _Driver(generator)._step()
