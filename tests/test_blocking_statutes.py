"""Blocking statutes: data held in a state may leave it only with its authorities' approval.

China's Data Security Law Art. 36 and Personal Information Protection Law Art. 41 bar
organisations in the PRC from providing data (personal information) stored there to foreign
judicial or law-enforcement bodies without the approval of the competent Chinese authority; its
International Criminal Judicial Assistance Law Art. 4 bars providing evidence to foreign
criminal proceedings without that authority's consent. Russia's Federal Law 242-FZ localises the
personal data of Russian citizens (read here, as an assumption, as no voluntary disclosure to
foreign authorities). They reach a request only on a channel to the provider, never one through
the state's own authorities (``sim/data/blocking_statutes.csv``, ``sim.rules.blocking``).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from model_runs import finished, make_scenario, only, quiet, run_model, state_settings

from sim.errors import WorldDataError
from sim.rules.blocking import TO_PROVIDERS, Barrier, approval, barrier_on, barrier_steps
from sim.rules.channels import FORMAL_MLA
from sim.world.data import WorldData, load_world_data

DATA_DIR = Path(__file__).resolve().parents[1] / "sim" / "data"
START = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def _statute(data: WorldData, state: str, article: str):
    (found,) = [s for s in data.blocking_statutes if s.state == state and s.article == article]
    return found


def _day(date: str) -> float:
    return float((dt.date.fromisoformat(date) - START).days)


# -- the articles, as data -----------------------------------------------------------------------


def test_data_security_law_art_36_requires_approval_from_september_2021(data) -> None:
    """China, Data Security Law Art. 36 (in force 1 September 2021).

    "Without the approval of the competent authority of the PRC, domestic organisations and
    individuals shall not provide data stored within the PRC to foreign judicial or law
    enforcement bodies": an approval stage for any data type, from its in-force day.
    """
    statute = _statute(data, "CHN", "Art. 36")
    assert statute.law == "Data Security Law"
    assert statute.effect == "approval" and statute.in_force == dt.date(2021, 9, 1)
    assert statute.verified


def test_personal_information_protection_law_art_41_requires_approval_from_november_2021(
    data,
) -> None:
    """China, Personal Information Protection Law Art. 41 (in force 1 November 2021).

    Without the approval of the competent authority, a personal information handler shall not
    provide personal information stored within the PRC to foreign judicial or law enforcement
    bodies: the same approval, for the personal data every request of the model asks for.
    """
    statute = _statute(data, "CHN", "Art. 41")
    assert statute.law == "Personal Information Protection Law"
    assert statute.effect == "approval" and statute.in_force == dt.date(2021, 11, 1)


def test_international_criminal_judicial_assistance_law_art_4_requires_consent_from_2018(
    data,
) -> None:
    """China, International Criminal Judicial Assistance Law Art. 4 (in force 26 October 2018).

    No institution, organisation or individual in the PRC may provide evidence or assistance to
    foreign criminal proceedings without the consent of the competent authority: an approval,
    flagged unverified (a summary of the law, not its text, in the sources).
    """
    statute = _statute(data, "CHN", "Art. 4")
    assert statute.effect == "approval" and statute.in_force == dt.date(2018, 10, 26)
    assert not statute.verified


def test_russian_localisation_law_242_fz_is_an_assumed_refusal(data) -> None:
    """Russia, Federal Law 242-FZ (in force 1 September 2015): an assumed refusal.

    It requires the personal data of Russian citizens to be processed in databases in Russia.

    The law localises storage and does not itself bar transfers; the model reads it, as an
    assumption flagged unverified, as Russian providers never disclosing to a foreign
    authority outside Russian procedure: ``refuse``.
    """
    statute = _statute(data, "RUS", "Art. 2")
    assert statute.effect == "refuse" and statute.p_refuse == 1.0
    assert statute.in_force == dt.date(2015, 9, 1) and not statute.verified


def test_a_statute_file_with_an_unknown_effect_is_refused(tmp_path: Path) -> None:
    """An effect other than ``approval`` or ``refuse`` is a data error naming the line."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / "blocking_statutes.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(f"{header}\nCHN,A law,Art. 1,forbid,1,0.5,2021-01-01,true,B1,\n")
    with pytest.raises(WorldDataError, match="effect 'forbid'"):
        load_world_data(target)


# -- the rule ------------------------------------------------------------------------------------


def test_a_statute_applies_from_its_in_force_day_only(data) -> None:
    """A statute applies from its in-force day only.

    Before the first Chinese statute is in force nothing stands in the way; from 26 October
    2018 the ICJAL's consent; from 2021 the DSL and the PIPL, one approval as strict as the
    strictest of them.
    """
    steps = barrier_steps([s for s in data.blocking_statutes if s.state == "CHN"], START)
    assert barrier_on(steps, _day("2018-10-25")) is None
    assert barrier_on(steps, _day("2018-10-26")) is not None
    strictest = barrier_on(steps, _day("2026-01-01"))
    chinese = [s for s in data.blocking_statutes if s.state == "CHN"]
    assert strictest == Barrier(
        max(s.approval_days for s in chinese), max(s.p_refuse for s in chinese)
    )


def test_a_refusing_statute_refuses_at_once() -> None:
    """A ``refuse`` statute (no approval procedure): no wait, and the data never leave."""
    assert approval(Barrier(0.0, 1.0), 0.999, 0.5) == (0.0, True)


def test_the_approval_wait_is_exponential_with_the_statute_mean() -> None:
    """The approval takes an exponential time with mean ``approval_days``.

    Its procedure is not published (Baker McKenzie: the DSL's approval procedure has not been
    announced), so the mean is an assumption.
    """
    barrier = Barrier(180.0, 0.5)
    waits = [approval(barrier, 0.9, (k + 0.5) / 20_000)[0] for k in range(20_000)]
    assert sum(waits) / len(waits) == pytest.approx(180.0, rel=0.01)
    assert approval(barrier, 0.49, 0.3)[1] and not approval(barrier, 0.5, 0.3)[1]


def test_only_channels_to_the_provider_are_reached() -> None:
    """Only channels that reach the provider without the state's authorities are reached.

    The statutes ask that the state's own authorities handle foreign requests: a formal
    request through its central authority is that, so no formal MLA channel (nor the EIO) is
    reached; direct, emergency, Second Protocol, CLOUD Act and e-Evidence requests are.
    """
    assert not TO_PROVIDERS & set(FORMAL_MLA)
    assert "eio" not in TO_PROVIDERS
    assert {"direct_provider", "e_evidence", "emergency_disclosure"} <= TO_PROVIDERS


# -- in runs of the model ------------------------------------------------------------------------


def _run(data: WorldData, holder: str, applied: bool) -> pd.DataFrame:
    """A year of requests between the USA and ``holder``.

    The holder's providers answer foreign direct requests here (an assumption of the test), so
    that the direct channel reaches them.
    """
    codes = ["USA", holder]
    scenario = make_scenario(
        codes,
        quiet(),
        only("direct_provider", "bilateral_mlat", "treaty_mla", "letters_rogatory"),
        {"world": {"blocking_statutes": applied}, "preservation": {"enabled": False}},
        state_settings(codes, retention_days=1_000_000.0),
        state_settings([holder], voluntary_disclosure=True),
        days=365,
        drain=180,
    )
    return run_model(data, scenario)[1]


def test_direct_requests_for_data_held_in_china_wait_for_approval_and_may_be_refused(
    data,
) -> None:
    """DSL Art. 36 and PIPL Art. 41 hold direct requests for data held in China.

    A direct request for data held in China is refused (reason ``blocking_statute``) about as
    often as the assumed ``p_refuse``, and answered ones wait for the approval; without the
    statutes none is refused on that ground.
    """
    blocked = _run(data, "CHN", True)
    to_china = blocked[(blocked["requested"] == "CHN") & (blocked["requesting"] == "USA")]
    direct_first = finished(to_china[to_china["first_channel"] == "direct_provider"])
    assert len(direct_first) > 50
    refused = direct_first["attempts"] >= 2  # refused on the direct channel, gone on
    refused |= direct_first["reason"] == "blocking_statute"
    assert 0.3 < refused.mean() < 0.7
    answered = direct_first[(direct_first["channel"] == "direct_provider")]
    answered = answered[answered["outcome"] == "fulfilled"]
    assert answered["time_to_outcome_days"].median() > 60.0
    free = _run(data, "CHN", False)
    free_direct = free[(free["requested"] == "CHN") & (free["first_channel"] == "direct_provider")]
    assert not (free["reason"] == "blocking_statute").any()
    free_answered = free_direct[free_direct["outcome"] == "fulfilled"]
    assert free_answered["time_to_outcome_days"].median() < 30.0


def test_a_formal_request_through_chinas_authorities_is_never_blocked(data) -> None:
    """A formal request through China's authorities is never blocked.

    The statutes route foreign requests to the competent authority, which a formal request
    (the US-China MLA agreement, UNTOC) reaches: no attempt on a formal channel ends on them.
    """
    frame = _run(data, "CHN", True)
    formal = frame[frame["channel"].astype(str).isin(FORMAL_MLA)]
    assert len(formal) > 20
    assert not (formal["reason"] == "blocking_statute").any()


def test_direct_requests_for_data_held_in_russia_are_refused(data) -> None:
    """242-FZ, read as an assumed refusal: no direct request for Russian-held data is answered.

    Each is refused on that ground; one with a formal route goes on to it (UNTOC binds the
    pair), the others end refused with reason ``blocking_statute``.
    """
    frame = _run(data, "RUS", True)
    to_russia = finished(frame[frame["requested"] == "RUS"])
    direct_first = to_russia[to_russia["first_channel"] == "direct_provider"]
    assert len(direct_first) > 20
    on_direct = direct_first["channel"] == "direct_provider"
    assert (direct_first.loc[on_direct, "reason"] == "blocking_statute").all()
    assert (direct_first.loc[~on_direct, "attempts"] >= 2).all()
    free = _run(data, "RUS", False)
    answered = free[(free["channel"] == "direct_provider") & (free["outcome"] == "fulfilled")]
    assert len(answered[answered["requested"] == "RUS"]) > 20
