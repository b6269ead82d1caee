"""Cost of one replication of the full world: time and memory per request and per simulated year.

What is measured
    One replication of ``scenarios/baseline.toml`` (every state of the world data, about
    900,000 investigations a year at realistic volumes) is run exactly as ``mlatsim run`` runs
    one (:func:`sim.engine.replication.run_replication`: world, model construction, daily
    steps, closing,
    building the request and time-series frames). To keep the benchmark short, the horizon is
    cut to ``--years`` years (default 1) with no warm-up and a 90-day drain, so cases are
    opened for the first ``years x 365 - 90`` days; the scenario is otherwise as it is, resolved
    through :mod:`sim.config.schema` (``model_dump``, the changed ``simulation`` table, and
    :func:`sim.config.schema.validate_settings`). Imports and scenario loading are not timed.

    It prints the requests simulated, the wall time, requests simulated per second, the run
    time per simulated year, and the peak memory of the run, measured two ways:

    * ``ru_maxrss``: the process's resident-set high-water mark after the run minus the one
      before it (what the operating system sees: Python objects, NumPy and pandas buffers,
      allocator slack); from the untraced run, which also gives the wall time;
    * the ``tracemalloc`` peak: Python-visible allocations only (NumPy reports its buffers to
      it), from a second run under ``tracemalloc``, which is several times slower and so is
      not timed (``--no-tracemalloc`` skips it).

    Both are also given per million requests. The request log is columnar (typed arrays, one
    per column, see :mod:`sim.engine.records`), so memory should grow with the number of requests at
    a small cost each: the target is under 1 GB (1024 MB) per million requests, in-flight
    request processes, the final DataFrame conversion and the run's fixed costs (world, model,
    caches) included.

Why a reference
    Absolute rates depend on the machine and on whatever else it is doing (a calibration run
    on the same cores slows them markedly), so the engine's rate on the small queueing network
    of ``bench/throughput.py`` (six M/M/3 stages in tandem, about 20,000 requests, every need
    pursued) and that of the bare SimPy model of the same network are measured in the same
    process, after the full world so as not to raise the memory high-water mark before it
    (best of three alternating runs each), and the full world's rate is printed as a ratio to
    them. A full-world request does more work (routing, preservation, legal review, policy
    effects, a 197-state treaty calendar), but most are direct requests whose stages pass
    without a SimPy event; the ratio says how the two balance, independently of the machine.

Both summary figures depend on ``--years``: the run has fixed memory costs (random-stream
buffers, requests in flight, caches) spread over more requests in a longer run, and the 90-day
drain, which opens no cases, is a smaller share of it. Compare them only at equal ``--years``.

The last two lines are ``memory_per_million_requests_mb: X`` (the ``tracemalloc`` figure, or
the ``ru_maxrss`` one with ``--no-tracemalloc``) and ``seconds_per_simulated_year: Y``.

Run it from the project root: ``.venv/bin/python bench/full_world.py [--years Y]
[--no-tracemalloc] [--no-reference]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import resource
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import throughput  # bench/throughput.py: a script's own folder is on sys.path

from sim.config.loading import load_scenario, validate_settings
from sim.config.schema import Scenario
from sim.engine.replication import run_replication
from sim.world.data import load_world_data

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
DAYS_PER_YEAR = 365
DRAIN_DAYS = 90.0
TARGET_MB_PER_MILLION = 1024.0
REFERENCE_REQUESTS = 20_000
"""Requests of the queueing-network reference: enough for a stable rate, a few seconds."""
REFERENCE_REPEATS = 3
"""Alternating runs of each reference model; the best rate counts."""


def full_world_scenario(years: float) -> Scenario:
    """The baseline scenario with its horizon cut to ``years`` years, no warm-up, 90-day drain.

    Args:
        years: Length of the run in years of 365 days (the drain included).

    Returns:
        The validated scenario, one replication.
    """
    base = load_scenario(BASELINE)
    settings = base.model_dump()
    simulation = settings["simulation"]
    days = round(years * DAYS_PER_YEAR)
    simulation["end"] = simulation["start"] + dt.timedelta(days=days)
    simulation["warm_up_days"] = 0.0
    simulation["drain_days"] = DRAIN_DAYS
    simulation["run_out_days"] = 0.0  # every request simulated leaves a row, to be counted
    simulation["replications"] = 1
    return validate_settings(settings)


def _maxrss_mb() -> float:
    """The process's resident-set high-water mark in MB (kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@dataclass(frozen=True)
class FullRun:
    """One run of the full world."""

    seconds: float
    requests: int
    peak_mb: float
    """ru_maxrss increase (untraced run) or tracemalloc peak (traced run)."""


def run_full(scenario: Scenario) -> tuple[float, int]:
    """Run replication 0 and return its wall seconds and number of requests."""
    gc.collect()
    began = time.perf_counter()
    frame, *_ = run_replication(scenario, 0)
    seconds = time.perf_counter() - began
    count = len(frame)
    del frame
    gc.collect()
    return seconds, count


def run_untraced(scenario: Scenario) -> FullRun:
    """The timed run; its memory is the rise of the resident-set high-water mark."""
    before = _maxrss_mb()
    seconds, count = run_full(scenario)
    return FullRun(seconds, count, _maxrss_mb() - before)


def run_traced(scenario: Scenario) -> FullRun:
    """A second run under ``tracemalloc``; its memory is the peak of traced allocations."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        seconds, count = run_full(scenario)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return FullRun(seconds, count, peak / 2**20)


def reference_scenario(bench: ModuleType, requests: int) -> Scenario:
    """``bench/throughput.py``'s validation scenario, stretched to about ``requests`` requests.

    Every need is pursued (the validation scenario's pursuit settings, kept): with the
    default pursuit rule, most needs that only the bilateral MLAT can serve would never become
    requests and the network would carry a small fraction of its 2 arrivals a day.
    """
    base = load_scenario(bench.VALIDATION)
    settings = base.model_dump()
    simulation = settings["simulation"]
    days = simulation["warm_up_days"] + requests / bench.ARRIVAL_RATE + simulation["drain_days"]
    simulation["end"] = simulation["start"] + dt.timedelta(days=math.ceil(days))
    simulation["replications"] = 1
    return validate_settings(settings)


def reference_rates(requests: int, repeats: int = REFERENCE_REPEATS) -> tuple[float, float, int]:
    """Requests per second of the engine and of bare SimPy on the tandem queueing network.

    The two are run alternately ``repeats`` times each and the best rate of each is kept, as
    ``bench/throughput.py`` does: a run of a few seconds is easily slowed by other work.

    Args:
        requests: About how many requests to simulate.
        repeats: Runs of each model.

    Returns:
        The engine's best rate, the bare SimPy model's best rate (same number of requests),
        and that number.
    """
    bench = throughput
    scenario = reference_scenario(bench, requests)
    engine_rates, bare_rates = [], []
    count = 0
    for _ in range(repeats):
        gc.collect()
        engine = bench.run_engine(scenario)
        count = engine.requests
        engine_rates.append(count / engine.seconds)
        gc.collect()
        bare_seconds, _times = bench.run_bare(count, scenario.simulation.warm_up_days)
        bare_rates.append(count / bare_seconds)
    return max(engine_rates), max(bare_rates), count


def _per_million(megabytes: float, requests: int) -> float:
    return megabytes / (requests / 1e6) if requests else float("nan")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--years",
        type=float,
        default=1.0,
        help="horizon in years of 365 days, the 90-day drain included (1)",
    )
    parser.add_argument(
        "--tracemalloc",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the tracemalloc peak in a second, traced run (default on)",
    )
    parser.add_argument(
        "--reference",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the tandem queueing network of bench/throughput.py (default on)",
    )
    args = parser.parse_args(argv)
    if round(args.years * DAYS_PER_YEAR) <= DRAIN_DAYS:
        parser.error(f"--years must leave more than the {DRAIN_DAYS:g}-day drain")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its report, ending with the two summary lines."""
    args = _parse(argv)
    scenario = full_world_scenario(args.years)
    sim = scenario.simulation
    years = sim.horizon_days / DAYS_PER_YEAR
    states = len(scenario.world.states) or len(load_world_data().states)
    print(
        f"full world: {BASELINE.relative_to(ROOT)}, {states} states, replication 0, "
        f"{sim.start} to {sim.end} ({sim.horizon_days} days = {years:.2f} y; "
        f"warm-up {sim.warm_up_days:g}, drain {sim.drain_days:g}), seed {sim.seed}"
    )
    print(f"Python {sys.version.split()[0]}; ru_maxrss before the run {_maxrss_mb():.1f} MB\n")

    run = run_untraced(scenario)
    rate = run.requests / run.seconds
    per_year = run.seconds / years
    rss_per_million = _per_million(run.peak_mb, run.requests)
    print(f"requests simulated        {run.requests:12,d}")
    print(f"wall time                 {run.seconds:12.2f} s (untraced run)")
    print(f"requests per second       {rate:12,.0f}")
    print(f"run time per sim. year    {per_year:12.2f} s")
    print(
        f"ru_maxrss rise            {run.peak_mb:12.1f} MB  "
        f"({rss_per_million:,.1f} MB per million requests; OS view)"
    )

    per_million = rss_per_million
    if args.tracemalloc:
        traced = run_traced(scenario)
        per_million = _per_million(traced.peak_mb, traced.requests)
        print(
            f"tracemalloc peak          {traced.peak_mb:12.1f} MB  "
            f"({per_million:,.1f} MB per million requests; Python allocations; "
            f"traced run {traced.seconds:.2f} s)"
        )
        if traced.requests != run.requests:
            print(f"  (the traced run simulated {traced.requests:,d} requests)")
    verdict = "meets" if per_million < TARGET_MB_PER_MILLION else "MISSES"
    print(
        f"target                    under {TARGET_MB_PER_MILLION:,.0f} MB per million requests: "
        f"{verdict}"
    )

    if args.reference:
        engine_rate, bare_rate, count = reference_rates(REFERENCE_REQUESTS)
        print(
            f"\nreference, same process: bench/throughput.py network, {count:,d} requests, "
            f"best of {REFERENCE_REPEATS} runs each"
        )
        print(f"  engine, tandem network  {engine_rate:12,.0f} requests/s")
        print(f"  bare SimPy, same        {bare_rate:12,.0f} requests/s")
        print(f"  full world / engine     {rate / engine_rate:12.3f}")
        print(f"  full world / bare SimPy {rate / bare_rate:12.3f}")

    print(f"\nmemory_per_million_requests_mb: {per_million:.1f}")
    print(f"seconds_per_simulated_year: {per_year:.2f}")


if __name__ == "__main__":
    main()
