"""Tests of ``sim.rules.agreements``: the scope of orders under CLOUD Act executive agreements.

Each rule is the agreement's (UK-US Agreement on Access to Electronic Data for the Purpose of
Countering Serious Crime, 2019) or the statute's (18 U.S.C. 2523); the docstrings say which.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.config.loading import load_scenario, packaged_calibration, with_changes
from sim.config.schema import CloudActOrders, CrimeType, Scenario
from sim.engine.replication import run_replication
from sim.engine.streams import Stream
from sim.errors import ScenarioError
from sim.rules import levers
from sim.rules.agreements import CLOUD_ACT, AgreementScope
from sim.world.build import build_world
from sim.world.data import load_world_data

TEACHING = Path(__file__).resolve().parent.parent / "scenarios" / "teaching.toml"
ROUTES = ("direct_provider", CLOUD_ACT, "bilateral_mlat")
U = np.linspace(0.0005, 0.9995, 1000)
"""Evenly spread uniforms: the share of them that keep the channel is its chance."""


def _crime(serious: float) -> CrimeType:
    scenario = load_scenario(TEACHING)
    crime = next(iter(scenario.crime_types.values()))
    return crime.model_copy(update={"serious_crime_share": serious})


def _scope(
    serious: float = 1.0,
    other_party_person: float = 0.0,
    uptake: float = 1.0,
    by_state: dict[str, float] | None = None,
    states: tuple[str, ...] = ("GBR", "USA"),
) -> AgreementScope:
    orders = CloudActOrders(
        other_party_person=other_party_person, uptake=uptake, uptake_by_state=by_state or {}
    )
    return AgreementScope.from_settings(orders, [_crime(serious)], states)


def _kept(scope: AgreementScope, requesting: int = 0) -> float:
    """The share of needs that keep the agreement's channel."""
    return float(np.mean([CLOUD_ACT in scope.narrow(ROUTES, requesting, 0, u) for u in U]))


def test_serious_crime_only() -> None:
    """Art. 1(14) and 4(1): orders only for a Serious Crime (three years' maximum or more).

    A crime type none of whose cases reach the threshold never uses the agreement; one whose
    cases all do keeps it; half of them, half the time.
    """
    assert _kept(_scope(serious=0.0)) == 0.0
    assert _kept(_scope(serious=1.0)) == 1.0
    assert _kept(_scope(serious=0.5)) == pytest.approx(0.5, abs=0.002)


def test_orders_may_not_target_the_other_partys_persons() -> None:
    """Art. 4(3)-(4), 18 U.S.C. 2523(b)(4)(A)-(B): no order may target the other party's persons.

    Nor a person in its territory: the share of targets who are is the share of needs that lose
    the channel.
    """
    assert _kept(_scope(other_party_person=1.0)) == 0.0
    assert _kept(_scope(other_party_person=0.25)) == pytest.approx(0.75, abs=0.002)


def test_uptake_is_the_issuing_states() -> None:
    """Each issuing state applies for orders at its own rate; a state not named, the default.

    (The UK's published use of the agreement for stored data is far below the US's.)
    """
    scope = _scope(uptake=0.1, by_state={"USA": 0.8}, states=("GBR", "USA", "AUS"))
    assert _kept(scope, requesting=0) == pytest.approx(0.1, abs=0.002)
    assert _kept(scope, requesting=1) == pytest.approx(0.8, abs=0.002)
    assert _kept(scope, requesting=2) == pytest.approx(0.1, abs=0.002)


def test_out_of_scope_leaves_the_other_channels_in_order() -> None:
    """A need out of scope goes by the next open channels, in the router's order.

    Routes that do not include the agreement are returned unchanged whatever the draw.
    """
    scope = _scope(serious=0.0)
    assert scope.narrow(ROUTES, 0, 0, 0.5) == ("direct_provider", "bilateral_mlat")
    others = ("eio", "bilateral_mlat")
    assert scope.narrow(others, 0, 0, 0.999) is others


def test_unknown_issuing_state_is_refused() -> None:
    """A scenario naming an issuing state the world data lack is an error naming the field."""
    scenario = load_scenario(TEACHING)
    bad = with_changes(scenario, {"cloud_act_orders": {"uptake_by_state": {"XYZ": 0.5}}})
    with pytest.raises(ScenarioError, match=r"cloud_act_orders\.uptake_by_state\.XYZ"):
        build_world(load_world_data(), bad)


def _teaching(uptake: float) -> Scenario:
    """The teaching world with every issuing state's uptake ``uptake`` and no target excluded."""
    scenario = load_scenario(TEACHING, packaged_calibration())
    orders = {
        "uptake": uptake,
        "uptake_by_state": dict.fromkeys(("GBR", "USA"), uptake),
        "other_party_person": 0.0,
    }
    changes = {"simulation": {"replications": 1}, "cloud_act_orders": orders}
    return with_changes(scenario, changes)


@pytest.mark.calibrated
def test_scope_draw_is_the_needs_own() -> None:
    """Whether a need may use the agreement is the need's own draw (common random numbers).

    Closing the agreement's scope entirely changes only the requests of its parties: a pair
    that shares no queue with them (Germany to France) has the same requests, row by row.
    """
    wide = run_replication(_teaching(1.0), 0)[0]
    shut = run_replication(_teaching(0.0), 0)[0]
    numbered = ["request_id", "case_id"]  # numbered in event order, so they shift
    wide, shut = wide.drop(columns=numbered), shut.drop(columns=numbered)
    agreement = wide["channel"] == CLOUD_ACT
    assert agreement.sum() > 100
    assert (shut["channel"] == CLOUD_ACT).sum() == 0

    def pair(frame):
        keep = (frame["requesting"] == "DEU") & (frame["requested"] == "FRA")
        return frame[keep].reset_index(drop=True)

    assert len(pair(wide)) > 100
    assert pair(wide).equals(pair(shut))


def test_a_new_agreement_may_bring_its_own_uptake() -> None:
    """A ``new_agreement`` lever of kind cloud_act gives its targeted states its ``uptake``.

    Its partners keep theirs, and a lever of another kind may not carry one (a clear error).
    """
    scenario = load_scenario(TEACHING)
    lever = {
        "lever": "new_agreement",
        "kind": "cloud_act",
        "states": ["DEU"],
        "partners": ["USA"],
        "uptake": 0.6,
    }
    reformed = with_changes(scenario, {"levers": [lever]})
    world = build_world(load_world_data(), reformed)
    active = levers.resolve(reformed, world.states, world.calendar.fork(), Stream(1))
    assert levers.Policy(active).agreement_uptake() == {"DEU": 0.6}
    with pytest.raises(ScenarioError, match=r"levers\[0\]\.uptake: only for kind"):
        with_changes(scenario, {"levers": [{**lever, "kind": "mlat"}]})
