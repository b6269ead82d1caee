"""A priority service queue for SimPy processes: servers, a waiting line, urgent first.

SimPy's ``PriorityResource`` re-sorts its whole waiting list on every arrival, which costs
O(n log n) per request once a central authority has a backlog of thousands. This queue keeps
the waiting line as a binary heap (O(log n)) and hands a freed server straight to the next
request. Within a priority, requests are served first come, first served.

A request that finds a server free is granted at once, with an event that is already
processed: the process goes on without a trip through SimPy's event queue (over half the
requests at a central authority that is not saturated). The order in which processes run at
one instant may differ from a scheduled grant's, but no draw depends on it (every draw is
keyed by the request, not by event order).
"""

from __future__ import annotations

from heapq import heappop, heappush

import simpy


class ServiceQueue:
    """Servers with a waiting line ordered by priority (lower first), then by arrival.

    A process asks for a server with ``yield queue.request(priority)`` and gives it back with
    ``queue.release()`` when its service is done. Within a priority, requests are served in
    order of arrival, or of an arrival time pushed back by ``delay`` days (reciprocity).

    Args:
        env: The SimPy environment.
        capacity: Number of servers (staff); may change during a run.
    """

    __slots__ = ("_arrivals", "_granted", "_waiting", "busy", "capacity", "env")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.env = env
        self.capacity = capacity
        self.busy = 0
        self._waiting: list[tuple[float, float, int, simpy.Event]] = []
        self._arrivals = 0
        # One processed event for every grant given at once: it carries no value, and both
        # SimPy's processes and sim.engine.driver go on at once from a processed event.
        self._granted = simpy.Event(env)
        self._granted._ok, self._granted._value = True, None
        self._granted.callbacks = None

    def request(self, priority: float = 0.0, delay: float = 0.0) -> simpy.Event:
        """An event that fires when a server is assigned to the caller.

        Args:
            priority: Lower is served first (urgent requests use 0, normal ones 1).
            delay: Days added to the caller's arrival time for its place in line.
        """
        if self.busy < self.capacity:
            self.busy += 1
            return self._granted
        event = simpy.Event(self.env)
        heappush(self._waiting, (priority, self.env.now + delay, self._arrivals, event))
        self._arrivals += 1
        return event

    def release(self) -> None:
        """Free a server: it goes to the first request in line, if any and if still staffed."""
        if self._waiting and self.busy <= self.capacity:
            heappop(self._waiting)[3].succeed()
        else:
            self.busy -= 1

    def set_capacity(self, capacity: int) -> None:
        """Change the number of servers; new servers start on waiting requests at once.

        Servers above a reduced capacity finish their current request first.
        """
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        while self._waiting and self.busy < capacity:
            self.busy += 1
            heappop(self._waiting)[3].succeed()

    @property
    def waiting(self) -> int:
        """Requests waiting for a server."""
        return len(self._waiting)

    def __len__(self) -> int:
        """Requests waiting or in service."""
        return self.busy + len(self._waiting)
