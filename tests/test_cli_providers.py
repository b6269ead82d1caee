"""Tests of ``sim.analysis.providers_table`` and ``mlatsim providers``.

The command lists the providers of ``sim/data/providers.csv`` and the rate each answers a
direct request from each state at: a published rate of ``provider_rates.csv`` with its source
tag, or a step of the fallback rule of ``sim.rules.providers``. The expectations are read from
the data files and from the rule's own function, and checked against the rates the engine's
tables hold, so the command cannot drift from the model it describes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from sim.analysis.providers_table import default_domestic_rate, format_providers
from sim.cli import main
from sim.config.loading import default_settings, merge, validate_settings
from sim.rules.providers import answer_rate, provider_tables, rate_table
from sim.world.build import build_world
from sim.world.data import WorldData, load_world_data

DATA = Path(__file__).parents[1] / "sim" / "data"
CSV_COLUMNS = [
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
]


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


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


def _csv(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    code, out, err = _invoke(["providers", *argv, "--format", "csv"], capsys)
    assert code == 0, err
    assert err == ""
    return list(csv.DictReader(io.StringIO(out)))


def _rate_lines(text: str) -> list[list[str]]:
    """The rows of the text output's rate table, split on runs of two or more spaces."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("Direct-request"))
    rows = []
    for line in lines[start + 2 :]:
        if not line:
            break
        rows.append([cell for cell in line.split("  ") if cell.strip()])
    return [[cell.strip() for cell in row] for row in rows]


# --- the text table ---------------------------------------------------------------------------


def test_text_lists_every_provider_of_providers_csv(capsys):
    """Each row of providers.csv has a line with its identifier, name and home state."""
    code, out, err = _invoke(["providers"], capsys)
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    listed = _read("providers.csv")
    assert len(listed) >= 9
    for row in listed:
        matching = [
            line
            for line in lines
            if line.split()[:3] == [row["provider"], row["name"], row["home"]]
        ]
        assert len(matching) == 1, row["provider"]


def test_text_shows_each_published_rate_with_its_source_tag(capsys):
    """Every provider_rates.csv row for a named provider and state is a ``published`` line.

    Its rate, period and source tag are the file's; the ``*``, ``EU`` and global rows are
    not published rates for a state and are checked as fallback steps below.
    """
    code, out, err = _invoke(["providers"], capsys)
    assert code == 0, err
    lines = {(row[0], row[1]): row for row in _rate_lines(out)}
    published = [
        row
        for row in _read("provider_rates.csv")
        if row["provider"] != "*" and len(row["requesting"]) == 3
    ]
    assert len(published) >= 15
    for row in published:
        line = lines[(row["provider"], row["requesting"])]
        assert float(line[2]) == pytest.approx(float(row["rate"]), abs=5e-5)
        assert line[3] == "published"
        assert line[5:7] == [row["period"], row["source"]], line


def test_requesting_shows_the_fallback_step_and_the_rules_rate(data, capsys):
    """A pair with no report of its own shows its fallback step and answer_rate's number.

    For Germany: Apple has no row at all (step 5, the assumed 0.65), Google's is the EU
    bloc's (step 3, SIRIUS 2023), Snap's own report is published (step 1). For Brazil,
    Google's global row (step 4); for Russia, the row for every provider (step 2).
    """
    rates = rate_table(data.provider_rates)
    domestic = default_domestic_rate()
    expected_steps = {
        ("DEU", "apple"): "fallback 5 (assumed)",
        ("DEU", "google"): "fallback 3 (EU-bloc row)",
        ("DEU", "snap"): "published",
        ("BRA", "google"): "fallback 4 (global row)",
        ("RUS", "google"): "fallback 2 (any provider's row)",
    }
    for state in ("DEU", "BRA", "RUS"):
        code, out, err = _invoke(["providers", "--requesting", state.lower()], capsys)
        assert code == 0, err
        rows = _rate_lines(out)
        assert [row[0] for row in rows] == [p.provider for p in data.providers]
        in_eu = state == "DEU"
        for row in rows:
            assert row[1] == state
            rule = answer_rate(row[0], state, in_eu, rates, domestic)
            assert float(row[2]) == pytest.approx(rule, abs=5e-5), row
            if (state, row[0]) in expected_steps:
                assert row[3] == expected_steps[(state, row[0])], row
    assert answer_rate("apple", "DEU", True, rates, domestic) == pytest.approx(0.65)


def test_provider_option_shows_one_provider_by_identifier_or_name(capsys):
    """``--provider TikTok`` finds tiktok by its display name; no other provider is shown."""
    code, out, err = _invoke(["providers", "--provider", "TikTok"], capsys)
    assert code == 0, err
    rows = _rate_lines(out)
    assert {row[0] for row in rows} == {"tiktok"}
    assert ["tiktok", "JPN", "0.2100", "published", "tiktok/JPN", "H1 2019", "P3j", "yes"] in rows
    assert "google" not in out


# --- CSV --------------------------------------------------------------------------------------


def test_csv_parses_with_the_expected_columns_and_a_row_per_pair(data, capsys):
    """``--format csv`` is one CSV table: a row per provider and state, the columns in order."""
    code, out, err = _invoke(["providers", "--format", "csv"], capsys)
    assert code == 0, err
    reader = csv.reader(io.StringIO(out))
    header = next(reader)
    assert header == CSV_COLUMNS
    body = list(reader)
    assert all(len(row) == len(CSV_COLUMNS) for row in body)
    assert len(body) == len(_read("providers.csv")) * len(_read("states.csv"))


def test_csv_rows_name_the_rate_row_used_with_its_source(capsys):
    """A fallback row names the provider_rates.csv row it used, with that row's source."""
    rows = {(r["provider"], r["requesting"]): r for r in _csv(["--requesting", "ITA"], capsys)}
    meta = rows[("meta", "ITA")]
    assert (meta["basis"], meta["step"]) == ("fallback", "3")
    assert (meta["row_provider"], meta["row_requesting"]) == ("meta", "EU")
    assert (meta["rate"], meta["source"], meta["period"]) == ("0.68", "P2c", "2022")
    assert meta["requesting_in_eu"] == "true"
    apple = rows[("apple", "ITA")]
    assert (apple["basis"], apple["step"], apple["row_provider"], apple["source"]) == (
        "fallback",
        "5",
        "",
        "",
    )


def test_every_csv_rate_is_the_rate_the_engine_uses(data, capsys):
    """The table's rate for each pair is 1 - the decline chance of the engine's own tables.

    The world is built as a run builds it (EU membership on the run's first day), over states
    that reach every step of the fallback rule and the providers' home states.
    """
    states = ["ARE", "BRA", "CHN", "DEU", "ESP", "FRA", "HRV", "IND", "RUS", "SGP", "USA"]
    scenario = validate_settings(merge(default_settings(), {"world": {"states": states}}))
    world = build_world(data, scenario)
    p_decline = scenario.channels["direct_provider"].p_provider_decline
    tables = provider_tables(world.states, world, world.calendar, p_decline)
    number = {state.iso3: n for n, state in enumerate(world.states)}
    steps = set()
    for state in states:
        for row in _csv(["--requesting", state], capsys):
            code = tables.names.index(row["provider"])
            engine = 1.0 - tables.direct_decline[code][number[state]]
            assert float(row["rate"]) == pytest.approx(engine, abs=1e-12), row
            steps.add(row["step"])
    assert steps == {"1", "2", "3", "4", "5"}


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--provider", "nobody"], "--provider"),
        (["--requesting", "XYZ"], "--requesting"),
        (["--requesting", "EU"], "--requesting"),
        (["--format", "json"], "--format"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_output(argv, named, capsys):
    """An unknown provider or state, or a bad format: exit 2, one stderr line naming it."""
    code, out, err = _invoke(["providers", *argv], capsys)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert named in err
    assert argv[1] in err
    assert "Traceback" not in err


def test_unknown_format_is_refused_by_the_formatter():
    """format_providers names the formats it knows when given another."""
    with pytest.raises(ValueError, match="text, csv"):
        format_providers([], [], 0.65, "json")
