"""The pure parts of ``tools/reform_signs.py``: laying levers, the reform list, the flip rule.

No simulation runs here: the tool's runs take minutes (docs/sensitivity.md); these check,
on tiny inputs, the rules that decide what is run and what counts as a sign flip.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from model_runs import load_tool

tool = load_tool("reform_signs")
START = dt.date(2027, 1, 1)


def test_lay_levers_keeps_the_world_and_records_what_it_drops() -> None:
    """States and partners outside the world go; a lever with a group falls back on it."""
    levers = [
        {"lever": "ca_staffing", "strength": 1.0, "states": ["USA", "CAN"], "start": START},
        {"lever": "join", "instrument": "budapest", "group": "signatories:budapest",
         "states": ["KEN", "PNG"], "start": START},
        {"lever": "new_agreement", "kind": "cloud_act", "group": "eu", "states": ["CAN"],
         "partners": ["USA", "ARG"], "start": START},
        {"lever": "in_force", "instrument": "un_cybercrime", "strength": 1.0, "start": START},
    ]  # fmt: skip
    laid = tool.lay_levers(levers, {"USA", "GBR"})
    assert laid.levers[0]["states"] == ["USA"]
    assert "states" not in laid.levers[1] and laid.levers[1]["group"] == "signatories:budapest"
    assert laid.levers[2]["partners"] == ["USA"] and "states" not in laid.levers[2]
    assert laid.levers[3] == levers[3]
    assert laid.dropped_levers == []
    assert set(laid.dropped_codes) == {"CAN", "KEN", "PNG", "ARG"}
    assert levers[0]["states"] == ["USA", "CAN"]  # the input is not changed


def test_a_lever_with_nobody_left_is_dropped_and_said() -> None:
    """A lever whose states all fall outside and that has no group cannot be laid."""
    levers = [{"lever": "ca_staffing", "strength": 1.0, "states": ["CAN"], "start": START}]
    laid = tool.lay_levers(levers, {"USA"})
    assert laid.levers == []
    assert laid.dropped_levers == ["ca_staffing"]
    assert "CAN" in laid.note and "ca_staffing" in laid.note


def test_library_reforms_are_derived_from_the_files() -> None:
    """Every single reform is listed; the package, regime, teaching and validation are not."""
    reforms, skipped = tool.library_reforms()
    assert {"electronic_mla", "central_authority_staffing", "preservation_24_7"} <= set(reforms)
    assert set(skipped) == {
        "all_reforms", "baseline", "teaching", "teaching_staffing_high",
        "teaching_staffing_low", "validation_queueing",
    }  # fmt: skip
    assert "combination" in skipped["all_reforms"]
    assert not set(reforms) & set(skipped)


def test_noise_band_is_twice_the_sd_of_one_effect() -> None:
    """Differences of two independent noises of sd s have mean square 2 s^2."""
    assert tool.noise_band([2.0, -2.0]) == pytest.approx(2.0 * math.sqrt(2.0))
    assert tool.noise_band([0.0, 0.0]) == 0.0
    assert math.isnan(tool.noise_band([]))


def test_flip_needs_both_signs_beyond_the_band() -> None:
    """Effects on both sides within the band are noise; beyond it on both sides, a flip."""
    within = tool.flip_summary([-0.5, 0.5, -0.2], band=1.0, better=-1)
    assert within["mixed"] and not within["flips"]
    assert within["beneficial"] == pytest.approx(2 / 3) and within["beneficial_beyond"] == 0.0
    assert within["harmful_beyond"] == 0.0
    flips = tool.flip_summary([-3.0, 2.0, 0.1], band=1.0, better=-1)
    assert flips["flips"]
    assert flips["beneficial_beyond"] == pytest.approx(1 / 3)
    assert flips["harmful_beyond"] == pytest.approx(1 / 3)
    assert (flips["min"], flips["median"], flips["max"]) == (-3.0, 0.1, 2.0)
    rises = tool.flip_summary([0.2, 0.3, 0.0, math.nan], band=0.1, better=+1)
    assert rises["n"] == 3 and rises["beneficial"] == pytest.approx(2 / 3)
    assert not rises["mixed"] and not rises["flips"]


def test_latin_hypercube_is_seeded_and_in_range() -> None:
    """The same seed gives the same points, each in its range, one per stratum."""
    ranges = {"a": (0.0, 1.0), "b": (10.0, 20.0)}
    points = tool.latin_hypercube(ranges, 4, seed=1)
    assert points == tool.latin_hypercube(ranges, 4, seed=1)
    assert points != tool.latin_hypercube(ranges, 4, seed=2)
    assert all(10.0 <= p["b"] <= 20.0 for p in points)
    assert sorted(int(p["a"] * 4) for p in points) == [0, 1, 2, 3]
