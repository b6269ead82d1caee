"""Tests of ``sim.analysis.needs``: the share of evidence needs met, of needs and of cases.

Unpursued needs count as needs not met; the case shares (all, some, none) add up to 1; the
request-level share is fulfilled rows over rows plus unpursued needs; unpursued counts per
channel add up to the total; needs created in the warm-up are left out.
"""

import pandas as pd
import pytest

from sim.analysis.needs import needs_summary, replication_needs, unpursued_counts


def _requests() -> pd.DataFrame:
    # Case 0: two needs, both fulfilled; case 1: one fulfilled, one refused; case 2: one
    # pending (plus an unpursued need below); case 9: created in the warm-up.
    return pd.DataFrame(
        {
            "replication": [0, 0, 0, 0, 0, 0],
            "case_id": [0, 0, 1, 1, 2, 9],
            "outcome": ["fulfilled", "fulfilled", "fulfilled", "refused", "pending", "fulfilled"],
            "created_day": [10.0, 10.0, 11.0, 11.0, 12.0, 1.0],
        }
    )


def _unpursued() -> pd.DataFrame:
    # Case 2's second need, case 3 (no request at all), and one need of the warm-up.
    return pd.DataFrame(
        {
            "replication": [0, 0, 0],
            "case_id": [2, 3, 8],
            "requesting": pd.Categorical(["DEU", "DEU", "GBR"]),
            "channel": pd.Categorical(["bilateral_mlat", "letters_rogatory", "budapest_mla"]),
            "created_day": [12.0, 13.0, 2.0],
        }
    )


def test_shares_of_needs_and_cases() -> None:
    """Three of seven needs met; of four cases one got all, one some, two none."""
    table = replication_needs(_requests(), _unpursued(), warm_up_days=5.0)
    row = table.iloc[0]
    assert (row["needs"], row["requests"], row["unpursued"], row["fulfilled"]) == (7, 5, 2, 3)
    assert row["share_met"] == pytest.approx(3 / (5 + 2))
    assert row["share_pursued"] == pytest.approx(5 / 7)
    assert row["cases"] == 4
    assert (row["cases_all"], row["cases_some"], row["cases_none"]) == (0.25, 0.25, 0.5)
    assert row["cases_all"] + row["cases_some"] + row["cases_none"] == pytest.approx(1.0)


def test_unpursued_counts_per_channel_sum_to_the_total() -> None:
    """Per channel every channel is listed, and the counts add up to the unpursued needs."""
    by_channel = unpursued_counts(_unpursued(), 5.0, "channel")
    assert sum(by_channel.values()) == 2
    assert by_channel["bilateral_mlat"] == 1 and by_channel["none"] == 0
    assert unpursued_counts(_unpursued(), 5.0, "requesting") == {"DEU": 2.0}


def test_summary_section_without_unpursued_needs() -> None:
    """A run that pursued every need: its share met is its fulfilled share of requests."""
    section = needs_summary(_requests(), pd.DataFrame(), warm_up_days=5.0)
    assert section["share_met"]["estimate"] == pytest.approx(3 / 5)
    assert section["unpursued"] == 0.0
    assert set(section["unpursued_by_channel"].values()) == {0.0}
