"""Cost of one replication of the teaching world, in CPU seconds on one core.

What is measured
    Replication 0 of ``scenarios/teaching.toml`` on the packaged calibration is run exactly as
    ``mlatsim run`` runs one (:func:`sim.engine.replication.run_replication`: world, model
    construction, daily steps over the whole four-year calendar, closing, building the
    request and time-series frames), in this process. Imports and scenario loading are not
    timed. The time is the process's CPU time (``time.process_time``): the engine is single
    threaded, so it is the time the replication takes on one core, whatever else shares the
    machine. The target (issue #14) is under 10 seconds, so that a class sees a three-
    replication comparison within half a minute on two cores (``mlatsim dashboard``).

Why a reference
    CPU seconds still depend on the processor. The bare SimPy model of ``bench/throughput.py``
    (six M/M/3 stages in tandem, a fixed number of requests) is run in the same process,
    alternately with the teaching world, and the best time of each is kept; the last line,
    ``ratio_vs_bare_simpy: X``, is the teaching replication's CPU time over the reference's,
    which does not depend on the machine. Compare ratios, not seconds, between machines.

With ``--dashboard`` it also times what the page does when Run is pressed on the unchanged
teaching world with one reform (``ca_staffing``): a :class:`sim.dashboard.session.DashboardRun`
of the baseline and the reform at three replications on ``--workers`` cores (2), from a fresh
result folder, to the comparison written. It prints the wall time, the CPU time of this
process and its worker processes, that CPU time over the cores (the wall time the run would
take with the cores to itself: the target is under 30 s), and the load average, since wall
time on a shared machine says more about the neighbours than about the run.

Run it from the project root: ``.venv/bin/python bench/teaching.py [--repeats N]
[--dashboard [--workers N]]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import throughput  # bench/throughput.py: a script's own folder is on sys.path

from sim.config.loading import load_scenario, packaged_calibration
from sim.engine.replication import run_replication

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "scenarios" / "teaching.toml"
TARGET_SECONDS = 10.0
REFERENCE_REQUESTS = 20_000
"""Requests of the bare SimPy reference (about a second of CPU)."""


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=2, help="alternating runs of each (best kept)"
    )
    parser.add_argument("--dashboard", action="store_true", help="time a dashboard run too")
    parser.add_argument("--workers", type=int, default=2, help="cores of the dashboard run")
    return parser.parse_args(argv)


def _cpu_seconds() -> float:
    """CPU time of this process and of its ended children (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_dashboard(workers: int) -> None:
    """Time a dashboard run of the teaching world with one reform, from a fresh folder."""
    from sim.dashboard import controls
    from sim.dashboard.session import DashboardRun

    calibration = packaged_calibration()
    base = load_scenario(TEACHING, calibration)
    choices = controls.lever_choice_defaults()
    for choice in choices:
        choice.on = choice.name == "ca_staffing"
    baseline, reform = controls.build_scenarios(base, {}, choices)
    with tempfile.TemporaryDirectory(prefix="mlatsim-bench-") as root:
        cpu, wall = _cpu_seconds(), time.perf_counter()
        run = DashboardRun(baseline, reform, calibration, Path(root), workers)
        run.start()
        run.join()
        wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    state = run.state()
    load = os.getloadavg()[0]
    print(
        f"\ndashboard run: teaching world + ca_staffing, {base.simulation.replications} "
        f"replications each, {workers} workers: {state.phase}"
    )
    print(f"wall seconds to the result     {wall:8.1f} (load average {load:.1f})")
    print(f"CPU seconds, all processes     {cpu:8.1f}")
    print(f"CPU seconds / {workers} cores           {cpu / workers:8.1f} (target under 30)")
    print(f"dashboard_cpu_per_core_seconds: {cpu / workers:.1f}")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its report, ending with the ratio line."""
    args = _parse(argv)
    scenario = load_scenario(TEACHING, packaged_calibration())
    bench = throughput
    sim = scenario.simulation
    print(
        f"teaching world: {TEACHING.relative_to(ROOT)}, {len(scenario.world.states)} states, "
        f"demand.scale {scenario.demand.scale:g}, replication 0, {sim.start} to {sim.end}, "
        f"seed {sim.seed}; Python {sys.version.split()[0]}"
    )
    teaching, reference = [], []
    requests = 0
    for _ in range(max(1, args.repeats)):
        gc.collect()
        began = time.process_time()
        output = run_replication(scenario, 0)
        teaching.append(time.process_time() - began)
        requests = len(output[0])
        gc.collect()
        began = time.process_time()
        bench.run_bare(REFERENCE_REQUESTS, 0.0)
        reference.append(time.process_time() - began)
    best, best_reference = min(teaching), min(reference)
    verdict = "meets" if best < TARGET_SECONDS else "MISSES"
    print(f"requests simulated          {requests:12,d}")
    print(f"CPU seconds, one replication {best:11.2f} s (best of {len(teaching)})")
    print(f"target                      under {TARGET_SECONDS:g} s: {verdict}")
    print(
        f"reference, same process     bare SimPy tandem network, {REFERENCE_REQUESTS:,d} "
        f"requests: {best_reference:.2f} s CPU"
    )
    print(f"\nteaching_cpu_seconds: {best:.2f}")
    print(f"ratio_vs_bare_simpy: {best / best_reference:.2f}")
    if args.dashboard:
        time_dashboard(args.workers)


if __name__ == "__main__":
    main()
