"""Tests of ``sim.world.build.table`` and ``mlatsim world``: the loaded world, one row per state.

Facts are checked against ``docs/reference/world-facts.md`` (compiled Feb 2026); the
``unverified`` column is checked against the data files' own flags, so that a fact the sources
do not confirm is always marked and never shown as settled.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pycountry
import pytest

from sim.cli import main
from sim.errors import WorldDataError
from sim.vocabulary import INSTRUMENTS
from sim.world.data import load_world_data
from sim.world.table import COLUMNS, format_world, world_table

DATA = Path(__file__).parents[1] / "sim" / "data"
REQUIRED = [
    "iso3",
    "name",
    "un_member",
    "region",
    "languages",
    "legal_tradition",
    "privacy_regime",
    "eu_adequacy",
    "budapest",
    "second_protocol",
    "eu",
    "eio",
    "e_evidence",
    "un_cybercrime",
    "cloud_act_partners",
    "mlat_partners",
    "contact_24_7",
    "unverified",
]


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    """The table of the packaged world data, indexed by ISO code for easy look-up."""
    return world_table(load_world_data()).set_index("iso3", drop=False)


def _fields(value: str) -> list[str]:
    return [part for part in value.split(";") if part]


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _invoke(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Call ``sim.cli.main``; return its exit status (``SystemExit`` included), stdout, stderr."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


# --- shape ------------------------------------------------------------------------------------


def test_one_row_per_state_sorted_with_required_columns_in_order(world):
    """197 rows (193 UN members + VAT, PSE, HKG, TWN), sorted by ISO code, columns in order."""
    assert len(world) == 197
    assert world["iso3"].is_unique
    assert list(world["iso3"]) == sorted(world["iso3"])
    assert list(world.columns) == list(COLUMNS)
    positions = [list(world.columns).index(column) for column in REQUIRED]
    assert positions == sorted(positions)
    assert {"VAT", "PSE", "HKG", "TWN"} <= set(world["iso3"])


def test_every_un_member_appears_once_with_a_real_iso_code(world):
    """Exactly 193 rows are UN members; every code is a real ISO 3166 alpha-3 code."""
    assert world["un_member"].sum() == 193
    assert set(world.loc[~world["un_member"], "iso3"]) == {"VAT", "PSE", "HKG", "TWN"}
    unknown = [code for code in world["iso3"] if pycountry.countries.get(alpha_3=code) is None]
    assert not unknown


def test_instrument_columns_hold_party_signatory_or_none(world):
    """Each instrument column says party, signatory or none, and nothing else."""
    for instrument in INSTRUMENTS:
        assert set(world[instrument]) <= {"party", "signatory", "none"}, instrument


# --- facts from the reference -----------------------------------------------------------------


def test_usa_is_a_budapest_party(world):
    """The USA ratified the Budapest Convention (2006); a web page saying otherwise is wrong."""
    assert world.at["USA", "budapest"] == "party"


def test_ireland_and_south_africa_signed_budapest_only(world):
    """Ireland and South Africa are the Convention's two signatories that are not parties."""
    assert world.at["IRL", "budapest"] == "signatory"
    assert world.at["ZAF", "budapest"] == "signatory"


def test_budapest_has_at_least_78_parties_and_2_signatories(world):
    """76 parties in Oct 2024 plus New Zealand and Ecuador; two signatories (CoE counts)."""
    counts = world["budapest"].value_counts()
    assert counts["party"] >= 78
    assert counts["signatory"] >= 2


def test_denmark_and_ireland_are_outside_the_eio_though_ireland_is_in_the_eu(world):
    """The EIO binds 25 EU members: all but Denmark and Ireland."""
    assert world.at["DNK", "eio"] == "none"
    assert world.at["IRL", "eio"] == "none"
    assert world.at["IRL", "eu"] == "party"
    assert world.at["DNK", "eu"] == "party"
    assert (world["eio"] == "party").sum() == 25


def test_denmark_is_outside_e_evidence_and_ireland_takes_part(world):
    """The e-Evidence Regulation applies in every EU member but Denmark (26 states)."""
    assert world.at["DNK", "e_evidence"] == "none"
    assert world.at["IRL", "e_evidence"] == "party"
    assert (world["e_evidence"] == "party").sum() == 26


def test_japan_serbia_and_hungary_ratified_the_second_protocol(world):
    """The three known ratifications of CETS 224 (the Protocol itself is not yet in force)."""
    for code in ("JPN", "SRB", "HUN"):
        assert world.at[code, "second_protocol"] == "party", code
    assert world.at["USA", "second_protocol"] == "signatory"


def test_usa_cloud_act_partners_are_australia_and_the_uk(world):
    """Two CLOUD Act agreements are in force, listed on both partners' rows."""
    assert world.at["USA", "cloud_act_partners"] == "AUS;GBR"
    assert world.at["AUS", "cloud_act_partners"] == "USA"
    assert world.at["GBR", "cloud_act_partners"] == "USA"
    assert world.at["CAN", "cloud_act_partners"] == ""  # negotiating, not in force


def test_eu_has_27_members(world):
    """The EU column counts 27 member states."""
    assert (world["eu"] == "party").sum() == 27


def test_bilateral_mlats_are_listed_on_both_sides(world):
    """A bilateral treaty makes each state the other's partner (UK-US listed once in the data)."""
    assert "GBR" in _fields(world.at["USA", "mlat_partners"])
    assert "USA" in _fields(world.at["GBR", "mlat_partners"])
    assert "KAZ" in _fields(world.at["USA", "mlat_partners"])
    assert world.at["CHN", "mlat_partners"] == ""  # the US-China agreement is not an MLAT


def test_only_the_uk_has_law_enforcement_adequacy_outside_the_eea(world):
    """EU adequacy rarely covers police data: outside EU/EEA only the UK's decision does."""
    outside = world[world["eu_adequacy"] != "eu_eea"]
    assert list(outside.loc[outside["led_adequacy"], "iso3"]) == ["GBR"]
    assert world.at["USA", "eu_adequacy"] == "partial"
    assert world.at["JPN", "eu_adequacy"] == "full"


# --- unverified facts stay marked -------------------------------------------------------------


def test_unverified_column_marks_senegals_budapest_status(world):
    """Senegal's Budapest party status is unconfirmed: the row says party and flags it."""
    assert world.at["SEN", "budapest"] == "party"
    assert "budapest" in _fields(world.at["SEN", "unverified"])
    assert "budapest" not in _fields(world.at["USA", "unverified"])


def test_unverified_column_marks_unverified_bilateral_ties_on_both_rows(world):
    """The US-Jordan and US-Croatia treaties are unverified: both sides flag mlat_partners."""
    for code in ("JOR", "HRV", "USA"):
        assert "mlat_partners" in _fields(world.at[code, "unverified"]), code
    assert "mlat_partners" not in _fields(world.at["GBR", "unverified"])


def test_unverified_column_follows_every_flag_in_the_data_files(world):
    """Every false *_verified / verified flag shows in its row, and only those flags do."""
    expected: dict[str, set[str]] = {code: set() for code in world["iso3"]}
    for row in _read("states.csv"):
        for column, value in row.items():
            if column.endswith("_verified") and value == "false":
                expected[row["iso3"]].add(column.removesuffix("_verified"))
    for row in _read("memberships.csv"):
        if row["verified"] == "false":
            expected[row["iso3"]].add(row["instrument"])
    for row in _read("bilateral.csv"):
        if row["verified"] == "false":
            column = f"{row['kind']}_partners"
            expected[row["state_a"]].add(column)
            expected[row["state_b"]].add(column)
    marked = {code: set(_fields(value)) for code, value in world["unverified"].items()}
    assert marked == expected
    assert (world["unverified"] != "").any()


def test_unverified_flags_come_from_the_directory_the_data_was_loaded_from(tmp_path):
    """A copy of the data with one more false flag marks that fact, and only in that copy."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    states = (copy / "states.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = states[0].rstrip("\n").split(",")
    where = header.index("contact_24_7_verified")
    for number, line in enumerate(states):
        if line.startswith("USA,"):
            fields = next(csv.reader([line]))
            fields[where] = "false"
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow(fields)
            states[number] = buffer.getvalue()
    (copy / "states.csv").write_text("".join(states), encoding="utf-8")

    table = world_table(load_world_data(copy), copy).set_index("iso3")
    assert "contact_24_7" in _fields(table.at["USA", "unverified"])
    packaged = world_table(load_world_data()).set_index("iso3")
    assert "contact_24_7" not in _fields(packaged.at["USA", "unverified"])


def test_a_broken_verified_flag_is_reported_with_its_line(tmp_path):
    """A flag that is neither true nor false raises WorldDataError naming line and column."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    text = (copy / "states.csv").read_text(encoding="utf-8")
    (copy / "states.csv").write_text(
        text.replace(",budapest,true,", ",budapest,maybe,", 1), encoding="utf-8"
    )
    with pytest.raises(WorldDataError, match=r"states\.csv line \d+: contact_24_7_verified"):
        world_table(load_world_data(copy), copy)


# --- formats ----------------------------------------------------------------------------------


def test_csv_format_round_trips_every_value_in_full(world):
    """CSV keeps full lists and writes booleans as true/false, like the data files."""
    text = format_world(world.reset_index(drop=True), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 197
    assert list(rows[0]) == list(COLUMNS)
    usa = next(row for row in rows if row["iso3"] == "USA")
    assert usa["mlat_partners"] == world.at["USA", "mlat_partners"]
    assert len(_fields(usa["mlat_partners"])) > 60
    assert usa["un_member"] == "true"
    assert usa["led_adequacy"] == "false"


def test_json_format_is_a_list_of_records_with_lists_as_arrays(world):
    """JSON is a list of records; list columns become arrays and booleans stay booleans."""
    records = json.loads(format_world(world.reset_index(drop=True), "json"))
    assert len(records) == 197
    usa = next(record for record in records if record["iso3"] == "USA")
    assert usa["cloud_act_partners"] == ["AUS", "GBR"]
    assert usa["un_member"] is True
    assert usa["languages"] == ["en"]
    afg = next(record for record in records if record["iso3"] == "AFG")
    assert afg["mlat_partners"] == []


def test_table_format_aligns_columns_and_abbreviates_long_lists(world):
    """The terminal table has a header and one line per state, columns aligned, lists cut."""
    lines = format_world(world.reset_index(drop=True), "table").splitlines()
    assert len(lines) == 198
    header = lines[0]
    starts = [match.start() for match in re.finditer(r"\S+", header)]
    assert len(starts) == len(COLUMNS)
    for line in lines[1:]:
        for start in starts[1:]:
            assert line[start - 2 : start] == "  ", line
            assert line[start] != " ", line
    usa = next(line for line in lines if line.startswith("USA "))
    assert "AUS;GBR" in usa
    assert " +6" in usa  # the USA's 60-odd MLAT partners are abbreviated
    assert usa.endswith("mlat_partners;mla_agreement_partners")  # unverified marks never cut
    afg = next(line for line in lines if line.startswith("AFG "))
    assert afg.split()[-1] == "privacy_regime;untoc;contact_24_7"


def test_unknown_format_is_refused():
    """format_world names the formats it knows when given another."""
    with pytest.raises(ValueError, match="table, csv, json"):
        format_world(pd.DataFrame(columns=list(COLUMNS)), "xml")


# --- mlatsim world ----------------------------------------------------------------------------


def test_world_csv_has_the_required_columns_and_197_rows(capsys):
    """``mlatsim world --format csv`` prints a CSV that pandas reads: 197 rows, every column."""
    code, out, err = _invoke(["world", "--format", "csv"], capsys)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out), keep_default_na=False)
    assert len(frame) == 197
    assert set(REQUIRED) <= set(frame.columns)
    assert frame["un_member"].sum() == 193


def test_world_csv_shows_every_instrument_and_tie_kind_of_the_data_files(capsys):
    """Each instrument of instruments.csv and each tie kind of bilateral.csv is in the output.

    Read from the files, not from ``sim.vocabulary``, so an instrument added to the data but
    not to the table fails here. The treaty bases of formal MLA show who is bound: the UK is
    a TCA and Harare party, Japan an EU-Japan party, and the bilateral kinds list their pairs
    on both rows (US-China agreement, US-Hong Kong suspension).
    """
    code, out, err = _invoke(["world", "--format", "csv"], capsys)
    assert code == 0, err
    rows = {row["iso3"]: row for row in csv.DictReader(io.StringIO(out))}
    columns = set(next(iter(rows.values())))
    instruments = {row["instrument"] for row in _read("instruments.csv")}
    assert {"untoc", "ecma_1959", "iacmla", "asean_mla", "harare"} <= instruments
    assert {"eu_us_mla", "eu_japan_mla", "eu_uk_tca"} <= instruments
    assert instruments <= columns
    kinds = {row["kind"] for row in _read("bilateral.csv")}
    assert {"mla_agreement", "suspended"} <= kinds
    assert {f"{kind}_partners" for kind in kinds} <= columns
    assert rows["GBR"]["eu_uk_tca"] == "party"
    assert rows["GBR"]["harare"] == "party"
    assert rows["JPN"]["eu_japan_mla"] == "party"
    assert "CHN" in _fields(rows["USA"]["mla_agreement_partners"])
    assert "USA" in _fields(rows["CHN"]["mla_agreement_partners"])
    assert "HKG" in _fields(rows["USA"]["suspended_partners"])
    assert "UKR" in _fields(rows["RUS"]["suspended_partners"])


def test_world_table_heads_a_column_for_every_treaty_base(capsys):
    """The terminal table has a column for each treaty base, under its short header."""
    code, out, err = _invoke(["world"], capsys)
    assert code == 0, err
    header = out.splitlines()[0].split()
    for short in ("untoc", "ets030", "iacmla", "asean", "eu_us", "eu_jpn", "eu_uk", "harare"):
        assert short in header, short
    assert {"mla_agr", "suspended"} <= set(header)


def test_world_json_parses(capsys):
    """``mlatsim world --format json`` prints valid JSON, one record per state."""
    code, out, err = _invoke(["world", "--format", "json"], capsys)
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 197
    assert {record["iso3"] for record in records} >= {"USA", "IRL", "ZAF"}


def test_world_prints_a_table_by_default(capsys):
    """Without --format, ``mlatsim world`` prints the terminal table."""
    code, out, err = _invoke(["world"], capsys)
    assert code == 0, err
    assert err == ""
    assert "USA" in out
    assert out.splitlines()[0].startswith("iso3")


def test_world_rejects_an_unknown_format_with_one_line(capsys):
    """``--format xml`` exits 2 with one line on stderr naming the option, no traceback."""
    code, out, err = _invoke(["world", "--format", "xml"], capsys)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "--format" in err
    assert "Traceback" not in err


def test_world_stops_quietly_when_the_reader_closes_the_pipe():
    """``mlatsim world | head`` ends without a traceback when the reader stops early."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "world", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).parents[1],
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(1) == b"["
    process.stdout.close()
    err = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) in (0, 141)
    assert "Traceback" not in err
