"""EU production orders against a third country's law (Regulation (EU) 2023/1543 Art. 17).

A provider whose home law bars it from disclosing content to a foreign authority (the US
Stored Communications Act, 18 U.S.C. 2702(a)) objects to a European Production Order for
content; the issuing authority reviews it and its court lifts or upholds it (docs/model.md
7.9). Each test's docstring states the rule it checks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.config.loading import load_scenario, packaged_calibration, with_changes
from sim.engine.replication import run_replication
from sim.rules.attempts import order_lifted

TEACHING = Path(__file__).resolve().parent.parent / "scenarios" / "teaching.toml"
EU = ("DEU", "FRA", "NLD", "POL", "IRL")


def test_court_lifts_at_its_rate() -> None:
    """Art. 17(7): the court lifts an order it finds in conflict with the chance given."""
    assert order_lifted(0.2, 0.5)
    assert not order_lifted(0.7, 0.5)
    assert not order_lifted(0.0, 0.0)


def _run(**law: object) -> pd.DataFrame:
    scenario = load_scenario(TEACHING, packaged_calibration())
    changes = {"simulation": {"replications": 1}, "conflicting_law": law}
    requests = run_replication(with_changes(scenario, changes), 0)[0]
    return requests[requests["first_channel"] == "e_evidence"]


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    """The teaching world's EU production orders, under the packaged rules."""
    return _run()


@pytest.mark.calibrated
def test_only_content_held_under_a_bar_meets_an_objection(orders: pd.DataFrame) -> None:
    """18 U.S.C. 2702(a) bars content only, so only content orders to US providers meet one.

    Orders to US providers for subscriber or traffic data, and orders to providers in the
    Union, meet no objection.
    """
    lifted = orders["reason"] == "conflicting_law"
    assert lifted.sum() > 50
    hit = orders[lifted]
    assert set(hit["requested"].astype(str)) == {"USA"}
    assert set(hit["data_type"].astype(str)) == {"content"}
    assert set(hit["requesting"].astype(str)) <= set(EU)


@pytest.mark.calibrated
def test_upheld_orders_are_answered_later(orders: pd.DataFrame) -> None:
    """Art. 17(3)-(6): an upheld order is answered, after the objection and review.

    With no court lifting any order, US content orders are all reviewed and their time to
    evidence grows by about ``objection_days``; with no bar, they are answered as any other.
    """
    never = _run(p_order_lifted=0.0)
    assert (never["reason"] == "conflicting_law").sum() == 0
    unbarred = _run(content_bar=[])

    def mean_days(frame: pd.DataFrame) -> float:
        keep = (
            (frame["requested"] == "USA")
            & (frame["data_type"] == "content")
            & (frame["channel"] == "e_evidence")
            & (frame["outcome"] == "fulfilled")
        )
        return float(frame.loc[keep, "time_to_outcome_days"].mean())

    added = mean_days(never) - mean_days(unbarred)
    assert 20.0 < added < 40.0  # objection_days = 30 in the defaults


@pytest.mark.calibrated
def test_a_lifted_order_falls_back(orders: pd.DataFrame) -> None:
    """A lifted order is a refusal: the request may go on by its next channel (formal MLA)."""
    lifted = orders[orders["reason"] == "conflicting_law"]
    assert (lifted["channel"] == "e_evidence").all()  # the refusal is the order's own
    later = orders[(orders["channel"] != "e_evidence") & (orders["requested"] == "USA")]
    assert len(later) > 0
