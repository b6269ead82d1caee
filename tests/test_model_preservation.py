"""24/7 preservation (``sim.rules.preservation`` and the attempt's rules) in runs of the model.

Preserving data before a slow formal request saves evidence from expiry, but only when both
states have a 24/7 point of contact.
"""

import pandas as pd
import pytest
from model_runs import (
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


def test_preservation_needs_a_contact_or_a_willing_provider(data: WorldData) -> None:
    """Ireland has no 24/7 contact: only US providers, which accept foreign requests, preserve.

    Data held in Ireland are never preserved (no network path, Irish providers are not taken
    to accept foreign requests), so their requests meet the same fate with preservation on or
    off; data held in the USA are preserved straight by the providers (18 U.S.C. 2703(f)).
    """
    without, with_ = preservation_runs(data, ["IRL", "USA"])
    to_ireland = with_["requested"] == "IRL"
    assert not with_.loc[to_ireland, "preserved"].any()
    assert (without.loc[to_ireland, "outcome"] == "lost").sum() > 0
    rows = to_ireland.to_numpy()
    pd.testing.assert_frame_equal(
        without[rows].drop(columns="loss_driver").reset_index(drop=True),
        with_[rows].drop(columns="loss_driver").reset_index(drop=True),
    )
    # Only the driver of their losses differs: not asked when off, no path open when on.
    lost = with_["outcome"] == "lost"
    assert set(without.loc[rows & lost, "loss_driver"].astype(str)) == {"not_asked"}
    assert set(with_.loc[rows & lost, "loss_driver"].astype(str)) == {"no_preservation_open"}
    to_usa = with_.loc[~to_ireland]
    assert set(to_usa.loc[to_usa["preserved"], "preservation"].astype(str)) == {"provider"}
    assert to_usa["preserved"].mean() > 0.8
