"""How sweeps scale: workers, request volume, number of states, memory as points accumulate.

What is measured (issue #13, performance)
    1. *Workers.* A sweep of 16 small points (a five-state world at a fifth of its demand,
       about 4 s each, one replication, a grid of 16 pursuit scales) is run with 1 worker
       (in this process) and with 2 worker processes, each into a fresh directory; the wall
       times and their ratio are printed (target: at least 1.8). Points much shorter than
       the few seconds a spawned worker takes to import the model would measure the start.
    2. *Cost per point.* One point (one replication, in this process) at 3 request volumes
       (``demand.scale``) of the same 8 states, and at 3 numbers of states (4, 8, 16) at one
       scale. A power law ``seconds = a * x^b`` is fitted by least squares on the logarithms,
       and ``b`` printed for seconds against requests (target: about 1, linear) and against
       states (target: at most 1). The requests each point made are printed beside it, since
       more states also means more demand.
    3. *Memory.* A sweep of ``--memory-points`` points in this process; the resident set
       size is read after every point (from the progress lines) and its first, last and
       largest values and the fitted growth per point are printed: results go to the store on
       disk, not to a list, so it must stay flat.

Noise
    Wall times depend on whatever else the machine runs; on a shared machine the ratio of
    part 1 is only meaningful when two cores are free. So part 1 also measures what the
    machine gives two processes right then: the same pure-Python loop once alone, then twice
    at once on two spawned processes (``machine_capacity_2_vs_1``: 2.0 on two free cores, 1.0
    when nothing is left to share), and prints the sweep's speedup over it as well as
    ``os.getloadavg()``. Each part runs once; ``--repeats`` takes the best of several.

Run it from the project root: ``.venv/bin/python bench/scaling.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

from sim.config.loading import NO_CALIBRATION, read_settings, scenario_from_settings
from sim.experiments.sweep import run_sweep
from sim.experiments.sweep_pool import run_point
from sim.experiments.sweep_spec import sweep_from_table

STATES = ["USA", "IRL", "GBR", "DEU", "FRA", "NLD", "JPN", "CAN",
          "IND", "BRA", "ITA", "ESP", "POL", "MEX", "AUS", "CHE"]  # fmt: skip

BASE = """\
[simulation]
start = 2026-01-01
end = 2027-07-01
warm_up_days = 60
drain_days = 120
replications = 1
seed = 7

[world]
states = [{states}]

[demand]
scale = {scale}
"""


def _base(directory: Path, states: list[str], scale: float) -> Path:
    path = directory / "base.toml"
    names = ", ".join(f'"{code}"' for code in states)
    path.write_text(BASE.format(states=names, scale=scale), encoding="utf-8")
    return path


def _sweep(directory: Path, points: int, scale: float = 0.05):
    _base(directory, STATES[:5], scale)
    values = [round(0.05 + 0.03 * i, 4) for i in range(points)]
    table = {
        "base": "base.toml",
        "metrics": ["median_days", "share_met"],
        "design": {"kind": "grid", "fields": {"routing.pursuit_scale": values}},
    }
    return sweep_from_table(directory / "sweep.toml", table, NO_CALIBRATION)


def _spin(count: int = 20_000_000) -> float:
    """Seconds of a pure-Python loop (the kind of work a point does)."""
    began = time.perf_counter()
    total = 0
    for number in range(count):
        total += number
    return time.perf_counter() - began


def machine_capacity() -> float:
    """Work two spawned processes do at once over the work of one alone (2.0: two free cores)."""
    alone = _spin()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [1])  # started and warm before timing
        began = time.perf_counter()
        pool.map(_spin, [20_000_000, 20_000_000])
        both = time.perf_counter() - began
    return 2 * alone / both


def workers_part(repeats: int) -> None:
    """Wall time of 16 points on 1 and 2 workers, beside what the machine gives two processes."""
    print("== 16 small points: 1 worker vs 2 ==")
    capacity = machine_capacity()
    print(f"machine_capacity_2_vs_1: {capacity:.2f} (2.00 on two free cores)")
    best: dict[int, float] = {}
    load_before = os.getloadavg()
    for _ in range(repeats):
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as folder:
                spec = _sweep(Path(folder), 16, scale=0.2)
                began = time.perf_counter()
                run_sweep(spec, NO_CALIBRATION, Path(folder) / "out", workers=workers)
                seconds = time.perf_counter() - began
            best[workers] = min(seconds, best.get(workers, float("inf")))
            print(f"workers={workers}: {seconds:.1f} s")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} (2 cores)")
    speedup = best[1] / best[2]
    print(f"speedup_2_vs_1: {speedup:.2f} (target >= 1.8 on two free cores)")
    print(f"speedup over the machine's capacity: {speedup / capacity:.2f} (1.00: all it allows)")


def _point_seconds(states: list[str], scale: float, repeats: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        path = _base(Path(folder), states, scale)
        scenario = scenario_from_settings(read_settings(path), path, NO_CALIBRATION)
    best = float("inf")
    requests = 0
    for _ in range(repeats):
        began = time.perf_counter()
        rows = run_point(scenario)
        best = min(best, time.perf_counter() - began)
        requests = int(rows["requests"].sum())
    return best, requests


def _exponent(x: list[float], y: list[float]) -> float:
    slope, _ = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope)


def cost_part(repeats: int) -> None:
    """Seconds per point against request volume and against the number of states."""
    print("== cost per point ==")
    seconds, requests = [], []
    for scale in (0.05, 0.1, 0.2):
        s, n = _point_seconds(STATES[:8], scale, repeats)
        seconds.append(s)
        requests.append(n)
        print(f"8 states, demand.scale {scale}: {n:,} requests, {s:.2f} s")
    print(f"exponent_seconds_vs_requests: {_exponent(requests, seconds):.2f} (target ~1)")
    seconds, requests, counts = [], [], []
    for count in (4, 8, 16):
        s, n = _point_seconds(STATES[:count], 0.05, repeats)
        seconds.append(s)
        requests.append(n)
        counts.append(count)
        print(f"{count} states, demand.scale 0.05: {n:,} requests, {s:.2f} s")
    print(f"exponent_seconds_vs_states: {_exponent(counts, seconds):.2f} (target <= 1)")
    print(
        f"exponent_requests_vs_states: {_exponent(counts, requests):.2f} "
        "(more states bring more demand)"
    )


def memory_part(points: int) -> None:
    """Resident set size after each point of a sweep run in this process."""
    print(f"== memory of a running sweep ({points} points, 1 worker) ==")
    process = psutil.Process()
    sizes: list[float] = []

    def note(line: str) -> None:
        if line.startswith("point "):
            sizes.append(process.memory_info().rss / 2**20)

    with tempfile.TemporaryDirectory() as folder:
        spec = _sweep(Path(folder), points, scale=0.02)
        run_sweep(spec, NO_CALIBRATION, Path(folder) / "out", workers=1, report=note)
    slope = float(np.polyfit(np.arange(len(sizes)), sizes, 1)[0])
    half = len(sizes) // 2
    print(
        f"rss MiB: after point 1 {sizes[0]:.0f}, after point {len(sizes)} {sizes[-1]:.0f}, "
        f"max {max(sizes):.0f}; second half min..max {min(sizes[half:]):.0f}.."
        f"{max(sizes[half:]):.0f}"
    )
    print(f"rss_growth_mib_per_point: {slope:.2f} (flat: about 0)")


def main() -> None:
    """Run the three parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="best of this many (default 1)")
    parser.add_argument("--memory-points", type=int, default=40)
    parser.add_argument("--skip", nargs="*", default=[], choices=("workers", "cost", "memory"))
    args = parser.parse_args()
    if "workers" not in args.skip:
        workers_part(args.repeats)
    if "cost" not in args.skip:
        cost_part(args.repeats)
    if "memory" not in args.skip:
        memory_part(args.memory_points)


if __name__ == "__main__":
    main()
