"""Tests of a request's journey: the rules of its attempts, and its timeline in a small model.

The first part checks each decision of ``sim.rules.attempts`` on plain values, the random
draws given as uniform numbers. The second runs ``sim.engine.request.journey`` for requests
sent by hand from the United Kingdom to the United States in a model that opens no cases of
its own, with every stage time fixed and every chance 0 or 1, so that each request's
timeline (the day it was created, its days in each stage, the day of its outcome) is exact.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from typing import Any

import pandas as pd
import pytest
from model_runs import QUIET_CHANNEL, pursue_all

from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Scenario
from sim.engine.model import CooperationModel
from sim.engine.request import Request, journey
from sim.rules import attempts as rules
from sim.rules.levers import NEUTRAL, Effects
from sim.vocabulary import (
    ABANDONED,
    CHANNELS,
    DATA_TYPES,
    FULFILLED,
    INSUFFICIENT_GROUNDS,
    LOSS_DRIVERS,
    LOST,
    NO_REASON,
    PROVIDER_DECLINED,
    REFUSED,
    RETENTION_EXPIRED,
    STAGES,
    TIMEOUT,
    TOO_MANY_CLARIFICATIONS,
)
from sim.world.build import build_world
from sim.world.data import WorldData, load_world_data

# -- the rules of an attempt -----------------------------------------------------------------


@pytest.fixture(scope="module")
def defaults() -> Scenario:
    """The packaged defaults, validated (their channels and standards are real settings)."""
    return validate_settings(default_settings())


def test_channels_to_try_keeps_the_first_routes_in_order() -> None:
    """A request tries at most ``max_channels`` of its routes, fastest (first) first."""
    routes = ("direct_provider", "cloud_act", "bilateral_mlat", "letters_rogatory")
    assert rules.channels_to_try(routes, 3) == routes[:3]
    assert rules.channels_to_try(routes, 1) == ("direct_provider",)
    assert rules.channels_to_try((), 3) == ()


def test_data_are_held_until_their_expiry_day() -> None:
    """Data are held strictly before their expiry: on the expiry day they are gone."""
    assert rules.data_held(9.5, 10.0)
    assert not rules.data_held(10.0, 10.0)
    assert not rules.data_held(11.0, 10.0)


@pytest.mark.parametrize(
    ("enabled", "preserved", "expiry", "asked"),
    [
        (True, False, 100.0, True),  # 90 days left, less than 20 nominal + 80 margin
        (False, False, 100.0, False),  # preservation switched off
        (True, True, 100.0, False),  # already preserved
        (True, False, 110.0, False),  # 100 days left: the data outlive the request
        (True, False, 10.0, False),  # expired on the day of the attempt: nothing to save
        (True, False, 5.0, False),  # expired before
    ],
)
def test_preservation_is_asked_only_for_data_that_would_expire_first(
    enabled: bool, preserved: bool, expiry: float, asked: bool
) -> None:
    """Preservation is asked for held, unpreserved data expiring within nominal time + margin."""
    assert rules.asks_preservation(enabled, preserved, expiry, 10.0, 20.0, 80.0) is asked


def test_preservation_succeeds_with_its_chance_and_levers_close_the_gap() -> None:
    """Without levers it succeeds with ``p_success``; a full lever leaves no chance of failure."""
    assert rules.preservation_succeeds(0.89, 0.9, 1.0)
    assert not rules.preservation_succeeds(0.9, 0.9, 1.0)
    assert rules.preservation_succeeds(0.94, 0.9, 0.5)  # half the gap closed: p = 0.95
    assert not rules.preservation_succeeds(0.95, 0.9, 0.5)
    assert rules.preservation_succeeds(0.999999, 0.0, 0.0)


def test_preserved_data_are_held_at_least_hold_days_and_never_less() -> None:
    """Preservation on day 10 holds data to day 190, and never shortens a longer retention."""
    assert rules.preserved_expiry(15.0, 10.0, 180.0) == 190.0
    assert rules.preserved_expiry(400.0, 10.0, 180.0) == 400.0


def test_a_renewed_hold_adds_each_allowed_renewal() -> None:
    """18 U.S.C. 2703(f): 90 days and one more 90; EPOC-PR: 60 and 30; none: the hold alone."""
    assert rules.renewed_hold(90.0, 90.0, 1) == 180.0
    assert rules.renewed_hold(60.0, 30.0, 1) == 90.0
    assert rules.renewed_hold(60.0, 30.0, 0) == 60.0


@pytest.mark.parametrize(
    ("expiry", "preserved", "asked", "path_open", "driver"),
    [
        (50.0, True, True, True, "hold_expired"),
        (5.0, False, False, False, "gone_at_request"),
        (50.0, False, False, False, "not_asked"),
        (50.0, False, True, False, "no_preservation_open"),
        (50.0, False, True, True, "preservation_failed"),
    ],
)
def test_a_loss_is_put_down_to_one_driver(
    expiry: float, preserved: bool, asked: bool, path_open: bool, driver: str
) -> None:
    """A loss has one driver: the hold, the data gone at creation (day 10), or preservation.

    Preserved data lost ran out of hold; others were gone already, or preservation was never
    asked, had no path open, or failed.
    """
    code = rules.loss_driver(expiry, 10.0, preserved, asked, path_open)
    assert LOSS_DRIVERS[code] == driver


def test_preserved_data_are_kept_pending_the_decision_once_received() -> None:
    """Budapest Art. 29(7): preserved data reaching the requested state are kept for good.

    Not while the requesting state still drafts or sends the request, and not if the
    preservation had run out when the requested state received it.
    """
    assert rules.expiry_pending_decision(50.0, 40.0, by_requesting=False) == math.inf
    assert rules.expiry_pending_decision(50.0, 50.0, by_requesting=False) == math.inf
    assert rules.expiry_pending_decision(50.0, 40.0, by_requesting=True) == 50.0
    assert rules.expiry_pending_decision(50.0, 60.0, by_requesting=False) == 50.0


def test_attempt_terms_without_levers_or_trust_are_the_settings(defaults: Scenario) -> None:
    """With neutral levers and trust, the terms are the pair's risks and the channel's chances.

    Stage times are multiplied by 1 everywhere, and a normal request is not hurried.
    """
    channel = defaults.channels.bilateral_mlat
    standard = defaults.evidentiary_standards["reasonable_grounds"]
    terms = rules.AttemptTerms(channel, standard, NEUTRAL, (0.2, 0.1), 1.5, 1.0, False, False)
    assert (terms.dual_criminality, terms.data_protection) == (0.2, 0.1)
    assert terms.clarification == 1.5
    assert terms.grounds == 1.0
    assert terms.content_refusal == standard.p_refuse_content
    assert terms.urgent_factor == 1.0
    assert terms.lever_time == (1.0,) * len(STAGES)
    assert terms.extra_time == (1.0,) * len(STAGES)
    assert terms.channel is channel


def test_attempt_terms_scale_with_levers_trust_urgency_and_content(defaults: Scenario) -> None:
    """Levers scale the risks; trust the returns and the legal review's time; urgency every stage.

    A content request meets the requested state's evidentiary standard: under probable cause
    its domestic order takes 1.5 times as long, less what evidence levers take off.
    """
    channel = defaults.channels.bilateral_mlat
    standard = defaults.evidentiary_standards["probable_cause"]
    effects = Effects(
        dual_criminality=0.5,
        data_protection=0.25,
        clarification=0.5,
        grounds=0.75,
        content_refusal=0.5,
        content_extra_time=0.5,
    )
    terms = rules.AttemptTerms(channel, standard, effects, (0.2, 0.4), 1.0, 0.8, True, True)
    assert terms.dual_criminality == pytest.approx(0.1)
    assert terms.data_protection == pytest.approx(0.1)
    assert terms.clarification == pytest.approx(0.4)
    assert terms.grounds == 0.75
    assert terms.content_refusal == pytest.approx(standard.p_refuse_content * 0.5)
    assert terms.urgent_factor == channel.urgent_factor
    extra = dict(zip(STAGES, terms.extra_time, strict=True))
    assert extra["legal_review"] == 0.8
    assert extra["domestic_order"] == pytest.approx(1.25)
    assert {
        extra[stage] for stage in STAGES if stage not in ("legal_review", "domestic_order")
    } == {1.0}


def test_evidence_is_lost_when_execution_begins_after_expiry() -> None:
    """Execution that begins after the data expired finds nothing; on the expiry day it does."""
    assert rules.evidence_lost(10.5, 10.0)
    assert not rules.evidence_lost(10.0, 10.0)
    assert not rules.evidence_lost(3.0, math.inf)


def test_provider_and_content_orders_refuse_with_their_chance() -> None:
    """A decline or a refused content order happens when the uniform is below its chance."""
    assert rules.provider_declines(0.34, 0.35)
    assert not rules.provider_declines(0.35, 0.35)
    assert not rules.provider_declines(0.0, 0.0)
    assert rules.content_order_refused(0.09, 0.1)
    assert not rules.content_order_refused(0.1, 0.1)


def review_terms(defaults: Scenario, **settings: Any) -> rules.AttemptTerms:
    """Neutral terms of a bilateral MLAT attempt whose channel has ``settings`` changed."""
    channel = defaults.channels.bilateral_mlat.model_copy(update=settings)
    standard = defaults.evidentiary_standards["reasonable_grounds"]
    return rules.AttemptTerms(channel, standard, NEUTRAL, (0.0, 0.0), 1.0, 1.0, False, False)


def test_review_accepts_refuses_or_returns_the_request(defaults: Scenario) -> None:
    """The verdict maps to the next step: go on, refuse with the reason, or back to drafting."""
    terms = review_terms(defaults, p_refuse_grounds=0.5, p_clarify=0.5, max_clarifications=1)
    assert rules.review_attempt(terms, 0.9, 0.9, 0.9, 0.9, 0) == (rules.GO_ON, NO_REASON)
    assert rules.review_attempt(terms, 0.9, 0.9, 0.1, 0.9, 0) == (REFUSED, INSUFFICIENT_GROUNDS)
    assert rules.review_attempt(terms, 0.9, 0.9, 0.9, 0.1, 0) == (rules.REDRAFT, NO_REASON)


def test_review_abandons_the_request_at_the_clarification_limit(defaults: Scenario) -> None:
    """A request returned ``max_clarifications`` times is given up at its next return."""
    terms = review_terms(defaults, p_clarify=1.0, max_clarifications=2)
    assert rules.review_attempt(terms, 0.5, 0.5, 0.5, 0.5, 1) == (rules.REDRAFT, NO_REASON)
    assert rules.review_attempt(terms, 0.5, 0.5, 0.5, 0.5, 2) == (
        ABANDONED,
        TOO_MANY_CLARIFICATIONS,
    )
    never = review_terms(defaults, p_clarify=1.0, max_clarifications=0)
    assert rules.review_attempt(never, 0.5, 0.5, 0.5, 0.5, 0) == (
        ABANDONED,
        TOO_MANY_CLARIFICATIONS,
    )


def test_an_attempt_times_out_past_its_deadline_except_after_its_last_stage() -> None:
    """Past the deadline an attempt is given up before its next stage, not once it is done."""
    assert rules.timed_out(91.0, 90.0, 2, 3)
    assert not rules.timed_out(90.0, 90.0, 2, 3)
    assert not rules.timed_out(150.0, 90.0, 3, 3)


@pytest.mark.parametrize(
    ("outcome", "reason", "ends"),
    [
        (FULFILLED, NO_REASON, True),
        (LOST, RETENTION_EXPIRED, True),
        (ABANDONED, TOO_MANY_CLARIFICATIONS, True),
        (REFUSED, INSUFFICIENT_GROUNDS, False),
        (REFUSED, PROVIDER_DECLINED, False),
        (ABANDONED, TIMEOUT, False),
    ],
)
def test_only_refusals_and_timeouts_fall_back(outcome: int, reason: int, ends: bool) -> None:
    """Fulfilment, loss and withdrawal end the request; refusals and timeouts try the next."""
    assert rules.ends_request(outcome, reason) is ends


def test_escalation_is_a_choice_after_a_direct_decline_or_before_formal_mla() -> None:
    """Going on is a choice after a direct decline, and before any formal MLA request.

    A refused EPOC or CLOUD Act order does not start a formal request by itself; a fast
    channel after another failed fast channel is always tried.
    """
    direct, cloud = CHANNELS.index("direct_provider"), CHANNELS.index("cloud_act")
    assert rules.escalation_is_optional(PROVIDER_DECLINED, direct, False)
    assert rules.escalation_is_optional(PROVIDER_DECLINED, direct, True)
    assert rules.escalation_is_optional(INSUFFICIENT_GROUNDS, cloud, True)
    assert not rules.escalation_is_optional(PROVIDER_DECLINED, cloud, False)
    assert not rules.escalation_is_optional(INSUFFICIENT_GROUNDS, direct, False)
    assert rules.escalates(0.04, 0.05)
    assert not rules.escalates(0.05, 0.05)


# -- the journey of a request, day by day ----------------------------------------------------

CODES = ("GBR", "USA")
QUIET = {**QUIET_CHANNEL, "time_scale": 1.0}
MLAT_DAYS = {
    "drafting": 10.0,
    "outgoing_review": 2.0,
    "transmission": 3.0,
    "legal_review": 4.0,
    "domestic_order": 5.0,
    "execution": 6.0,
    "return_transmission": 7.0,
}
"""Fixed stage times of the bilateral MLAT channel: 37 days in all."""
PROTOCOL_DAYS = {"drafting": 1.0, "transmission": 2.0, "legal_review": 3.0, "execution": 4.0}
"""Fixed stage times of the Second Protocol channel: 10 days in all."""
CENTRAL = {"outgoing_review", "legal_review"}


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def fixed(days: dict[str, float], queued: Collection[str] = ()) -> dict[str, Any]:
    """Stage settings with fixed ``days``, the ``queued`` ones served by central authorities."""
    return {
        stage: {
            "time": {"distribution": "fixed", "value": value},
            "servers": "central_authority" if stage in queued else "unlimited",
        }
        for stage, value in days.items()
    }


def small_model(data: WorldData, *changes: dict[str, Any], days: int = 400) -> CooperationModel:
    """GBR and USA, opening no cases, with two quiet channels of fixed stage times.

    The bilateral MLAT (queued at one-officer central authorities with no prior caseload) and
    the Second Protocol are the only channels; nothing is refused, returned, declined or timed
    out, and no data are preserved, unless one of ``changes`` says so. Every fallback is made
    (the pursuit rule is set to pursue everything).
    """
    channels: dict[str, Any] = {name: {"enabled": False} for name in CHANNELS}
    channels["bilateral_mlat"] = {**QUIET, "enabled": True, "stages": fixed(MLAT_DAYS, CENTRAL)}
    channels["sp_expedited_production"] = {**QUIET, "enabled": True, "stages": fixed(PROTOCOL_DAYS)}
    settings = merge(
        default_settings(),
        {
            "world": {"states": list(CODES)},
            "simulation": {"warm_up_days": 0, "drain_days": 0, "replications": 1},
            "states": {
                code: {
                    "cases_per_year": 0.0,
                    "ca_staff": 1,
                    "clarification_factor": 1.0,
                }
                for code in CODES
            },
            "preservation": {"enabled": False},
            "channels": channels,
        },
    )
    settings = merge(settings, pursue_all())
    settings["simulation"]["end"] = settings["simulation"]["start"] + dt.timedelta(days=days)
    for change in changes:
        settings = merge(settings, change)
    scenario = validate_settings(settings)
    return CooperationModel(scenario, build_world(data, scenario), 0)


def send(
    model: CooperationModel,
    routes: tuple[str, ...],
    *,
    request_id: int = 0,
    expiry: float = math.inf,
) -> None:
    """Start the journey of a normal request for subscriber data from GBR to the USA, today."""
    gbr, usa = (next(agent for agent in model.states if agent.iso3 == code) for code in CODES)
    subscriber = DATA_TYPES.index("subscriber")
    request = Request(
        request_id, request_id, 0, gbr, usa, subscriber, False, model.env.now, expiry, request_id
    )
    model.env.process(journey(model, request, routes))


def run_to(model: CooperationModel, day: int) -> None:
    """Advance the model to ``day`` (a whole day)."""
    while model.day < day:
        model.step()


def finish(model: CooperationModel) -> pd.DataFrame:
    """Run the model to its horizon, record what is still pending, and return the records."""
    run_to(model, int(model.horizon))
    model.close()
    return model.log.to_frame(0)


def only_row(frame: pd.DataFrame) -> pd.Series:
    """The one request of ``frame``."""
    assert len(frame) == 1
    return frame.iloc[0]


def stage_days(row: pd.Series, kind: str = "") -> dict[str, float]:
    """The row's days (or, with ``kind="wait"``, waits) in each stage it spent time in."""
    suffix = f"_{kind}_days" if kind else "_days"
    return {stage: row[f"{stage}{suffix}"] for stage in STAGES if row[f"{stage}{suffix}"] != 0}


def test_a_request_fulfilled_on_its_first_channel(data: WorldData) -> None:
    """Created on day 5, a request passes the seven MLAT stages and has its evidence on day 42.

    It waits at neither central authority (they are idle), tries one channel, and its stage
    times are the fixed ones, adding up to its time to evidence.
    """
    model = small_model(data)
    run_to(model, 5)
    send(model, ("bilateral_mlat",))
    row = only_row(finish(model))
    assert row["created_day"] == 5.0
    assert row["outcome"] == "fulfilled"
    assert row["time_to_evidence_days"] == 37.0
    assert (row["channel"], row["first_channel"], row["attempts"]) == (
        "bilateral_mlat",
        "bilateral_mlat",
        1,
    )
    assert stage_days(row) == MLAT_DAYS
    assert stage_days(row, "wait") == {}


def test_a_refusal_falls_back_to_the_next_channel(data: WorldData) -> None:
    """Refused for insufficient grounds after the Protocol's review (day 6), it goes formal.

    The MLAT attempt starts that day and ends 37 days later, on day 43; the stages of both
    attempts are counted, and the first channel stays on record.
    """
    model = small_model(data, {"channels": {"sp_expedited_production": {"p_refuse_grounds": 1.0}}})
    send(model, ("sp_expedited_production", "bilateral_mlat"))
    row = only_row(finish(model))
    assert (row["outcome"], row["reason"]) == ("fulfilled", "")
    assert row["time_to_outcome_days"] == 6.0 + 37.0
    assert (row["channel"], row["first_channel"], row["attempts"]) == (
        "bilateral_mlat",
        "sp_expedited_production",
        2,
    )
    assert stage_days(row) == {
        **MLAT_DAYS,
        "drafting": 10.0 + 1.0,
        "transmission": 3.0 + 2.0,
        "legal_review": 4.0 + 3.0,
    }


def test_a_timeout_falls_back_to_the_next_channel(data: WorldData) -> None:
    """Past its 2-day deadline after transmission (day 3), the Protocol attempt is given up.

    The request goes on to the MLAT at once, which answers 37 days later, on day 40.
    """
    model = small_model(data, {"channels": {"sp_expedited_production": {"timeout_days": 2.0}}})
    send(model, ("sp_expedited_production", "bilateral_mlat"))
    row = only_row(finish(model))
    assert row["outcome"] == "fulfilled"
    assert row["time_to_outcome_days"] == 3.0 + 37.0
    assert row["attempts"] == 2
    assert stage_days(row) == {**MLAT_DAYS, "drafting": 11.0, "transmission": 5.0}


def test_a_providers_decline_falls_back_to_the_next_channel(data: WorldData) -> None:
    """A Second Protocol order the provider declines after execution (day 10) goes formal.

    Only a declined direct request is the investigators' choice to pursue; this one always
    falls back, and the MLAT answers 37 days later, on day 47.
    """
    model = small_model(
        data, {"channels": {"sp_expedited_production": {"p_provider_decline": 1.0}}}
    )
    send(model, ("sp_expedited_production", "bilateral_mlat"))
    row = only_row(finish(model))
    assert row["outcome"] == "fulfilled"
    assert row["time_to_outcome_days"] == 10.0 + 37.0
    assert stage_days(row)["execution"] == 4.0 + 6.0


def test_a_clarification_loop_returns_to_drafting_until_the_limit(data: WorldData) -> None:
    """Returned after each legal review (days 19 and 38), the request is given up on day 57.

    Each pass repeats drafting, outgoing review, transmission and legal review (19 days); the
    third return is one too many (``max_clarifications`` = 2) and no other channel is tried.
    """
    model = small_model(
        data,
        {"channels": {"bilateral_mlat": {"p_clarify": 1.0, "max_clarifications": 2}}},
    )
    send(model, ("bilateral_mlat", "sp_expedited_production"))
    row = only_row(finish(model))
    assert (row["outcome"], row["reason"]) == ("abandoned", "too_many_clarifications")
    assert row["time_to_outcome_days"] == 57.0
    assert (row["clarifications"], row["attempts"]) == (2, 1)
    assert stage_days(row) == {
        "drafting": 30.0,
        "outgoing_review": 6.0,
        "transmission": 9.0,
        "legal_review": 12.0,
    }


def test_evidence_is_lost_when_retention_runs_out_before_execution(data: WorldData) -> None:
    """Data kept to day 20 are gone when execution begins on day 24: lost on day 30.

    The execution is done (and counted) before the loss is known; the return transmission
    never happens, and no other channel is tried.
    """
    model = small_model(data)
    send(model, ("bilateral_mlat", "sp_expedited_production"), expiry=20.0)
    row = only_row(finish(model))
    assert (row["outcome"], row["reason"]) == ("lost", "retention_expired")
    assert row["time_to_outcome_days"] == 30.0
    assert row["attempts"] == 1
    assert stage_days(row) == {k: v for k, v in MLAT_DAYS.items() if k != "return_transmission"}


def test_preserved_data_are_kept_pending_the_decision(data: WorldData) -> None:
    """Preserved on day 1 to day 181, the data are still there when execution begins on day 220.

    The data would expire on day 20, well within the MLAT's nominal time, so the request asks
    for preservation first (a day); its legal review starts on day 16, while the preservation
    holds, so the data are kept until the decision (Budapest Art. 29(7)). The domestic order
    takes 200 days here, and the evidence arrives on day 233.
    """
    model = small_model(
        data,
        {
            "preservation": {
                "enabled": True,
                "p_success": 1.0,
                "time": {"distribution": "fixed", "value": 1.0},
            },
            "channels": {"bilateral_mlat": {"stages": fixed({"domestic_order": 200.0})}},
        },
    )
    send(model, ("bilateral_mlat",), expiry=20.0)
    row = only_row(finish(model))
    assert row["preserved"]
    assert row["preservation"] == "budapest"
    assert row["outcome"] == "fulfilled"
    assert row["time_to_outcome_days"] == 1.0 + 37.0 - 5.0 + 200.0
    assert row["execution_days"] == 6.0


def preserved_once(
    data: WorldData, domestic_order: float, renewals: int, until_decision: bool = False
) -> pd.Series:
    """A GBR request to the USA whose data would go on day 20, preserved on day 1.

    The Budapest path holds them 30 days, renewed 30 days at a time ``renewals`` times, and
    (unless ``until_decision``) not until the decision; execution begins on day 20 +
    ``domestic_order``.
    """
    path = {
        "hold_days": 30.0,
        "renewal_days": 30.0,
        "renewals": renewals,
        "until_decision": until_decision,
    }
    model = small_model(
        data,
        {
            "preservation": {
                "enabled": True,
                "p_success": 1.0,
                "time": {"distribution": "fixed", "value": 1.0},
                "paths": {"budapest": path},
            },
            "channels": {"bilateral_mlat": {"stages": fixed({"domestic_order": domestic_order})}},
        },
    )
    send(model, ("bilateral_mlat",), expiry=20.0)
    return only_row(finish(model))


@pytest.mark.parametrize(
    ("domestic_order", "renewals", "outcome"),
    [
        (5.0, 0, "fulfilled"),  # execution on day 25: within the first hold (to day 31)
        (30.0, 0, "lost"),  # day 50: the hold ran out on day 31, no renewal allowed
        (30.0, 1, "fulfilled"),  # day 50: renewed once, held to day 61
        (50.0, 1, "lost"),  # day 70: past the one renewal allowed
        (50.0, 2, "fulfilled"),  # day 70: renewed twice, held to day 91
    ],
)
def test_renewals_keep_preserved_data_while_pending_up_to_the_allowed_number(
    data: WorldData, domestic_order: float, renewals: int, outcome: str
) -> None:
    """A hold about to run out while the formal request waits is renewed, up to the path's limit.

    A loss after preservation is put down to the hold running out.
    """
    row = preserved_once(data, domestic_order, renewals)
    assert row["preserved"]
    assert row["outcome"] == outcome
    assert row["loss_driver"] == ("hold_expired" if outcome == "lost" else "")


def test_article_29_7_holds_until_the_decision_beyond_any_renewal(data: WorldData) -> None:
    """With ``until_decision`` the data reaching the requested state in time are kept for good.

    Execution on day 120, far past the hold and its renewal (day 61): fulfilled, where the
    same path without it loses the data.
    """
    assert preserved_once(data, 100.0, 1, until_decision=True)["outcome"] == "fulfilled"
    assert preserved_once(data, 100.0, 1, until_decision=False)["outcome"] == "lost"


def test_pending_requests_are_censored_at_the_end_of_the_run(data: WorldData) -> None:
    """At the horizon (day 30) two requests are still at GBR's one-officer central authority.

    Both were drafted in 10 days; the outgoing review takes 40 here, so the first has been
    reviewed for 20 days and the second has waited those 20 days behind it. Both are recorded
    as pending on day 30, their stage times stopping there.
    """
    model = small_model(
        data,
        {"channels": {"bilateral_mlat": {"stages": fixed({"outgoing_review": 40.0}, CENTRAL)}}},
        days=30,
    )
    send(model, ("bilateral_mlat",), request_id=0)
    send(model, ("bilateral_mlat",), request_id=1)
    frame = finish(model)
    assert frame["outcome"].astype(str).tolist() == ["pending", "pending"]
    assert frame["time_to_outcome_days"].tolist() == [30.0, 30.0]
    assert frame["reason"].astype(str).tolist() == ["", ""]
    first, second = (r for _, r in frame.iterrows())
    assert stage_days(first) == {"drafting": 10.0, "outgoing_review": 20.0}
    assert stage_days(first, "wait") == {}
    assert stage_days(second) == {"drafting": 10.0, "outgoing_review": 20.0}
    assert stage_days(second, "wait") == {"outgoing_review": 20.0}
