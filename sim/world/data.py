"""The world data shipped in ``sim/data``: states, treaty memberships and bilateral ties.

The files hold facts with their sources (``sim/data/SOURCES.md``) and, in ``parameters.csv``,
the per-state parameters that no treaty list gives. This module reads and checks them; it
knows nothing of scenarios or calibrations (a calibration's fitted staff reach the world
through the scenario, :class:`sim.config.loading.Calibration`). A broken file raises
:class:`~sim.errors.WorldDataError` naming the file, the row and the problem. The module is
just over 400 lines because each file's reader keeps its checks beside it and the files name
one another (states, then memberships, ties and providers that must name known states).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sim.errors import WorldDataError
from sim.vocabulary import INSTRUMENTS, TIE_KINDS
from sim.world.blocking import BlockingStatute, read_blocking_statutes
from sim.world.reservations import RESERVATIONS_FILE, Reservation, read_reservations

LEGAL_TRADITIONS = ("common", "civil", "mixed", "religious")
_ISO3 = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class StateFacts:
    """What the sources say about one state."""

    iso3: str
    name: str
    un_member: bool
    region: str
    subregion: str
    languages: tuple[str, ...]
    legal_tradition: str
    privacy_regime: str
    eu_adequacy: str
    led_adequacy: bool
    contact_24_7: bool


@dataclass(frozen=True, slots=True)
class Membership:
    """A state's status in a multilateral instrument, from the date it binds the state."""

    iso3: str
    instrument: str
    status: str
    signed: dt.date | None
    in_force: dt.date | None
    verified: bool


@dataclass(frozen=True, slots=True)
class Tie:
    """A bilateral treaty or agreement between two states (symmetric)."""

    kind: str
    state_a: str
    state_b: str
    signed: dt.date | None
    in_force: dt.date | None
    verified: bool


@dataclass(frozen=True, slots=True)
class WorldData:
    """Everything in the world data files, checked for consistency."""

    states: dict[str, StateFacts]
    memberships: tuple[Membership, ...]
    ties: tuple[Tie, ...]
    instrument_in_force: dict[str, dt.date | None]
    parameters: dict[str, dict[str, str]]
    providers: tuple[Provider, ...] = ()
    """The major service providers by name (``providers.csv``), in file order."""
    provider_rates: tuple[ProviderRate, ...] = ()
    """Published answer rates of direct requests (``provider_rates.csv``)."""
    blocking_statutes: tuple[BlockingStatute, ...] = ()  # blocking_statutes.csv
    reservations: tuple[Reservation, ...] = ()
    """Reservations to the Second Protocol (``second_protocol_reservations.csv``)."""


@dataclass(frozen=True, slots=True)
class Provider:
    """A major service provider named in ``providers.csv``.

    It holds ``share_of_home`` of its home state's holder weight (``provider_share``); the
    rest of that weight is held by the home state's implicit domestic provider.
    """

    provider: str
    name: str
    home: str
    eu_establishment: str | None
    offers_services_in_eu: bool
    transparency_report: bool
    share_of_home: float
    verified: bool
    emergency_policy: bool = False  # discloses in an emergency: 18 U.S.C. 2702(b)(8), (c)(4)
    emergency_rate: float | None = None  # published share of emergency requests answered


ANY = "*"
"""In ``provider_rates.csv``: any requesting state (as requesting) or any listed provider."""
EU_BLOC = "EU"
"""In ``provider_rates.csv``: the EU member states, reported as one bloc."""


@dataclass(frozen=True, slots=True)
class ProviderRate:
    """A published share of direct requests answered (some data produced)."""

    provider: str
    requesting: str
    rate: float
    period: str
    verified: bool
    source: str = ""
    """The tags of ``SOURCES.md`` the rate comes from (``P3e``; several joined by ';')."""


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with their line numbers (the header is line 1)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, {key: (value or "").strip() for key, value in row.items() if key}
    except FileNotFoundError:
        raise WorldDataError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorldDataError(str(path), f"cannot be read ({exc})") from None


class _Row:
    """Typed access to one CSV row, raising errors that name the file, line and column."""

    def __init__(self, path: Path, number: int, row: dict[str, str]) -> None:
        self.where = f"{path.name} line {number}"
        self.row = row

    def text(self, column: str) -> str:
        if column not in self.row:
            raise WorldDataError(self.where, f"column '{column}' is missing")
        return self.row[column]

    def iso3(self, column: str) -> str:
        value = self.text(column)
        if not _ISO3.match(value):
            raise WorldDataError(self.where, f"{column} '{value}' is not an ISO 3166 alpha-3 code")
        return value

    def flag(self, column: str) -> bool:
        value = self.text(column).lower()
        if value not in ("true", "false"):
            raise WorldDataError(self.where, f"{column} must be true or false, not '{value}'")
        return value == "true"

    def date(self, column: str) -> dt.date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise WorldDataError(
                self.where, f"{column} '{value}' is not a YYYY-MM-DD date"
            ) from None

    def choice(self, column: str, allowed: tuple[str, ...]) -> str:
        value = self.text(column)
        if value not in allowed:
            raise WorldDataError(
                self.where, f"{column} '{value}' is not one of {', '.join(allowed)}"
            )
        return value


def _check_order(row: _Row, signed: dt.date | None, in_force: dt.date | None) -> None:
    if signed and in_force and in_force < signed:
        raise WorldDataError(row.where, "in_force is before signed")


def _known(row: _Row, states: dict[str, Any], column: str) -> str:
    code = row.iso3(column)
    if code not in states:
        raise WorldDataError(row.where, f"{column} '{code}' is not a state in states.csv")
    return code


def load_world_data(directory: str | Path | None = None) -> WorldData:
    """Read and check the world data files.

    Args:
        directory: A folder with the files; the packaged ``sim/data`` when None.

    Raises:
        WorldDataError: naming the file, line and problem of the first inconsistency.
    """
    base = Path(directory) if directory else Path(str(resources.files("sim").joinpath("data")))
    states = _read_states(base / "states.csv")
    memberships = _read_memberships(base / "memberships.csv", states)
    return WorldData(
        states,
        memberships,
        _read_ties(base / "bilateral.csv", states),
        _read_instruments(base / "instruments.csv"),
        _read_parameters(base / "parameters.csv", states),
        *_read_providers(base / "providers.csv", base / "provider_rates.csv", states),
        read_blocking_statutes(base / "blocking_statutes.csv", states),
        reservations=read_reservations(base / RESERVATIONS_FILE, memberships),
    )


def _read_states(path: Path) -> dict[str, StateFacts]:
    """The states of ``states.csv``, by ISO3 code (each once)."""
    from sim.config.schema import PRIVACY_REGIMES  # the enum lives with the scenario's tables

    states: dict[str, StateFacts] = {}
    for number, raw in _rows(path):
        row = _Row(path, number, raw)
        code = row.iso3("iso3")
        if code in states:
            raise WorldDataError(row.where, f"state '{code}' appears twice")
        states[code] = StateFacts(
            iso3=code,
            name=row.text("name"),
            un_member=row.flag("un_member"),
            region=row.text("region"),
            subregion=row.text("subregion"),
            languages=tuple(part for part in row.text("languages").split(";") if part),
            legal_tradition=row.choice("legal_tradition", LEGAL_TRADITIONS),
            privacy_regime=row.choice("privacy_regime", PRIVACY_REGIMES),
            eu_adequacy=row.text("eu_adequacy"),
            led_adequacy=row.flag("led_adequacy"),
            contact_24_7=row.flag("contact_24_7"),
        )
    return states


def _read_memberships(path: Path, states: dict[str, StateFacts]) -> tuple[Membership, ...]:
    """The treaty memberships of ``memberships.csv`` (one per state and instrument)."""
    memberships: list[Membership] = []
    seen: set[tuple[str, str]] = set()
    for number, raw in _rows(path):
        row = _Row(path, number, raw)
        code = _known(row, states, "iso3")
        instrument = row.choice("instrument", INSTRUMENTS)
        if (code, instrument) in seen:
            raise WorldDataError(row.where, f"{code} appears twice for {instrument}")
        seen.add((code, instrument))
        signed, in_force = row.date("signed"), row.date("in_force")
        _check_order(row, signed, in_force)
        status = row.choice("status", ("party", "signatory"))
        memberships.append(
            Membership(code, instrument, status, signed, in_force, row.flag("verified"))
        )
    return tuple(memberships)


def _read_ties(path: Path, states: dict[str, StateFacts]) -> tuple[Tie, ...]:
    """The bilateral ties of ``bilateral.csv`` (one per kind and pair of distinct states)."""
    ties: list[Tie] = []
    pairs: set[tuple[str, frozenset[str]]] = set()
    for number, raw in _rows(path):
        row = _Row(path, number, raw)
        kind = row.choice("kind", TIE_KINDS)
        a, b = _known(row, states, "state_a"), _known(row, states, "state_b")
        if a == b:
            raise WorldDataError(row.where, f"a tie of {a} with itself")
        if (kind, frozenset((a, b))) in pairs:
            raise WorldDataError(row.where, f"{kind} between {a} and {b} appears twice")
        pairs.add((kind, frozenset((a, b))))
        signed, in_force = row.date("signed"), row.date("in_force")
        _check_order(row, signed, in_force)
        ties.append(Tie(kind, a, b, signed, in_force, row.flag("verified")))
    return tuple(ties)


def _read_instruments(path: Path) -> dict[str, dt.date | None]:
    """Each instrument's entry into force, from ``instruments.csv`` (every instrument)."""
    in_force: dict[str, dt.date | None] = {}
    for number, raw in _rows(path):
        row = _Row(path, number, raw)
        in_force[row.choice("instrument", INSTRUMENTS)] = row.date("in_force")
    missing = set(INSTRUMENTS) - set(in_force)
    if missing:
        raise WorldDataError(path.name, f"no row for {', '.join(sorted(missing))}")
    return in_force


def _read_parameters(path: Path, states: dict[str, StateFacts]) -> dict[str, dict[str, str]]:
    """The per-state parameters of ``parameters.csv`` (non-empty cells), by ISO3 code."""
    parameters: dict[str, dict[str, str]] = {}
    for number, raw in _rows(path):
        row = _Row(path, number, raw)
        code = _known(row, states, "iso3")
        if code in parameters:
            raise WorldDataError(row.where, f"state '{code}' appears twice")
        parameters[code] = {key: value for key, value in raw.items() if key != "iso3" and value}
    return parameters


def _fraction(row: _Row, column: str, *, empty: float | None = None) -> float:
    value = row.text(column)
    if not value and empty is not None:
        return empty
    try:
        number = float(value)
    except ValueError:
        raise WorldDataError(row.where, f"{column} '{value}' is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise WorldDataError(row.where, f"{column} {number} is not between 0 and 1")
    return number


def _read_providers(
    path: Path, rates_path: Path, states: dict[str, StateFacts]
) -> tuple[tuple[Provider, ...], tuple[ProviderRate, ...]]:
    """The providers of ``providers.csv`` and their rates in ``provider_rates.csv``.

    A provider appears once, with a known home state; the shares of one home state's
    providers add up to at most 1 (the rest is its domestic provider's). A rate names a listed
    provider or ``*`` (any listed provider without a row of its own for the requesting
    state), and a requesting state, ``EU`` (the bloc) or ``*`` (any); each pair once.
    """
    providers: list[Provider] = []
    names: set[str] = set()
    shares: dict[str, float] = {}
    for number, raw in _rows(path):
        row = _Row(path, number, raw)
        name = row.text("provider")
        if not re.match(r"^[a-z0-9_]+$", name):
            raise WorldDataError(row.where, f"provider '{name}' is not a lower-case identifier")
        if name in names or name == "domestic":
            raise WorldDataError(row.where, f"provider '{name}' appears twice or is reserved")
        names.add(name)
        home = _known(row, states, "home")
        eu_site = _known(row, states, "eu_establishment") if row.text("eu_establishment") else None
        share = _fraction(row, "share_of_home", empty=0.0)
        shares[home] = shares.get(home, 0.0) + share
        if shares[home] > 1.0 + 1e-9:
            raise WorldDataError(row.where, f"the shares of {home}'s providers exceed 1")
        if not row.text("source"):
            raise WorldDataError(row.where, "source is empty")
        emergency, rate = row.flag("emergency_policy"), _fraction(row, "emergency_rate", empty=-1)
        if rate >= 0.0 and not emergency:
            raise WorldDataError(row.where, "an emergency_rate needs emergency_policy = true")
        providers.append(
            Provider(
                *(name, row.text("name"), home, eu_site, row.flag("offers_services_in_eu")),
                *(row.flag("transparency_report"), share, row.flag("verified")),
                *(emergency, rate if rate >= 0.0 else None),
            )
        )
    rates: list[ProviderRate] = []
    pairs: set[tuple[str, str]] = set()
    for number, raw in _rows(rates_path):
        row = _Row(rates_path, number, raw)
        name = row.text("provider")
        if name != ANY and name not in names:
            raise WorldDataError(row.where, f"provider '{name}' is not in providers.csv")
        requesting = row.text("requesting")
        if requesting not in (ANY, EU_BLOC):
            requesting = _known(row, states, "requesting")
        if name == ANY and requesting in (ANY, EU_BLOC):
            raise WorldDataError(row.where, "a row for any provider must name a state")
        if (name, requesting) in pairs:
            raise WorldDataError(row.where, f"{name} and {requesting} appear twice")
        pairs.add((name, requesting))
        if not row.text("period") or not row.text("source"):
            raise WorldDataError(row.where, "period and source must be given")
        rate, period, source = _fraction(row, "rate"), row.text("period"), row.text("source")
        rates.append(ProviderRate(name, requesting, rate, period, row.flag("verified"), source))
    return tuple(providers), tuple(rates)


def world_data_files(directory: str | Path | None = None) -> dict[str, str]:
    """SHA-256 of each file :func:`load_world_data` reads from ``directory``, by file name.

    A run's manifest records them, and a stored run is reused only if they are unchanged.

    Args:
        directory: A folder with the files; the packaged ``sim/data`` when None.

    Raises:
        WorldDataError: if a file is missing or cannot be read.
    """
    base = Path(directory) if directory else Path(str(resources.files("sim").joinpath("data")))
    names = ["states.csv", "memberships.csv", "bilateral.csv", "instruments.csv"]
    names += ["parameters.csv", "providers.csv", "provider_rates.csv", "blocking_statutes.csv"]
    names += [RESERVATIONS_FILE]
    hashes = {}
    for name in names:
        try:
            hashes[name] = hashlib.sha256((base / name).read_bytes()).hexdigest()
        except FileNotFoundError:
            raise WorldDataError(str(base / name), "file not found") from None
        except OSError as exc:
            raise WorldDataError(str(base / name), f"cannot be read ({exc})") from None
    return hashes
