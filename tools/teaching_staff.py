"""Staff the teaching world's central authorities for its own, scaled demand.

Run from the repository root::

    .venv/bin/python tools/teaching_staff.py                 # print the [states] tables
    .venv/bin/python tools/teaching_staff.py --write         # into scenarios/teaching.toml

Why a tool: the teaching world (``scenarios/teaching.toml``) simulates a few states at a
fraction ``demand.scale`` of their cases, so the packaged staff table (sized for the whole
world at full demand) would leave its central authorities almost idle, and its queues would
teach nothing. The staff are sized as the calibration sizes them
(:mod:`sim.experiments.calibration_workload`), for the teaching world itself:

1. a pilot run of the teaching world with unlimited staff and no other matters gives each
   authority's e-evidence review work a year (requests only from the states simulated);
2. each authority's other matters (the all-crime workload) are those of the packaged staff
   table times ``demand.scale``, so the all-crime load shrinks with the e-evidence load;
3. staff = ceil(whole review work / (365 x 0.85)), the packaged fit's utilisation.

The stage times and pursuit scale are those of the packaged calibration, unchanged.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "scenarios" / "teaching.toml"
BEGIN = "# --- staff: written by tools/teaching_staff.py ---"
END = "# --- end of staff ---"


def staff_table(path: Path, replications: int, workers: int) -> str:
    """The ``[states.ISO3]`` tables of the teaching world's staff, as TOML text."""
    from sim.config.loading import packaged_calibration, read_settings, scenario_from_settings
    from sim.experiments.calibration import pilot_scenario
    from sim.experiments.calibration_workload import UTILISATION, staffing, workload
    from sim.experiments.runner import run_scenario

    calibration = packaged_calibration()
    settings = read_settings(path)
    settings.pop("states", None)  # the staff this tool wrote before: sized anew
    scenario = scenario_from_settings(settings, path, calibration)
    channels = scenario.channels
    time_scale = channels.bilateral_mlat.time_scale
    pilot = pilot_scenario(scenario, replications, time_scale, scenario.routing.pursuit_scale)
    result = run_scenario(pilot, workers=workers)
    load_days = workload(result, pilot)
    scale = scenario.demand.scale
    other = {
        code: float(values["other_matters_per_year"]) * scale
        for code, values in calibration.staff.items()
        if code in scenario.world.states
    }
    import pandas as pd

    review = channels.bilateral_mlat.stages["legal_review"].time.expected() * time_scale
    table = staffing(load_days, pd.Series(other, dtype=float), review, UTILISATION)
    lines = [
        BEGIN,
        f"# Pilot: {replications} replications with unlimited staff, demand.scale {scale:g}; "
        f"utilisation {UTILISATION}.",
        "# ISO3: staff, other matters a year (packaged x scale), review days a year, utilisation",
    ]
    for row in table.itertuples():
        lines.append(
            f"# {row.iso3}: {row.ca_staff}, {row.other_matters_per_year:g}, "
            f"{row.workload_days_per_year:g}, {row.utilisation:g}"
        )
    lines.append("[states]")
    for row in table.itertuples():
        lines.append(
            f"{row.iso3} = {{ ca_staff = {int(row.ca_staff)}, "
            f"other_matters_per_year = {float(row.other_matters_per_year):.1f} }}"
        )
    lines.append(END)
    return "\n".join(lines)


def main() -> int:
    """Print or write the staff of the teaching world."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path, nargs="?", default=TEACHING)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="replace the block in the file")
    args = parser.parse_args()
    text = staff_table(args.scenario, args.replications, args.workers)
    if not args.write:
        print(text)
        return 0
    source = args.scenario.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(source):
        sys.stderr.write(f"{args.scenario}: no staff block between the markers\n")
        return 2
    args.scenario.write_text(pattern.sub(lambda _: text, source), encoding="utf-8")
    print(f"staff written into {args.scenario}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
