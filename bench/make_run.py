"""Wall time of ``make run``: the baseline, 4 replications on 2 workers, against 5 minutes.

What is measured
    ``mlatsim run scenarios/baseline.toml`` exactly as ``make run`` runs it (a child process,
    the scenario's 4 replications on the default workers: one per core), except that the
    result goes to a temporary folder instead of ``results/baseline`` (so a stored run there is
    neither reused nor replaced). The wall time counts everything a user waits for: start-up,
    the replications, the summary, the figures and writing the result. Also printed: the CPU
    time of the child processes and the largest resident set of any of them (``ru_maxrss`` of
    the children: the operating system's view, per process, not summed).

Why a reference
    The target, 5 minutes on 2 cores (issues #11 and #12), is a wall time, and a wall time
    depends on the machine and on whatever else runs on it. So the bare SimPy tandem network
    of ``bench/throughput.py`` (100,000 requests) is timed in this process just before and just
    after the run (best of two each time), and the run is also printed as a multiple of that
    reference's time: a number that moves only when the engine's speed changes relative to
    SimPy's, wherever it is measured. The load average at the start and the end says how busy
    the machine was.

The last lines are ``make_run_seconds: X`` and ``make_run_in_reference_runs: Y``.

Run it from the project root: ``.venv/bin/python bench/make_run.py`` (``make bench-run``); it
takes about as long as ``make run``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import throughput  # bench/throughput.py: a script's own folder is on sys.path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
TARGET_SECONDS = 300.0
REFERENCE_REQUESTS = 100_000


def reference_seconds(repeats: int = 2) -> float:
    """Best wall time of the bare SimPy tandem network over ``repeats`` runs."""
    bench = throughput
    return min(bench.run_bare(REFERENCE_REQUESTS, 0.0)[0] for _ in range(repeats))


def run_baseline(out: Path) -> float:
    """Run the baseline as ``make run`` does, into ``out``; return its wall seconds."""
    command = [sys.executable, "-m", "sim", "run", str(BASELINE), "--out", str(out)]
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    return time.perf_counter() - began


def main() -> None:
    """Time the reference, the run, and the reference again, and print the ratios."""
    load_before = os.getloadavg()[0]
    before = reference_seconds()
    with tempfile.TemporaryDirectory(prefix="mlatsim-bench-") as folder:
        seconds = run_baseline(Path(folder) / "baseline")
    after = reference_seconds()
    load_after = os.getloadavg()[0]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    reference = min(before, after)
    print(f"\nmake run: {BASELINE.relative_to(ROOT)}, {os.cpu_count()} cores")
    print(f"  wall time            {seconds:8.1f} s   target {TARGET_SECONDS:.0f} s")
    print(f"  CPU, child processes {children.ru_utime + children.ru_stime:8.1f} s")
    print(f"  largest child RSS    {children.ru_maxrss / 1024:8.0f} MB")
    print(
        f"  reference            {reference:8.2f} s   bare SimPy, {REFERENCE_REQUESTS:,d} requests "
        f"(before {before:.2f} s, after {after:.2f} s)"
    )
    print(f"  load average         {load_before:8.2f} at the start, {load_after:.2f} at the end")
    verdict = "meets" if seconds <= TARGET_SECONDS else "misses"
    print(f"\ntarget: {verdict}")
    print(f"make_run_seconds: {seconds:.1f}")
    print(f"make_run_in_reference_runs: {seconds / reference:.1f}")


if __name__ == "__main__":
    main()
