"""Write a reduced world that keeps each central authority's utilisation of the full baseline.

Run from the repository root::

    .venv/bin/python tools/reduced_world.py            # -> scenarios/sensitivity/reduced_world.toml

The full world takes about 80 s of CPU a replication, too much for a screening of dozens of
points on a shared machine. A reduced world (the sixteen states that open most cases, at a
fraction of the demand) runs in seconds, but it sends each central authority only a fraction
of its requests: with the full world's staff its queues would vanish and every assumption that
acts through the queues (the US queue wait, the formal MLA delays) would look inert. So the
staff is sized again, the way the calibration sizes it (:mod:`sim.experiments.calibration`):

1. a pilot run of the reduced world with unlimited staff gives each authority's e-evidence
   review work a year (:func:`sim.experiments.calibration_workload.workload`);
2. its share ``r`` of the same authority's e-evidence work in the full world (the packaged
   staff table's workload less its other matters' review) scales its other matters, so the
   whole workload is ``r`` times the full world's;
3. staff is that workload over the authority's utilisation in the packaged table, rounded up;
4. its other matters (all-crime MLA, the rest of its work) are then set so that the workload
   fills the whole staff to exactly that utilisation (rounding up would leave the small
   authorities idler than in the full world).

Every authority keeps its full-world utilisation; what the
reduction cannot keep is their size: fewer servers at the same utilisation queue longer
(Erlang C), so absolute waits are longer than in the full world (docs/sensitivity.md).
The script is deterministic (the pilot's seed is the baseline's).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from sim.config.loading import default_calibration, read_settings, scenario_from_settings
from sim.config.schema import Scenario
from sim.experiments.calibration_workload import workload
from sim.experiments.runner import run_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
STATES = (
    "IND", "DEU", "BRA", "GBR", "FRA", "JPN", "ITA", "ESP",
    "USA", "POL", "MEX", "IRL", "NLD", "CAN", "AUS", "CHE",
)  # fmt: skip
"""Eleven of the fifteen states opening most cases (IDN, PHL, TUR and NGA left out: few of
their requests reach the main authorities), the homes of the providers holding most European
data (IRL, NLD), and the large central authorities of CAN, AUS and CHE."""
DEMAND_SCALE = 0.15
"""Share of those states' demand simulated: about 13 s a replication on one core."""
PILOT_REPLICATIONS = 2


def _scenario(staff: dict[str, dict[str, float]] | None) -> Scenario:
    settings = read_settings(BASELINE)
    settings["world"] = {**settings.get("world", {}), "states": list(STATES)}
    settings["demand"] = {**settings.get("demand", {}), "scale": DEMAND_SCALE}
    if staff is not None:
        settings["states"] = staff
    return scenario_from_settings(settings, BASELINE, default_calibration())


def staff_table(pilot_replications: int = PILOT_REPLICATIONS) -> pd.DataFrame:
    """Staff and other matters of the reduced world's authorities, from an unqueued pilot."""
    unqueued = {code: {"ca_staff": 1_000_000, "other_matters_per_year": 0.0} for code in STATES}
    pilot = _scenario(unqueued)
    pilot = pilot.model_copy(
        update={
            "simulation": pilot.simulation.model_copy(update={"replications": pilot_replications})
        }
    )
    reduced_work = workload(run_scenario(pilot, workers=1), pilot)
    full = default_calibration().staff
    review = pilot.channels.bilateral_mlat.stages["legal_review"].time.expected()
    review_days = review * pilot.channels.bilateral_mlat.time_scale
    table = pd.read_csv(ROOT / "sim" / "data" / "central_authorities.csv", index_col="iso3")
    rows = []
    for code in STATES:
        other_full = float(full[code]["other_matters_per_year"])
        e_work_full = float(table.loc[code, "workload_days_per_year"]) - other_full * review_days
        e_work = float(reduced_work.get(code, 0.0))
        ratio = e_work / e_work_full if e_work_full > 0 else 0.0
        target = float(table.loc[code, "utilisation"])
        staff = max(1, math.ceil((e_work + other_full * ratio * review_days) / 365.0 / target))
        # Whole staff leave a small authority under its utilisation; its other matters (the
        # rest of its work, not e-evidence) fill it up to the full world's exactly.
        other = max(0.0, (staff * 365.0 * target - e_work) / review_days)
        work = e_work + other * review_days
        rows.append(
            {
                "iso3": code,
                "ca_staff": staff,
                "other_matters_per_year": round(other, 1),
                "workload_days_per_year": round(work, 1),
                "utilisation": round(work / 365.0 / staff, 3),
                "full_world_utilisation": target,
                "full_world_staff": int(full[code]["ca_staff"]),
            }
        )
    return pd.DataFrame(rows).set_index("iso3")


def scenario_text(table: pd.DataFrame) -> str:
    """The reduced world's scenario file, its staff table as ``[states.ISO3]`` tables."""
    names = ", ".join(f'"{code}"' for code in STATES)
    lines = [
        "# Reduced world for screening the baseline's assumptions (docs/sensitivity.md).",
        "# Written by tools/reduced_world.py; do not edit by hand, run the tool again.",
        "#",
        f"# {len(STATES)} large states (see tools/reduced_world.py) at {DEMAND_SCALE:g} of their",
        "# demand, under today's regime (the baseline's calendar). Each central authority's staff",
        "# is sized from an unqueued pilot of this world so that it keeps the utilisation of",
        "# the packaged (full-world) staff table: utilisation here / there, staff here / there:",
    ]
    for code, row in table.iterrows():
        lines.append(
            f"#   {code}: {row.utilisation:.3f} / {row.full_world_utilisation:.3f}, "
            f"{int(row.ca_staff)} / {int(row.full_world_staff)}"
        )
    lines += [
        'description = "Baseline regime, 16 largest states at reduced demand, utilisation kept"',
        "",
        "[simulation]",
        "start = 2026-09-01",
        "end = 2031-03-01",
        "warm_up_days = 365",
        "run_out_days = 181",
        "drain_days = 730",
        "replications = 2",
        "",
        "[world]",
        f"states = [{names}]",
        "",
        "[demand]",
        f"scale = {DEMAND_SCALE}",
    ]
    for code, row in table.iterrows():
        lines += [
            "",
            f"[states.{code}]",
            f"ca_staff = {int(row.ca_staff)}",
            f"other_matters_per_year = {row.other_matters_per_year}",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the pilot and write the scenario file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "scenarios" / "sensitivity" / "reduced_world.toml"
    )
    args = parser.parse_args()
    table = staff_table()
    print(table.to_string())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(scenario_text(table), encoding="utf-8")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
