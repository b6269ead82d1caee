"""Integration tests of ``sim.engine.model`` (with its requests and agents) on small worlds.

Each test runs one replication of a few real states over one or two years, with the levers set
so that the behaviour under test is the only thing that can happen (for example every refusal
probability at zero and a single open channel), and checks the request records.
"""

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Scenario
from sim.engine.model import CooperationModel
from sim.engine.replication import run_replication
from sim.vocabulary import CHANNELS
from sim.world.build import build_world
from sim.world.data import WorldData, load_world_data

QUIET_CHANNEL = {
    "p_clarify": 0.0,
    "p_refuse_grounds": 0.0,
    "p_refuse_dual_criminality": 0.0,
    "p_refuse_data_protection": 0.0,
    "p_provider_decline": 0.0,
    "timeout_days": 100_000.0,
}
REFUSAL_REASONS = {
    "dual_criminality",
    "data_protection",
    "insufficient_grounds",
    "evidentiary_standard",
    "provider_declined",
}
ABANDON_REASONS = {"too_many_clarifications", "timeout", "no_channel"}
HUGE = 1_000_000.0


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def make_scenario(
    codes: list[str], *changes: dict[str, Any], days: int = 730, drain: int = 180
) -> Scenario:
    """The defaults over ``codes`` for ``days`` days, with each of ``changes`` laid over them.

    Every state opens 200 cases a year and pursues every formal need unless a change says
    otherwise, so that the tests do not depend on the calibration of parameters.csv.
    """
    settings = merge(
        default_settings(),
        {
            "world": {"states": codes},
            "simulation": {"warm_up_days": 0, "drain_days": drain, "replications": 1},
            "states": {code: {"cases_per_year": 200.0} for code in codes},
            "routing": {"p_pursue_formal": 1.0},
        },
    )
    start = settings["simulation"]["start"]
    settings["simulation"]["end"] = start + dt.timedelta(days=days)
    for change in changes:
        settings = merge(settings, change)
    return validate_settings(settings)


def only(*names: str) -> dict[str, Any]:
    """Enable only the named channels."""
    return {"channels": {name: {"enabled": name in names} for name in CHANNELS}}


def quiet() -> dict[str, Any]:
    """No refusals, clarifications, declines or timeouts on any channel or domestic order."""
    return {
        "channels": {name: dict(QUIET_CHANNEL) for name in CHANNELS},
        "evidentiary_standards": {
            name: {"p_refuse_content": 0.0}
            for name in ("probable_cause", "reasonable_grounds", "relevance")
        },
    }


def state_settings(codes: list[str], **fields: Any) -> dict[str, Any]:
    """The same per-state overrides for each of ``codes``."""
    return {"states": {code: dict(fields) for code in codes}}


def run_model(
    data: WorldData, scenario: Scenario, replication: int = 0
) -> tuple[CooperationModel, pd.DataFrame]:
    """Run one replication to its horizon and return the closed model and its request frame."""
    model = CooperationModel(scenario, build_world(data, scenario), replication)
    while not model.finished:
        model.step()
    model.close()
    return model, model.log.to_frame(replication)


def finished(frame: pd.DataFrame) -> pd.DataFrame:
    """The requests that reached an outcome before the horizon."""
    return frame[frame["outcome"] != "pending"]


def test_every_request_ends_in_exactly_one_valid_outcome(data: WorldData) -> None:
    """Each request created is recorded once, with an outcome and a reason that fit together."""
    codes = ["DEU", "FRA", "GBR", "IRL", "USA"]
    scenario = make_scenario(codes, days=365, drain=60)
    model = CooperationModel(scenario, build_world(data, scenario), 0)
    while not model.finished:
        model.step()
    logged, in_flight = len(model.log), len(model.in_flight)
    model.close()
    frame = model.log.to_frame(0)

    assert in_flight > 0
    assert len(frame) == logged + in_flight > 500
    assert not model.in_flight
    assert frame["request_id"].tolist() == list(range(len(frame)))
    assert not frame["outcome"].isna().any()
    assert not frame["reason"].isna().any()
    assert (frame["requesting"] != frame["requested"]).all()
    reasons = frame.groupby("outcome", observed=True)["reason"].agg(lambda r: set(r.astype(str)))
    assert reasons["fulfilled"] == {""}
    assert reasons["pending"] == {""}
    assert reasons["refused"] <= REFUSAL_REASONS
    assert reasons["lost"] == {"retention_expired"}
    assert reasons.get("abandoned", set()) <= ABANDON_REASONS
    assert (frame["time_to_outcome_days"] >= 0).all()
    assert frame["attempts"].between(1, scenario.routing.max_channels).all()
    fulfilled = frame["outcome"] == "fulfilled"
    assert frame.loc[fulfilled, "time_to_evidence_days"].notna().all()
    assert frame.loc[~fulfilled, "time_to_evidence_days"].isna().all()


def test_same_seed_and_replication_give_identical_records(data: WorldData) -> None:
    """A replication is a pure function of scenario, seed and replication number."""
    scenario = make_scenario(["GBR", "USA", "DEU"], days=365)
    _, first = run_model(data, scenario, replication=1)
    _, again = run_model(data, scenario, replication=1)
    _, other = run_model(data, scenario, replication=2)
    pd.testing.assert_frame_equal(first, again)
    assert len(first) != len(other) or not first["created_day"].equals(other["created_day"])


def test_single_quiet_channel_fulfils_every_request(data: WorldData) -> None:
    """Without refusals, returns, expiry or fallbacks, every finished request is fulfilled."""
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        only("bilateral_mlat"),
        quiet(),
        {"preservation": {"enabled": False}},
        state_settings(codes, retention_days=HUGE),
    )
    _, frame = run_model(data, scenario)
    done = finished(frame)
    assert len(done) > 200
    assert set(done["outcome"].astype(str)) == {"fulfilled"}
    assert set(frame["channel"].astype(str)) == {"bilateral_mlat"}
    assert (frame["attempts"] == 1).all()
    assert (frame["clarifications"] == 0).all()
    assert not frame["preserved"].any()
    assert (done["time_to_evidence_days"] == done["time_to_outcome_days"]).all()


def test_short_retention_loses_evidence_on_a_slow_channel(data: WorldData) -> None:
    """Data kept one day is gone long before a formal request reaches execution: all are lost.

    Other channels stay open, but none is tried: no channel brings back lost data.
    """
    codes = ["DEU", "FRA"]
    scenario = make_scenario(
        codes,
        only("eio", "budapest_mla", "letters_rogatory"),
        quiet(),
        {"preservation": {"enabled": False}},
        state_settings(codes, retention_days=1.0, cases_per_year=300.0),
    )
    _, frame = run_model(data, scenario)
    done = finished(frame)
    assert len(done) > 100
    assert set(done["outcome"].astype(str)) == {"lost"}
    assert set(done["reason"].astype(str)) == {"retention_expired"}
    assert (done["attempts"] == 1).all()
    assert set(done["channel"].astype(str)) == {"eio"}
    assert (done["execution_days"] > 0).all()  # lost when execution is attempted


def preservation_runs(data: WorldData, codes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs with short retention on the MLAT channel, with and without 24/7 preservation."""
    common = (
        only("bilateral_mlat"),
        quiet(),
        {"demand": {"data_age_days": 0.0}},
        state_settings(codes, retention_days=60.0),
    )
    _, without = run_model(
        data, make_scenario(codes, *common, {"preservation": {"enabled": False}})
    )
    _, with_ = run_model(data, make_scenario(codes, *common, {"preservation": {"enabled": True}}))
    return without, with_


def test_preservation_saves_evidence_between_24_7_contacts(data: WorldData) -> None:
    """With 24/7 contacts on both sides, preserving data first means far fewer are lost.

    Both runs see the same cases (common random numbers): only their fate differs.
    """
    without, with_ = preservation_runs(data, ["GBR", "USA"])
    same = ["request_id", "created_day", "requesting", "requested", "data_type", "urgent"]
    pd.testing.assert_frame_equal(without[same], with_[same])
    lost_without = (without["outcome"] == "lost").sum()
    lost_with = (with_["outcome"] == "lost").sum()
    assert lost_without > 0.5 * len(finished(without))
    assert lost_with < 0.5 * lost_without
    assert not without["preserved"].any()
    assert with_["preserved"].mean() > 0.8
    assert (with_.loc[with_["outcome"] == "lost", "preserved"]).mean() < 0.5


def test_preservation_needs_both_24_7_contacts(data: WorldData) -> None:
    """Ireland has no 24/7 point of contact: enabling preservation changes nothing there."""
    without, with_ = preservation_runs(data, ["IRL", "USA"])
    assert not with_["preserved"].any()
    assert (without["outcome"] == "lost").sum() > 0
    pd.testing.assert_frame_equal(without, with_)


@pytest.mark.parametrize("limit", [0, 2])
def test_clarification_limit_abandons_the_request(data: WorldData, limit: int) -> None:
    """A request sent back every time is withdrawn after ``max_clarifications`` returns.

    It is not retried on another channel (letters rogatory stay open here): the requesting
    state gives the request up.
    """
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        only("bilateral_mlat", "letters_rogatory"),
        quiet(),
        {
            "channels": {"bilateral_mlat": {"p_clarify": 1.0, "max_clarifications": limit}},
            "preservation": {"enabled": False},
        },
        state_settings(codes, retention_days=HUGE, clarification_factor=1.0),
    )
    _, frame = run_model(data, scenario)
    done = finished(frame)
    assert len(done) > 100
    assert set(done["outcome"].astype(str)) == {"abandoned"}
    assert set(done["reason"].astype(str)) == {"too_many_clarifications"}
    assert (done["clarifications"] == limit).all()
    assert (done["attempts"] == 1).all()
    assert frame["clarifications"].max() == limit


def test_clarification_factor_scales_returns(data: WorldData) -> None:
    """A state with clarification factor 0 (perfect forms) is never sent back."""
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        only("bilateral_mlat"),
        quiet(),
        {
            "channels": {"bilateral_mlat": {"p_clarify": 1.0, "max_clarifications": 1}},
            "preservation": {"enabled": False},
            "states": {"GBR": {"clarification_factor": 0.0}, "USA": {"clarification_factor": 1.0}},
        },
        days=365,
    )
    _, frame = run_model(data, scenario)
    done = finished(frame)
    from_gbr = done["requesting"] == "GBR"
    assert from_gbr.sum() > 20
    assert (~from_gbr).sum() > 20
    assert (done.loc[from_gbr, "clarifications"] == 0).all()
    assert set(done.loc[~from_gbr, "reason"].astype(str)) == {"too_many_clarifications"}


def test_clarification_loops_back_to_drafting(data: WorldData) -> None:
    """Each return for clarification repeats the path from drafting, adding to its time."""
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        only("bilateral_mlat"),
        quiet(),
        {
            "channels": {"bilateral_mlat": {"p_clarify": 0.5, "max_clarifications": 20}},
            "preservation": {"enabled": False},
        },
        state_settings(codes, retention_days=HUGE, clarification_factor=1.0),
    )
    _, frame = run_model(data, scenario)
    done = finished(frame)
    assert set(done["outcome"].astype(str)) == {"fulfilled"}
    assert done["clarifications"].max() >= 3
    # Geometric number of returns with p = 0.5: mean 1 (finished requests lean to fewer).
    assert 0.5 < done["clarifications"].mean() < 1.3
    drafting = done.groupby("clarifications")["drafting_days"].mean()
    assert drafting[2] > 2 * drafting[0]
    review = done.groupby("clarifications")["legal_review_days"].mean()
    assert review[2] > 2 * review[0]


def test_declined_direct_requests_are_dropped_unless_pursued(data: WorldData) -> None:
    """With p_formal_after_direct_decline = 0, a declined direct request ends there.

    It is recorded as refused by the provider on the direct channel, after one attempt, and
    never reaches a central authority.
    """
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        quiet(),
        {
            "channels": {"direct_provider": {"p_provider_decline": 1.0}},
            "preservation": {"enabled": False},
            "routing": {"p_formal_after_direct_decline": 0.0},
        },
        state_settings(codes, retention_days=HUGE),
    )
    _, frame = run_model(data, scenario)
    direct = frame[frame["first_channel"] == "direct_provider"]
    assert len(direct) > 100
    assert set(direct["channel"].astype(str)) == {"direct_provider"}
    assert set(direct["reason"].astype(str)) == {"provider_declined"}
    assert (direct["attempts"] == 1).all()


def test_declined_direct_requests_fall_back_to_the_next_channel(data: WorldData) -> None:
    """Declined direct requests move on when investigators always go formal.

    They end on the next channel (CLOUD Act, then MLAT) with at least two attempts, their
    first channel still recorded as the direct one.
    """
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        quiet(),
        {
            "channels": {"direct_provider": {"p_provider_decline": 1.0}},
            "preservation": {"enabled": False},
            "routing": {"p_formal_after_direct_decline": 1.0},
        },
        state_settings(codes, retention_days=HUGE),
    )
    _, frame = run_model(data, scenario)
    to_usa = frame[(frame["requested"] == "USA") & (frame["data_type"] != "content")]
    done = finished(to_usa)
    assert len(done) > 100
    assert (done["first_channel"] == "direct_provider").all()
    assert set(done["channel"].astype(str)) <= {"cloud_act", "bilateral_mlat"}
    assert (done["attempts"] >= 2).all()
    assert set(done["outcome"].astype(str)) == {"fulfilled"}
    assert (done["execution_days"] > 0).all()
    content = frame[frame["data_type"] == "content"]
    assert (content["first_channel"] != "direct_provider").all()


def test_max_channels_stops_fallback(data: WorldData) -> None:
    """With only one channel allowed, a declined direct request ends refused."""
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        quiet(),
        {
            "channels": {"direct_provider": {"p_provider_decline": 1.0}},
            "routing": {"max_channels": 1},
            "preservation": {"enabled": False},
        },
        state_settings(codes, retention_days=HUGE),
    )
    _, frame = run_model(data, scenario)
    done = finished(frame[frame["data_type"] != "content"])
    assert len(done) > 100
    assert set(done["reason"].astype(str)) == {"provider_declined"}
    assert (done["attempts"] == 1).all()


def test_probable_cause_refuses_content_orders(data: WorldData) -> None:
    """A requested state's evidentiary standard can refuse a domestic order for content."""
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        only("bilateral_mlat"),
        quiet(),
        {
            "evidentiary_standards": {"probable_cause": {"p_refuse_content": 1.0}},
            "preservation": {"enabled": False},
        },
        state_settings(codes, retention_days=HUGE),
    )
    _, frame = run_model(data, scenario)
    done = finished(frame)
    to_usa = done[done["requested"] == "USA"]
    content = to_usa["data_type"] == "content"
    assert content.sum() > 20
    assert set(to_usa.loc[content, "reason"].astype(str)) == {"evidentiary_standard"}
    assert set(to_usa.loc[~content, "outcome"].astype(str)) == {"fulfilled"}
    to_gbr = done[done["requested"] == "GBR"]  # reasonable grounds: never refused here
    assert set(to_gbr["outcome"].astype(str)) == {"fulfilled"}


def test_no_data_protection_refusals_among_eu_states_and_gbr(data: WorldData) -> None:
    """Between EU/EEA states and towards the UK the data-protection review never refuses."""
    codes = ["DEU", "FRA", "GBR", "NLD"]
    changes = {
        "channels": {name: {"p_refuse_data_protection": 1.0} for name in CHANNELS},
    }
    _, frame = run_model(data, make_scenario(codes, changes, days=365))
    assert len(finished(frame)) > 200
    assert "data_protection" not in set(frame["reason"].astype(str))


def test_urgent_requests_wait_less_at_a_congested_central_authority(data: WorldData) -> None:
    """Urgent requests go first in a busy central authority's queue.

    Two states with one officer each, loaded to about 80 %; only the queue discipline tells
    urgent from other requests (their urgent factor is 1), so the difference is priority's.
    """
    codes = ["DEU", "FRA"]
    zero = {"time": {"distribution": "fixed", "value": 0.0}, "servers": "unlimited"}
    at_ca = {"time": {"distribution": "exponential", "mean": 1.0}, "servers": "central_authority"}
    path = {
        "drafting": zero,
        "outgoing_review": at_ca,
        "transmission": zero,
        "legal_review": at_ca,
        "domestic_order": zero,
        "execution": zero,
        "return_transmission": zero,
    }
    scenario = make_scenario(
        codes,
        only("budapest_mla"),
        quiet(),
        {
            "channels": {"budapest_mla": {"urgent_factor": 1.0, "stages": path}},
            "preservation": {"enabled": False},
            "demand": {"extra_holders_mean": 0.0},
        },
        state_settings(codes, ca_staff=1, cases_per_year=146.0, retention_days=HUGE),
        days=730,
        drain=30,
    )
    settings = scenario.model_dump()
    settings["crime_types"] = {
        "fraud": {
            "share": 1.0,
            "urgent_share": 0.3,
            "subscriber": 1.0,
            "traffic": 0.0,
            "content": 0.0,
            "dual_criminality_factor": 0.0,
        }
    }
    _, frame = run_model(data, validate_settings(settings))
    done = finished(frame)
    wait = done["outgoing_review_wait_days"] + done["legal_review_wait_days"]
    urgent, normal = wait[done["urgent"]], wait[~done["urgent"]]
    assert len(urgent) > 100
    assert len(normal) > 300
    assert normal.mean() > 1.0  # the queue is congested
    assert urgent.mean() < 0.5 * normal.mean()


def test_no_cases_opened_in_the_drain_period(data: WorldData) -> None:
    """Cases stop being opened ``drain_days`` before the horizon, right up to that day."""
    scenario = make_scenario(["GBR", "USA"], days=400, drain=150)
    model, frame = run_model(data, scenario)
    cutoff = model.horizon - 150
    assert frame["created_day"].max() < cutoff
    assert frame["created_day"].max() > cutoff - 5
    assert frame["created_day"].min() >= 0.0


def test_pending_requests_are_censored_at_the_horizon(data: WorldData) -> None:
    """Requests unfinished at the end are kept as pending, their time running to the horizon."""
    codes = ["KEN", "CHN"]
    scenario = make_scenario(
        codes,
        only("letters_rogatory"),
        quiet(),
        state_settings(codes, retention_days=HUGE, cases_per_year=300.0),
        days=365,
        drain=60,
    )
    model, frame = run_model(data, scenario)
    pending = frame[frame["outcome"] == "pending"]
    assert len(pending) > 50
    np.testing.assert_allclose(
        pending["time_to_outcome_days"], model.horizon - pending["created_day"]
    )
    assert pending["time_to_evidence_days"].isna().all()
    assert (pending["reason"] == "").all()
    assert len(finished(frame)) > 0


def test_timeseries_has_one_row_per_state_per_interval(data: WorldData) -> None:
    """Each state is observed at day 0 and every interval; the last row matches the records.

    At the horizon (a multiple of the interval here) a state's open requests are exactly the
    requests addressed to it that end up pending.
    """
    codes = ["DEU", "FRA", "GBR", "USA"]
    scenario = make_scenario(
        codes,
        {"simulation": {"timeseries_interval_days": 7}},
        days=364,
        drain=60,
    )
    model, frame = run_model(data, scenario)
    series = model.timeseries.to_frame(0)
    observations = 364 // 7 + 1
    assert len(series) == len(codes) * observations
    for code in codes:
        days = series.loc[series["state"] == code, "day"].tolist()
        assert days == [7.0 * i for i in range(observations)]
    staff = series.groupby("state", observed=True)["staff"].unique()
    world = build_world(data, scenario)
    for code in codes:
        assert staff[code].tolist() == [world[code].params.ca_staff]
    assert (series["backlog"] >= 0).all()
    last = series[series["day"] == 364.0].set_index("state")["open_requests"]
    pending = frame[frame["outcome"] == "pending"].groupby("requested", observed=True).size()
    for code in codes:
        assert last[code] == pending.get(code, 0)
    assert series["open_requests"].max() > 0


def test_no_holder_means_no_cases(data: WorldData) -> None:
    """A world whose states host no providers opens no requests at all."""
    codes = ["GBR", "USA"]
    scenario = make_scenario(codes, state_settings(codes, provider_share=0.0), days=200)
    _, frame = run_model(data, scenario)
    assert len(frame) == 0


def test_no_open_channel_abandons_the_request(data: WorldData) -> None:
    """Where no enabled channel is open to the pair, the request is abandoned at once."""
    codes = ["KEN", "CHN"]
    scenario = make_scenario(codes, only("bilateral_mlat"), days=200, drain=30)
    _, frame = run_model(data, scenario)
    assert len(frame) > 50
    assert set(frame["reason"].astype(str)) == {"no_channel"}
    assert (frame["attempts"] == 0).all()
    assert (frame["time_to_outcome_days"] == 0.0).all()


def test_evidence_arriving_after_the_deadline_is_not_a_timeout(data: WorldData) -> None:
    """Once a channel's last stage is done the evidence is in hand: no time-out afterwards.

    Direct requests whose execution takes 100 days against a 90-day time-out: a request may
    be abandoned at its deadline, but not after the provider has answered.
    """
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        only("direct_provider"),
        quiet(),
        {
            "channels": {
                "direct_provider": {
                    "timeout_days": 90.0,
                    "urgent_factor": 1.0,
                    "stages": {
                        "execution": {
                            "time": {"distribution": "fixed", "value": 100.0},
                            "servers": "unlimited",
                        }
                    },
                }
            },
            "preservation": {"enabled": False},
        },
        state_settings(codes, retention_days=HUGE),
        days=365,
    )
    _, frame = run_model(data, scenario)
    timed_out = frame[frame["reason"] == "timeout"]
    executed = frame[frame["execution_days"] > 0]
    assert len(executed) > 50
    assert (timed_out["execution_days"] == 0.0).all()
    assert set(finished(executed)["outcome"].astype(str)) == {"fulfilled"}


def test_request_with_no_open_channel_is_recorded_under_none() -> None:
    """A request that no channel is open to is abandoned with channel 'none', not a real one."""
    from sim.vocabulary import UNROUTED

    settings = default_settings()
    settings["world"]["states"] = ["USA", "GBR"]
    for name in CHANNELS:
        settings["channels"][name]["enabled"] = False
    settings["simulation"]["end"] = dt.date(2026, 3, 1)
    settings["simulation"]["warm_up_days"] = 0
    settings["simulation"]["drain_days"] = 0
    requests, _, _ = run_replication(validate_settings(settings), 0)
    assert len(requests) > 0
    assert set(requests["channel"]) == {UNROUTED}
    assert set(requests["reason"]) == {"no_channel"}


def test_prior_caseload_makes_first_requests_wait(data: WorldData) -> None:
    """A central authority that starts with a caseload keeps new requests waiting at first.

    With 200 days of prior caseload at the US authority, the first formal requests from Germany
    to the USA wait at legal review for days to weeks (urgent ones skip the line); without it they
    hardly wait.
    """
    codes = ["DEU", "USA"]

    def first_waits(backlog_days: float) -> float:
        scenario = make_scenario(
            codes,
            quiet(),
            {"states": {"USA": {"ca_backlog_days": backlog_days, "ca_staff": 20}}},
        )
        _, frame = run_model(data, scenario)
        formal = frame[
            (frame["requested"] == "USA")
            & (frame["channel"] == "bilateral_mlat")
            & ~frame["urgent"]
        ]
        early = formal.sort_values("created_day").head(10)
        return float(early["legal_review_wait_days"].mean())

    assert first_waits(0.0) < 2.0
    assert first_waits(200.0) > 60.0


def test_formal_needs_not_pursued_are_counted_not_requested(data: WorldData) -> None:
    """With p_pursue_formal = 0, needs that only formal MLA could serve never become requests.

    Germany's content needs at US providers have no direct or CLOUD Act route, so none of them
    reaches a formal channel; each is counted in Germany's `unpursued` series instead, while
    direct requests go on as before.
    """
    from sim.rules.channels import FORMAL_MLA

    codes = ["DEU", "USA"]
    scenario = make_scenario(codes, quiet(), {"routing": {"p_pursue_formal": 0.0}})
    model, frame = run_model(data, scenario)
    assert not frame["channel"].isin(FORMAL_MLA).any()
    assert (frame["channel"] == "direct_provider").sum() > 50
    germany = next(agent for agent in model.states if agent.iso3 == "DEU")
    assert germany.unpursued > 20
    series = model.timeseries.to_frame(0)
    last = series[series["state"] == "DEU"]["unpursued"].iloc[-1]
    assert last == germany.unpursued
