"""Throughput of the mlatsim engine against a bare SimPy model of the same queueing network.

What is measured
    The engine (Mesa model, SimPy environment, request process, service queues, columnar
    records) is run on ``scenarios/validation_queueing.toml``: six M/M/3 stages in tandem,
    Poisson arrivals of 2 per day, exponential service of mean 1 day per server. Its horizon is
    stretched so that at least ``--requests`` requests (default 100,000) are created, and one
    replication is run exactly as ``mlatsim run`` runs one
    (:func:`sim.engine.replication.run_replication`:
    world, model construction, daily steps, closing, building the request and time-series
    frames). Imports and scenario loading are not timed.

    The reference is a bare SimPy model of the same network written here: a Poisson arrival
    process and, per request, a process that passes six ``simpy.Resource(capacity=3)`` stages
    with exponential service and records its time in system. It serves the same number of
    requests and runs to completion.

Why a ratio
    Absolute requests per second depend on the machine and on whatever else it is doing, so
    they cannot be compared between runs or machines. Both models are run in the same process,
    alternately (bare, engine, bare, engine, ...), and the best rate of each is kept; the last
    line, ``ratio_vs_bare_simpy: X``, is engine requests/s divided by bare requests/s. The
    target is X >= 0.65 (issue #11): the engine's bookkeeping may cost at most about half as
    much again as the queueing itself. The mean time in system of both models is printed next
    to the analytic Erlang C value as a check that both simulate the network they claim to.

    The engine runs without the optional timeline of each request's steps (``simulation.timeline
    = false``, as the library's scenarios and sweeps run); the same engine keeping it is run
    a third time in each round and reported as ``ratio_with_timeline`` (on this network of six
    queued stages it cost 9% to 16% of the rate in four runs on 2026-12-06).

    With ``--baseline`` (the default) it also runs one replication of ``scenarios/baseline.toml``
    and reports its wall time, its number of requests and its peak memory, both as the
    process's resident-set high-water mark (``ru_maxrss``, what the operating system sees) and
    as the ``tracemalloc`` peak (Python allocations only). ``tracemalloc`` slows the run
    severalfold, so the wall time comes from an untraced run and the ``tracemalloc`` peak from
    a second, traced run (``--no-tracemalloc`` skips it).

Run it from the project root: ``.venv/bin/python bench/throughput.py`` (``make bench``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simpy

from sim.config.loading import load_scenario, validate_settings, with_changes, without_run_out
from sim.config.schema import Scenario
from sim.engine.replication import run_replication
from sim.engine.streams import Stream, stream_seed
from sim.vocabulary import OUTCOMES
from sim.world.build import build_world
from sim.world.data import load_world_data

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / "scenarios" / "validation_queueing.toml"
BASELINE = ROOT / "scenarios" / "baseline.toml"

STAGES = 6
SERVERS = 3
ARRIVAL_RATE = 2.0
"""Requests per day (the validation scenario's 730 cases a year)."""
SERVICE_RATE = 1.0
"""Services per day and server (exponential, mean 1 day)."""
BARE_SEED = 20261128
BATCHES = 20
"""Batches for the batch-means standard error of the mean time in system."""
_FULFILLED = OUTCOMES.index("fulfilled")


def erlang_c_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C formula).

    Args:
        servers: Number of servers c.
        arrival_rate: Poisson arrival rate.
        service_rate: Service rate of one server.

    Returns:
        The mean time a customer waits before service starts.
    """
    load = arrival_rate / service_rate
    if load >= servers:
        return math.inf
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom / (servers * service_rate - arrival_rate)


def analytic_time_in_system() -> float:
    """Mean time in system of the tandem network: 6 x (4/9 + 1) = 8.667 days."""
    per_stage = erlang_c_wait(SERVERS, ARRIVAL_RATE, SERVICE_RATE) + 1.0 / SERVICE_RATE
    return STAGES * per_stage


def mean_and_error(values: Sequence[float]) -> tuple[float, float]:
    """Mean and batch-means standard error (times in system are autocorrelated).

    Args:
        values: Observations in (roughly) arrival order.

    Returns:
        The mean and the standard error from ``BATCHES`` contiguous batches.
    """
    size = len(values) // BATCHES
    if size < 1:
        return statistics.fmean(values), math.nan
    means = [statistics.fmean(values[i * size : (i + 1) * size]) for i in range(BATCHES)]
    return statistics.fmean(values), statistics.stdev(means) / math.sqrt(BATCHES)


# -- the engine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineSetup:
    """The validation scenario stretched to the wanted number of requests."""

    scenario: Scenario
    horizon_days: int
    expected_requests: int
    """Requests the engine will create, replayed from its arrival streams."""


def _arrival_rates(scenario: Scenario) -> dict[str, float]:
    """Cases per day of each state that opens cases, as the model computes them."""
    world = build_world(load_world_data(), scenario)
    rates = {}
    for profile in world.states:
        rate = profile.params.cases_per_year * scenario.demand.scale / 365.0
        if rate > 0.0:
            rates[profile.iso3] = rate
    return rates


def _replayed_arrivals(scenario: Scenario, rates: dict[str, float]) -> int:
    """Cases the model will open in replication 0, replaying its arrival streams.

    The validation scenario has one evidence holder per case, so this is also the number of
    requests. The benchmark checks it against each engine run and follows the engine if they
    ever disagree.
    """
    cutoff = float(scenario.simulation.horizon_days) - scenario.simulation.drain_days
    count = 0
    for iso3, rate in rates.items():
        stream = Stream(stream_seed(scenario.simulation.seed, 0, f"arrivals/{iso3}"))
        now = 0.0
        while True:
            now = now + stream.exponential() / rate
            if now >= cutoff:
                break
            count += 1
    return count


def engine_setup(requests: int) -> EngineSetup:
    """Stretch the validation scenario's horizon so it creates at least ``requests`` requests.

    Args:
        requests: The least number of requests wanted.

    Returns:
        The validated scenario (one replication) and what it will create.
    """
    base = load_scenario(VALIDATION)
    rates = _arrival_rates(base)
    rate = sum(rates.values())
    sim = base.simulation
    # Warm-up and drain on top of the days the requests need, plus five standard deviations of
    # the Poisson count so that the wanted number is reached whatever the seed.
    days = math.ceil((requests + 5.0 * math.sqrt(requests)) / rate)
    horizon = int(sim.warm_up_days + days + sim.drain_days)
    while True:
        settings = base.model_dump()
        settings["simulation"]["end"] = sim.start + dt.timedelta(days=horizon)
        settings["simulation"]["replications"] = 1
        scenario = validate_settings(settings)
        expected = _replayed_arrivals(scenario, rates)
        if expected >= requests:
            return EngineSetup(scenario, horizon, expected)
        horizon += math.ceil((requests - expected) / rate) + 1


@dataclass(frozen=True)
class EngineRun:
    """One timed engine run."""

    seconds: float
    requests: int
    times_in_system: list[float]
    """Time in system of fulfilled requests created after the warm-up, by request id."""
    unfinished: int


def run_engine(scenario: Scenario) -> EngineRun:
    """Run one replication of the engine, timed as a run times it.

    Args:
        scenario: The stretched validation scenario.
    """
    began = time.perf_counter()
    frame, *_ = run_replication(scenario, 0)
    seconds = time.perf_counter() - began
    outcome = frame["outcome"].cat.codes.to_numpy()
    kept = (outcome == _FULFILLED) & (
        frame["created_day"].to_numpy() >= scenario.simulation.warm_up_days
    )
    times = frame["time_to_outcome_days"].to_numpy()[kept].tolist()
    return EngineRun(seconds, len(frame), times, int((outcome != _FULFILLED).sum()))


# -- the bare SimPy reference ----------------------------------------------------------------


def run_bare(
    requests: int, warm_up_days: float, seed: int = BARE_SEED
) -> tuple[float, list[float]]:
    """Simulate the tandem network in plain SimPy with ``requests`` arrivals, to completion.

    Args:
        requests: Number of requests to create.
        warm_up_days: Requests arriving before this are left out of the times returned.
        seed: Seed of the model's random numbers.

    Returns:
        Wall seconds, and the time in system of each request arriving after the warm-up.
    """
    began = time.perf_counter()
    env = simpy.Environment()
    expovariate = random.Random(seed).expovariate
    stages = [simpy.Resource(env, capacity=SERVERS) for _ in range(STAGES)]
    times: list[float] = []
    timeout = env.timeout

    def request() -> Generator[simpy.Event, Any, None]:
        arrived = env.now
        for stage in stages:
            with stage.request() as turn:
                yield turn
                yield timeout(expovariate(SERVICE_RATE))
        if arrived >= warm_up_days:
            times.append(env.now - arrived)

    def arrivals() -> Generator[simpy.Event, Any, None]:
        for _ in range(requests):
            yield timeout(expovariate(ARRIVAL_RATE))
            env.process(request())

    env.process(arrivals())
    env.run()
    return time.perf_counter() - began, times


# -- the baseline scenario -------------------------------------------------------------------


def _maxrss_mb() -> float:
    """The process's resident-set high-water mark in MB (kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _timed(run: Callable[[], int]) -> tuple[float, int]:
    gc.collect()
    began = time.perf_counter()
    count = run()
    return time.perf_counter() - began, count


def report_baseline(with_tracemalloc: bool) -> None:
    """Run replication 0 of the baseline scenario in this process and print its costs.

    Args:
        with_tracemalloc: Also run it a second time under ``tracemalloc`` for the peak of
            Python allocations.
    """
    # Rows per second: without the run-out, whose requests would cost time and leave no row.
    scenario = without_run_out(load_scenario(BASELINE))

    def run() -> int:
        frame, *_ = run_replication(scenario, 0)
        return len(frame)

    print(f"\nbaseline: {BASELINE.relative_to(ROOT)}, replication 0, in this process")
    rss_before = _maxrss_mb()
    seconds, count = _timed(run)
    rss_after = _maxrss_mb()
    print(f"  wall time         {seconds:8.2f} s (untraced run)")
    print(f"  requests          {count:8,d} ({count / seconds:,.0f} requests/s)")
    print(
        f"  ru_maxrss         {rss_after:8.1f} MB  process resident-set high-water mark "
        f"(OS view; {rss_before:.1f} MB before the baseline)"
    )
    if not with_tracemalloc:
        return
    gc.collect()
    tracemalloc.start()
    try:
        traced_seconds, _ = _timed(run)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(
        f"  tracemalloc peak  {peak / 2**20:8.1f} MB  Python allocations only "
        f"(second run, traced: {traced_seconds:.2f} s)"
    )


# -- main ------------------------------------------------------------------------------------


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=100_000, help="least number of requests (100000)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each model (3)")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run one replication of scenarios/baseline.toml (default on)",
    )
    parser.add_argument(
        "--tracemalloc",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the baseline's tracemalloc peak in a second, traced run (default on)",
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.repeats < 1:
        parser.error("--requests and --repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its report, ending with the ratio line."""
    args = _parse(argv)
    setup = engine_setup(args.requests)
    sim = setup.scenario.simulation
    bare_requests = setup.expected_requests
    print(
        f"tandem network: {STAGES} x M/M/{SERVERS}, arrivals {ARRIVAL_RATE:g}/day, "
        f"service {SERVICE_RATE:g}/day per server"
    )
    print(
        f"engine: {VALIDATION.relative_to(ROOT)}, horizon {setup.horizon_days:,d} days "
        f"(warm-up {sim.warm_up_days:g}, drain {sim.drain_days:g}), seed {sim.seed}, "
        f"replication 0, {setup.expected_requests:,d} requests"
    )
    print(f"bare SimPy: simpy {simpy.__version__}, Python {sys.version.split()[0]}")
    print(f"{args.repeats} runs of each, alternating; best rate counts\n")

    bare_rates: list[float] = []
    engine_rates: list[float] = []
    timeline_rates: list[float] = []
    # The engine as the library's runs use it, and with the optional timeline of each request's
    # steps kept (the default of a scenario that does not say; bench/timeline_cost.py).
    untraced = with_changes(setup.scenario, {"simulation": {"timeline": False}})
    traced = with_changes(setup.scenario, {"simulation": {"timeline": True}})
    bare_times: list[float] = []
    engine_last: EngineRun | None = None
    for repeat in range(1, args.repeats + 1):
        gc.collect()
        seconds, bare_times = run_bare(bare_requests, sim.warm_up_days)
        bare_rates.append(bare_requests / seconds)
        print(
            f"run {repeat}  bare SimPy  {seconds:7.2f} s  {bare_requests:8,d} requests  "
            f"{bare_rates[-1]:9,.0f} requests/s"
        )
        gc.collect()
        engine_last = run_engine(untraced)
        engine_rates.append(engine_last.requests / engine_last.seconds)
        print(
            f"run {repeat}  engine      {engine_last.seconds:7.2f} s  "
            f"{engine_last.requests:8,d} requests  {engine_rates[-1]:9,.0f} requests/s"
        )
        gc.collect()
        with_timeline = run_engine(traced)
        timeline_rates.append(with_timeline.requests / with_timeline.seconds)
        print(
            f"run {repeat}  + timeline  {with_timeline.seconds:7.2f} s  "
            f"{with_timeline.requests:8,d} requests  {timeline_rates[-1]:9,.0f} requests/s"
        )
        if engine_last.requests != bare_requests:
            print(f"  (engine created {engine_last.requests:,d}; bare runs follow it from now)")
            bare_requests = engine_last.requests
    assert engine_last is not None

    best_bare, best_engine = max(bare_rates), max(engine_rates)
    print(f"\nbest bare SimPy  {best_bare:9,.0f} requests/s")
    print(f"best engine      {best_engine:9,.0f} requests/s")

    print(f"\nmean time in system (requests created after day {sim.warm_up_days:g}, ± 1 s.e.)")
    print(f"  analytic (Erlang C)  {analytic_time_in_system():7.3f} days")
    for label, values in (("bare SimPy", bare_times), ("engine", engine_last.times_in_system)):
        mean, error = mean_and_error(values)
        print(f"  {label:<20} {mean:7.3f} ± {error:.3f} days  ({len(values):,d} requests)")
    if engine_last.unfinished:
        print(f"  engine: {engine_last.unfinished:,d} requests not fulfilled by the horizon")

    if args.baseline:
        report_baseline(args.tracemalloc)

    print(f"\nratio_with_timeline: {max(timeline_rates) / best_bare:.3f}")
    print(f"ratio_vs_bare_simpy: {best_engine / best_bare:.3f}")


if __name__ == "__main__":
    main()
