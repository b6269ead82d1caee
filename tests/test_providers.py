"""Service providers as evidence holders: the data, the answer-rate rule, e-Evidence by provider.

An evidence holder is a provider (``sim/data/providers.csv``): a major one by name, or the
domestic provider of the holder state. Direct requests are answered at the provider's
published rate for the requesting state (``provider_rates.csv``) or by the fallback rule of
``sim.rules.providers.answer_rate``; e-Evidence opens by the provider (Reg. (EU) 2023/1543).
"""

import csv
import shutil
from pathlib import Path

import pytest
from model_runs import HUGE, make_scenario, only, quiet, run_model, state_settings

from sim.config.loading import default_settings, merge, validate_settings
from sim.errors import WorldDataError
from sim.rules.providers import (
    DOMESTIC,
    Step,
    answer_rate,
    answer_rule,
    provider_tables,
    rate_table,
)
from sim.rules.routing import ChannelRouter
from sim.world.build import HolderProfile, build_world
from sim.world.data import WorldData, load_world_data

DATA_DIR = Path(__file__).resolve().parents[1] / "sim" / "data"
E_EVIDENCE_DAY = 229.0  # 2026-08-18, with the default start 2026-01-01
DIRECT = 0.65  # 1 - p_provider_decline of the direct channel (defaults.toml)


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


@pytest.fixture(scope="module")
def rates(data: WorldData) -> dict[tuple[str, str], float]:
    """The published rates as the rule reads them."""
    return rate_table(data.provider_rates)


# -- the data ----------------------------------------------------------------------------------


def test_major_providers_are_listed_with_their_home_and_eu_establishment(data: WorldData) -> None:
    """Google and Meta answer EU requests from Ireland (Google and Meta LE guidelines, P1a-b).

    Every listed provider offers services in the Union and has a home state in states.csv.
    """
    by_name = {p.provider: p for p in data.providers}
    assert {"google", "meta", "apple", "microsoft", "tiktok", "telegram"} <= set(by_name)
    assert by_name["google"].home == "USA" and by_name["google"].eu_establishment == "IRL"
    assert by_name["meta"].eu_establishment == "IRL"
    assert by_name["tiktok"].eu_establishment == "IRL"
    assert all(p.offers_services_in_eu for p in data.providers)
    assert all(p.home in data.states for p in data.providers)


def test_shares_of_the_us_weight_are_sirius_2018_shares(data: WorldData) -> None:
    """SIRIUS 2019 (2018 data): Facebook 30%, Google 26%, Apple 24% of EU requests (P2a).

    The rest of the USA's holder weight (20%) is its domestic provider's.
    """
    shares = {p.provider: p.share_of_home for p in data.providers if p.home == "USA"}
    assert shares["meta"] == 0.30 and shares["google"] == 0.26 and shares["apple"] == 0.24
    assert sum(shares.values()) == pytest.approx(0.80)


def test_unverified_provider_rows_are_flagged(data: WorldData) -> None:
    """A home state no source confirms (Telegram's Dubai, TikTok's group) is verified=false."""
    by_name = {p.provider: p for p in data.providers}
    assert not by_name["telegram"].verified
    assert not by_name["tiktok"].verified


def test_every_provider_source_tag_is_listed_in_sources_md() -> None:
    """Each ``source`` tag of the two provider files has its citation in SOURCES.md."""
    listed = (DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name in ("providers.csv", "provider_rates.csv"):
        with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
            tags = {tag for row in csv.DictReader(handle) for tag in row["source"].split(";")}
        assert tags
        missing = sorted(tag for tag in tags if f"- {tag}: " not in listed)
        assert not missing, (name, missing)


def _broken(tmp_path: Path, name: str, text: str) -> Path:
    """A copy of the packaged data with ``name`` replaced by ``text``."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    (target / name).write_text(text, encoding="utf-8")
    return target


PROVIDERS_HEADER = (
    "provider,name,home,eu_establishment,offers_services_in_eu,transparency_report,"
    "share_of_home,share_basis,verified,source,emergency_policy,emergency_rate\n"
)
RATES_HEADER = "provider,requesting,rate,period,requests,verified,source,note\n"


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "providers.csv",
            PROVIDERS_HEADER
            + "a,A,USA,,true,true,0.7,x,true,P1,false,\nb,B,USA,,true,true,0.4,x,true,P1,false,\n",
            "exceed 1",
        ),
        ("providers.csv", PROVIDERS_HEADER + "a,A,XXX,,true,true,0.1,x,true,P1,false,\n", "XXX"),
        (
            "providers.csv",
            PROVIDERS_HEADER + "a,A,USA,,true,true,0.1,x,true,P1,false,0.7\n",
            "needs emergency_policy",
        ),
        (
            "providers.csv",
            PROVIDERS_HEADER + "a,A,USA,,true,true,0.1,x,true,P1,true,1.7\n",
            "between 0 and 1",
        ),
        ("provider_rates.csv", RATES_HEADER + "nobody,DEU,0.5,2022,,true,P1,\n", "nobody"),
        ("provider_rates.csv", RATES_HEADER + "meta,DEU,1.5,2022,,true,P1,\n", "between 0 and 1"),
        ("provider_rates.csv", RATES_HEADER + "*,EU,0.5,2022,,true,P1,\n", "must name a state"),
    ],
)
def test_broken_provider_files_are_refused(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    """Shares above a home's weight, unknown states or providers, rates outside [0, 1]."""
    with pytest.raises(WorldDataError, match=problem):
        load_world_data(_broken(tmp_path, name, text))


# -- the answer-rate rule ----------------------------------------------------------------------


def test_a_pair_with_a_transparency_report_rate_uses_it(rates: dict) -> None:
    """Meta answered 66.59% of India's requests in H1 2022 (Meta transparency report, P3e)."""
    assert answer_rate("meta", "IND", False, rates, DIRECT) == 0.6659


def test_a_pair_row_beats_the_eu_bloc(rates: dict) -> None:
    """Meta answered 83% of France's requests in H2 2021 (P3d), not SIRIUS's EU-wide 68%."""
    assert answer_rate("meta", "FRA", True, rates, DIRECT) == 0.83


def test_an_eu_state_without_its_own_row_gets_the_sirius_rate(rates: dict) -> None:
    """SIRIUS 2023 (2022 data): Google 80%, Meta 68%, TikTok 51% of EU requests (P2c)."""
    assert answer_rate("google", "DEU", True, rates, DIRECT) == 0.80
    assert answer_rate("meta", "DEU", True, rates, DIRECT) == 0.68
    assert answer_rate("tiktok", "ITA", True, rates, DIRECT) == 0.51


def test_fallback_for_pairs_without_a_report_is_the_global_rate(rates: dict) -> None:
    """A non-EU state without a row gets the provider's global rate (Google H2 2023, P3k)."""
    assert answer_rate("google", "IND", False, rates, DIRECT) == 0.75
    assert answer_rate("x", "BRA", False, rates, DIRECT) == 0.53


def test_fallback_without_any_published_rate_is_the_domestic_rate(rates: dict) -> None:
    """Apple publishes no global rate in the sources: India's requests get 1 - 0.35 (assumed)."""
    assert answer_rate("apple", "IND", False, rates, DIRECT) == DIRECT


def test_russia_gets_nothing_from_the_listed_providers(rates: dict) -> None:
    """Meta answered none of Russia's requests after 2022 (P3a); assumed for every provider.

    Russia's domestic-provider fallback is not changed by it (the rule is for listed ones).
    """
    for provider in ("google", "meta", "apple", "x", "tiktok"):
        assert answer_rate(provider, "RUS", False, rates, DIRECT) == 0.0
    assert answer_rate(None, "RUS", False, rates, DIRECT) == DIRECT


def test_a_domestic_provider_answers_at_the_channel_rate(rates: dict) -> None:
    """A domestic provider answers at 1 - p_provider_decline, whoever asks."""
    assert answer_rate(None, "DEU", True, rates, 0.4) == 0.4


def test_answer_rule_names_the_step_and_row_that_gave_the_rate(rates: dict) -> None:
    """Each step of docs/model.md 7.9 is reported with the row it read (none at 5 and 0)."""
    cases = [
        (("meta", "IND", False), Step.OWN_ROW, ("meta", "IND")),
        (("google", "RUS", False), Step.ANY_PROVIDER, ("*", "RUS")),
        (("google", "DEU", True), Step.EU_BLOC, ("google", "EU")),
        (("google", "DEU", False), Step.GLOBAL, ("google", "*")),
        (("apple", "IND", False), Step.ASSUMED, None),
        ((None, "RUS", False), Step.DOMESTIC, None),
    ]
    for (provider, requesting, in_eu), step, row in cases:
        rule = answer_rule(provider, requesting, in_eu, rates, DIRECT)
        assert (rule.step, rule.row) == (step, row), (provider, requesting)
        assert rule.rate == answer_rate(provider, requesting, in_eu, rates, DIRECT)
        assert rule.rate == (rates[row] if row is not None else DIRECT)


def test_provider_tables_give_the_us_its_providers_and_others_none(data: WorldData) -> None:
    """The USA's weight is split among Apple, Google, Meta and its domestic provider."""
    settings = merge(default_settings(), {"world": {"states": ["USA", "DEU", "RUS"]}})
    scenario = validate_settings(settings)
    world = build_world(data, scenario)
    tables = provider_tables(world.states, world, world.calendar, 0.35)
    assert tables.names[0] == DOMESTIC
    number = {s.iso3: n for n, s in enumerate(world.states)}
    cumulative, codes, _ = tables.choice[number["USA"]]
    assert cumulative == pytest.approx([0.24, 0.50, 0.80, 1.0])
    assert [tables.names[c] for c in codes] == ["apple", "google", "meta", DOMESTIC]
    assert tables.choice[number["DEU"]] is None
    google = tables.names.index("google")
    assert tables.direct_decline[google][number["DEU"]] == pytest.approx(0.20)
    assert tables.direct_decline[google][number["RUS"]] == pytest.approx(1.0)
    assert tables.direct_decline[0][number["RUS"]] == pytest.approx(0.35)


# -- e-Evidence by the provider ----------------------------------------------------------------


def _router(data: WorldData, codes: list[str]) -> tuple:
    scenario = validate_settings(merge(default_settings(), {"world": {"states": codes}}))
    world = build_world(data, scenario)
    return world, ChannelRouter(scenario.channels, world.calendar)


def test_e_evidence_reaches_a_us_provider_offering_services_in_the_union(data: WorldData) -> None:
    """Reg. (EU) 2023/1543 Arts. 2-3: binds providers offering services in the Union.

    Wherever the provider is established, so a FRA request for data held by a US provider
    offering services in the EU may use an EPOC after 2026-08-18 (the day the Regulation
    applies from), not before.
    """
    world, router = _router(data, ["FRA", "USA"])
    usa = world["USA"]
    google = HolderProfile(usa.facts, usa.params, True)
    assert "e_evidence" not in router.open_channels(world["FRA"], google, "content", 0.0)
    assert "e_evidence" in router.open_channels(world["FRA"], google, "content", E_EVIDENCE_DAY)


def test_e_evidence_does_not_reach_a_domestic_provider_outside_the_union(
    data: WorldData,
) -> None:
    """A US domestic provider is assumed not to offer services in the Union: no EPOC.

    The router's cache tells the two holders of the same state apart.
    """
    world, router = _router(data, ["FRA", "USA"])
    usa = world["USA"]
    google = HolderProfile(usa.facts, usa.params, True)
    assert "e_evidence" in router.open_channels(world["FRA"], google, "content", E_EVIDENCE_DAY)
    assert "e_evidence" not in router.open_channels(world["FRA"], usa, "content", E_EVIDENCE_DAY)


def test_only_a_bound_state_issues_an_e_evidence_order(data: WorldData) -> None:
    """Reg. (EU) 2023/1543: only the authorities of bound member states issue orders.

    Not Denmark, not third states: the USA cannot use an EPOC even toward a provider in the
    Union.
    """
    world, router = _router(data, ["USA", "DEU", "DNK"])
    deu = world["DEU"]
    in_union = HolderProfile(deu.facts, deu.params, True)
    for day in (0.0, E_EVIDENCE_DAY, 1500.0):
        assert "e_evidence" not in router.open_channels(world["USA"], in_union, "content", day)
        assert "e_evidence" not in router.open_channels(world["DNK"], in_union, "content", day)


# -- in runs of the model ----------------------------------------------------------------------


def _run(data: WorldData, codes: list[str], providers: bool) -> object:
    scenario = make_scenario(
        codes,
        quiet(),
        only("direct_provider", "bilateral_mlat"),
        {
            "world": {"providers": providers},
            "channels": {"direct_provider": {"p_provider_decline": 0.35}},
            "preservation": {"enabled": False},
            "routing": {"pursuit_scale": 0.0},
        },
        state_settings(codes, retention_days=HUGE),
    )
    return run_model(data, scenario)[1]


def test_requests_record_the_provider_drawn_by_its_share(data: WorldData) -> None:
    """Requests to the USA are held by Apple, Google, Meta or the domestic rest, by share.

    Requests to other states are held by their domestic provider.
    """
    frame = _run(data, ["GBR", "USA"], providers=True)
    to_usa = frame[frame["requested"] == "USA"]
    shares = to_usa["provider"].astype(str).value_counts(normalize=True)
    assert len(to_usa) > 200
    assert set(shares.index) == {"apple", "google", "meta", "domestic"}
    assert shares["meta"] == pytest.approx(0.30, abs=0.08)
    assert set(frame[frame["requested"] == "GBR"]["provider"].astype(str)) == {"domestic"}


def test_listed_providers_decline_russia_and_domestic_ones_do_not_always(
    data: WorldData,
) -> None:
    """Every direct request from Russia to Apple, Google or Meta is declined.

    Meta answered none after 2022 (P3a), assumed for all listed providers; the US domestic
    provider answers about 65%.
    """
    frame = _run(data, ["RUS", "USA"], providers=True)
    direct = frame[(frame["requesting"] == "RUS") & (frame["first_channel"] == "direct_provider")]
    listed = direct[direct["provider"].astype(str) != "domestic"]
    domestic = direct[direct["provider"].astype(str) == "domestic"]
    assert len(listed) > 50 and len(domestic) > 20
    assert set(listed["reason"].astype(str)) == {"provider_declined"}
    assert (domestic["reason"].astype(str) != "provider_declined").any()


def test_without_providers_every_holder_is_domestic(data: WorldData) -> None:
    """``world.providers = false``: the model before providers, one domestic provider each."""
    frame = _run(data, ["GBR", "USA"], providers=False)
    assert len(frame) > 100
    assert set(frame["provider"].astype(str)) == {"domestic"}
