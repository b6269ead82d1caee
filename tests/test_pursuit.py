"""Tests of ``sim.rules.pursuit``: which evidence needs investigators turn into requests.

The rule is P = min(1, scale x seriousness x data value) x P(patience > expected delay); it
rises with seriousness and patience, falls with the expected delay, is 1 for fast channels,
is lower for urgent cases on slow ones, and decides escalations the same way.
"""

import math

import pytest

from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Scenario
from sim.rules.channels import FORMAL_MLA
from sim.rules.pursuit import UNCHANGED, PursuitRule, patience_outlasts, pursuit_probability
from sim.vocabulary import DATA_TYPES, STAGES

CONTENT, SUBSCRIBER = DATA_TYPES.index("content"), DATA_TYPES.index("subscriber")


def _rule(changes: dict | None = None) -> tuple[PursuitRule, Scenario]:
    scenario = validate_settings(merge(default_settings(), changes or {}))
    crime_types = tuple(scenario.crime_types.values())
    return PursuitRule(scenario.routing, crime_types, scenario.channels), scenario


def _crime(scenario: Scenario, name: str) -> int:
    return list(scenario.crime_types).index(name)


def test_patience_survival_is_the_lognormal_tail() -> None:
    """Half the cases outlast the median; the tail matches the normal CDF of the log."""
    assert patience_outlasts(200.0, 200.0, 1.0) == pytest.approx(0.5)
    z = math.log(400.0 / 200.0) / 0.8
    expected = 1.0 - 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
    assert patience_outlasts(400.0, 200.0, 0.8) == pytest.approx(expected)
    assert patience_outlasts(100.0, 200.0, 0.0) == 1.0  # no spread: the median decides
    assert patience_outlasts(300.0, 200.0, 0.0) == 0.0


def test_probability_rises_with_value_and_patience_and_falls_with_delay() -> None:
    """More value or patience pursues more often; a longer expected delay less often."""
    base = pursuit_probability(0.5, 300.0, 200.0, 1.0)
    assert pursuit_probability(0.8, 300.0, 200.0, 1.0) > base
    assert pursuit_probability(0.5, 300.0, 400.0, 1.0) > base
    assert pursuit_probability(0.5, 600.0, 200.0, 1.0) < base
    assert pursuit_probability(5.0, 1.0, 1e6, 0.0) == 1.0  # the value is clipped to 1
    assert pursuit_probability(-1.0, 1.0, 1e6, 0.0) == 0.0


def test_seriousness_and_data_value_raise_the_chance_of_a_formal_request() -> None:
    """Child sexual abuse material (seriousness 1) beats online fraud; content beats subscriber."""
    rule, scenario = _rule()
    csam, fraud = _crime(scenario, "csam"), _crime(scenario, "online_fraud")
    for channel in FORMAL_MLA:
        assert rule.probability(channel, csam, CONTENT, False) > rule.probability(
            channel, fraud, CONTENT, False
        )
        assert rule.probability(channel, csam, CONTENT, False) > rule.probability(
            channel, csam, SUBSCRIBER, False
        )


def test_slower_formal_channels_are_pursued_less() -> None:
    """Letters rogatory (540 nominal days) lose more needs than a bilateral MLAT (300)."""
    rule, scenario = _rule()
    crime = _crime(scenario, "ransomware")
    assert rule.expected_days("letters_rogatory") > rule.expected_days("bilateral_mlat")
    assert rule.probability("letters_rogatory", crime, CONTENT, False) < rule.probability(
        "bilateral_mlat", crime, CONTENT, False
    )


def test_time_scale_enters_the_expected_delay() -> None:
    """A formal channel made twice as slow (time_scale 2) is expected to take twice as long."""
    rule, _ = _rule({"channels": {"bilateral_mlat": {"time_scale": 2.0}}})
    assert rule.expected_days("bilateral_mlat") == pytest.approx(600.0)


def test_urgent_needs_pursue_slow_routes_less() -> None:
    """Urgent cases can wait a fraction of the patience, so a formal route is taken less."""
    rule, scenario = _rule()
    for name in scenario.crime_types:
        crime = _crime(scenario, name)
        assert rule.probability("bilateral_mlat", crime, CONTENT, True) < rule.probability(
            "bilateral_mlat", crime, CONTENT, False
        )


@pytest.mark.parametrize("first", ["direct_provider", "cloud_act", "eio", "e_evidence"])
def test_fast_channels_are_always_pursued(first: str) -> None:
    """A need whose best channel is not formal MLA is pursued whatever the draw or scale."""
    rule, _ = _rule({"routing": {"pursuit_scale": 0.0}})
    assert rule.probability(first, 0, CONTENT, True) == 1.0
    assert rule.pursues((first, "bilateral_mlat"), 0.999, 0, CONTENT, True)


def test_needs_with_no_open_channel_are_pursued() -> None:
    """With no channel open the need is still requested (and then abandoned for want of one)."""
    rule, _ = _rule({"routing": {"pursuit_scale": 0.0}})
    assert rule.pursues((), 0.99, 0, CONTENT, False)


@pytest.mark.parametrize("formal", FORMAL_MLA)
def test_formal_first_needs_are_pursued_iff_the_draw_is_below_the_chance(formal: str) -> None:
    """When the fastest open channel is formal MLA, the need's uniform decides: u < P."""
    rule, _ = _rule()
    p = rule.probability(formal, 0, CONTENT, False)
    assert 0.0 < p < 1.0
    assert rule.pursues((formal,), p * 0.999, 0, CONTENT, False)
    assert not rule.pursues((formal,), p, 0, CONTENT, False)
    assert not _rule({"routing": {"pursuit_scale": 0.0}})[0].pursues((formal,), 0.0, 0, 0, False)


def test_escalation_uses_the_same_rule() -> None:
    """A declined direct request escalates with the pursuit chance of its next channel."""
    from sim.rules.attempts import escalates

    rule, _ = _rule()
    p = rule.probability("bilateral_mlat", 0, SUBSCRIBER, False)
    assert escalates(p * 0.5, p) and not escalates(p, p)
    assert rule.escalation("bilateral_mlat", 0, SUBSCRIBER, False) == p


def test_escalation_to_a_fast_compelled_order_is_weighed_like_a_formal_request() -> None:
    """After a provider declines, a CLOUD Act order is a judge's order, not a free retry.

    As a first choice a fast channel is always used; as an escalation it needs the need's
    value (scale x seriousness x data value), times a patience that a fast channel's short
    expected delay hardly tests (docs/model.md 7.5; validation V29: the UK made about 18
    stored-data orders a year under its US agreement).
    """
    rule, scenario = _rule()
    csam = _crime(scenario, "csam")
    routing, crime = scenario.routing, scenario.crime_types["csam"]
    value = routing.pursuit_scale * crime.seriousness * routing.data_value.subscriber
    expected = rule.expected_days("cloud_act")
    patience = patience_outlasts(expected, crime.patience_days, crime.patience_sigma)
    assert rule.probability("cloud_act", csam, SUBSCRIBER, False) == 1.0
    escalation = rule.escalation("cloud_act", csam, SUBSCRIBER, False)
    assert escalation == pytest.approx(min(1.0, value) * patience)
    assert escalation < 1.0
    # The fast channel tests the patience less than the slow one does.
    assert escalation > rule.escalation("bilateral_mlat", csam, SUBSCRIBER, False)


def test_a_lever_that_speeds_a_formal_channel_up_raises_pursuit() -> None:
    """Investigators expect a reformed channel to be faster by its stages' factors, weighted.

    A lever that halves every stage halves the expected delay; one that acts on a stage of
    the channel raises the chance of a formal request; factors of exactly 1 (an inert lever)
    leave the chance exactly as it was (docs/model.md 7.4).
    """
    rule, scenario = _rule()
    fraud = _crime(scenario, "online_fraud")
    stages = len(UNCHANGED)
    half = (0.5,) * stages
    assert rule.expected_days("bilateral_mlat", half) == pytest.approx(
        0.5 * rule.expected_days("bilateral_mlat")
    )
    before = rule.probability("bilateral_mlat", fraud, CONTENT, False)
    review = tuple(0.5 if s == "legal_review" else 1.0 for s in STAGES)
    assert rule.probability("bilateral_mlat", fraud, CONTENT, False, review) > before
    assert rule.probability("bilateral_mlat", fraud, CONTENT, False, (1.0,) * stages) == before
