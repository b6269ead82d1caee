"""Derive ``parameters.csv`` (one row per state) from documented observables.

Run from the repository root::

    .venv/bin/python tools/derive_parameters.py

Reads ``states.csv``, ``memberships.csv`` and ``observables.csv`` (sources in
``OBSERVABLES.md``) and writes ``parameters.csv``. Every anchor number is a named constant
below, with its source; every rule is one function. The script is deterministic: the same
inputs give the same file, byte for byte. ``ca_staff`` is not derived: central-authority
staff is sized by the calibration step, so the value already in ``parameters.csv`` is kept
(and ``DEFAULT_CA_STAFF`` written for a state without one).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "sim" / "data"
"""The packaged world data this tool reads (observables) and writes (parameters.csv)."""
COLUMNS = (
    "iso3",
    "ca_staff",
    "cases_per_year",
    "provider_share",
    "retention_days",
    "cyber_law_completeness",
    "evidentiary_standard",
    "voluntary_disclosure",
    "clarification_factor",
    "provider_preservation",
    "g7_network",
    "basis",
)
REFERENCE_DATE = dt.date(2026, 1, 1)  # memberships in force on the default simulation start

# --- Demand: cases_per_year ------------------------------------------------------------------
# SIRIUS EU Digital Evidence Situation Report 2023 (2022 data): EU authorities sent 211,933
# direct requests to foreign online service providers (OBSERVABLES.md: SIRIUS-2023).
SIRIUS_EU_REQUESTS_2022 = 211_933
# Meta Transparency Report 2022: 237,414 (H1) + 239,388 (H2) government requests worldwide,
# of which the US sent 69,363 (H1) + 64,148 (H2) (META-TR-2022). Non-US requests are all
# cross-border requests to a US provider (or its Irish establishment).
META_REQUESTS_WORLD_2022 = 237_414 + 239_388
META_REQUESTS_USA_2022 = 69_363 + 64_148
# Meta's share of all EU direct requests to providers in 2022: "more than 83,000" of 211,933
# (SIRIUS-2023 via Tweakers). Scales Meta's counts up to all providers.
META_SHARE_OF_PROVIDER_REQUESTS = 83_000 / SIRIUS_EU_REQUESTS_2022
# Meta counts one half-year (H1 2022) per state in observables.csv: times two for a year.
HALF_YEARS_PER_YEAR = 2
# A case needs 1 + Poisson(0.4) foreign holders (defaults.toml demand.extra_holders_mean),
# and about 70% of requests go direct to a provider (assumption, DESIGN section 1: most
# evidence sits with US providers that answer non-content direct requests). So a case makes
# 1.4 * 0.7 = 0.98 direct requests and cases = direct requests / 0.98.
REQUESTS_PER_CASE = 1.4
DIRECT_SHARE_OF_REQUESTS = 0.7
# Enforcement intensity (direct requests per internet user, relative) for states with no
# published count. Parties to the Budapest Convention have specialised units, 24/7 points
# of contact and established provider contacts; others send fewer requests (assumption).
INTENSITY_BUDAPEST_PARTY = 1.0
INTENSITY_OTHER = 0.5
# Where the big US services are blocked or restricted, requests to them are rare: Google
# and Meta services are blocked in China (since 2009-2010); Meta was banned in Russia in
# 2022; North Korea has next to no public internet (assumption, no per-state count found).
INTENSITY_RESTRICTED = {"CHN": 0.02, "RUS": 0.1, "PRK": 0.02}
# SIRIUS 2020 (2019 data): 76% of EU requests go to Google, Facebook and Microsoft (US). A US
# investigation finds that share at home, so only the rest needs evidence abroad.
US_PROVIDERS_SHARE_OF_REQUESTS = 0.76
MIN_CASES_PER_YEAR = 1

# --- Where requested data is held: provider_share --------------------------------------------
# Relative weights (they need not sum to 1). SIRIUS: 76% of EU requests go to US providers;
# their EU establishments are mostly in Ireland.
PROVIDER_SHARE_ANCHORS = {"USA": 0.60, "IRL": 0.08}
# Hosting and data-centre hubs (large colocation and cloud-region markets; assumption):
# each gets a fixed bonus on top of its internet-user term.
HOSTING_HUBS = ("NLD", "DEU", "GBR", "FRA", "SGP", "JPN", "CAN", "SWE", "CHE", "HKG", "KOR")
HOSTING_HUB_BONUS = 0.012
# The other states share this much weight in proportion to their internet users (domestic
# providers serve domestic users).
INTERNET_USER_POOL = 0.12
PROVIDER_SHARE_FLOOR = 0.0001

# --- Retention and preservation --------------------------------------------------------------
# Statutory retention (of traffic data) where observables.csv names a law; otherwise empty, so
# the scenario's [retention] periods by data type apply (docs/model.md section 7.2).
# Providers that preserve data on a foreign request (18 U.S.C. 2703(f) in the USA), and
# members of the G7 24/7 network that are not Budapest parties where a source names them.
PROVIDER_PRESERVATION = frozenset({"USA"})
G7_NETWORK_NOTES = {
    "RUS": "founding G8 member of the 24/7 network (1997-98), current status unverified"
}

# --- Legal framework -------------------------------------------------------------------------
# Completeness of substantive cybercrime law (0-1), by harmonisation instrument (assumption):
# Budapest parties have implemented its offences (Arts. 2-11); EU members also Directive
# 2013/40/EU on attacks against information systems; signatories are part way.
COMPLETENESS_OTHER = 0.6
COMPLETENESS_UN_SIGNATORY = 0.65
COMPLETENESS_BUDAPEST_SIGNATORY = 0.7
COMPLETENESS_BUDAPEST_PARTY = 0.85
COMPLETENESS_EU_BONUS = 0.1
COMPLETENESS_MAX = 0.95
# Evidentiary standard for compelled content disclosure: probable cause in the US (Fourth
# Amendment; 18 USC 2703); relevance where no data-protection law constrains it (privacy
# regime "none") and in CHN and RUS (starter assumption); reasonable grounds elsewhere.
PROBABLE_CAUSE = ("USA",)
RELEVANCE = ("CHN", "RUS")
# Voluntary disclosure of non-content to foreign direct requests: 18 USC 2702(c)(6) (US);
# Irish and UK law permit it for the providers' establishments there (starter assumption).
VOLUNTARY_DISCLOSURE = ("USA", "IRL", "GBR")
# Clarification factor: multiplies the chance that a state's outgoing requests are sent back.
# Proxy: practice with standard forms and guidance (assumption). Budapest parties use the
# T-CY templates and guidance notes; EU members the EIO forms and EJN/Eurojust support;
# common-law drafters write close to the standards of the US, UK and Ireland, which hold
# most requested data; a state without a 24/7 point of contact has less routine contact.
CLARIFICATION_BASE = 1.2
CLARIFICATION_BUDAPEST = -0.2
CLARIFICATION_EU = -0.1
CLARIFICATION_COMMON_LAW = -0.1
CLARIFICATION_NO_24_7 = 0.1
CLARIFICATION_BOUNDS = (0.7, 1.5)

DEFAULT_CA_STAFF = 2


@dataclass(frozen=True, slots=True)
class StateInputs:
    """What the rules read about one state."""

    iso3: str
    region: str
    legal_tradition: str
    privacy_regime: str
    contact_24_7: bool
    budapest: str  # "party", "signatory" or ""
    eu: bool
    un_signatory: bool
    internet_users_m: float
    sirius_requests: int | None
    meta_requests_h1: int | None
    statutory_retention: int | None
    estimated: str


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _in_force(row: dict[str, str]) -> bool:
    """A membership counts if it is in force by the reference date (or has no date)."""
    date = row["in_force"] or row["signed"]
    return not date or dt.date.fromisoformat(date) <= REFERENCE_DATE


def _optional_int(value: str) -> int | None:
    return int(value) if value else None


def load_inputs() -> list[StateInputs]:
    """Join states.csv, memberships.csv and observables.csv by ISO3 code.

    Raises:
        ValueError: if observables.csv lacks a state or names an unknown one.
    """
    observed = {row["iso3"]: row for row in _read("observables.csv")}
    states = _read("states.csv")
    unknown = set(observed) - {row["iso3"] for row in states}
    if unknown:
        raise ValueError(f"observables.csv names unknown states: {', '.join(sorted(unknown))}")
    budapest: dict[str, str] = {}
    eu: set[str] = set()
    un: set[str] = set()
    for row in _read("memberships.csv"):
        if not _in_force(row):
            continue
        if row["instrument"] == "budapest":
            budapest[row["iso3"]] = row["status"]
        elif row["instrument"] == "eu" and row["status"] == "party":
            eu.add(row["iso3"])
        elif row["instrument"] == "un_cybercrime":
            un.add(row["iso3"])
    inputs = []
    for state in states:
        code = state["iso3"]
        if code not in observed:
            raise ValueError(f"observables.csv has no row for {code}")
        obs = observed[code]
        inputs.append(
            StateInputs(
                iso3=code,
                region=state["region"],
                legal_tradition=state["legal_tradition"],
                privacy_regime=state["privacy_regime"],
                contact_24_7=state["contact_24_7"] == "true",
                budapest=budapest.get(code, ""),
                eu=code in eu,
                un_signatory=code in un,
                internet_users_m=float(obs["population_m"]) * float(obs["internet_share"]),
                sirius_requests=_optional_int(obs["sirius_direct_requests_2022"]),
                meta_requests_h1=_optional_int(obs["meta_requests_h1_2022"]),
                statutory_retention=_optional_int(obs["statutory_retention_days"]),
                estimated=obs["estimated"],
            )
        )
    return inputs


def _intensity(state: StateInputs) -> float:
    if state.iso3 in INTENSITY_RESTRICTED:
        return INTENSITY_RESTRICTED[state.iso3]
    return INTENSITY_BUDAPEST_PARTY if state.budapest == "party" else INTENSITY_OTHER


def direct_requests(inputs: list[StateInputs]) -> tuple[dict[str, float], dict[str, str]]:
    """Direct requests to foreign providers a year, per state, and how each was obtained.

    1. A SIRIUS count (EU, all providers) is used as it is.
    2. A Meta half-year count is doubled and scaled to all providers.
    3. The EU states without a count share the rest of the SIRIUS EU total by internet users.
    4. The other states (not the USA) share the rest of the world's non-US requests (Meta's
       non-US total scaled to all providers) by internet users times enforcement intensity.
    5. The USA: the rate per weighted internet user of step 4, times the share of requested
       data that US providers do not hold.
    """
    requests: dict[str, float] = {}
    how: dict[str, str] = {}
    for state in inputs:
        if state.sirius_requests is not None:
            requests[state.iso3] = float(state.sirius_requests)
            how[state.iso3] = "SIRIUS 2022 direct requests"
        elif state.meta_requests_h1 is not None and state.iso3 != "USA":
            yearly = state.meta_requests_h1 * HALF_YEARS_PER_YEAR
            requests[state.iso3] = yearly / META_SHARE_OF_PROVIDER_REQUESTS
            how[state.iso3] = "Meta H1-2022 requests x2 scaled to all providers"
    eu_rest = [s for s in inputs if s.eu and s.iso3 not in requests]
    eu_known = sum(requests[s.iso3] for s in inputs if s.eu and s.iso3 in requests)
    eu_users = sum(s.internet_users_m for s in eu_rest)
    for state in eu_rest:
        share = state.internet_users_m / eu_users
        requests[state.iso3] = (SIRIUS_EU_REQUESTS_2022 - eu_known) * share
        how[state.iso3] = "share of the SIRIUS 2022 EU total by internet users"
    world = (META_REQUESTS_WORLD_2022 - META_REQUESTS_USA_2022) / META_SHARE_OF_PROVIDER_REQUESTS
    rest = [s for s in inputs if s.iso3 not in requests and s.iso3 != "USA"]
    weights = {s.iso3: s.internet_users_m * _intensity(s) for s in rest}
    rate = (world - sum(requests.values())) / sum(weights.values())
    for state in rest:
        requests[state.iso3] = rate * weights[state.iso3]
        how[state.iso3] = f"internet users x intensity {_intensity(state):g} (world rest)"
    usa = next(s for s in inputs if s.iso3 == "USA")
    requests["USA"] = rate * usa.internet_users_m * (1.0 - US_PROVIDERS_SHARE_OF_REQUESTS)
    how["USA"] = "internet users x world rate x share not held by US providers"
    return requests, how


def cases_per_year(direct: float) -> int:
    """Cases needing evidence abroad that make ``direct`` direct requests a year."""
    cases = direct / (REQUESTS_PER_CASE * DIRECT_SHARE_OF_REQUESTS)
    return max(MIN_CASES_PER_YEAR, round(cases))


def provider_shares(inputs: list[StateInputs]) -> dict[str, float]:
    """Relative weight of each state as holder of requested data."""
    others = [s for s in inputs if s.iso3 not in PROVIDER_SHARE_ANCHORS]
    users = sum(s.internet_users_m for s in others)
    shares = dict(PROVIDER_SHARE_ANCHORS)
    for state in others:
        share = INTERNET_USER_POOL * state.internet_users_m / users
        if state.iso3 in HOSTING_HUBS:
            share += HOSTING_HUB_BONUS
        shares[state.iso3] = round(max(PROVIDER_SHARE_FLOOR, share), 4)
    return shares


def completeness(state: StateInputs) -> float:
    """Completeness of substantive cybercrime law from harmonisation instruments."""
    if state.budapest == "party":
        value = COMPLETENESS_BUDAPEST_PARTY
    elif state.budapest == "signatory":
        value = COMPLETENESS_BUDAPEST_SIGNATORY
    elif state.un_signatory:
        value = COMPLETENESS_UN_SIGNATORY
    else:
        value = COMPLETENESS_OTHER
    if state.eu:
        value += COMPLETENESS_EU_BONUS
    return round(min(COMPLETENESS_MAX, value), 2)


def evidentiary_standard(state: StateInputs) -> str:
    """Standard for a domestic order for content data."""
    if state.iso3 in PROBABLE_CAUSE:
        return "probable_cause"
    if state.iso3 in RELEVANCE or state.privacy_regime == "none":
        return "relevance"
    return "reasonable_grounds"


def clarification_factor(state: StateInputs) -> float:
    """Multiplier on the chance that outgoing requests are returned for clarification."""
    value = CLARIFICATION_BASE
    if state.budapest == "party":
        value += CLARIFICATION_BUDAPEST
    if state.eu:
        value += CLARIFICATION_EU
    if state.legal_tradition == "common":
        value += CLARIFICATION_COMMON_LAW
    if not state.contact_24_7:
        value += CLARIFICATION_NO_24_7
    low, high = CLARIFICATION_BOUNDS
    return round(min(high, max(low, value)), 2)


def _basis(state: StateInputs, how: str, retention_known: bool) -> str:
    ties = [f"Budapest {state.budapest}"] if state.budapest else ["no Budapest tie"]
    if state.eu:
        ties.append("EU member")
    parts = [
        f"cases: {how} / (1.4 requests x 0.7 direct)",
        "provider_share: "
        + (
            "SIRIUS anchor"
            if state.iso3 in PROVIDER_SHARE_ANCHORS
            else "internet users" + (" + hosting hub" if state.iso3 in HOSTING_HUBS else "")
        ),
        "retention: "
        + (
            "statutory (OBSERVABLES.md)"
            if retention_known
            else "no statute ([retention] defaults by data type)"
        ),
        "law and clarification: " + ", ".join(ties) + f", {state.legal_tradition} law",
        "ca_staff sized by calibration",
    ]
    if state.estimated:
        parts.append(f"estimated observables: {state.estimated.replace(';', ', ')}")
    if state.iso3 in PROVIDER_PRESERVATION:
        parts.append(
            "provider_preservation: 18 U.S.C. 2703(f), providers preserve on foreign requests"
        )
    if state.iso3 in G7_NETWORK_NOTES:
        parts.append(f"g7_network: {G7_NETWORK_NOTES[state.iso3]}")
    return "; ".join(parts)


def derive(inputs: list[StateInputs], staff: dict[str, str]) -> list[dict[str, str]]:
    """One parameters.csv row per state, in the order of states.csv."""
    requests, how = direct_requests(inputs)
    shares = provider_shares(inputs)
    rows = []
    for state in inputs:
        retention = state.statutory_retention
        rows.append(
            {
                "iso3": state.iso3,
                "ca_staff": staff.get(state.iso3) or str(DEFAULT_CA_STAFF),
                "cases_per_year": str(cases_per_year(requests[state.iso3])),
                "provider_share": f"{shares[state.iso3]:g}",
                "retention_days": "" if retention is None else str(retention),
                "cyber_law_completeness": f"{completeness(state):g}",
                "evidentiary_standard": evidentiary_standard(state),
                "voluntary_disclosure": str(state.iso3 in VOLUNTARY_DISCLOSURE),
                "clarification_factor": f"{clarification_factor(state):g}",
                "provider_preservation": "True" if state.iso3 in PROVIDER_PRESERVATION else "",
                "g7_network": "True" if state.iso3 in G7_NETWORK_NOTES else "",
                "basis": _basis(state, how[state.iso3], state.statutory_retention is not None),
            }
        )
    return rows


def current_staff() -> dict[str, str]:
    """The ca_staff already in parameters.csv (kept: it is sized by calibration)."""
    path = DATA / "parameters.csv"
    if not path.is_file():
        return {}
    return {row["iso3"]: row["ca_staff"] for row in _read("parameters.csv") if row["ca_staff"]}


def main() -> None:
    """Write parameters.csv and print the world totals it implies."""
    rows = derive(load_inputs(), current_staff())
    with (DATA / "parameters.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    cases = sum(int(row["cases_per_year"]) for row in rows)
    requests = cases * REQUESTS_PER_CASE
    shares = sum(float(row["provider_share"]) for row in rows)
    print(f"states: {len(rows)}; cases/year: {cases:,}")
    direct = requests * DIRECT_SHARE_OF_REQUESTS
    print(
        f"implied requests/year: {requests:,.0f} (direct {direct:,.0f},"
        f" other channels {requests - direct:,.0f}); provider_share sum {shares:.3f}"
    )


if __name__ == "__main__":
    main()
