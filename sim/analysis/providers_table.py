"""The listed providers and the rate each answers direct requests at, as plain records.

A researcher reading a run's ``provider_declined`` refusals needs to know which answer rates
are published and which the model fills in, and by which step of the fallback rule. This
module lays ``providers.csv`` and, for every (provider, requesting state) pair, the rate of
:func:`sim.rules.providers.answer_rule` (the function the engine's rates come from, so the two
cannot disagree) beside the ``provider_rates.csv`` row it used, with that row's period, source
tags and ``verified`` flag. ``mlatsim providers`` prints the records; the CLI only parses and
prints.

The model holds a listed provider's data in its home state (the holder state whose weight it
shares); ``eu_establishment`` is the entity that answers EU requests where a source names it.
EU membership is read from ``memberships.csv`` (party to ``eu``); a run reads it on its first
day, which gives the same members for any start date after 2013 (Croatia's accession).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

from sim.errors import InputError
from sim.rules.providers import AnswerRule, Step, answer_rule, rate_table
from sim.world.data import ANY, Provider, ProviderRate, WorldData

ProvidersFormat = Literal["text", "csv"]
FORMATS: tuple[ProvidersFormat, ...] = ("text", "csv")

STEP_LABELS: dict[Step, str] = {
    Step.OWN_ROW: "published",
    Step.ANY_PROVIDER: "fallback 2 (any provider's row)",
    Step.EU_BLOC: "fallback 3 (EU-bloc row)",
    Step.GLOBAL: "fallback 4 (global row)",
    Step.ASSUMED: "fallback 5 (assumed)",
}
"""How the text table names each step (docs/model.md 7.9); only step 1 is the provider's own
published rate for the requesting state."""

CSV_COLUMNS: tuple[str, ...] = (
    "provider",
    "name",
    "home",
    "eu_establishment",
    "offers_services_in_eu",
    "transparency_report",
    "share_of_home",
    "provider_verified",
    "requesting",
    "requesting_in_eu",
    "rate",
    "basis",
    "step",
    "row_provider",
    "row_requesting",
    "period",
    "source",
    "rate_verified",
)
"""Columns of the CSV output: one row per (provider, requesting state). ``basis`` is
``published`` (step 1) or ``fallback`` (steps 2-5); ``row_provider`` and ``row_requesting``
name the ``provider_rates.csv`` row used (empty at step 5), and ``period``, ``source`` and
``rate_verified`` are that row's (empty likewise)."""


@dataclass(frozen=True, slots=True)
class RateRecord:
    """One provider's answer rate for one requesting state, and the rule that gave it.

    Attributes:
        provider: The provider's identifier in ``providers.csv``.
        requesting: The requesting state's ISO3 code.
        requesting_in_eu: Whether that state is an EU member (fallback step 3 reads it).
        rule: The rate, step and row of :func:`~sim.rules.providers.answer_rule`.
        published: The ``provider_rates.csv`` row used, or None at step 5.
    """

    provider: str
    requesting: str
    requesting_in_eu: bool
    rule: AnswerRule
    published: ProviderRate | None

    @property
    def basis(self) -> str:
        """``published`` for the provider's own row for the state, else ``fallback``."""
        return "published" if self.rule.step is Step.OWN_ROW else "fallback"


def eu_members(data: WorldData) -> frozenset[str]:
    """The states ``memberships.csv`` makes parties to the EU."""
    return frozenset(
        m.iso3 for m in data.memberships if m.instrument == "eu" and m.status == "party"
    )


def default_domestic_rate() -> float:
    """A domestic provider's rate, and fallback step 5: the defaults' ``1 - p_provider_decline``.

    Read from the packaged defaults with the default calibration laid over them, as a run of a
    scenario that leaves ``channels.direct_provider`` alone would read it.
    """
    from sim.config.loading import default_settings

    settings = default_settings()
    return 1.0 - float(settings["channels"]["direct_provider"]["p_provider_decline"])


def select_provider(data: WorldData, name: str) -> Provider:
    """The provider named ``name`` (its identifier or display name, any case).

    Raises:
        InputError: naming the known providers if there is no such provider.
    """
    wanted = name.strip().casefold()
    for provider in data.providers:
        if wanted in (provider.provider.casefold(), provider.name.casefold()):
            return provider
    known = ", ".join(p.provider for p in data.providers)
    raise InputError("--provider", f"'{name}' is not a provider of providers.csv ({known})")


def select_state(data: WorldData, code: str) -> str:
    """The ISO3 code ``code`` (any case) if it is a state of ``states.csv``.

    Raises:
        InputError: if it is not.
    """
    wanted = code.strip().upper()
    if wanted not in data.states:
        raise InputError("--requesting", f"'{code}' is not an ISO3 code of a state in states.csv")
    return wanted


def rate_records(
    data: WorldData,
    domestic_rate: float,
    providers: Sequence[Provider] | None = None,
    requesting: Sequence[str] | None = None,
) -> list[RateRecord]:
    """Every (provider, requesting state) pair's rate, by provider in file order, then state.

    Args:
        data: The loaded world data.
        domestic_rate: Fallback step 5, the direct channel's ``1 - p_provider_decline``.
        providers: The providers to show; every listed one when None.
        requesting: The requesting states (ISO3); every state of the data when None.
    """
    rates = rate_table(data.provider_rates)
    rows = {(row.provider, row.requesting): row for row in data.provider_rates}
    members = eu_members(data)
    states = sorted(data.states) if requesting is None else list(requesting)
    records = []
    for provider in data.providers if providers is None else providers:
        for state in states:
            in_eu = state in members
            rule = answer_rule(provider.provider, state, in_eu, rates, domestic_rate)
            published = rows[rule.row] if rule.row is not None else None
            records.append(RateRecord(provider.provider, state, in_eu, rule, published))
    return records


def format_providers(
    providers: Sequence[Provider],
    records: Sequence[RateRecord],
    domestic_rate: float,
    fmt: str,
) -> str:
    """The providers and their rates as text, ending with a line break.

    Args:
        providers: The providers shown, in order.
        records: Their rates, from :func:`rate_records`.
        domestic_rate: The rate of step 5 and of every domestic provider, for the notes.
        fmt: ``text`` (a table of providers, then one of rates where the states a fallback
            step covers share a line) or ``csv`` (one row per provider and state, every
            value in full, for pandas).

    Raises:
        ValueError: if ``fmt`` is not one of :data:`FORMATS`.
    """
    if fmt == "text":
        return _as_text(providers, records, domestic_rate)
    if fmt == "csv":
        return _as_csv(providers, records)
    raise ValueError(f"Specify a format out of {', '.join(FORMATS)}, not '{fmt}'")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _as_csv(providers: Sequence[Provider], records: Sequence[RateRecord]) -> str:
    by_name = {p.provider: p for p in providers}
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        p = by_name[record.provider]
        row = record.published
        writer.writerow(
            (
                *(p.provider, p.name, p.home, p.eu_establishment or ""),
                *(_flag(p.offers_services_in_eu), _flag(p.transparency_report)),
                *(repr(p.share_of_home), _flag(p.verified)),
                *(record.requesting, _flag(record.requesting_in_eu), repr(record.rule.rate)),
                *(record.basis, int(record.rule.step)),
                *(record.rule.row or ("", "")),
                *(
                    (row.period, row.source, _flag(row.verified))
                    if row is not None
                    else ("", "", "")
                ),
            )
        )
    return text.getvalue()


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _provider_lines(providers: Sequence[Provider]) -> list[str]:
    header = ("provider", "name", "home", "eu_site", "eu_services", "transparency", "share")
    rows = [
        (
            *(p.provider, p.name, p.home, p.eu_establishment or "-"),
            *(_yes(p.offers_services_in_eu), _yes(p.transparency_report)),
            f"{p.share_of_home:.2f}" if p.share_of_home > 0.0 else "-",
            _yes(p.verified),
        )
        for p in providers
    ]
    return _aligned([(*header, "verified"), *rows])


def _rate_lines(records: Sequence[RateRecord]) -> list[str]:
    """One line per published row used; the states one fallback row covers share a line.

    Within a provider and a step, every state at steps 3 to 5 uses the same row (or none), and
    every state at steps 1 and 2 a row of its own, so grouping by step groups by row.
    """
    order = {name: n for n, name in enumerate(dict.fromkeys(r.provider for r in records))}
    ordered = sorted(records, key=lambda r: (order[r.provider], r.rule.step, r.requesting))
    header = ("provider", "requesting", "rate", "basis", "row", "period", "source", "verified")
    rows = [header]
    for _, group in groupby(ordered, key=lambda r: (r.provider, r.rule.step, r.rule.row)):
        members = list(group)
        first, published = members[0], members[0].published
        if len(members) == 1:
            requesting = first.requesting
        elif first.rule.step is Step.EU_BLOC:
            requesting = f"{len(members)} EU states"
        else:
            requesting = f"{len(members)} states"
        rows.append(
            (
                *(first.provider, requesting, f"{first.rule.rate:.4f}"),
                STEP_LABELS[first.rule.step],
                "/".join(first.rule.row) if first.rule.row is not None else "-",
                *(
                    (published.period, published.source, _yes(published.verified))
                    if published is not None
                    else ("-", "-", "-")
                ),
            )
        )
    return _aligned(rows)


def _as_text(
    providers: Sequence[Provider], records: Sequence[RateRecord], domestic_rate: float
) -> str:
    lines = [
        "Providers (sim/data/providers.csv; share = of the home state's holder weight, "
        "- = none published)",
        *_provider_lines(providers),
        "",
        "Direct-request answer rates (share of requests with some data produced; rows of "
        "sim/data/provider_rates.csv, sources in sim/data/SOURCES.md)",
        *_rate_lines(records),
        "",
        "Steps (docs/model.md 7.9): 1 the provider's row for the state; 2 the row for every "
        f"provider ({ANY}) and the state;",
        "3 the provider's EU row, for an EU member; 4 its global row; 5 none applies: "
        f"1 - p_provider_decline = {domestic_rate:.4f} (an assumption).",
        f"A state's domestic provider answers every direct request at {domestic_rate:.4f}.",
    ]
    return "\n".join(lines) + "\n"
