"""A comparison, and a run's share of evidence needs met, written for people.

:mod:`sim.analysis.comparison` computes the statistics; this module only words and lays them
out, so the numbers in ``comparison.md`` and on the terminal are the rows of
``comparison.csv``, rounded. Shares (:data:`sim.analysis.statistics.SHARE_METRICS`) are
shown in percent and their differences in percentage points; a value that cannot be
estimated reads ``n/a`` rather than ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim.analysis import statistics
from sim.analysis.comparison import (
    CI_METHOD,
    METRIC_LABELS,
    METRICS,
    TIME_TO_EVIDENCE_METHOD,
    Comparison,
)
from sim.analysis.runs import ScenarioRun
from sim.config.loading import scenario_digest


def _scale(metric: str) -> float:
    """100 for shares (stored 0-1, read in percent), 1 for days and counts."""
    return 100.0 if metric in statistics.SHARE_METRICS else 1.0


def _number(value: float, metric: str, signed: bool = False) -> str:
    """One decimal in the metric's unit; signed for differences, ``n/a`` when not estimable."""
    if not math.isfinite(value):
        return "n/a"
    scaled = round(value * _scale(metric), 1) + 0.0  # + 0.0: no "-0.0"
    return f"{scaled:+.1f}" if signed else f"{scaled:.1f}"


def _interval(low: float, high: float, metric: str, signed: bool = False) -> str:
    """``[low, high]`` as :func:`_number` writes them; ``[n/a]`` with fewer than two values."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "[n/a]"
    return f"[{_number(low, metric, signed)}, {_number(high, metric, signed)}]"


def format_table(comparison: Comparison, group: str = statistics.ALL) -> str:
    """The headline metrics of one group as a plain-text table for the terminal."""
    rows = comparison.table[comparison.table["group"] == group]
    reference = comparison.reference
    header = ("metric", "scenario", "estimate [95% CI]", f"paired diff vs {reference} [95% CI]")
    lines: list[tuple[str, ...]] = []
    for metric in METRICS:
        block = rows[rows["metric"] == metric]
        for position, row in enumerate(block.itertuples(index=False)):
            estimate = (
                f"{_number(row.estimate, metric)} {_interval(row.ci_low, row.ci_high, metric)}"
            )
            diff = ""
            if row.scenario != reference:
                diff = (
                    f"{_number(row.diff, metric, True)} "
                    f"{_interval(row.diff_ci_low, row.diff_ci_high, metric, True)}"
                )
            lines.append(
                (METRIC_LABELS[metric] if position == 0 else "", row.scenario, estimate, diff)
            )
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]

    def render(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    title = (
        f"{len(comparison.scenarios)} scenarios, group '{group}': seed {comparison.seed}, "
        f"{comparison.replications} replications each (common random numbers)"
    )
    notes = [
        "Estimates: mean across replications [95% Student-t CI]. Differences: scenario minus "
        f"{reference}, paired by replication [95% paired-t CI]; percentages differ in points.",
    ]
    body = [render(header), render(tuple("-" * w for w in widths))]
    body += [render(line).rstrip() for line in lines]
    return "\n".join([title, *body, *notes])


def _md_cell(text: str) -> str:
    """Escape ``|`` so a scenario or group name cannot break the Markdown table."""
    return text.replace("|", "\\|")


def format_markdown(comparison: Comparison, runs: Sequence[ScenarioRun] = ()) -> str:
    """The comparison as Markdown: the method, the scenarios, and a table per metric."""
    reference = comparison.reference
    lines = [
        f"# Comparison: {' vs '.join(comparison.scenarios)}",
        "",
        f"Reference scenario: **{reference}**. Seed {comparison.seed}, "
        f"{comparison.replications} replications per scenario, requests grouped by "
        f"`{comparison.by}` (`all`: every request).",
        "",
        f"**Confidence intervals.** {CI_METHOD}",
        "",
        f"**Metrics.** {TIME_TO_EVIDENCE_METHOD} Requests created during the warm-up are left "
        "out. Backlog: requests waiting at central authorities, averaged over the days from "
        "the end of the warm-up to the start of the run-out (or drain); world total in `all`"
        + (
            f", the {'requested state' if comparison.by == 'requested' else 'region'}'s "
            "own in its group"
            if comparison.by in ("requested", "region")
            else ""
        )
        + ". Percentages differ in percentage points.",
        "",
    ]
    if runs:
        lines += [
            "| scenario | records | result directory | scenario SHA-256 |",
            "|---|---|---|---|",
        ]
        for run in runs:
            source = "reused (manifest matches)" if run.reused else "simulated"
            lines.append(
                f"| {run.name} | {source} | `{run.directory}` | "
                f"`{scenario_digest(run.scenario)[:16]}` |"
            )
        lines.append("")
    table = comparison.table
    for metric in METRICS:
        block = table[table["metric"] == metric]
        if block.empty:
            continue
        lines += [
            f"## {METRIC_LABELS[metric][0].upper()}{METRIC_LABELS[metric][1:]}",
            "",
            f"| group | scenario | estimate | 95% CI | diff vs {reference} | "
            "paired 95% CI (CRN) | unpaired 95% CI (Welch) | replications |",
            "|---|---|---:|---|---:|---|---|---:|",
        ]
        for row in block.itertuples(index=False):
            is_reference = row.scenario == reference
            cells = [
                row.group,
                row.scenario,
                _number(row.estimate, metric),
                _interval(row.ci_low, row.ci_high, metric),
                "(reference)" if is_reference else _number(row.diff, metric, True),
                "" if is_reference else _interval(row.diff_ci_low, row.diff_ci_high, metric, True),
                ""
                if is_reference
                else _interval(row.diff_unpaired_ci_low, row.diff_unpaired_ci_high, metric, True),
                str(row.replications),
            ]
            lines.append("| " + " | ".join(_md_cell(str(c)) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def format_needs(section: Mapping[str, Any]) -> str:
    """The share of evidence needs met, in two lines, from summary.json's ``evidence_needs``.

    The request level counts unpursued needs as not met; the case level says how many cases
    got all, some or none of their evidence.
    """

    def share(name: str) -> str:
        cell = section[name]
        if cell["estimate"] is None:
            return "n/a"
        text = f"{100 * cell['estimate']:.1f}%"
        if cell["ci_low"] is not None and cell["ci_high"] is not None:
            text += f" ({100 * cell['ci_low']:.1f}-{100 * cell['ci_high']:.1f})"
        return text

    return (
        f"evidence needs met: {share('share_met')} of {section['needs']:,.0f} needs a "
        f"replication ({share('share_pursued')} pursued, {section['unpursued']:,.0f} not)\n"
        f"cases with all / some / none of their evidence: {share('cases_all')} / "
        f"{share('cases_some')} / {share('cases_none')}"
    )


def format_loss(section: Mapping[str, Any]) -> str:
    """Evidence lost among formal MLA requests, with its largest drivers, in one line.

    From summary.json's ``loss``: the share of formal requests lost, then each driver's share
    of them, largest first (drivers of no loss left out).
    """
    formal = section["formal_mla"]
    lost = formal["share_lost"]["estimate"]
    if lost is None:
        return "evidence lost: no formal MLA requests"
    drivers = sorted(
        (
            (cell["estimate"], name)
            for name, cell in formal["share_lost_by_driver"].items()
            if cell["estimate"]
        ),
        reverse=True,
    )
    parts = ", ".join(f"{name.replace('_', ' ')} {100 * share:.1f}%" for share, name in drivers)
    return f"evidence lost: {100 * lost:.1f}% of formal MLA requests" + (
        f" ({parts})" if parts else ""
    )
