"""The rules of a request's channel attempts (``sim.rules.attempts``) in runs of the model.

A request tries its channels in turn: evidence deleted before execution is lost, returns for
clarification loop back to drafting up to a limit, a declined direct request escalates only
if the investigators choose to, at most ``max_channels`` are tried, a content order may be
refused under the requested state's evidentiary standard, and evidence in hand is no timeout.
"""

import pytest
from model_runs import (
    HUGE,
    finished,
    make_scenario,
    only,
    quiet,
    run_model,
    state_settings,
)

from sim.world.data import WorldData, load_world_data


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


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
    """With pursuit_scale = 0 and no CLOUD Act, a declined direct request ends there.

    The escalation to a formal channel is decided by the pursuit rule, which gives 0; it is
    recorded as refused by the provider on the direct channel, after one attempt, and never
    reaches a central authority.
    """
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        quiet(),
        {
            "channels": {"direct_provider": {"p_provider_decline": 1.0}},
            "preservation": {"enabled": False},
            "routing": {"pursuit_scale": 0.0},
        },
        only("direct_provider", "bilateral_mlat"),
        state_settings(codes, retention_days=HUGE),
    )
    _, frame = run_model(data, scenario)
    direct = frame[frame["first_channel"] == "direct_provider"]
    assert len(direct) > 100
    assert set(direct["channel"].astype(str)) == {"direct_provider"}
    assert set(direct["reason"].astype(str)) == {"provider_declined"}
    assert (direct["attempts"] == 1).all()


def test_declined_direct_requests_fall_back_to_the_next_channel(data: WorldData) -> None:
    """Declined direct requests move on when the pursuit rule says investigators always do.

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
