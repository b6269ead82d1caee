"""What keeping the timeline (``simulation.timeline``, ``timeline.parquet``) costs a run.

What is measured
    One replication of ``scenarios/baseline.toml`` (calibrated, every state) at a reduced
    ``--scale`` of demand (default 0.25, a quarter of the cases; the horizon and everything
    else as in the file), run as ``mlatsim run`` runs one
    (:func:`sim.engine.replication.run_replication`, frames included), then its requests and,
    when on, its timeline written to Parquet as a result directory holds them
    (:func:`sim.experiments.results.write_timeline`), with the timeline on and off. Each run is
    a fresh process, so its peak resident memory (``ru_maxrss``) is its own; CPU time is the
    process's user + system time for the replication and the write (imports and loading not
    counted). Runs alternate on, off, on, off, ... (``--repeats`` pairs) so a load that comes
    and goes on a shared machine falls on both; the median of each is reported, and the
    ratio on/off.

The issue (#14) lets a normal run switch the timeline off if it costs more than 10% in time
or memory; the last two lines are ``cpu_ratio: X`` and ``memory_ratio: Y``.

Run it from the project root: ``.venv/bin/python bench/timeline_cost.py [--scale S]
[--repeats N] [--scenario FILE]`` (``--scenario scenarios/teaching.toml --scale 1``: the
teaching world as it is).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, tempfile, time
from pathlib import Path
from sim.config.loading import load_scenario, with_changes, without_run_out
from sim.engine.replication import run_replication
from sim.experiments.results import write_timeline

path, factor, timeline = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "on"
scenario = without_run_out(load_scenario(path))  # a run-out's requests keep no steps
scale = scenario.demand.scale * factor
scenario = with_changes(
    scenario, {"demand": {"scale": scale}, "simulation": {"timeline": timeline}}
)
before = resource.getrusage(resource.RUSAGE_SELF)
began = time.perf_counter()
requests, _, _, _, steps = run_replication(scenario, 0)
with tempfile.TemporaryDirectory() as folder:
    requests.to_parquet(Path(folder) / "requests.parquet", index=False)
    if timeline:
        write_timeline(steps, Path(folder) / "timeline.parquet")
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(json.dumps({
    "cpu": cpu, "wall": time.perf_counter() - began, "peak_mb": after.ru_maxrss / 1024,
    "requests": len(requests), "steps": len(steps),
}))
"""


def measure(scenario: str, scale: float, timeline: bool) -> dict[str, float]:
    """One replication in a fresh process: its CPU seconds, wall seconds and peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, scenario, str(scale), "on" if timeline else "off"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure the pairs and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario", default="scenarios/baseline.toml", help="default scenarios/baseline.toml"
    )
    parser.add_argument(
        "--scale", type=float, default=0.25, help="times the file's demand.scale (default 0.25)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="pairs of runs (default 2)")
    args = parser.parse_args()
    runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for _ in range(args.repeats):
        for timeline in (True, False):
            result = measure(args.scenario, args.scale, timeline)
            runs[timeline].append(result)
            print(f"timeline {'on ' if timeline else 'off'}: {json.dumps(result)}", flush=True)
    median = {
        timeline: {key: statistics.median(r[key] for r in found) for key in found[0]}
        for timeline, found in runs.items()
    }
    on, off = median[True], median[False]
    print(f"requests per replication: {on['requests']:,.0f}; timeline rows: {on['steps']:,.0f}")
    for key, unit in (("cpu", "s"), ("wall", "s"), ("peak_mb", "MB")):
        print(f"{key}: on {on[key]:.1f} {unit}, off {off[key]:.1f} {unit}")
    print(f"cpu_ratio: {on['cpu'] / off['cpu']:.3f}")
    print(f"memory_ratio: {on['peak_mb'] / off['peak_mb']:.3f}")


if __name__ == "__main__":
    main()
