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
    risk = dual_criminality_risk(mlat, crime, with_completeness(world["KEN"], 0.6))
    assert risk == pytest.approx(0.25 * 1.5 * 0.4)


def test_dual_criminality_risk_grows_with_law_gaps(scenario: Scenario, world: World) -> None:
    """The less complete the requested state's cybercrime law, the likelier a refusal."""
    mlat = scenario.channels.bilateral_mlat
    crime = scenario.crime_types["ransomware"]
    risks = [
        dual_criminality_risk(mlat, crime, with_completeness(world["DEU"], c))
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
    csam = dual_criminality_risk(mlat, scenario.crime_types["csam"], world["KEN"])
    ddos = dual_criminality_risk(mlat, scenario.crime_types["ddos_extortion"], world["KEN"])
    assert 0.0 < csam < ddos


def test_dual_criminality_risk_is_capped_at_one(scenario: Scenario, world: World) -> None:
    """A large product is a certainty, not a probability above one."""
    strict = channel(scenario, "letters_rogatory", p_refuse_dual_criminality=1.0)
    crime = scenario.crime_types["ddos_extortion"].model_copy(
        update={"dual_criminality_factor": 5.0}
    )
    assert dual_criminality_risk(strict, crime, with_completeness(world["KEN"], 0.0)) == 1.0


@pytest.mark.parametrize("name", ["eio", "e_evidence", "cloud_act", "direct_provider"])
def test_no_dual_criminality_risk_where_the_channel_does_not_test_it(
    scenario: Scenario, world: World, name: str
) -> None:
    """Channels without a dual-criminality test never refuse on that ground."""
    crime = scenario.crime_types["ddos_extortion"]
    untested = channel(scenario, name, p_refuse_dual_criminality=0.9)
    assert not untested.dual_criminality
    assert dual_criminality_risk(untested, crime, with_completeness(world["KEN"], 0.0)) == 0.0


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
    mlat = dual_criminality_risk(scenario.channels.bilateral_mlat, crime, requested)
    letters = dual_criminality_risk(scenario.channels.letters_rogatory, crime, requested)
    assert 0.0 < mlat < letters
    lenient = channel(scenario, "letters_rogatory", p_refuse_grounds=0.0, p_clarify=0.0)
    for i in range(1000):
        u_dual = i / 1000
        refused_by_mlat = decide(lenient, dual=mlat, u=(u_dual, 0.9, 0.9, 0.9))[0] == REFUSE
        refused_by_letters = decide(lenient, dual=letters, u=(u_dual, 0.9, 0.9, 0.9))[0] == REFUSE
        assert refused_by_mlat == (u_dual < mlat)
        if refused_by_mlat:
            assert refused_by_letters
