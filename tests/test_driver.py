"""Tests for sim.engine.driver: generators run through SimPy events without a Process."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Generator
from typing import Any

import simpy

from sim.engine import driver


def _waits(env: simpy.Environment, log: list[tuple[str, float]], days: list[float]) -> Generator:
    log.append(("start", env.now))
    for day in days:
        yield env.timeout(day)
        log.append(("woke", env.now))
    log.append(("end", env.now))


def test_runs_at_once_up_to_its_first_wait() -> None:
    """``start`` runs the generator's first part before returning, with no event scheduled."""
    env = simpy.Environment()
    log: list[tuple[str, float]] = []
    driver.start(_waits(env, log, [2.0]))
    assert log == [("start", 0.0)]
    assert env.peek() == 2.0  # only the generator's own timeout is pending


def test_resumes_from_each_event_at_its_time() -> None:
    """Each wait resumes the generator when its event is processed, at the event's time."""
    env = simpy.Environment()
    log: list[tuple[str, float]] = []
    driver.start(_waits(env, log, [1.5, 2.0]))
    env.run()
    assert log == [("start", 0.0), ("woke", 1.5), ("woke", 3.5), ("end", 3.5)]


def test_a_generator_without_waits_ends_at_start() -> None:
    """A journey that never waits (no channel open) is over when ``start`` returns."""
    env = simpy.Environment()
    log: list[tuple[str, float]] = []
    driver.start(_waits(env, log, []))
    assert log == [("start", 0.0), ("end", 0.0)]
    assert env.peek() == float("inf")


def test_an_event_already_processed_does_not_stall_it() -> None:
    """Yielding an event that was processed already goes straight on, as a Process would."""
    env = simpy.Environment()
    done = env.event()
    done.succeed()
    env.run()  # ``done`` is processed: its callbacks are gone
    log: list[str] = []

    def journey() -> Generator[Any, Any, None]:
        yield done
        log.append("past")
        yield env.timeout(1.0)
        log.append("woke")

    driver.start(journey())
    assert log == ["past"]
    env.run()
    assert log == ["past", "woke"]


def test_order_matches_a_process_for_waits_on_a_shared_resource() -> None:
    """Two driven generators queue for one server in the order they were started."""
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    served: list[tuple[str, float]] = []

    def client(name: str) -> Generator[Any, Any, None]:
        with server.request() as grant:
            yield grant
            yield env.timeout(1.0)
            served.append((name, env.now))

    driver.start(client("first"))
    driver.start(client("second"))
    env.run()
    assert served == [("first", 1.0), ("second", 2.0)]


def test_a_finished_generator_is_freed_without_the_collector() -> None:
    """Once its generator returns, nothing of a driven journey waits for the cyclic collector.

    A driver that kept a bound method of itself would be a cycle: millions of them, one a
    request, made the collector's young generation a tenth of a run's time.
    """
    env = simpy.Environment()
    log: list[tuple[str, float]] = []
    generator = _waits(env, log, [1.0])
    watched = weakref.ref(generator)
    gc.disable()
    try:
        driver.start(generator)
        del generator
        env.run()
        assert log[-1] == ("end", 1.0)
        assert watched() is None  # freed by reference counting alone
    finally:
        gc.enable()
