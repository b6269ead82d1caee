"""Tests of ``sim.world.build.data``: reading and checking the world data files.

Most tests write a tiny three-state world into a temporary folder and break one thing in it;
the error must name the file, the line and the problem.
"""

import datetime as dt
from pathlib import Path

import pytest

from sim.errors import WorldDataError
from sim.vocabulary import INSTRUMENTS
from sim.world.data import RESERVATIONS_FILE, load_world_data

STATES_HEADER = (
    "iso3,name,un_member,region,subregion,languages,legal_tradition,privacy_regime,"
    "eu_adequacy,led_adequacy,contact_24_7\n"
)
STATES = (
    STATES_HEADER
    + """AAA,Aland,true,Europe,Northern Europe,en;fr,civil,eu_eea,eu_eea,false,true
BBB,Bland,true,Americas,Northern America,en,common,partial_adequate,partial,false,true
CCC,Cland,false,Asia,Eastern Asia,zh,mixed,none,none,false,FALSE
"""
)
MEMBERSHIPS = """iso3,instrument,status,signed,in_force,verified
AAA,budapest,party,2001-11-23,2005-01-01,true
BBB,budapest,party,,,false
CCC,budapest,signatory,2002-02-02,,true
"""
BILATERAL = """kind,state_a,state_b,signed,in_force,verified
mlat,AAA,BBB,1999-01-01,2001-06-01,true
cloud_act,BBB,CCC,,,true
"""
INSTRUMENT_ROWS = {
    "budapest": "2004-07-01",
    "second_protocol": "",
    "eu": "",
    "eio": "2017-05-22",
    "e_evidence": "2026-08-18",
    "un_cybercrime": "",
    "untoc": "2003-09-29",
    "ecma_1959": "1962-06-12",
    "iacmla": "",
    "asean_mla": "",
    "eu_us_mla": "2010-02-01",
    "eu_japan_mla": "2011-01-02",
    "eu_uk_tca": "2021-01-01",
    "harare": "",
}
RESERVATIONS_HEADER = "party,article,clause,data_type,deposited,verified,source,note\n"
PARAMETERS = """iso3,ca_staff,retention_days,basis
AAA,5,90,a note
BBB,,365,
"""


def instruments_text(rows: dict[str, str]) -> str:
    """instruments.csv with the given in-force dates."""
    return "instrument,name,in_force\n" + "".join(
        f"{name},{name.title()},{date}\n" for name, date in rows.items()
    )


@pytest.fixture
def world_dir(tmp_path: Path) -> Path:
    """A folder holding a small, valid world."""
    (tmp_path / "states.csv").write_text(STATES, encoding="utf-8")
    (tmp_path / "memberships.csv").write_text(MEMBERSHIPS, encoding="utf-8")
    (tmp_path / "bilateral.csv").write_text(BILATERAL, encoding="utf-8")
    (tmp_path / "instruments.csv").write_text(instruments_text(INSTRUMENT_ROWS), encoding="utf-8")
    (tmp_path / "parameters.csv").write_text(PARAMETERS, encoding="utf-8")
    # No listed provider: every state's weight is its domestic provider's.
    (tmp_path / "providers.csv").write_text(
        "provider,name,home,eu_establishment,offers_services_in_eu,transparency_report,"
        "share_of_home,share_basis,verified,source\n",
        encoding="utf-8",
    )
    (tmp_path / "provider_rates.csv").write_text(
        "provider,requesting,rate,period,requests,verified,source,note\n", encoding="utf-8"
    )
    (tmp_path / "blocking_statutes.csv").write_text(
        "state,law,article,effect,approval_days,p_refuse,in_force,verified,source,note\n",
        encoding="utf-8",
    )
    (tmp_path / RESERVATIONS_FILE).write_text(RESERVATIONS_HEADER, encoding="utf-8")
    return tmp_path


def append(folder: Path, name: str, line: str) -> None:
    """Add one row to a CSV file of the world."""
    with (folder / name).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def error_of(folder: Path) -> WorldDataError:
    """The error loading ``folder`` raises."""
    with pytest.raises(WorldDataError) as caught:
        load_world_data(folder)
    return caught.value


def test_small_world_loads(world_dir: Path) -> None:
    """A consistent folder loads into typed facts, memberships, ties and parameters."""
    data = load_world_data(world_dir)
    assert list(data.states) == ["AAA", "BBB", "CCC"]
    aaa = data.states["AAA"]
    assert aaa.languages == ("en", "fr")
    assert aaa.contact_24_7 is True
    assert data.states["CCC"].contact_24_7 is False  # booleans ignore case
    assert data.states["CCC"].un_member is False
    first = data.memberships[0]
    assert (first.iso3, first.instrument, first.status) == ("AAA", "budapest", "party")
    assert first.in_force == dt.date(2005, 1, 1)
    assert data.memberships[1].in_force is None
    assert not data.memberships[1].verified
    assert [(t.kind, t.state_a, t.state_b) for t in data.ties] == [
        ("mlat", "AAA", "BBB"),
        ("cloud_act", "BBB", "CCC"),
    ]
    assert data.instrument_in_force["e_evidence"] == dt.date(2026, 8, 18)
    assert data.instrument_in_force["second_protocol"] is None


def test_parameters_keep_only_given_values(world_dir: Path) -> None:
    """Empty cells in parameters.csv are left out, so defaults apply to them."""
    data = load_world_data(world_dir)
    assert data.parameters["AAA"] == {"ca_staff": "5", "retention_days": "90", "basis": "a note"}
    assert data.parameters["BBB"] == {"retention_days": "365"}
    assert "CCC" not in data.parameters


def test_packaged_data_loads() -> None:
    """The data shipped with the package is consistent and names the main actors."""
    data = load_world_data()
    assert {"USA", "GBR", "DEU", "FRA", "IRL", "DNK"} <= set(data.states)
    assert set(data.instrument_in_force) == set(INSTRUMENTS)
    assert data.instrument_in_force["second_protocol"] is None
    assert any(
        t.kind == "cloud_act" and {t.state_a, t.state_b} == {"USA", "GBR"} for t in data.ties
    )


def test_duplicate_state(world_dir: Path) -> None:
    """A state listed twice in states.csv is an error on the second row."""
    append(world_dir, "states.csv", "AAA,Again,true,Europe,X,en,civil,eu_eea,eu_eea,false,true")
    error = error_of(world_dir)
    assert error.where == "states.csv line 5"
    assert "'AAA' appears twice" in error.problem


def test_tie_naming_an_unknown_state(world_dir: Path) -> None:
    """A bilateral tie with a state missing from states.csv names the column and code."""
    append(world_dir, "bilateral.csv", "mlat,AAA,ZZZ,,,true")
    error = error_of(world_dir)
    assert error.where == "bilateral.csv line 4"
    assert "state_b 'ZZZ'" in error.problem


def test_membership_of_an_unknown_state(world_dir: Path) -> None:
    """A membership of a state missing from states.csv is an error."""
    append(world_dir, "memberships.csv", "ZZZ,budapest,party,,,true")
    error = error_of(world_dir)
    assert error.where == "memberships.csv line 5"
    assert "'ZZZ' is not a state" in error.problem


def test_tie_of_a_state_with_itself(world_dir: Path) -> None:
    """A treaty needs two different states."""
    append(world_dir, "bilateral.csv", "mlat,CCC,CCC,,,true")
    error = error_of(world_dir)
    assert error.where == "bilateral.csv line 4"
    assert "itself" in error.problem


def test_duplicate_tie_in_either_order(world_dir: Path) -> None:
    """The same kind of tie between the same two states, in any order, is listed once."""
    append(world_dir, "bilateral.csv", "mlat,BBB,AAA,,,true")
    assert "appears twice" in error_of(world_dir).problem


@pytest.mark.parametrize("file", ["memberships.csv", "bilateral.csv"])
def test_in_force_before_signed(world_dir: Path, file: str) -> None:
    """Entry into force cannot precede signature."""
    row = (
        "CCC,eio,party,2020-01-01,2019-12-31,true"
        if file == "memberships.csv"
        else "mlat,AAA,CCC,2020-01-01,2019-12-31,true"
    )
    append(world_dir, file, row)
    error = error_of(world_dir)
    assert error.where == f"{file} line {4 if file == 'bilateral.csv' else 5}"
    assert error.problem == "in_force is before signed"


@pytest.mark.parametrize("value", ["2020-13-01", "01/02/2020", "2020-02-30", "soon"])
def test_bad_date(world_dir: Path, value: str) -> None:
    """A date that is not a valid YYYY-MM-DD names the column and the value."""
    append(world_dir, "memberships.csv", f"CCC,eio,party,,{value},true")
    error = error_of(world_dir)
    assert error.where == "memberships.csv line 5"
    assert f"in_force '{value}' is not a YYYY-MM-DD date" == error.problem


@pytest.mark.parametrize("value", ["yes", "1", ""])
def test_bad_boolean(world_dir: Path, value: str) -> None:
    """Flags must read true or false."""
    append(world_dir, "states.csv", f"DDD,Dland,{value},Africa,X,en,civil,none,none,false,true")
    error = error_of(world_dir)
    assert error.where == "states.csv line 5"
    assert error.problem.startswith("un_member must be true or false")


@pytest.mark.parametrize(
    "name",
    ["states.csv", "memberships.csv", "bilateral.csv", "instruments.csv", "parameters.csv"],
)
def test_missing_file(world_dir: Path, name: str) -> None:
    """A missing file is named with its path."""
    (world_dir / name).unlink()
    error = error_of(world_dir)
    assert error.where == str(world_dir / name)
    assert error.problem == "file not found"


def test_missing_folder(tmp_path: Path) -> None:
    """A folder that does not exist fails on its first file."""
    error = error_of(tmp_path / "nowhere")
    assert error.problem == "file not found"


def test_unknown_instrument_in_memberships(world_dir: Path) -> None:
    """Memberships may only name the instruments the engine knows."""
    append(world_dir, "memberships.csv", "AAA,nato,party,,,true")
    error = error_of(world_dir)
    assert error.where == "memberships.csv line 5"
    assert "instrument 'nato' is not one of" in error.problem


def test_unknown_instrument_in_instruments(world_dir: Path) -> None:
    """instruments.csv may only list known instruments."""
    append(world_dir, "instruments.csv", "warsaw,Warsaw,2020-01-01")
    error = error_of(world_dir)
    assert error.where == f"instruments.csv line {len(INSTRUMENT_ROWS) + 2}"
    assert "'warsaw'" in error.problem


def test_instrument_without_a_row(world_dir: Path) -> None:
    """Every instrument needs a row in instruments.csv, even with no date."""
    rows = {k: v for k, v in INSTRUMENT_ROWS.items() if k != "eio"}
    (world_dir / "instruments.csv").write_text(instruments_text(rows), encoding="utf-8")
    error = error_of(world_dir)
    assert error.where == "instruments.csv"
    assert "eio" in error.problem


def test_unknown_tie_kind(world_dir: Path) -> None:
    """Tie kinds are limited to MLATs and CLOUD Act agreements."""
    append(world_dir, "bilateral.csv", "extradition,AAA,CCC,,,true")
    assert "kind 'extradition'" in error_of(world_dir).problem


def test_bad_iso_code(world_dir: Path) -> None:
    """State codes must be three capital letters."""
    append(world_dir, "states.csv", "dd,Dland,true,Africa,X,en,civil,none,none,false,true")
    assert "not an ISO 3166 alpha-3 code" in error_of(world_dir).problem


def test_unknown_privacy_regime(world_dir: Path) -> None:
    """Privacy regimes come from a fixed list (they index the scenario's privacy tables)."""
    append(world_dir, "states.csv", "DDD,Dland,true,Africa,X,en,civil,gdpr,none,false,true")
    assert "privacy_regime 'gdpr'" in error_of(world_dir).problem


def test_missing_column(world_dir: Path) -> None:
    """A file without a needed column says which column is missing."""
    text = STATES.replace(",contact_24_7", "").replace(",true\n", "\n").replace(",FALSE\n", "\n")
    (world_dir / "states.csv").write_text(text, encoding="utf-8")
    assert error_of(world_dir).problem == "column 'contact_24_7' is missing"


def test_duplicate_membership(world_dir: Path) -> None:
    """A state appears at most once per instrument."""
    append(world_dir, "memberships.csv", "AAA,budapest,signatory,,,true")
    assert "AAA appears twice for budapest" in error_of(world_dir).problem


def test_duplicate_parameters_row(world_dir: Path) -> None:
    """A state has at most one row of parameters."""
    append(world_dir, "parameters.csv", "AAA,3,30,")
    error = error_of(world_dir)
    assert error.where == "parameters.csv line 4"
    assert "appears twice" in error.problem
