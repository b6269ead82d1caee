"""The loaded world as one table: a row per state with its facts and treaty ties.

Researchers and teachers need to see what the simulation believes about the world before they
trust its delays, and to check it against the sources. The table gathers, for each state, what
``sim/data`` says (identity, legal framework, privacy regime, status in each instrument,
bilateral partners, 24/7 contact) and, in the ``unverified`` column, which of those facts no
source confirms. An unverified fact stays visibly marked wherever the table goes (terminal,
CSV, JSON); it is never silently promoted to a fact.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sim.errors import WorldDataError
from sim.vocabulary import INSTRUMENTS
from sim.world.data import WorldData

WorldFormat = Literal["table", "csv", "json"]
FORMATS: tuple[WorldFormat, ...] = ("table", "csv", "json")

COLUMNS: tuple[str, ...] = (
    "iso3",
    "name",
    "un_member",
    "region",
    "languages",
    "legal_tradition",
    "privacy_regime",
    "eu_adequacy",
    "led_adequacy",
    *INSTRUMENTS,
    "cloud_act_partners",
    "mlat_partners",
    "mla_agreement_partners",
    "suspended_partners",
    "contact_24_7",
    "unverified",
)
"""Columns of :func:`world_table`, in order. ``led_adequacy`` says whether the state's EU
adequacy also covers law-enforcement data (Directive (EU) 2016/680); the instrument columns
hold ``party``, ``signatory`` or ``none``. ``suspended_partners`` lists the states with which the
state's cooperation in criminal matters is suspended (no formal channel between them)."""

LIST_COLUMNS: tuple[str, ...] = (
    "languages",
    "cloud_act_partners",
    "mlat_partners",
    "mla_agreement_partners",
    "suspended_partners",
    "unverified",
)
"""Columns holding ';'-joined lists (JSON output turns them into arrays)."""

BOOL_COLUMNS: tuple[str, ...] = ("un_member", "led_adequacy", "contact_24_7")

TIE_COLUMNS: dict[str, str] = {
    "cloud_act": "cloud_act_partners",
    "mlat": "mlat_partners",
    "mla_agreement": "mla_agreement_partners",
    "suspended": "suspended_partners",
}
"""The column that lists a state's partners for each kind of bilateral tie."""

TABLE_HEADERS: dict[str, str] = {
    "un_member": "un",
    "languages": "lang",
    "legal_tradition": "legal",
    "privacy_regime": "privacy",
    "eu_adequacy": "adequacy",
    "led_adequacy": "led",
    "second_protocol": "protocol2",
    "e_evidence": "e_evid",
    "un_cybercrime": "un_cyber",
    "ecma_1959": "ets030",
    "asean_mla": "asean",
    "eu_us_mla": "eu_us",
    "eu_japan_mla": "eu_jpn",
    "eu_uk_tca": "eu_uk",
    "cloud_act_partners": "cloud_act",
    "mlat_partners": "mlat",
    "mla_agreement_partners": "mla_agr",
    "suspended_partners": "suspended",
    "contact_24_7": "24/7",
}
"""Shorter headers for the terminal table, where width is scarce; CSV and JSON keep the names."""

_TABLE_LIST_ITEMS = 3
_TABLE_NAME_WIDTH = 22
_VERIFIED_SUFFIX = "_verified"


def unverified_state_facts(directory: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """Which state facts ``states.csv`` marks unverified, per state.

    :class:`~sim.world.build.data.StateFacts` keeps only the values, so the flags are read here from
    the file's ``<fact>_verified`` columns: a ``false`` there names ``<fact>`` as unverified for
    that state. A file without such columns marks nothing.

    Args:
        directory: The folder the world data was loaded from; the packaged ``sim/data`` when
            None.

    Returns:
        For each state with at least one unverified fact, the names of those facts.

    Raises:
        WorldDataError: if the file is missing or a flag is not ``true`` or ``false``.
    """
    base = Path(directory) if directory else Path(str(resources.files("sim").joinpath("data")))
    path = base / "states.csv"
    flagged: dict[str, tuple[str, ...]] = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                facts = []
                for column, value in row.items():
                    if not column or not column.endswith(_VERIFIED_SUFFIX):
                        continue
                    flag = (value or "").strip().lower()
                    if flag not in ("true", "false"):
                        raise WorldDataError(
                            f"states.csv line {number}",
                            f"{column} must be true or false, not '{flag}'",
                        )
                    if flag == "false":
                        facts.append(column.removesuffix(_VERIFIED_SUFFIX))
                if facts:
                    flagged[(row.get("iso3") or "").strip()] = tuple(facts)
    except FileNotFoundError:
        raise WorldDataError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorldDataError(str(path), f"cannot be read ({exc})") from None
    return flagged


def world_table(data: WorldData, directory: str | Path | None = None) -> pd.DataFrame:
    """One row per state of the world data, sorted by ISO code.

    Multilateral instruments become a column each (``party``, ``signatory`` or ``none``);
    bilateral ties become ';'-joined, sorted lists of partner codes. The ``unverified`` column
    lists, in column order, the facts of the row that the data marks unverified: the state's
    own ``*_verified`` flags, a membership with ``verified=false`` (its instrument column) and
    an unverified bilateral tie (its partners column, on both states' rows). Facts that
    ``SOURCES.md`` calls unverified for every state alike (languages, M49 regions) carry no
    per-row flag in the data and are not listed.

    Args:
        data: The loaded world data.
        directory: The folder ``data`` was loaded from, for the state-level ``*_verified``
            flags; the packaged ``sim/data`` when None.

    Returns:
        A frame with the columns of :data:`COLUMNS` (lists as ';'-joined strings, empty when
        there is none).
    """
    state_flags = unverified_state_facts(directory)
    status: dict[tuple[str, str], str] = {}
    unverified: dict[str, set[str]] = defaultdict(set)
    for membership in data.memberships:
        status[(membership.iso3, membership.instrument)] = membership.status
        if not membership.verified:
            unverified[membership.iso3].add(membership.instrument)
    partners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for tie in data.ties:
        column = TIE_COLUMNS[tie.kind]
        for state, partner in ((tie.state_a, tie.state_b), (tie.state_b, tie.state_a)):
            partners[(state, column)].add(partner)
            if not tie.verified:
                unverified[state].add(column)

    rows: list[dict[str, Any]] = []
    for code in sorted(data.states):
        state = data.states[code]
        flags = unverified[code] | set(state_flags.get(code, ()))
        rows.append(
            {
                "iso3": code,
                "name": state.name,
                "un_member": state.un_member,
                "region": state.region,
                "languages": ";".join(state.languages),
                "legal_tradition": state.legal_tradition,
                "privacy_regime": state.privacy_regime,
                "eu_adequacy": state.eu_adequacy,
                "led_adequacy": state.led_adequacy,
                **{name: status.get((code, name), "none") for name in INSTRUMENTS},
                **{
                    column: ";".join(sorted(partners[(code, column)]))
                    for column in TIE_COLUMNS.values()
                },
                "contact_24_7": state.contact_24_7,
                "unverified": ";".join(_in_column_order(flags)),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _in_column_order(facts: set[str]) -> list[str]:
    """Fact names in the table's column order; facts without a column follow, sorted."""
    rank = {column: index for index, column in enumerate(COLUMNS)}
    return sorted(facts, key=lambda fact: (rank.get(fact, len(rank)), fact))


def format_world(frame: pd.DataFrame, fmt: str) -> str:
    """The world table as text, ending with a line break.

    Args:
        frame: A frame from :func:`world_table`.
        fmt: ``table`` for a terminal (aligned columns, short headers, long lists and names
            abbreviated), ``csv`` (every value in full, booleans as ``true``/``false`` like the
            data files) or ``json`` (a list of records, one per line, lists as arrays).

    Raises:
        ValueError: if ``fmt`` is not one of :data:`FORMATS`.
    """
    formatters: dict[str, Callable[[pd.DataFrame], str]] = {
        "table": _as_table,
        "csv": _as_csv,
        "json": _as_json,
    }
    if fmt not in formatters:
        raise ValueError(f"Specify a format out of {', '.join(FORMATS)}, not '{fmt}'")
    return formatters[fmt](frame)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values (no numpy scalars), so any writer can take them."""
    records = []
    for row in frame.to_dict(orient="records"):
        records.append(
            {
                str(key): bool(value) if key in BOOL_COLUMNS else str(value)
                for key, value in row.items()
            }
        )
    return records


def _split(value: str) -> list[str]:
    return [part for part in value.split(";") if part]


def _as_csv(frame: pd.DataFrame) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(frame.columns), lineterminator="\n")
    writer.writeheader()
    for record in _records(frame):
        writer.writerow(
            {
                key: ("true" if value else "false") if key in BOOL_COLUMNS else value
                for key, value in record.items()
            }
        )
    return text.getvalue()


def _as_json(frame: pd.DataFrame) -> str:
    records = [
        {key: _split(value) if key in LIST_COLUMNS else value for key, value in record.items()}
        for record in _records(frame)
    ]
    if not records:
        return "[]\n"
    body = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    return f"[\n{body}\n]\n"


def _abbreviate_list(value: str) -> str:
    """At most a few items, then how many more: ``AUS;BHS;BLZ +61``."""
    items = _split(value)
    if len(items) <= _TABLE_LIST_ITEMS:
        return ";".join(items) or "-"
    return f"{';'.join(items[:_TABLE_LIST_ITEMS])} +{len(items) - _TABLE_LIST_ITEMS}"


def _table_cell(column: str, value: str | bool) -> str:
    if column in BOOL_COLUMNS:
        return "yes" if value else "no"
    text = str(value)
    if column == "unverified":
        return text or "-"  # never abbreviated: it is the mark the reader must see
    if column in LIST_COLUMNS:
        return _abbreviate_list(text)
    if column == "name" and len(text) > _TABLE_NAME_WIDTH:
        return text[: _TABLE_NAME_WIDTH - 1] + "…"
    return text


def _as_table(frame: pd.DataFrame) -> str:
    columns: Sequence[str] = list(frame.columns)
    headers = [TABLE_HEADERS.get(column, column) for column in columns]
    cells = [
        [_table_cell(column, record[column]) for column in columns] for record in _records(frame)
    ]
    widths = [
        max([len(header)] + [len(row[i]) for row in cells]) for i, header in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(value.ljust(width) for value, width in zip(values, widths, strict=True))

    rows = [line(headers), *(line(row) for row in cells)]
    return "\n".join(row.rstrip() for row in rows) + "\n"
