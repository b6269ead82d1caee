"""The teaching world beside the full world: the table of docs/teaching.md.

Run from the repository root on two result directories of ``mlatsim run``::

    .venv/bin/python tools/teaching_compare.py results/baseline results/teaching

For each channel, both runs' requests a year (scaled back by ``demand.scale``), median time
to evidence, share fulfilled within 30 days, refused and lost (from ``summary.json``: requests
created after the warm-up, mean across replications), then the mean days formal MLA requests
waited in central-authority queues (from ``requests.parquet``, the measured window). The
teaching world is meant to keep the full world's shape; this table is how docs/teaching.md
says where it does not.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

FORMAL = ("bilateral_mlat", "treaty_mla", "budapest_mla", "un_convention_mla", "letters_rogatory")
QUEUES = ("outgoing_review_wait_days", "legal_review_wait_days")


def _summary(directory: Path) -> tuple[dict, dict]:
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return summary, manifest["scenario"]


def _window_years(scenario: dict) -> float:
    sim = scenario["simulation"]
    start, end = pd.Timestamp(sim["start"]), pd.Timestamp(sim["end"])
    unmeasured = sim["warm_up_days"] + sim.get("run_out_days", 0) + sim["drain_days"]
    return ((end - start).days - unmeasured) / 365.0


def _queue_wait(directory: Path, scenario: dict) -> float:
    """Mean days a formal request of the measured window waited for central authorities."""
    sim = scenario["simulation"]
    horizon = (pd.Timestamp(sim["end"]) - pd.Timestamp(sim["start"])).days
    requests = pd.read_parquet(directory / "requests.parquet")
    window = requests[
        (requests["created_day"] >= sim["warm_up_days"])
        & (requests["created_day"] < horizon - sim["drain_days"] - sim.get("run_out_days", 0))
        & requests["channel"].isin(FORMAL)
    ]
    return float(window[list(QUEUES)].sum(axis=1).mean())


def _cell(metric: dict, key: str, scale: float = 1.0, digits: int = 1) -> str:
    value = metric.get(key, {}).get("estimate")
    if value is None:
        return "–"
    return f"{value * scale:,.{digits}f}"


def table(full: Path, teaching: Path) -> str:
    """The Markdown table of both runs, by channel."""
    lines = [
        "| channel | requests a year (full / teaching ÷ scale) | median days | "
        "fulfilled ≤ 30 d (%) | refused (%) | lost (%) |",
        "|---|---|---|---|---|---|",
    ]
    runs = [_summary(full), _summary(teaching)]
    per_year = [
        1.0 / (_window_years(scenario) * scenario["demand"]["scale"]) for _, scenario in runs
    ]
    channels = list(runs[0][0]["by_channel"])
    for name in ["all", *channels]:
        cells = []
        for summary, _ in runs:
            metric = summary["overall"]["all"] if name == "all" else summary["by_channel"].get(name)
            cells.append(metric or {})
        row = [
            " / ".join(_cell(m, "n", factor, 0) for m, factor in zip(cells, per_year, strict=True)),
            " / ".join(_cell(m, "median_days") for m in cells),
            " / ".join(_cell(m, "fulfilled_30d", 100.0) for m in cells),
            " / ".join(_cell(m, "share_refused", 100.0) for m in cells),
            " / ".join(_cell(m, "share_lost", 100.0) for m in cells),
        ]
        lines.append(f"| `{name}` | " + " | ".join(row) + " |")
    waits = [
        _queue_wait(directory, scenario)
        for directory, (_, scenario) in zip((full, teaching), runs, strict=True)
    ]
    lines.append("")
    lines.append(
        f"Mean days a formal MLA request waited in central-authority queues: full world "
        f"{waits[0]:.1f}, teaching world {waits[1]:.1f}."
    )
    return "\n".join(lines)


def main() -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("full", type=Path, help="result directory of scenarios/baseline.toml")
    parser.add_argument("teaching", type=Path, help="result directory of scenarios/teaching.toml")
    args = parser.parse_args()
    print(table(args.full, args.teaching))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
