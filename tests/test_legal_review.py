"""Tests of ``sim.rules.legal_review``: dual criminality, data protection, the decision."""

import pytest

from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Channel, Scenario
from sim.rules.legal_review import data_protection_risk, dual_criminality_risk, review
from sim.vocabulary import (
    ACCEPT,
    CLARIFY,
    DATA_PROTECTION,
    DUAL_CRIMINALITY,
    INSUFFICIENT_GROUNDS,
    NO_REASON,
    REFUSE,
)
from sim.world.build import StateProfile, World, build_world
from sim.world.data import load_world_data

CODES = ["DEU", "FRA", "GBR", "USA", "KEN", "AFG", "CHN"]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """The default scenario over a handful of states with different privacy regimes."""
    return validate_settings(merge(default_settings(), {"world": {"states": CODES}}))


@pytest.fixture(scope="module")
def world(scenario: Scenario) -> World:
    """The world of :func:`scenario`."""
    return build_world(load_world_data(), scenario)


def with_completeness(profile: StateProfile, completeness: float) -> StateProfile:
    """``profile`` with another substantive-law completeness."""
    params = profile.params.model_copy(update={"cyber_law_completeness": completeness})
    return StateProfile(profile.facts, params)


def channel(scenario: Scenario, name: str, **changes: object) -> Channel:
    """A channel of the scenario with some fields changed."""
    return getattr(scenario.channels, name).model_copy(update=changes)


def test_dual_criminality_risk_value(scenario: Scenario, world: World) -> None:
    """Risk = channel probability × crime factor × gap in the requested state's law."""
    mlat = scenario.channels.bilateral_mlat
    crime = scenario.crime_types["ddos_extortion"]
    risk = dual_criminality_risk(mlat, crime, with_completeness(world["KEN"], 0.6), "content")
    assert risk == pytest.approx(0.25 * 1.5 * 0.4)


def test_dual_criminality_risk_grows_with_law_gaps(scenario: Scenario, world: World) -> None:
    """The less complete the requested state's cybercrime law, the likelier a refusal."""
    mlat = scenario.channels.bilateral_mlat
    crime = scenario.crime_types["ransomware"]
    risks = [
        dual_criminality_risk(mlat, crime, with_completeness(world["DEU"], c), "content")
        for c in (1.0, 0.9, 0.6, 0.3, 0.0)
    ]
    assert risks[0] == 0.0
    assert risks == sorted(risks)
    assert len(set(risks)) == len(risks)


def test_dual_criminality_risk_grows_with_the_crime_factor(
    scenario: Scenario, world: World
) -> None:
    """Crime types defined unevenly across states (a larger factor) fail more often."""
    mlat = scenario.channels.bilateral_mlat
    fraud = dual_criminality_risk(
        mlat, scenario.crime_types["online_fraud"], world["KEN"], "content"
    )
    ddos = dual_criminality_risk(
        mlat, scenario.crime_types["ddos_extortion"], world["KEN"], "content"
    )
    assert 0.0 < fraud < ddos


def test_dual_criminality_risk_is_capped_at_one(scenario: Scenario, world: World) -> None:
    """A large product is a certainty, not a probability above one."""
    strict = channel(scenario, "letters_rogatory", p_refuse_dual_criminality=1.0)
    crime = scenario.crime_types["ddos_extortion"].model_copy(
        update={"dual_criminality_factor": 5.0}
    )
    risk = dual_criminality_risk(strict, crime, with_completeness(world["KEN"], 0.0), "content")
    assert risk == 1.0


@pytest.mark.parametrize("name", ["eio", "e_evidence", "cloud_act", "direct_provider"])
def test_no_dual_criminality_risk_where_the_channel_does_not_test_it(
    scenario: Scenario, world: World, name: str
) -> None:
    """Channels without a dual-criminality test never refuse on that ground."""
    crime = scenario.crime_types["ddos_extortion"]
    untested = channel(scenario, name, p_refuse_dual_criminality=0.9)
    assert not untested.dual_criminality
    requested = with_completeness(world["KEN"], 0.0)
    for data_type in ("subscriber", "traffic", "content"):
        assert dual_criminality_risk(untested, crime, requested, data_type) == 0.0


@pytest.mark.parametrize(("requesting", "requested"), [("FRA", "DEU"), ("DEU", "FRA")])
def test_no_data_protection_risk_between_eu_states(
    scenario: Scenario, world: World, requesting: str, requested: str
) -> None:
    """EU/EEA states trust each other's safeguards fully."""
    mlat = scenario.channels.bilateral_mlat
    assert data_protection_risk(mlat, scenario.privacy, world[requesting], world[requested]) == 0.0


def test_no_data_protection_risk_from_eu_to_gbr(scenario: Scenario, world: World) -> None:
    """EU data goes to the United Kingdom freely: it has a law-enforcement adequacy decision."""
    assert world["GBR"].facts.led_adequacy
    assert world["GBR"].facts.privacy_regime != "eu_eea"
    mlat = scenario.channels.bilateral_mlat
    assert data_protection_risk(mlat, scenario.privacy, world["GBR"], world["DEU"]) == 0.0


def test_data_protection_risk_for_weak_safeguards(scenario: Scenario, world: World) -> None:
    """A strict requested regime meeting weak requesting safeguards risks a refusal.

    Germany (EU/EEA, strictness 1) asked by Kenya (law and authority, safeguards 0.4) on the
    MLAT channel (probability 0.10): 0.10 × 1 × 0.6.
    """
    mlat = scenario.channels.bilateral_mlat
    risk = data_protection_risk(mlat, scenario.privacy, world["KEN"], world["DEU"])
    assert risk == pytest.approx(0.10 * 1.0 * 0.6)


def test_data_protection_risk_orders_by_safeguards_and_strictness(
    scenario: Scenario, world: World
) -> None:
    """Weaker requesting safeguards raise the risk; a lenient requested regime lowers it."""
    mlat, privacy = scenario.channels.bilateral_mlat, scenario.privacy
    from_usa = data_protection_risk(mlat, privacy, world["USA"], world["DEU"])
    from_ken = data_protection_risk(mlat, privacy, world["KEN"], world["DEU"])
    from_afg = data_protection_risk(mlat, privacy, world["AFG"], world["DEU"])
    assert 0.0 < from_usa <= from_ken < from_afg
    assert from_afg == pytest.approx(0.10)
    to_afg = data_protection_risk(mlat, privacy, world["KEN"], world["AFG"])
    assert to_afg == 0.0  # no data-protection law in the requested state: nothing to block


def test_usa_is_not_treated_as_adequate_for_law_enforcement(
    scenario: Scenario, world: World
) -> None:
    """The US has no law-enforcement adequacy decision: requests to Germany carry some risk."""
    assert not world["USA"].facts.led_adequacy
    mlat = scenario.channels.bilateral_mlat
    assert data_protection_risk(mlat, scenario.privacy, world["USA"], world["DEU"]) > 0.0


def test_no_data_protection_risk_where_the_channel_does_not_test_it(
    scenario: Scenario, world: World
) -> None:
    """Channels without a data-protection review never refuse on that ground."""
    eio = channel(scenario, "eio", p_refuse_data_protection=1.0)
    assert not eio.data_protection
    assert data_protection_risk(eio, scenario.privacy, world["AFG"], world["DEU"]) == 0.0


def decide(
    chan: Channel,
    *,
    dual: float = 0.0,
    privacy: float = 0.0,
    factor: float = 1.0,
    u: tuple[float, float, float, float] = (0.5, 0.5, 0.5, 0.5),
) -> tuple[int, int]:
    """A review with the given risks and uniform numbers."""
    return review(dual, privacy, chan, factor, *u)


def test_review_checks_dual_criminality_first(scenario: Scenario) -> None:
    """When every test would fail, the recorded reason is dual criminality."""
    chan = channel(scenario, "letters_rogatory", p_refuse_grounds=1.0, p_clarify=1.0)
    assert decide(chan, dual=1.0, privacy=1.0, u=(0, 0, 0, 0)) == (REFUSE, DUAL_CRIMINALITY)


def test_review_checks_data_protection_before_grounds(scenario: Scenario) -> None:
    """Passing dual criminality, a request failing data protection is refused for it."""
    chan = channel(scenario, "letters_rogatory", p_refuse_grounds=1.0, p_clarify=1.0)
    assert decide(chan, dual=0.0, privacy=1.0, u=(0, 0, 0, 0)) == (REFUSE, DATA_PROTECTION)


def test_review_checks_grounds_before_clarification(scenario: Scenario) -> None:
    """Insufficient grounds refuse the request before any return for clarification."""
    chan = channel(scenario, "letters_rogatory", p_refuse_grounds=1.0, p_clarify=1.0)
    assert decide(chan, u=(0, 0, 0, 0)) == (REFUSE, INSUFFICIENT_GROUNDS)


def test_review_returns_for_clarification_last(scenario: Scenario) -> None:
    """With all tests passed, the request may still be sent back for clarification."""
    chan = channel(scenario, "letters_rogatory", p_refuse_grounds=0.0, p_clarify=1.0)
    assert decide(chan, u=(0, 0, 0, 0)) == (CLARIFY, NO_REASON)


def test_review_accepts_otherwise(scenario: Scenario) -> None:
    """A request above every threshold is accepted."""
    chan = scenario.channels.letters_rogatory
    assert decide(chan, dual=0.3, privacy=0.3, u=(0.31, 0.31, 0.99, 0.99)) == (ACCEPT, NO_REASON)


def test_review_thresholds_are_strict(scenario: Scenario) -> None:
    """A uniform number equal to a risk passes the test (refusal needs u < risk)."""
    chan = channel(scenario, "letters_rogatory", p_refuse_grounds=0.0, p_clarify=0.0)
    assert decide(chan, dual=0.4, u=(0.4, 0.9, 0.9, 0.9)) == (ACCEPT, NO_REASON)
    assert decide(chan, dual=0.4, u=(0.39, 0.9, 0.9, 0.9)) == (REFUSE, DUAL_CRIMINALITY)


def test_clarification_factor_scales_returns(scenario: Scenario) -> None:
    """The requesting state's clarification factor multiplies the chance of a return."""
    chan = channel(scenario, "letters_rogatory", p_refuse_grounds=0.0, p_clarify=0.3)
    u = (0.9, 0.9, 0.9, 0.4)
    assert decide(chan, factor=1.0, u=u) == (ACCEPT, NO_REASON)
    assert decide(chan, factor=1.5, u=u) == (CLARIFY, NO_REASON)
    assert decide(chan, factor=0.0, u=(0.9, 0.9, 0.9, 0.0)) == (ACCEPT, NO_REASON)


def test_latent_uniform_refuses_again_under_a_stricter_channel(
    scenario: Scenario, world: World
) -> None:
    """A request refused for dual criminality by the MLAT is refused by letters rogatory too.

    The request carries one uniform number for the test, so a channel applying the test as
    strictly or more (letters rogatory: 0.40 against the MLAT's 0.25) refuses it again,
    while a lenient channel lets through exactly the requests above its own risk.
    """
    crime = scenario.crime_types["intrusion"]
    requested = world["KEN"]
    mlat = dual_criminality_risk(scenario.channels.bilateral_mlat, crime, requested, "content")
    letters = dual_criminality_risk(scenario.channels.letters_rogatory, crime, requested, "content")
    assert 0.0 < mlat < letters
    lenient = channel(scenario, "letters_rogatory", p_refuse_grounds=0.0, p_clarify=0.0)
    for i in range(1000):
        u_dual = i / 1000
        refused_by_mlat = decide(lenient, dual=mlat, u=(u_dual, 0.9, 0.9, 0.9))[0] == REFUSE
        refused_by_letters = decide(lenient, dual=letters, u=(u_dual, 0.9, 0.9, 0.9))[0] == REFUSE
        assert refused_by_mlat == (u_dual < mlat)
        if refused_by_mlat:
            assert refused_by_letters


# --- the rules of the instruments (docs/model.md section 7.7) ------------------------------------

FORMAL = ["bilateral_mlat", "budapest_mla", "un_convention_mla", "letters_rogatory"]
"""The channels whose requested state may test dual criminality."""


@pytest.mark.parametrize("name", FORMAL)
def test_no_dual_criminality_for_subscriber_information(
    scenario: Scenario, world: World, name: str
) -> None:
    """Dual criminality is a condition of coercive measures only, and subscriber data is not one.

    The 1959 European Convention lets a Party make only letters rogatory for search or seizure
    depend on the offence being punishable in both states (Art. 5(1)(a)); the EU-Japan MLA
    Agreement lets a state refuse on it only assistance that would need enforcement action;
    AIT-TECRO Art. 2(3) assists without regard to it. A request for subscriber information
    is never refused on it, even where the requested state has no cybercrime law at all,
    while the same request for content is.
    """
    chan = getattr(scenario.channels, name)
    crime = scenario.crime_types["ransomware"]
    lawless = with_completeness(world["KEN"], 0.0)
    assert dual_criminality_risk(chan, crime, lawless, "subscriber") == 0.0
    assert dual_criminality_risk(chan, crime, lawless, "content") > 0.0


def test_the_data_types_tested_are_the_channels_setting(scenario: Scenario, world: World) -> None:
    """The test covers exactly the data types the channel lists as coercive, nothing more.

    Stored content is searched or ordered produced under every formal channel (coercive); the
    bilateral MLAT leaves traffic data out, the Budapest channel keeps it (the requested
    Party's law governs, Budapest Art. 25(4)), and a channel set to test nothing refuses nothing.
    """
    crime = scenario.crime_types["ransomware"]
    lawless = with_completeness(world["KEN"], 0.0)
    mlat, budapest = scenario.channels.bilateral_mlat, scenario.channels.budapest_mla
    assert mlat.dual_criminality_data_types == ["content"]
    assert dual_criminality_risk(mlat, crime, lawless, "traffic") == 0.0
    assert dual_criminality_risk(budapest, crime, lawless, "traffic") > 0.0
    every = channel(scenario, "bilateral_mlat", dual_criminality_data_types=["subscriber"])
    assert dual_criminality_risk(every, crime, lawless, "subscriber") > 0.0
    assert dual_criminality_risk(every, crime, lawless, "content") == 0.0
    none = channel(scenario, "budapest_mla", dual_criminality_data_types=[])
    for data_type in ("subscriber", "traffic", "content"):
        assert dual_criminality_risk(none, crime, lawless, data_type) == 0.0


def test_budapest_judges_dual_criminality_by_conduct_not_label(
    scenario: Scenario, world: World
) -> None:
    """Budapest Art. 25(5): the condition is met if the conduct is an offence in both states.

    Whether the requested Party files the offence under the same category or names it with
    the same terms does not matter. For an offence of Arts 2-11 (DDoS extortion: system
    interference, Art. 5) the crime type's unevenness of definition (factor 1.5) drops out of
    the Budapest channel's risk, which falls to the gap in the requested state's law; the
    same channel without the conduct test keeps the factor.
    """
    budapest = scenario.channels.budapest_mla
    assert budapest.conduct_test
    crime = scenario.crime_types["ddos_extortion"]
    assert crime.budapest_offence and crime.dual_criminality_factor > 1.0
    requested = with_completeness(world["KEN"], 0.6)
    p = budapest.p_refuse_dual_criminality
    risk = dual_criminality_risk(budapest, crime, requested, "content")
    assert risk == pytest.approx(p * 0.4)
    by_label = channel(scenario, "budapest_mla", conduct_test=False)
    labelled = dual_criminality_risk(by_label, crime, requested, "content")
    assert labelled == pytest.approx(p * 1.5 * 0.4)


def test_conduct_test_still_fails_where_the_conduct_is_no_offence(
    scenario: Scenario, world: World
) -> None:
    """Budapest Art. 25(5) deems the condition met only if the conduct is criminal there.

    A requested Party whose law does not make the conduct an offence at all (no cybercrime
    law: completeness 0) still refuses; one with complete law never does. The conduct test
    never raises the risk of a crime type defined more evenly than average (fraud, 0.5).
    """
    budapest = scenario.channels.budapest_mla
    intrusion = scenario.crime_types["intrusion"]
    lawless = with_completeness(world["KEN"], 0.0)
    complete = with_completeness(world["KEN"], 1.0)
    p = budapest.p_refuse_dual_criminality
    assert dual_criminality_risk(budapest, intrusion, lawless, "content") == pytest.approx(p)
    assert dual_criminality_risk(budapest, intrusion, complete, "content") == 0.0
    fraud = scenario.crime_types["online_fraud"]
    by_label = channel(scenario, "budapest_mla", conduct_test=False)
    assert dual_criminality_risk(budapest, fraud, lawless, "content") == pytest.approx(
        dual_criminality_risk(by_label, fraud, lawless, "content")
    )


def test_conduct_test_only_for_offences_of_the_convention(scenario: Scenario, world: World) -> None:
    """Budapest Art. 25(5) speaks of the Convention's offences (Arts 2-11; cf. Art. 29(4)).

    A crime type not established under Arts 2-11 keeps its label factor on the Budapest
    channel.
    """
    budapest = scenario.channels.budapest_mla
    other = scenario.crime_types["ddos_extortion"].model_copy(update={"budapest_offence": False})
    requested = with_completeness(world["KEN"], 0.6)
    risk = dual_criminality_risk(budapest, other, requested, "content")
    assert risk == pytest.approx(budapest.p_refuse_dual_criminality * 1.5 * 0.4)


def test_every_crime_type_is_a_convention_offence(scenario: Scenario) -> None:
    """The model's crime types are offences of Budapest Arts 2-11.

    Illegal access (Art. 2), data and system interference (Arts 4-5: ransomware, DDoS
    extortion), computer-related fraud (Art. 8) and child sexual abuse material (Art. 9).
    """
    assert all(crime.budapest_offence for crime in scenario.crime_types.values())


def test_child_sexual_abuse_material_never_fails_dual_criminality(
    scenario: Scenario, world: World
) -> None:
    """Child sexual abuse material is an offence nearly everywhere, so the test never fails.

    The Optional Protocol to the CRC on the sale of children, child prostitution and child
    pornography (178 parties) requires its parties to criminalise producing, distributing and
    possessing it (Art. 3(1)(c)); so do Lanzarote Art. 20 and Budapest Art. 9. Its crime
    factor is 0: no channel refuses it on dual criminality, whatever the requested state's law.
    """
    csam = scenario.crime_types["csam"]
    assert csam.dual_criminality_factor == 0.0
    lawless = with_completeness(world["KEN"], 0.0)
    for name in FORMAL:
        strict = channel(scenario, name, p_refuse_dual_criminality=1.0, conduct_test=False)
        for data_type in ("subscriber", "traffic", "content"):
            assert dual_criminality_risk(strict, csam, lawless, data_type) == 0.0
