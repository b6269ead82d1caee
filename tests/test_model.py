"""Integration tests of ``sim.engine.model`` on small worlds: its cases, records and clock.

The model opens cases and turns their needs into requests (or counts them unpursued), records
every request once, censors those in progress at the horizon and samples each state's time
series. The rules a request meets on its way are tested through the model in
``test_model_attempts.py`` (``sim.rules.attempts``), ``test_model_legal_review.py``,
``test_model_preservation.py`` and ``test_model_queues.py``; the helpers they share are in
``model_runs.py``.
"""

import datetime as dt

import numpy as np
import pandas as pd
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

from sim.config.loading import default_settings, validate_settings
from sim.engine.model import CooperationModel
from sim.engine.replication import run_replication
from sim.vocabulary import CHANNELS
from sim.world.build import build_world
from sim.world.data import WorldData, load_world_data

REFUSAL_REASONS = {
    "dual_criminality",
    "data_protection",
    "insufficient_grounds",
    "evidentiary_standard",
    "provider_declined",
}
ABANDON_REASONS = {"too_many_clarifications", "timeout", "no_channel"}


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


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


def test_no_cases_opened_in_the_drain_period(data: WorldData) -> None:
    """Cases stop being opened ``drain_days`` before the horizon, right up to that day."""
    scenario = make_scenario(["GBR", "USA"], days=400, drain=150)
    model, frame = run_model(data, scenario)
    cutoff = model.horizon - 150
    assert frame["created_day"].max() < cutoff
    assert frame["created_day"].max() > cutoff - 5
    assert frame["created_day"].min() >= 0.0


def test_the_run_out_is_simulated_but_leaves_no_row(data: WorldData) -> None:
    """Cases of the run-out load the authorities as any others; only their rows are left out.

    ``run_out_days`` changes what is recorded, never what happens: the rows of a run with a
    run-out are those of the same run without one, less the requests and unpursued needs
    created from the window's end on, and the time series (which counts every request and
    need) is the same.
    """
    from sim.rules.channels import FORMAL_MLA

    codes = ["DEU", "FRA", "GBR", "IRL", "USA"]
    some = {"routing": {"pursuit_scale": 0.5}}  # some formal needs pursued, some not
    plain = make_scenario(codes, some, days=500, drain=100)
    with_run_out = make_scenario(
        codes, some, {"simulation": {"run_out_days": 120}}, days=500, drain=100
    )
    assert with_run_out.simulation.window_end_days == 500 - 100 - 120
    model, rows = run_model(data, plain)
    model_out, rows_out = run_model(data, with_run_out)

    end = with_run_out.simulation.window_end_days
    assert (rows["created_day"] >= end).sum() > 50  # the run-out did open cases
    assert rows["channel"].isin(FORMAL_MLA).sum() > 20  # which queue at the authorities
    kept = rows[rows["created_day"] < end].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows_out, kept)
    needs, needs_out = model.unpursued.to_frame(0), model_out.unpursued.to_frame(0)
    assert (needs["created_day"] >= end).any()
    kept_needs = needs[needs["created_day"] < end].reset_index(drop=True)
    pd.testing.assert_frame_equal(needs_out, kept_needs)
    pd.testing.assert_frame_equal(model_out.timeseries.to_frame(0), model.timeseries.to_frame(0))


def test_a_final_outcome_settled_ahead_leaves_as_its_event_would(data: WorldData) -> None:
    """A request whose final outcome is known ahead leaves as if it had waited for its day.

    Where no behaviour learns from outcomes, such a request waits for no SimPy event
    (``request.settle``). Run in step with a model that waits for every event, it leaves the
    same requests in flight and the same open requests at every state at the end of each
    day (what the time series and the live dashboard read), and the same rows and time series.
    """
    codes = ["DEU", "FRA", "GBR", "IRL", "USA"]
    busy = {"routing": {"pursuit_scale": 0.5}, "demand": {"scale": 4.0}}
    scenario = make_scenario(codes, busy, days=400, drain=30)
    ahead = CooperationModel(scenario, build_world(data, scenario), 0)
    waits = CooperationModel(scenario, build_world(data, scenario), 0)
    assert ahead.settles_ahead
    waits.settles_ahead = False
    while not ahead.finished:
        ahead.step()
        waits.step()
        assert ahead.in_flight.keys() == waits.in_flight.keys(), ahead.day
        assert [a.open_requests for a in ahead.states] == [a.open_requests for a in waits.states]
    assert waits.finished
    ahead.close()
    waits.close()
    rows = ahead.log.to_frame(0)
    assert (rows["outcome"] == "pending").any()  # the horizon cut some journeys short
    pd.testing.assert_frame_equal(rows, waits.log.to_frame(0))
    pd.testing.assert_frame_equal(ahead.timeseries.to_frame(0), waits.timeseries.to_frame(0))
    # Most requests saved their last event (SimPy numbers every event it schedules).
    saved = next(waits.env._eid) - next(ahead.env._eid)
    assert saved > len(rows) / 2


def test_attempt_terms_made_once_are_those_made_afresh(data: WorldData) -> None:
    """Terms made once per attempt key are those made afresh, levers coming into force or not.

    The key is the channel, crime, data type, pair, urgency and the levers' effects. A model
    whose store of terms keeps nothing makes every attempt's terms anew; its rows are the
    same as those of a model that makes each once and reuses them.
    """

    class KeepsNothing(dict):
        def __setitem__(self, key, value) -> None:
            pass

    codes = ["DEU", "FRA", "GBR", "IRL", "USA"]
    start = default_settings()["simulation"]["start"]
    later = start.replace(year=start.year + 1)
    reform = {
        "routing": {"pursuit_scale": 0.5},
        "levers": [
            {"lever": "standard_procedures", "strength": 1.0, "group": "all", "start": later},
            {"lever": "harmonised_definitions", "strength": 0.5, "group": "eu", "start": start},
        ],
    }
    scenario = make_scenario(codes, reform, days=600, drain=60)
    kept = CooperationModel(scenario, build_world(data, scenario), 0)
    afresh = CooperationModel(scenario, build_world(data, scenario), 0)
    afresh.attempt_terms = KeepsNothing()
    for model in (kept, afresh):
        while not model.finished:
            model.step()
        model.close()
    assert len(kept.attempt_terms) > 20 and not afresh.attempt_terms
    assert len({key[-1] for key in kept.attempt_terms}) > 2  # several effects were in force
    pd.testing.assert_frame_equal(kept.log.to_frame(0), afresh.log.to_frame(0))


def test_no_holder_means_no_cases(data: WorldData) -> None:
    """A world whose states host no providers opens no requests at all."""
    codes = ["GBR", "USA"]
    scenario = make_scenario(codes, state_settings(codes, provider_share=0.0), days=200)
    _, frame = run_model(data, scenario)
    assert len(frame) == 0


def test_formal_needs_not_pursued_are_counted_not_requested(data: WorldData) -> None:
    """With pursuit_scale = 0, needs that only formal MLA could serve never become requests.

    Germany's content needs at US providers have no direct or CLOUD Act route, so none of them
    reaches a formal channel (nor does a declined direct request: the escalation is decided by
    the same rule); each is counted in Germany's `unpursued` series and written as a row of the
    unpursued needs, under the formal channel it would have taken, while direct requests go on
    as before.
    """
    from sim.rules.channels import FORMAL_MLA

    codes = ["DEU", "USA"]
    scenario = make_scenario(codes, quiet(), {"routing": {"pursuit_scale": 0.0}})
    model, frame = run_model(data, scenario)
    assert not frame["channel"].isin(FORMAL_MLA).any()
    assert (frame["channel"] == "direct_provider").sum() > 50
    germany = next(agent for agent in model.states if agent.iso3 == "DEU")
    assert germany.unpursued > 20
    series = model.timeseries.to_frame(0)
    last = series[series["state"] == "DEU"]["unpursued"].iloc[-1]
    assert last == germany.unpursued
    needs = model.unpursued.to_frame(0)
    assert (needs["requesting"] == "DEU").sum() == germany.unpursued
    assert needs["channel"].isin(FORMAL_MLA).all()
    assert needs["case_id"].ge(0).all() and (needs["data_type"] == "content").any()


def test_no_open_channel_abandons_the_request(data: WorldData) -> None:
    """Where no enabled channel is open to the pair, the request is abandoned at once."""
    codes = ["KEN", "CHN"]
    scenario = make_scenario(codes, only("bilateral_mlat"), days=200, drain=30)
    _, frame = run_model(data, scenario)
    assert len(frame) > 50
    assert set(frame["reason"].astype(str)) == {"no_channel"}
    assert (frame["attempts"] == 0).all()
    assert (frame["time_to_outcome_days"] == 0.0).all()


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
    requests, *_ = run_replication(validate_settings(settings), 0)
    assert len(requests) > 0
    assert set(requests["channel"]) == {UNROUTED}
    assert set(requests["reason"]) == {"no_channel"}


def test_pending_requests_are_censored_at_the_horizon(data: WorldData) -> None:
    """Requests unfinished at the end are kept as pending, their time running to the horizon.

    Iran and China share no treaty basis in the data, so letters rogatory are open to them.
    """
    codes = ["IRN", "CHN"]
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


def test_a_reform_that_speeds_formal_mla_up_brings_more_needs_to_it(data: WorldData) -> None:
    """Investigators weigh a channel's expected delay as the levers in force make it.

    Germany's content needs at US providers can only go by formal MLA. With a patience that
    the channel's expected delay tests, ``standard_procedures`` (shorter outgoing and legal
    review) raises the share of those needs pursued; the same scenario without the lever
    pursues fewer, the need's own draws being the same (docs/model.md 7.4).
    """
    codes = ["DEU", "USA"]
    patient = {
        "routing": {"pursuit_scale": HUGE},
        "crime_types": {
            name: {"patience_days": 300.0, "patience_sigma": 1.0}
            for name in default_settings()["crime_types"]
        },
        "channels": {"bilateral_mlat": {"nominal_days": 300.0}},
    }
    first_day = default_settings()["simulation"]["start"]
    reform = {
        "levers": [
            {"lever": "standard_procedures", "strength": 1.0, "group": "all", "start": first_day}
        ]
    }
    counts = []
    for changes in ({}, reform):
        model, frame = run_model(data, make_scenario(codes, quiet(), patient, changes))
        formal = frame["channel"].isin(["bilateral_mlat", "budapest_mla", "letters_rogatory"])
        counts.append((int(formal.sum()), len(model.unpursued.to_frame(0))))
    (formal_before, unpursued_before), (formal_after, unpursued_after) = counts
    assert unpursued_after < unpursued_before
    assert formal_after > formal_before
    assert unpursued_before + formal_before > 50  # enough needs to tell


def test_a_day_runs_simpy_to_the_day_as_env_run_would(data: WorldData) -> None:
    """Each step ends with SimPy's clock on Mesa's day, the events before it processed.

    An event at exactly the day's end waits for the next day, as with ``env.run(until=day)``,
    whose marker is urgent and so comes before regular events of that instant.
    """
    scenario = make_scenario(["GBR", "USA"], days=30, drain=10)
    model = CooperationModel(scenario, build_world(data, scenario))
    seen: list[float] = []
    event = model.env.timeout(2.0)
    event.callbacks.append(lambda e: seen.append(model.env.now))
    model.step()
    assert model.env.now == model.time == 1.0
    model.step()
    assert model.env.now == 2.0 and seen == []  # the event at day 2 is tomorrow's
    model.step()
    assert seen == [2.0] and model.env.now == 3.0
