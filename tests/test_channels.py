"""Tests of ``sim.rules.channels``: which channels are open to a pair of real states, in what order.

The pairs are chosen from the packaged world data (February 2026 facts): the United States and
the United Kingdom have a bilateral MLAT and a CLOUD Act agreement; Germany and France are both
bound by the EIO and, from 2026-08-18, by the e-Evidence Regulation; Denmark opted out of both;
Ireland is outside the EIO and not a Budapest party but takes part in e-Evidence.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sim import vocabulary
from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Scenario
from sim.errors import ScenarioError
from sim.rules import channels as channels_module
from sim.rules.channels import (
    CHANNEL_SPECS,
    FORMAL_MLA,
    ChannelSpec,
    check_registry,
)
from sim.rules.routing import ChannelRouter
from sim.vocabulary import CHANNELS
from sim.world.build import World, build_world
from sim.world.data import WorldData, load_world_data

ROOT = Path(__file__).resolve().parents[1]
E_EVIDENCE_DAY = 229.0  # 2026-08-18, with the default start 2026-01-01


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def scenario(codes: list[str], changes: dict[str, Any] | None = None) -> Scenario:
    """The default scenario restricted to ``codes``, with ``changes`` laid over it."""
    settings = merge(default_settings(), {"world": {"states": codes}})
    return validate_settings(merge(settings, changes or {}))


def setup(
    data: WorldData, codes: list[str], changes: dict[str, Any] | None = None
) -> tuple[World, ChannelRouter]:
    """A world of ``codes`` and its channel router."""
    chosen = scenario(codes, changes)
    world = build_world(data, chosen)
    return world, ChannelRouter(chosen.channels, world.calendar)


def open_to(
    router: ChannelRouter, world: World, a: str, b: str, data_type: str, day: float = 0.0
) -> tuple[str, ...]:
    """Channels open to a request from ``a`` to ``b``."""
    return router.open_channels(world[a], world[b], data_type, day)


def test_usa_gbr_cloud_act_and_mlat_but_not_budapest(data: WorldData) -> None:
    """USA→GBR: CLOUD Act and the bilateral MLAT are open; Budapest Art. 27 is not.

    Both are Budapest parties, but Art. 27 applies only where no treaty is in force.
    """
    world, router = setup(data, ["USA", "GBR"])
    for a, b in (("USA", "GBR"), ("GBR", "USA")):
        found = open_to(router, world, a, b, "content")
        assert "cloud_act" in found
        assert "bilateral_mlat" in found
        assert "budapest_mla" not in found
    assert world.calendar.both_bound("USA", "GBR", "budapest", 0.0)


def test_usa_gbr_full_ranking(data: WorldData) -> None:
    """Open channels come fastest first by ``nominal_days``; no letters rogatory (treaties)."""
    world, router = setup(data, ["USA", "GBR"])
    assert open_to(router, world, "GBR", "USA", "subscriber") == (
        "direct_provider",
        "cloud_act",
        "bilateral_mlat",
        "treaty_mla",
    )
    assert open_to(router, world, "GBR", "USA", "content") == (
        "cloud_act",
        "bilateral_mlat",
        "treaty_mla",
    )


def test_deu_fra_eio_open_and_e_evidence_from_august_2026(data: WorldData) -> None:
    """DEU→FRA: the EIO is open; e-Evidence only from 2026-08-18, then it ranks first."""
    world, router = setup(data, ["DEU", "FRA"])
    before = open_to(router, world, "DEU", "FRA", "content", E_EVIDENCE_DAY - 1)
    assert "eio" in before
    assert "e_evidence" not in before
    assert before == ("eio", "treaty_mla")
    after = open_to(router, world, "DEU", "FRA", "content", E_EVIDENCE_DAY)
    assert after == ("e_evidence", "eio", "treaty_mla")


def test_dnk_deu_has_no_eio_and_dnk_issues_no_e_evidence(data: WorldData) -> None:
    """Denmark is outside the EIO and e-Evidence (opt-out): it never issues an EPOC.

    Reg. (EU) 2023/1543 Arts. 2-3 bind providers offering services in the Union wherever
    established, so from 2026-08-18 Germany may send one to a Danish provider (a domestic
    provider of an EU state offers services in the Union: the model's assumption). Between
    the two, MLA goes under ETS 030 and UNTOC (treaty_mla).
    """
    world, router = setup(data, ["DNK", "DEU"])
    for day in (0.0, E_EVIDENCE_DAY, 1500.0):
        assert open_to(router, world, "DNK", "DEU", "traffic", day) == ("treaty_mla",)
        assert "eio" not in open_to(router, world, "DEU", "DNK", "traffic", day)
    assert open_to(router, world, "DEU", "DNK", "traffic", 0.0) == ("treaty_mla",)
    assert open_to(router, world, "DEU", "DNK", "traffic", E_EVIDENCE_DAY) == (
        "e_evidence",
        "treaty_mla",
    )


def test_irl_deu_no_eio_but_e_evidence_after_august_2026(data: WorldData) -> None:
    """Ireland is outside the EIO but in e-Evidence; it signed Budapest only (no Art. 27)."""
    world, router = setup(data, ["IRL", "DEU"])
    assert open_to(router, world, "DEU", "IRL", "content", 0.0) == ("treaty_mla",)
    assert open_to(router, world, "DEU", "IRL", "content", E_EVIDENCE_DAY) == (
        "e_evidence",
        "treaty_mla",
    )
    assert "eio" not in open_to(router, world, "IRL", "DEU", "content", 1500.0)


@pytest.mark.parametrize("pair", [("JPN", "HUN"), ("SRB", "JPN"), ("HUN", "SRB")])
def test_second_protocol_never_open_in_the_baseline(data: WorldData, pair: tuple[str, str]) -> None:
    """The Second Protocol is not in force, so two of its parties can use none of its channels.

    tests/test_second_protocol.py tests each article.
    """
    world, router = setup(data, list(pair))
    a, b = pair
    assert world.calendar.is_party(a, "second_protocol", 400.0)
    assert world.calendar.is_party(b, "second_protocol", 400.0)
    for day in (0.0, 400.0, 1800.0):
        for data_type in ("subscriber", "traffic", "content"):
            found = open_to(router, world, a, b, data_type, day)
            assert not [name for name in found if name.startswith("sp_")]


def test_second_protocol_opens_once_in_force(data: WorldData) -> None:
    """Bringing the Second Protocol into force opens its articles between its parties (a reform)."""
    world, router = setup(data, ["SRB", "HUN"])
    world.calendar.set_in_force("second_protocol", 100.0)
    assert "sp_subscriber_order" not in open_to(router, world, "SRB", "HUN", "subscriber", 99.0)
    assert "sp_subscriber_order" in open_to(router, world, "SRB", "HUN", "subscriber", 100.0)
    assert "sp_subscriber_order" not in open_to(router, world, "SRB", "HUN", "content", 100.0)


def test_un_convention_is_scenario_only(data: WorldData) -> None:
    """The UN Convention opens only once in force and ratified by both states (KEN, CHN)."""
    world, router = setup(data, ["KEN", "CHN"])
    assert "un_convention_mla" not in open_to(router, world, "KEN", "CHN", "content", 1000.0)
    calendar = world.calendar
    calendar.set_in_force("un_cybercrime", 500.0)
    calendar.set_party("KEN", "un_cybercrime", 500.0)
    assert "un_convention_mla" not in open_to(router, world, "KEN", "CHN", "content", 600.0)
    calendar.set_party("CHN", "un_cybercrime", 550.0)
    assert open_to(router, world, "KEN", "CHN", "content", 600.0) == (
        "treaty_mla",
        "un_convention_mla",
    )


def test_direct_provider_only_to_voluntary_disclosure_states(data: WorldData) -> None:
    """Direct requests go only to states whose law allows voluntary disclosure (USA, not DEU)."""
    world, router = setup(data, ["DEU", "USA"])
    assert world["USA"].params.voluntary_disclosure
    assert not world["DEU"].params.voluntary_disclosure
    assert open_to(router, world, "DEU", "USA", "subscriber")[0] == "direct_provider"
    assert "direct_provider" in open_to(router, world, "DEU", "USA", "traffic")
    assert "direct_provider" not in open_to(router, world, "USA", "DEU", "subscriber")


def test_direct_provider_never_for_content(data: WorldData) -> None:
    """Content never goes to a provider directly, even if a scenario lists it as a data type."""
    changes = {"channels": {"direct_provider": {"data_types": ["subscriber", "content"]}}}
    world, router = setup(data, ["DEU", "USA"], changes)
    assert "direct_provider" not in open_to(router, world, "DEU", "USA", "content")
    assert "direct_provider" in open_to(router, world, "DEU", "USA", "subscriber")
    assert "direct_provider" not in open_to(router, world, "DEU", "USA", "traffic")


def test_voluntary_disclosure_override_opens_direct_channel(data: WorldData) -> None:
    """A scenario that lets German providers disclose voluntarily opens the direct channel."""
    world, router = setup(data, ["DEU", "USA"], {"states": {"DEU": {"voluntary_disclosure": True}}})
    assert "direct_provider" in open_to(router, world, "USA", "DEU", "subscriber")


def test_letters_rogatory_where_no_treaty(data: WorldData) -> None:
    """Without any treaty the diplomatic channel remains: letters rogatory only (IRN→CHN).

    Iran is party to none of the model's MLA instruments (not to UNTOC, by the 2017 list).
    """
    world, router = setup(data, ["IRN", "CHN"])
    for data_type in ("subscriber", "traffic", "content"):
        assert open_to(router, world, "IRN", "CHN", data_type) == ("letters_rogatory",)
        assert open_to(router, world, "CHN", "IRN", data_type, 1000.0) == ("letters_rogatory",)


@pytest.mark.parametrize("name", ["cloud_act", "letters_rogatory", "direct_provider"])
def test_disabled_channel_is_never_offered(data: WorldData, name: str) -> None:
    """A channel a scenario disables is left out even where it would be open."""
    world, router = setup(data, ["USA", "GBR"], {"channels": {name: {"enabled": False}}})
    for data_type in ("subscriber", "content"):
        for day in (0.0, 1000.0):
            assert name not in open_to(router, world, "GBR", "USA", data_type, day)
    assert "bilateral_mlat" in open_to(router, world, "GBR", "USA", "content")


def test_ranking_follows_nominal_days(data: WorldData) -> None:
    """Changing ``nominal_days`` reorders the channels: fastest expected first."""
    changes = {
        "channels": {
            "treaty_mla": {"nominal_days": 1.0},
            "cloud_act": {"nominal_days": 400.0},
        }
    }
    world, router = setup(data, ["USA", "GBR"], changes)
    assert open_to(router, world, "GBR", "USA", "content") == (
        "treaty_mla",
        "bilateral_mlat",
        "cloud_act",
    )


def test_data_types_limit_channels(data: WorldData) -> None:
    """A channel is offered only for the data types it lists."""
    world, router = setup(
        data, ["USA", "GBR"], {"channels": {"cloud_act": {"data_types": ["content"]}}}
    )
    assert "cloud_act" not in open_to(router, world, "GBR", "USA", "subscriber")
    assert "cloud_act" in open_to(router, world, "GBR", "USA", "content")


def test_cache_refreshes_after_calendar_version_changes(data: WorldData) -> None:
    """A reform dated on an existing change day still reaches cached answers (via ``version``).

    Day 229 is already a change day (e-Evidence), so the epoch of day 300 stays the same; only
    the calendar's version tells the router that Denmark has joined the EIO.
    """
    world, router = setup(data, ["DNK", "DEU"])
    calendar = world.calendar
    assert E_EVIDENCE_DAY in calendar.change_days
    first = open_to(router, world, "DNK", "DEU", "content", 300.0)
    assert "eio" not in first
    epoch = calendar.epoch(300.0)
    calendar.set_party("DNK", "eio", E_EVIDENCE_DAY)
    assert calendar.epoch(300.0) == epoch
    assert "eio" in open_to(router, world, "DNK", "DEU", "content", 300.0)


def test_cache_separates_days_in_different_epochs(data: WorldData) -> None:
    """An answer cached before a change day is not reused after it."""
    world, router = setup(data, ["DEU", "FRA"])
    assert "e_evidence" not in open_to(router, world, "DEU", "FRA", "content", 100.0)
    assert "e_evidence" in open_to(router, world, "DEU", "FRA", "content", 300.0)
    assert "e_evidence" not in open_to(router, world, "DEU", "FRA", "content", 200.0)


# --- the registry ------------------------------------------------------------------------------


def test_registry_gives_each_channel_one_spec_in_vocabulary_order() -> None:
    """Each channel of DESIGN's table has one spec, so no channel is silently unroutable."""
    assert tuple(spec.name for spec in CHANNEL_SPECS) == CHANNELS
    check_registry()


def test_formal_mla_is_derived_from_the_specs() -> None:
    """The formal MLA channels are those whose spec says so.

    DESIGN's four, treaty_mla and the Second Protocol's emergency mutual assistance (Art. 10).
    """
    assert FORMAL_MLA == (
        "sp_emergency_mla",
        "bilateral_mlat",
        "treaty_mla",
        "budapest_mla",
        "un_convention_mla",
        "letters_rogatory",
    )
    assert all(isinstance(spec.formal_mla, bool) for spec in CHANNEL_SPECS)


def test_specs_declare_what_their_rules_read() -> None:
    """Instrument and tie channels name their instrument or tie; formal ones read suspensions."""
    specs = {spec.name: spec for spec in CHANNEL_SPECS}
    assert (specs["eio"].instruments, specs["eio"].ties) == (("eio",), ())
    assert specs["un_convention_mla"].instruments == ("un_cybercrime",)
    assert specs["bilateral_mlat"].ties == ("mlat", "mla_agreement", "suspended")
    assert specs["treaty_mla"].instruments == channels_module.TREATY_MLA_INSTRUMENTS
    assert (specs["budapest_mla"].instruments, specs["budapest_mla"].ties) == (
        ("budapest", *channels_module.TREATY_MLA_INSTRUMENTS),
        ("mlat", "mla_agreement", "suspended"),
    )
    assert "untoc" in specs["letters_rogatory"].instruments
    assert all("suspended" in specs[name].ties for name in FORMAL_MLA)


def _bad_registries() -> dict[str, tuple[tuple[ChannelSpec, ...], str]]:
    """Registries that :func:`check_registry` must refuse, with the message it must give."""
    specs = CHANNEL_SPECS
    extra = replace(specs[0], name="pigeon_post")
    eio = [spec.name for spec in specs].index("eio")
    mlat = [spec.name for spec in specs].index("bilateral_mlat")
    return {
        "missing": (
            specs[:-1],
            "channel 'emergency_disclosure': in vocabulary.CHANNELS but has no",
        ),
        "unknown": ((*specs, extra), "channel 'pigeon_post': has a spec but is not in"),
        "twice": ((*specs, specs[eio]), "channel 'eio': more than one spec"),
        "order": ((specs[1], specs[0], *specs[2:]), "vocabulary.CHANNELS order"),
        "instrument": (
            (*specs[:eio], replace(specs[eio], instruments=("eoi",)), *specs[eio + 1 :]),
            "channel 'eio': unknown instrument 'eoi' (not in vocabulary.INSTRUMENTS)",
        ),
        "tie": (
            (*specs[:mlat], replace(specs[mlat], ties=("mlta",)), *specs[mlat + 1 :]),
            "channel 'bilateral_mlat': unknown tie kind 'mlta'",
        ),
        "basis": (
            (*specs[:-1], replace(specs[-1], basis="comity\nand more")),
            "channel 'emergency_disclosure': its basis must be one line",
        ),
    }


@pytest.mark.parametrize("case", list(_bad_registries()))
def test_check_registry_refuses_a_mismatch(case: str) -> None:
    """A spec missing, unknown, doubled, out of order or naming an unknown instrument fails."""
    specs, message = _bad_registries()[case]
    with pytest.raises(TypeError, match=re.escape(message)):
        check_registry(specs)


def test_scenario_refuses_an_unknown_channel_naming_it() -> None:
    """A ``[channels.NAME]`` block for a channel with no name in the vocabulary is an error."""
    with pytest.raises(ScenarioError) as caught:
        scenario(["DEU", "FRA"], {"channels": {"pigeon_post": {"enabled": True}}})
    assert caught.value.where == "channels.pigeon_post"
    assert caught.value.problem.startswith("unknown channel (choose direct_provider, ")


def test_scenario_requires_every_channel() -> None:
    """Settings without a known channel's block name it (the defaults must give every one)."""
    settings = default_settings()
    del settings["channels"]["eio"]
    with pytest.raises(ScenarioError) as caught:
        validate_settings(settings)
    assert (caught.value.where, caught.value.problem) == (
        "channels.eio",
        "required field is missing",
    )


def test_channels_read_as_attributes_by_name_and_in_order() -> None:
    """Callers read ``channels.eio``, ``channels["eio"]`` and ``items()`` in DESIGN order."""
    channels = scenario(["DEU"]).channels
    assert channels.eio is channels["eio"] is dict(channels.items())["eio"]
    assert [name for name, _ in channels.items()] == list(CHANNELS)
    with pytest.raises(AttributeError, match="no channel 'pigeon_post'"):
        _ = channels.pigeon_post


# --- adding a channel through the registry -------------------------------------------------------

TOY = "carrier_pigeon"
TOY_BLOCK = f"""
[channels.{TOY}]
enabled = true
time_scale = 1.0
nominal_days = 5.0
data_types = ["subscriber", "traffic"]
urgent_factor = 1.0
timeout_days = 60.0
p_clarify = 0.0
p_refuse_grounds = 0.0
dual_criminality = false
dual_criminality_data_types = ["content"]
conduct_test = false
p_refuse_dual_criminality = 0.0
data_protection = false
p_refuse_data_protection = 0.0
p_provider_decline = 0.0
max_clarifications = 0
stages.transmission = {{ time = {{ distribution = "fixed", value = 3.0 }}, servers = "unlimited" }}
stages.execution = {{ time = {{ distribution = "fixed", value = 2.0 }}, servers = "unlimited" }}
"""
"""The toy channel's settings, as its block in ``sim/data/defaults.toml`` would give them."""
TOY_SPEC = ChannelSpec.under_instrument(
    TOY, "budapest", formal_mla=False, basis="a toy channel between two Budapest parties"
)


@pytest.fixture
def toy_channel(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The toy channel registered (name and spec, at the end); its TOML block, parsed."""
    monkeypatch.setattr(vocabulary, "CHANNELS", (*CHANNELS, TOY))
    monkeypatch.setattr(channels_module, "CHANNEL_SPECS", (*CHANNEL_SPECS, TOY_SPEC))
    return tomllib.loads(TOY_BLOCK)


def test_toy_channel_passes_the_registry_check(toy_channel: dict[str, Any]) -> None:
    """Its name in the vocabulary and its spec in the registry make a consistent registry."""
    check_registry()
    assert TOY not in FORMAL_MLA


def test_toy_channel_is_routed_fastest_first(data: WorldData, toy_channel: dict[str, Any]) -> None:
    """The router opens the toy channel to two Budapest parties and ranks it by nominal_days."""
    world, router = setup(data, ["DEU", "FRA", "KEN", "CHN"], toy_channel)
    assert open_to(router, world, "DEU", "FRA", "subscriber")[0] == TOY
    assert TOY not in open_to(router, world, "DEU", "FRA", "content")  # not in its data_types
    assert TOY not in open_to(router, world, "KEN", "CHN", "subscriber")  # not parties
    slow = merge(toy_channel, {"channels": {TOY: {"nominal_days": 1000.0}}})
    world, router = setup(data, ["DEU", "FRA"], slow)
    assert open_to(router, world, "DEU", "FRA", "traffic")[-2:] == ("treaty_mla", TOY)


def test_toy_channel_needs_its_toml_block(toy_channel: dict[str, Any]) -> None:
    """A registered channel without settings is named as missing, not silently closed."""
    with pytest.raises(ScenarioError, match=f"^channels.{TOY}: required field is missing$"):
        scenario(["DEU", "FRA"])


def test_adding_a_channel_touches_three_files(tmp_path: Path) -> None:
    """A copy of ``sim`` with a channel added in three files only runs, and requests take it.

    The three edits of docs/architecture.md: the name in ``vocabulary.CHANNELS``, the spec in
    ``CHANNEL_SPECS`` (both first, so the orders agree) and the block in ``defaults.toml``.
    One replication of two Budapest parties then records requests on the new channel.
    """
    copy = tmp_path / "sim"
    shutil.copytree(ROOT / "sim", copy, ignore=shutil.ignore_patterns("__pycache__"))
    _insert(copy / "vocabulary.py", "CHANNELS = (\n", f'    "{TOY}",\n')
    spec = f'    ChannelSpec.under_instrument("{TOY}", "budapest", formal_mla=False, basis="t"),\n'
    _insert(copy / "rules" / "channels.py", "CHANNEL_SPECS: tuple[ChannelSpec, ...] = (\n", spec)
    defaults = copy / "data" / "defaults.toml"
    defaults.write_text(defaults.read_text(encoding="utf-8") + TOY_BLOCK, encoding="utf-8")
    script = textwrap.dedent(f"""
        import datetime as dt
        import sim
        from sim.config.loading import default_settings, merge, validate_settings
        from sim.engine.replication import run_replication
        changes = {{
            "world": {{"states": ["DEU", "FRA"]}},
            "demand": {{"scale": 0.01}},
            "simulation": {{"end": dt.date(2027, 1, 1), "warm_up_days": 30, "drain_days": 60}},
        }}
        requests, *_ = run_replication(validate_settings(merge(default_settings(), changes)), 0)
        print(sim.__file__, int((requests["channel"] == "{TOY}").sum()), len(requests))
        """)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    where, taken, made = done.stdout.split()
    assert Path(where).parent == copy  # the edited copy ran, not the installed package
    assert 0 < int(taken) <= int(made)


def _insert(path: Path, anchor: str, text: str) -> None:
    """Insert ``text`` after the one occurrence of ``anchor`` in the file at ``path``."""
    source = path.read_text(encoding="utf-8")
    assert source.count(anchor) == 1, f"{path.name}: anchor {anchor!r} not found once"
    path.write_text(source.replace(anchor, anchor + text), encoding="utf-8")
