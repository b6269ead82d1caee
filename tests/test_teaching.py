"""The teaching world (scenarios/teaching.toml): it validates, runs, and uses every channel.

Run on the packaged calibration (marker ``calibrated``), as the dashboard and the docs run it:
its staff table is sized for that calibration's stage times (tools/teaching_staff.py).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sim.config.loading import load_scenario, packaged_calibration
from sim.engine.replication import run_replication
from sim.vocabulary import CHANNELS

pytestmark = pytest.mark.calibrated

TEACHING = Path(__file__).resolve().parent.parent / "scenarios" / "teaching.toml"
SECOND_PROTOCOL = {
    "sp_domain_registration",
    "sp_subscriber_order",
    "sp_expedited_production",
    "sp_emergency_disclosure",
    "sp_emergency_mla",
}
CLOSED_TODAY = {*SECOND_PROTOCOL, "un_convention_mla", "budapest_mla"}
"""Channels that no request of today's regime takes, in the full world too (docs/model.md
7.3: two treaties not in force, the Second Protocol with its five channels among them, and
Budapest Art. 27 displaced by UNTOC); the dashboard's ``in_force`` and ``join`` reforms open
them."""


def test_teaching_world_validates_with_its_own_staff() -> None:
    """17 states at a fraction of their cases, each authority staffed in the file itself."""
    scenario = load_scenario(TEACHING, packaged_calibration())
    states = set(scenario.world.states)
    assert len(states) == 17
    assert 0 < scenario.demand.scale < 0.1
    assert scenario.levers == []
    raw = tomllib.loads(TEACHING.read_text(encoding="utf-8"))
    assert set(raw["states"]) == states  # every authority sized by tools/teaching_staff.py
    packaged = packaged_calibration().staff
    for code in states:
        own = scenario.states[code]
        assert own.ca_staff is not None and own.ca_staff <= packaged[code]["ca_staff"]
        # The all-crime workload scales with demand (to the rounding of the file's one decimal).
        expected = packaged[code]["other_matters_per_year"] * scenario.demand.scale
        assert own.other_matters_per_year == pytest.approx(expected, abs=0.051)


def test_teaching_world_uses_every_channel_open_today() -> None:
    """One replication uses every channel that today's regime opens, and 'none' for RUS-UKR."""
    scenario = load_scenario(TEACHING, packaged_calibration())
    requests = run_replication(scenario, 0)[0]
    used = set(requests["channel"][requests["channel"] != "none"].astype(str))
    assert used == set(CHANNELS) - CLOSED_TODAY
    suspended = requests[requests["channel"] == "none"]
    pairs = set(
        zip(suspended["requesting"].astype(str), suspended["requested"].astype(str), strict=True)
    )
    assert pairs <= {("RUS", "UKR"), ("UKR", "RUS"), ("HKG", "USA"), ("USA", "HKG")}
    assert len(requests) > 20_000
