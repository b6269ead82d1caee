"""The engine, set up as a Jackson network, agrees with queueing theory.

``scenarios/validation_queueing.toml`` turns every refusal, clarification, loss and fallback
off and makes the formal request's path six M/M/3 stations in tandem (Poisson arrivals of 2
per day, exponential service of mean 1 day). By Jackson's theorem each station behaves as an
independent M/M/3 queue, whose mean wait is given by the Erlang C formula.
"""

import datetime as dt
import math

import pytest

from sim.config.loading import load_scenario, packaged_calibration, validate_settings
from sim.experiments.runner import run_scenario

QUEUED_STAGES = (
    "drafting",
    "outgoing_review",
    "transmission",
    "legal_review",
    "domestic_order",
    "execution",
)


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    load = arrival_rate / service_rate
    rho = load / servers
    tail = load**servers / math.factorial(servers) / (1.0 - rho)
    head = sum(load**k / math.factorial(k) for k in range(servers))
    waiting_probability = tail / (head + tail)
    return waiting_probability / (servers * service_rate - arrival_rate)


def test_erlang_c_reference_value():
    """The formula gives the textbook value for M/M/3 at utilisation 2/3: 4/9 of a day."""
    assert erlang_c_wait(2.0, 1.0, 3) == pytest.approx(4.0 / 9.0)


@pytest.fixture(scope="module")
def fulfilled():
    """About a million requests through the tandem network, after the warm-up."""
    scenario = load_scenario("scenarios/validation_queueing.toml")
    settings = scenario.model_dump()
    settings["simulation"]["replications"] = 8
    settings["simulation"]["end"] = dt.date(2197, 1, 1)  # 171 years: about 125,000 requests each
    result = run_scenario(validate_settings(settings), workers=2)
    requests = result.requests
    kept = requests[requests.created_day >= settings["simulation"]["warm_up_days"]]
    assert set(kept.outcome.unique()) == {"fulfilled"}
    return kept


@pytest.mark.slow
def test_mean_time_in_system_matches_jackson_network(fulfilled):
    """Mean time in system is the sum of six M/M/3 sojourn times, within 3%."""
    expected = 6 * (erlang_c_wait(2.0, 1.0, 3) + 1.0)
    assert len(fulfilled) > 900_000
    assert fulfilled.time_to_evidence_days.mean() == pytest.approx(expected, rel=0.03)


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["outgoing_review", "legal_review", "execution"])
def test_mean_wait_at_a_stage_matches_erlang_c(fulfilled, stage):
    """The mean queue wait at a central authority and at a pool matches Erlang C within 3%."""
    expected = erlang_c_wait(2.0, 1.0, 3)
    assert fulfilled[f"{stage}_wait_days"].mean() == pytest.approx(expected, rel=0.03)


@pytest.mark.slow
def test_service_times_are_exponential_with_mean_one(fulfilled):
    """Time in a stage minus its wait is the service time: mean 1 day at every stage."""
    for stage in QUEUED_STAGES:
        service = fulfilled[f"{stage}_days"] - fulfilled[f"{stage}_wait_days"]
        assert service.mean() == pytest.approx(1.0, rel=0.01), stage


def test_the_packaged_calibration_leaves_the_validation_network_alone() -> None:
    """Run with the packaged calibration, the validation scenario is still the M/M/3 network.

    The calibration lays staff, other matters, formal time scales and the pursuit scale under
    every scenario; this one sets its own, so none of them reaches it.
    """
    scenario = load_scenario("scenarios/validation_queueing.toml", packaged_calibration())
    for code in ("GBR", "USA"):
        assert scenario.states[code].ca_staff == 3
        assert scenario.states[code].other_matters_per_year == 0.0
    assert scenario.channels.bilateral_mlat.time_scale == 1.0
    assert scenario.routing.pursuit_scale >= 1e6
