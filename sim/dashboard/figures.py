"""What the dashboard draws beyond a comparison's own figures: live state and the reasons.

The live figure shows the replication being run (:class:`sim.dashboard.live.Snapshot`): the
backlog at the busiest central authorities and the requests in flight by channel, as they
change. The reasons figure breaks the refused and lost requests of each scenario down by the
reason recorded (``vocabulary.REASONS``), each with the rule that applies
(:data:`REASON_RULES`, after docs/model.md section 7), with its table saved as CSV beside the
PNG as every figure of the project is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.figure_style import group_colours, new_figure, save
from sim.analysis.runs import ScenarioRun
from sim.dashboard.live import Snapshot
from sim.vocabulary import REASONS

BUSIEST = 6
"""Central authorities shown in the live backlog (the busiest now)."""
REASON_RULES: dict[str, str] = {
    "dual_criminality": "dual criminality: not an offence in the requested state "
    "(Budapest Art. 25(5) judges the conduct)",
    "data_protection": "data protection: the requested state's regime doubts the safeguards",
    "insufficient_grounds": "grounds: refused on the request's merits (e.g. Budapest Art. 27(4))",
    "evidentiary_standard": "evidentiary standard for content not met (e.g. US probable cause)",
    "provider_declined": "the provider declined a voluntary request (its own policy)",
    "retention_expired": "lost: the data expired before they were secured (retention)",
    "too_many_clarifications": "abandoned after the most returns for clarification",
    "timeout": "abandoned: the channel's time limit passed",
    "no_channel": "no channel open: cooperation suspended between the two",
    "conflicting_law": "order lifted: the provider's home law bars disclosing content "
    "(EU e-Evidence Art. 17)",
    "blocking_statute": "a blocking statute: the data may not leave without approval (CHN DSL 36)",
}
"""Each reason a request is refused, lost or abandoned, with the rule behind it."""
if set(REASON_RULES) != set(REASONS[1:]):
    raise TypeError("REASON_RULES must word every reason of vocabulary.REASONS")


def live_figure(snapshots: Sequence[Snapshot], title: str = "") -> Figure:
    """The live replication so far: busiest backlogs and requests in flight by channel."""
    fig = new_figure(10.0, 3.6)
    left, right = fig.subplots(1, 2)
    if not snapshots:
        for ax in (left, right):
            ax.text(0.5, 0.5, "waiting for the first days", ha="center", va="center")
            ax.set_axis_off()
        return fig
    days = np.array([s.day for s in snapshots], dtype=float)
    last = snapshots[-1]
    peak = {code: max(s.backlog.get(code, 0) for s in snapshots) for code in last.backlog}
    busiest = sorted(peak, key=lambda code: (-peak[code], code))[:BUSIEST]
    colours = group_colours(busiest)
    for code in busiest:
        left.plot(
            days, [s.backlog.get(code, 0) for s in snapshots], label=code, color=colours[code]
        )
    left.set_title("Backlog at the busiest central authorities")
    left.set_xlabel("day")
    left.set_ylabel("requests waiting or in review")
    left.legend(fontsize=7, loc="upper left")
    channels = [name for name in last.in_flight if any(s.in_flight[name] for s in snapshots)]
    colours = group_colours(list(last.in_flight))  # every channel: one colour all run long
    for name in channels:
        right.plot(days, [s.in_flight[name] for s in snapshots], label=name, color=colours[name])
    right.set_title("Requests in flight by channel")
    right.set_xlabel("day")
    right.set_yscale("symlog", linthresh=10)
    right.legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(f"{title}: day {last.day:,}", fontsize=10)
    return fig


def reasons_table(runs: Sequence[ScenarioRun]) -> pd.DataFrame:
    """Share of requests refused, lost or abandoned, by scenario, outcome and reason.

    Requests created after each run's warm-up; the share is of all of them, per replication,
    then the mean across replications.

    Returns:
        Columns ``scenario``, ``outcome``, ``reason``, ``rule``, ``share`` (0 to 1).
    """
    frames = []
    for run in runs:
        requests = run.result.requests
        kept = requests[requests["created_day"] >= run.scenario.simulation.warm_up_days]
        totals = kept.groupby("replication", observed=True).size()
        failed = kept[kept["reason"].astype(str) != ""]
        counts = (
            failed.groupby(["replication", "outcome", "reason"], observed=True)
            .size()
            .rename("count")
            .reset_index()
        )
        counts["share"] = counts["count"] / counts["replication"].map(totals).to_numpy()
        shares = (
            counts.groupby(["outcome", "reason"], observed=True)["share"].sum()
            / max(1, len(totals))
        ).reset_index()
        shares.insert(0, "scenario", run.name)
        frames.append(shares)
    table = pd.concat(frames, ignore_index=True)
    table["outcome"] = table["outcome"].astype(str)
    table["reason"] = table["reason"].astype(str)
    table.insert(3, "rule", table["reason"].map(REASON_RULES).fillna(""))
    return table.sort_values(["scenario", "share"], ascending=[True, False], ignore_index=True)


def reasons_figure(table: pd.DataFrame) -> Figure:
    """Horizontal bars: each reason's share of requests, one bar per scenario."""
    reasons = table.groupby("reason")["share"].max().sort_values(ascending=True).index.tolist()
    scenarios = list(dict.fromkeys(table["scenario"]))
    colours = group_colours(scenarios)
    fig = new_figure(10.0, 0.45 * max(3, len(reasons)) + 1.2)
    ax = fig.subplots()
    height = 0.8 / max(1, len(scenarios))
    positions = np.arange(len(reasons), dtype=float)
    for index, name in enumerate(scenarios):
        rows = table[table["scenario"] == name].groupby("reason")["share"].sum()
        values = [100.0 * rows.get(reason, 0.0) for reason in reasons]
        ax.barh(positions + index * height, values, height, label=name, color=colours[name])
    ax.set_yticks(positions + height * (len(scenarios) - 1) / 2)
    ax.set_yticklabels([REASON_RULES.get(r, r)[:70] for r in reasons], fontsize=7)
    ax.set_xlabel("share of requests (%)")
    ax.set_title("Why requests were refused, lost or abandoned")
    ax.legend(fontsize=8)
    return fig


def write_reasons(table: pd.DataFrame, directory: Path) -> tuple[Path, Path]:
    """The reasons figure as PNG and its table as CSV, in ``directory``."""
    csv = Path(directory) / "reasons.csv"
    table.to_csv(csv, index=False)
    png = save(reasons_figure(table), Path(directory) / "reasons.png")
    return png, csv
