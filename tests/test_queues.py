"""Tests of ``sim.engine.queues``: the priority service queue used by central authorities."""

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from sim.engine.queues import ServiceQueue


def customer(
    env: simpy.Environment,
    queue: ServiceQueue,
    name: str,
    service: float,
    log: list[tuple[str, float, float]],
    priority: float = 0.0,
    arrive: float = 0.0,
) -> Generator[Any, Any, None]:
    """Arrive at ``arrive``, wait for a server, hold it ``service`` days; log (name, start, end)."""
    if arrive:
        yield env.timeout(arrive)
    yield queue.request(priority)
    start = env.now
    yield env.timeout(service)
    queue.release()
    log.append((name, start, env.now))


def starts(log: list[tuple[str, float, float]]) -> dict[str, float]:
    """Service start time of each customer."""
    return {name: start for name, start, _ in log}


def test_capacity_must_be_positive() -> None:
    """A queue without servers is refused, at creation and when resized."""
    env = simpy.Environment()
    with pytest.raises(ValueError, match="at least 1"):
        ServiceQueue(env, 0)
    queue = ServiceQueue(env, 1)
    with pytest.raises(ValueError, match="at least 1"):
        queue.set_capacity(0)


def test_free_server_is_granted_at_once() -> None:
    """A request to an idle queue is granted immediately, without waiting."""
    env = simpy.Environment()
    queue = ServiceQueue(env, 2)
    event = queue.request()
    assert event.triggered
    assert queue.busy == 1
    assert queue.waiting == 0
    assert len(queue) == 1


def test_grant_given_at_once_needs_no_trip_through_the_event_queue() -> None:
    """A free server's grant is an event processed already: a SimPy process goes straight on.

    Nothing is scheduled for it, so the process holds the server and starts its service in
    the same step, before any other event of that instant is processed.
    """
    env = simpy.Environment()
    queue = ServiceQueue(env, 1)
    granted = queue.request()
    assert granted.processed and granted.ok and granted.value is None
    assert env.peek() == float("inf")  # nothing was scheduled
    log: list[tuple[str, float, float]] = []
    queue.release()
    env.process(customer(env, queue, "a", 2.0, log))
    env.process(customer(env, queue, "b", 1.0, log))
    env.run()
    assert log == [("a", 0.0, 2.0), ("b", 2.0, 3.0)]


def test_first_come_first_served_within_a_priority() -> None:
    """Requests of equal priority are served in arrival order."""
    env = simpy.Environment()
    queue = ServiceQueue(env, 1)
    log: list[tuple[str, float, float]] = []
    for i, name in enumerate("abcde"):
        env.process(customer(env, queue, name, 1.0, log, priority=1, arrive=0.1 * i))
    env.run()
    assert [name for name, _, _ in log] == list("abcde")
    assert starts(log) == pytest.approx({"a": 0.1 * 0, "b": 1.0, "c": 2.0, "d": 3.0, "e": 4.0})


def test_lower_priority_number_is_served_first() -> None:
    """A waiting urgent request (priority 0) overtakes earlier non-urgent ones (priority 1).

    Service is not pre-empted: the request already in service finishes first.
    """
    env = simpy.Environment()
    queue = ServiceQueue(env, 1)
    log: list[tuple[str, float, float]] = []
    env.process(customer(env, queue, "running", 1.0, log, priority=1))
    env.process(customer(env, queue, "slow1", 1.0, log, priority=1, arrive=0.1))
    env.process(customer(env, queue, "slow2", 1.0, log, priority=1, arrive=0.2))
    env.process(customer(env, queue, "urgent", 1.0, log, priority=0, arrive=0.3))
    env.run()
    assert [name for name, _, _ in log] == ["running", "urgent", "slow1", "slow2"]
    assert starts(log)["urgent"] == pytest.approx(1.0)


def test_capacity_bounds_the_requests_in_service() -> None:
    """No more requests are in service at once than there are servers."""
    env = simpy.Environment()
    queue = ServiceQueue(env, 3)
    log: list[tuple[str, float, float]] = []
    for i in range(10):
        env.process(customer(env, queue, str(i), 2.0, log))
    env.run(until=0.5)
    assert queue.busy == 3
    assert queue.waiting == 7
    assert len(queue) == 10
    env.run()
    events = sorted([(s, 1) for _, s, _ in log] + [(e, -1) for _, _, e in log])
    in_service = np.cumsum([step for _, step in events])
    assert in_service.max() == 3
    assert sorted(starts(log).values()) == [0, 0, 0, 2, 2, 2, 4, 4, 4, 6]


def test_release_hands_the_server_to_the_next_waiter() -> None:
    """On release the first waiter gets the server at that instant; the count stays busy."""
    env = simpy.Environment()
    queue = ServiceQueue(env, 1)
    first = queue.request()
    second = queue.request(priority=1)
    third = queue.request(priority=0)
    assert first.triggered
    assert not second.triggered
    assert not third.triggered
    queue.release()
    assert third.triggered
    assert not second.triggered
    assert (queue.busy, queue.waiting) == (1, 1)
    queue.release()
    assert second.triggered
    assert (queue.busy, queue.waiting) == (1, 0)
    queue.release()
    assert (queue.busy, queue.waiting, len(queue)) == (0, 0, 0)


def test_raising_capacity_starts_waiters_at_once() -> None:
    """New servers take waiting requests immediately, in priority order."""
    env = simpy.Environment()
    queue = ServiceQueue(env, 1)
    log: list[tuple[str, float, float]] = []
    env.process(customer(env, queue, "a", 10.0, log))
    for i, name in enumerate("bcd"):
        env.process(customer(env, queue, name, 10.0, log, priority=2 - i, arrive=0.1))

    def hire() -> Generator[Any, Any, None]:
        yield env.timeout(1.0)
        queue.set_capacity(3)

    env.process(hire())
    env.run()
    assert starts(log) == pytest.approx({"a": 0.0, "d": 1.0, "c": 1.0, "b": 10.0})
    assert queue.capacity == 3


def test_lowering_capacity_lets_running_requests_finish() -> None:
    """Servers above a reduced capacity finish their request, then are not reused."""
    env = simpy.Environment()
    queue = ServiceQueue(env, 3)
    log: list[tuple[str, float, float]] = []
    for name in "abc":
        env.process(customer(env, queue, name, 5.0, log))
    for name in "de":
        env.process(customer(env, queue, name, 5.0, log, arrive=0.5))

    def cut() -> Generator[Any, Any, None]:
        yield env.timeout(1.0)
        queue.set_capacity(1)
        assert queue.busy == 3  # nobody is interrupted

    env.process(cut())
    env.run()
    assert [end for name, _, end in log if name in "abc"] == [5.0, 5.0, 5.0]
    # Only one of the three freed servers is kept: d starts at 5, e after d.
    assert starts(log)["d"] == pytest.approx(5.0)
    assert starts(log)["e"] == pytest.approx(10.0)
    assert queue.busy == 0


def test_len_and_waiting_count_requests() -> None:
    """``waiting`` counts requests in line; ``len`` adds those in service."""
    env = simpy.Environment()
    queue = ServiceQueue(env, 2)
    for _ in range(5):
        queue.request()
    assert queue.waiting == 3
    assert queue.busy == 2
    assert len(queue) == 5


def mean_wait(
    arrival_rate: float, service_rate: float, servers: int, customers: int, seed: int
) -> float:
    """Mean time in line of a simulated M/M/c queue, after a short warm-up."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / arrival_rate, customers)
    services = rng.exponential(1.0 / service_rate, customers)
    env = simpy.Environment()
    queue = ServiceQueue(env, servers)
    waits = np.empty(customers)

    def job(i: int) -> Generator[Any, Any, None]:
        arrived = env.now
        yield queue.request()
        waits[i] = env.now - arrived
        yield env.timeout(services[i])
        queue.release()

    def source() -> Generator[Any, Any, None]:
        for i in range(customers):
            yield env.timeout(gaps[i])
            env.process(job(i))

    env.process(source())
    env.run()
    return float(waits[customers // 20 :].mean())


def test_mm1_mean_wait_matches_queueing_theory() -> None:
    """An M/M/1 queue waits ρ/(μ−λ) on average in line (here λ=0.5, μ=1: one day)."""
    arrival, service = 0.5, 1.0
    theory = (arrival / service) / (service - arrival)
    # Across seeds the estimate with 100 000 customers stays within about 2.5 %.
    assert mean_wait(arrival, service, 1, 100_000, seed=1) == pytest.approx(theory, rel=0.05)


def test_mm2_mean_wait_matches_erlang_c() -> None:
    """Two servers: the mean wait in line follows the Erlang C formula."""
    arrival, service, c = 1.2, 1.0, 2
    a = arrival / service
    rho = a / c
    p_wait = (a**c / 2 / (1 - rho)) / (1 + a + a**c / 2 / (1 - rho))
    theory = p_wait / (c * service - arrival)
    assert mean_wait(arrival, service, c, 100_000, seed=2) == pytest.approx(theory, rel=0.05)
