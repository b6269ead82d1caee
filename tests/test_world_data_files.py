"""Checks on the world facts CSV files in ``sim/data``.

The files are read with the ``csv`` module only, so these tests do not depend on the
loader code. Facts checked here come from ``docs/reference/world-facts.md``
(compiled Feb 2026); see ``sim/data/SOURCES.md``.
"""

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from sim.vocabulary import TREATY_MLA_INSTRUMENTS

DATA = Path(__file__).parents[1] / "sim" / "data"

TREATY_BASES = TREATY_MLA_INSTRUMENTS
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BOOLS = {"true", "false"}
ALLOWED = {
    "states.csv": {
        "un_member": BOOLS,
        "region": {"Africa", "Americas", "Asia", "Europe", "Oceania"},
        "legal_tradition": {"common", "civil", "mixed", "religious"},
        "legal_tradition_verified": BOOLS,
        "privacy_regime": {
            "eu_eea",
            "adequate",
            "partial_adequate",
            "law_and_authority",
            "law_only",
            "none",
        },
        "privacy_regime_verified": BOOLS,
        "eu_adequacy": {"full", "partial", "none", "eu_eea"},
        "led_adequacy": BOOLS,
        "contact_24_7": BOOLS,
        "contact_24_7_basis": {"budapest", "g7_network", "none"},
        "contact_24_7_verified": BOOLS,
    },
    "memberships.csv": {
        "instrument": {
            "budapest",
            "second_protocol",
            "eu",
            "eio",
            "e_evidence",
            "un_cybercrime",
            *TREATY_BASES,
        },
        "status": {"party", "signatory"},
        "verified": BOOLS,
    },
    "bilateral.csv": {
        "kind": {"mlat", "cloud_act", "mla_agreement", "suspended"},
        "verified": BOOLS,
    },
    "instruments.csv": {
        "instrument": {
            "budapest",
            "second_protocol",
            "eu",
            "eio",
            "e_evidence",
            "un_cybercrime",
            *TREATY_BASES,
        },
        "verified": BOOLS,
    },
}
DATE_COLUMNS = {
    "memberships.csv": ("signed", "in_force"),
    "bilateral.csv": ("signed", "in_force"),
    "instruments.csv": ("opened", "in_force"),
}
EEA = {
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE", "ISL", "LIE", "NOR",
}  # fmt: skip


def read(name: str) -> list[dict[str, str]]:
    """Return the rows of one CSV file in ``sim/data`` as dictionaries."""
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def states() -> dict[str, dict[str, str]]:
    """Return states.csv keyed by ISO3 code."""
    return {row["iso3"]: row for row in read("states.csv")}


def members(instrument: str, status: str | None = None) -> dict[str, dict[str, str]]:
    """Return memberships of one instrument (optionally one status), keyed by ISO3."""
    return {
        row["iso3"]: row
        for row in read("memberships.csv")
        if row["instrument"] == instrument and (status is None or row["status"] == status)
    }


def test_all_193_un_members_present_with_valid_codes() -> None:
    """Exactly 193 rows are UN members, and every iso3 code is a valid ISO 3166 code."""
    import pycountry

    rows = read("states.csv")
    assert sum(row["un_member"] == "true" for row in rows) == 193
    for row in rows:
        assert pycountry.countries.get(alpha_3=row["iso3"]) is not None, row["iso3"]
    non_members = {row["iso3"] for row in rows if row["un_member"] == "false"}
    assert non_members == {"VAT", "PSE", "HKG", "TWN"}


def test_no_duplicate_iso3() -> None:
    """No jurisdiction appears twice in states.csv, and the file is sorted by iso3."""
    codes = [row["iso3"] for row in read("states.csv")]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)


def test_no_duplicate_ties() -> None:
    """No (state, instrument) membership and no unordered (kind, pair) tie is repeated."""
    keys = [(r["iso3"], r["instrument"]) for r in read("memberships.csv")]
    assert len(keys) == len(set(keys))
    pairs = [(r["kind"], frozenset((r["state_a"], r["state_b"]))) for r in read("bilateral.csv")]
    assert len(pairs) == len(set(pairs))
    assert all(len(pair) == 2 for _, pair in pairs)


def test_every_tie_names_a_known_state() -> None:
    """Every state named in memberships.csv and bilateral.csv exists in states.csv."""
    known = set(states())
    for row in read("memberships.csv"):
        assert row["iso3"] in known, row
    for row in read("bilateral.csv"):
        assert row["state_a"] in known, row
        assert row["state_b"] in known, row


@pytest.mark.parametrize("name", sorted(DATE_COLUMNS))
def test_dates_are_iso_and_ordered(name: str) -> None:
    """Dates are empty or ISO YYYY-MM-DD, and signed/opened is not after in_force."""
    first, second = DATE_COLUMNS[name]
    for row in read(name):
        for col in (first, second):
            if row[col]:
                assert ISO_DATE.match(row[col]), (name, row)
                date.fromisoformat(row[col])
        if row[first] and row[second]:
            assert row[first] <= row[second], (name, row)


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_enumerated_columns_take_allowed_values(name: str) -> None:
    """Enumerated and boolean columns only hold their allowed values."""
    for row in read(name):
        for col, allowed in ALLOWED[name].items():
            assert row[col] in allowed, (name, col, row)


def test_languages_are_language_codes() -> None:
    """Every state lists at least one lowercase 2- or 3-letter language code."""
    for row in read("states.csv"):
        codes = row["languages"].split(";")
        assert codes, row
        assert all(re.fullmatch(r"[a-z]{2,3}", code) for code in codes), row


def test_budapest_parties_and_signatories() -> None:
    """Budapest has at least 78 parties and exactly 2 signatories: IRL and ZAF."""
    assert len(members("budapest", "party")) >= 78
    assert set(members("budapest", "signatory")) == {"IRL", "ZAF"}
    assert "USA" in members("budapest", "party")


def test_major_non_parties_of_budapest() -> None:
    """Russia, China and India have no tie of any status to the Budapest Convention."""
    budapest = members("budapest")
    for iso3 in ("RUS", "CHN", "IND"):
        assert iso3 not in budapest


def test_second_protocol_ratifications() -> None:
    """JPN, SRB and HUN are the only Second Protocol parties, with their ratification dates."""
    parties = members("second_protocol", "party")
    assert {k: v["in_force"] for k, v in parties.items()} == {
        "JPN": "2023-08-10",
        "SRB": "2023-02-09",
        "HUN": "2026-02-05",
    }
    assert len(members("second_protocol")) == 52


def test_second_protocol_signatories_are_budapest_parties() -> None:
    """The Second Protocol is open only to Budapest Parties, so all its states are Parties."""
    assert set(members("second_protocol")) <= set(members("budapest", "party"))


def test_eu_instruments() -> None:
    """EU has 27 members; EIO excludes DNK and IRL; e-Evidence excludes only DNK."""
    eu = set(members("eu"))
    eio = set(members("eio"))
    e_evidence = set(members("e_evidence"))
    assert len(eu) == 27
    assert eio == eu - {"DNK", "IRL"}
    assert e_evidence == eu - {"DNK"}
    assert all(row["in_force"] == "2026-08-18" for row in members("e_evidence").values())


def test_un_convention_signatories() -> None:
    """The file holds the 68 state signatories named in the reference (EU excluded), not USA.

    The reference names 69 of the 72 signatories, one of which is the European Union.
    """
    signatories = members("un_cybercrime")
    assert len(signatories) == 68
    assert all(row["status"] == "signatory" and not row["in_force"] for row in signatories.values())
    for iso3 in ("USA", "CAN", "NZL", "JPN", "MEX", "IND", "ISR"):
        assert iso3 not in signatories
    assert {"CHN", "RUS", "GBR", "VNM"} <= set(signatories)


def test_cloud_act_agreements() -> None:
    """USA-GBR and USA-AUS CLOUD Act agreements are the only ones, with in-force dates."""
    ties = {
        (r["state_a"], r["state_b"]): r for r in read("bilateral.csv") if r["kind"] == "cloud_act"
    }
    assert set(ties) == {("USA", "GBR"), ("USA", "AUS")}
    assert ties[("USA", "GBR")]["in_force"] == "2022-10-03"
    assert ties[("USA", "AUS")]["in_force"] == "2024-01-31"


def test_us_mlats_sample() -> None:
    """Sampled US MLATs exist (DZA, KAZ, BGR via the US-EU agreement); Bermuda is absent."""
    ties = {
        r["state_b"]: r
        for r in read("bilateral.csv")
        if r["kind"] == "mlat" and r["state_a"] == "USA"
    }
    assert ties["KAZ"]["in_force"] == "2016-12-06"
    assert ties["BGR"]["in_force"] == "2010-02-01"
    assert "DZA" in ties
    assert ties["JOR"]["verified"] == "false"
    assert "BMU" not in ties
    assert "CHN" not in ties


def test_led_adequacy_outside_eea_only_gbr() -> None:
    """GBR is the only state outside the EU/EEA with a Law Enforcement Directive adequacy."""
    led = {iso3 for iso3, row in states().items() if row["led_adequacy"] == "true"}
    assert led - EEA == {"GBR"}
    assert led >= EEA


def test_privacy_regime_sourced_rules() -> None:
    """Privacy regime follows the sourced rules, and those rows are marked verified."""
    rows = states()
    for iso3 in EEA:
        assert rows[iso3]["privacy_regime"] == "eu_eea"
        assert rows[iso3]["eu_adequacy"] == "eu_eea"
    for iso3 in ("CAN", "USA"):
        assert rows[iso3]["privacy_regime"] == "partial_adequate"
        assert rows[iso3]["eu_adequacy"] == "partial"
    for iso3 in ("GBR", "JPN", "BRA", "CHE", "KOR"):
        assert rows[iso3]["privacy_regime"] == "adequate"
        assert rows[iso3]["eu_adequacy"] == "full"
    for iso3 in ("PAK", "BGD", "IRN", "IRQ"):
        assert rows[iso3]["privacy_regime"] == "none"
        assert rows[iso3]["privacy_regime_verified"] == "true"


def test_contact_24_7_follows_budapest() -> None:
    """Every Budapest party has a 24/7 contact on the Budapest basis; others are unverified."""
    parties = set(members("budapest", "party"))
    for iso3, row in states().items():
        if iso3 in parties:
            assert row["contact_24_7"] == "true"
            assert row["contact_24_7_basis"] == "budapest"
        else:
            assert row["contact_24_7_verified"] == "false"
    assert states()["SEN"]["contact_24_7_verified"] == "false"


def test_unverified_facts_are_flagged() -> None:
    """Facts the reference marks unverified (Senegal's Budapest status) are verified=false."""
    assert members("budapest")["SEN"]["verified"] == "false"
    rows = states()
    assert rows["AFG"]["legal_tradition"] == "religious"
    assert rows["USA"]["legal_tradition_verified"] == "false"
    assert rows["ZAF"]["legal_tradition"] == "mixed"
    assert rows["ZAF"]["legal_tradition_verified"] == "true"


def test_instruments_file() -> None:
    """instruments.csv has one row per instrument with the key opening and in-force dates."""
    rows = {r["instrument"]: r for r in read("instruments.csv")}
    assert set(rows) == ALLOWED["instruments.csv"]["instrument"]
    assert (rows["budapest"]["opened"], rows["budapest"]["in_force"]) == (
        "2001-11-23",
        "2004-07-01",
    )
    assert rows["second_protocol"]["in_force"] == ""
    assert rows["un_cybercrime"]["in_force"] == ""
    assert rows["eio"]["in_force"] == "2017-05-22"
    assert rows["untoc"]["in_force"] == "2003-09-29"
    assert rows["ecma_1959"]["in_force"] == "1962-06-12"
    assert rows["eu_us_mla"]["in_force"] == "2010-02-01"
    assert rows["eu_japan_mla"]["in_force"] == "2011-01-02"
    assert rows["eu_uk_tca"]["in_force"] == "2021-01-01"
    for upper_bound in ("iacmla", "asean_mla", "harare"):  # only the year is known
        assert rows[upper_bound]["verified"] == "false"


# --- treaty bases of formal MLA (issue #12) ----------------------------------------------------


def test_untoc_parties_are_un_members_but_the_nine_known_outside() -> None:
    """UNTOC: every UN member but the nine a 2017 source lists as non-parties, plus PSE, VAT.

    No full party list was retrieved, so every row is flagged unverified.
    """
    rows = members("untoc")
    un = {iso3 for iso3, row in states().items() if row["un_member"] == "true"}
    outside = {"BTN", "COG", "IRN", "PLW", "PNG", "SLB", "SOM", "SSD", "TUV"}
    assert set(rows) == (un - outside) | {"PSE", "VAT"}
    assert all(row["verified"] == "false" and row["status"] == "party" for row in rows.values())


def test_ets_030_binds_the_council_of_europe_and_four_others() -> None:
    """ETS 030: 50 parties, the 46 CoE members and CHL, ISR, KOR, RUS (RUS unverified)."""
    rows = members("ecma_1959", "party")
    assert len(rows) == 50
    assert {"CHL", "ISR", "KOR", "RUS", "GBR", "UKR", "TUR"} <= set(rows)
    assert set(members("budapest", "party")) & EEA <= set(rows)
    assert rows["RUS"]["verified"] == "false"


def test_inter_american_convention_parties_include_its_protocol_parties() -> None:
    """The A-59 Protocol is open only to Convention parties, so its nine are Convention parties."""
    rows = members("iacmla", "party")
    assert set(rows) == {"BRA", "CHL", "COL", "CZE", "ECU", "USA", "HND", "PRY", "UKR"}
    assert all(row["verified"] == "false" for row in rows.values())


def test_asean_mla_treaty_binds_the_ten() -> None:
    """The ASEAN MLA Treaty binds the ten ASEAN member states."""
    assert set(members("asean_mla", "party")) == {
        "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("instrument", "counterpart", "day"),
    [
        ("eu_us_mla", "USA", "2010-02-01"),
        ("eu_japan_mla", "JPN", "2011-01-02"),
        ("eu_uk_tca", "GBR", "2021-01-01"),
    ],
)
def test_eu_agreements_bind_the_counterpart_and_each_eu_member(
    instrument: str, counterpart: str, day: str
) -> None:
    """EU-US, EU-Japan, EU-UK TCA: the counterpart and each EU member state, from the date.

    EU-UK TCA binds GBR and each EU member from 2021-01-01 (provisional application); HRV's
    instruments under the two older agreements are not confirmed (empty date, unverified).
    """
    rows = members(instrument, "party")
    eu = set(members("eu"))
    assert set(rows) == eu | {counterpart}
    assert rows[counterpart]["in_force"] == day
    for iso3 in eu - {"HRV"}:
        assert rows[iso3]["in_force"] == day
    if instrument != "eu_uk_tca":
        assert (rows["HRV"]["in_force"], rows["HRV"]["verified"]) == ("", "false")


def test_harare_scheme_covers_commonwealth_members_unverified() -> None:
    """The Harare Scheme (non-binding) applies among Commonwealth members; the list is C-grade."""
    rows = members("harare", "party")
    assert len(rows) == 53
    assert {"GBR", "IND", "NGA", "AUS", "CAN", "ZAF"} <= set(rows)
    assert all(row["verified"] == "false" for row in rows.values())


def test_mla_agreements_and_suspensions() -> None:
    """US-China and AIT-TECRO are agreements; RUS-UKR and HKG-USA are suspended, with dates."""
    ties = {(r["kind"], frozenset((r["state_a"], r["state_b"]))): r for r in read("bilateral.csv")}
    assert ties[("mla_agreement", frozenset(("USA", "CHN")))]["signed"] == "2000-06-19"
    assert ties[("mla_agreement", frozenset(("USA", "TWN")))]["signed"] == "2002-03-26"
    assert ties[("suspended", frozenset(("RUS", "UKR")))]["in_force"] == "2022-12-23"
    assert ties[("suspended", frozenset(("USA", "HKG")))]["in_force"] == "2020-08-20"
    assert ("mlat", frozenset(("USA", "HKG"))) in ties  # the agreement exists, suspended
