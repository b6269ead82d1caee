"""The figures of README.md and docs/: the baseline's and one comparison's, from a real run.

Run from the repository root (``make figures`` does)::

    .venv/bin/python tools/readme_figures.py [--replications 2] [--workers 2]

It runs ``mlatsim compare scenarios/baseline.toml scenarios/all_reforms.toml``
with the packaged calibration at full scale but few replications (a full baseline of the
file's replications takes some six minutes on two cores; two replications give the same
shapes with wider intervals), or reuses the stored runs of the same inputs, then copies the
baseline run's figures and the comparison's into ``docs/images/`` under stable names, and
writes ``docs/images/README.md`` saying which run made them (command, seed, replications,
version, date). The PNGs are committed, so a visitor sees what the tool produces.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
REFERENCE = "scenarios/baseline.toml"
REFORM = "scenarios/all_reforms.toml"
COMPARISON = Path("results") / "readme_figures"
RUN_FIGURES = ("time_to_evidence", "outcome_shares", "backlog")
"""The baseline run's figures copied, as ``baseline_<name>.png``."""
COMPARISON_FIGURES = ("time_to_evidence", "median_time_to_evidence", "outcome_shares", "backlog")
"""The comparison's figures copied, as ``compare_<name>.png``."""


def main() -> None:
    """Run (or reuse) the comparison, copy its figures and say where they came from."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    command = [
        sys.executable,
        "-m",
        "sim",
        "compare",
        REFERENCE,
        REFORM,
        "--replications",
        str(args.replications),
        "--workers",
        str(args.workers),
        "--out",
        str(COMPARISON),
        "--quiet",
    ]
    subprocess.run(command, cwd=ROOT, check=True)
    manifest = json.loads((ROOT / COMPARISON / "manifest.json").read_text(encoding="utf-8"))
    baseline = ROOT / manifest["scenarios"][0]["result_directory"]
    IMAGES.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in RUN_FIGURES:
        target = IMAGES / f"baseline_{name}.png"
        shutil.copyfile(baseline / "figures" / f"{name}.png", target)
        copied.append(target.name)
    for name in COMPARISON_FIGURES:
        target = IMAGES / f"compare_{name}.png"
        shutil.copyfile(ROOT / COMPARISON / "figures" / f"{name}.png", target)
        copied.append(target.name)
    run = json.loads((baseline / "manifest.json").read_text(encoding="utf-8"))
    shown = " ".join(["mlatsim", *command[3:]])
    lines = [
        "# Figures of README.md",
        "",
        "Made by `make figures` (`tools/readme_figures.py`) on "
        f"{dt.date.today().isoformat()} with mlatsim {run.get('version')}:",
        "",
        f"    {shown}",
        "",
        f"Seed {manifest['seed']}, {manifest['replications']} replications per scenario (the",
        "files' own replications would narrow the intervals; the shapes are the same), full",
        "scale, every state, the packaged calibration. `baseline_*` are the baseline run's",
        f"figures (`{manifest['scenarios'][0]['result_directory']}/figures/`), `compare_*` the",
        "comparison's. Beside each figure in those directories is the table it draws, as CSV.",
        "",
        *(f"- `{name}`" for name in copied),
        "",
    ]
    (IMAGES / "README.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(copied)} figures -> {IMAGES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
