"""Tests of ``sim.analysis.loss``: loss shares by channel, data type and driver, and time two ways.

A hand-made table checks the arithmetic; a model run checks that the drivers a run records
add up to its lost requests.
"""

import numpy as np
import pandas as pd
import pytest
from model_runs import make_scenario, only, quiet, run_model, state_settings

from sim.analysis.loss import loss_summary
from sim.analysis.report import format_loss
from sim.world.data import WorldData, load_world_data


def table() -> pd.DataFrame:
    """Two replications of four requests: in each, one lost for a different driver."""
    rows = []
    for replication, driver in ((0, "hold_expired"), (1, "no_preservation_open")):
        rows += [
            (replication, "bilateral_mlat", "traffic", "lost", driver, 200.0),
            (replication, "bilateral_mlat", "subscriber", "fulfilled", "", 100.0),
            (replication, "direct_provider", "subscriber", "fulfilled", "", 10.0),
            (replication, "direct_provider", "traffic", "refused", "", 20.0),
        ]
    frame = pd.DataFrame(
        rows,
        columns=["replication", "channel", "data_type", "outcome", "loss_driver", "days"],
    )
    frame["created_day"] = 400.0
    frame["time_to_outcome_days"] = frame.pop("days")
    return frame


def test_shares_by_channel_data_type_and_driver() -> None:
    """A quarter of requests lost; half of the MLAT's, all on traffic; one driver a replication."""
    summary = loss_summary(table(), warm_up_days=365.0)
    overall = summary["overall"]
    assert overall["requests"] == 8 and overall["lost"] == 2
    assert overall["share_lost"]["estimate"] == 0.25
    assert overall["share_lost_by_channel"]["bilateral_mlat"]["estimate"] == 0.5
    assert overall["share_lost_by_channel"]["direct_provider"]["estimate"] == 0.0
    assert overall["share_lost_by_data_type"]["traffic"]["estimate"] == 0.5
    assert overall["share_lost_by_data_type"]["subscriber"]["estimate"] == 0.0
    drivers = overall["share_lost_by_driver"]
    assert drivers["hold_expired"]["estimate"] == drivers["no_preservation_open"]["estimate"]
    assert sum(d["estimate"] for d in drivers.values()) == pytest.approx(0.25)
    formal = summary["formal_mla"]
    assert formal["requests"] == 4 and formal["share_lost"]["estimate"] == 0.5


def test_the_loss_line_names_the_share_and_its_drivers_largest_first() -> None:
    """Half the formal requests lost, a quarter for each driver; no line for a driver of none."""
    line = format_loss(loss_summary(table(), warm_up_days=365.0))
    assert line.startswith("evidence lost: 50.0% of formal MLA requests (")
    assert "hold expired 25.0%" in line and "no preservation open 25.0%" in line
    assert "not asked" not in line


def test_time_to_evidence_two_ways() -> None:
    """Among fulfilled: mean 55 days; with losses as never fulfilled, half by day 180."""
    times = loss_summary(table(), warm_up_days=365.0)["overall"]["time_to_evidence"]
    assert times["fulfilled_only_mean_days"]["estimate"] == 55.0
    assert times["fulfilled_only_median_days"]["estimate"] == 55.0
    assert times["lost_as_never_fulfilled_30d"]["estimate"] == 0.25
    assert times["lost_as_never_fulfilled_365d"]["estimate"] == 0.5


def test_warm_up_requests_are_left_out() -> None:
    """Requests created before the warm-up ends are not counted."""
    frame = table()
    frame.loc[frame["outcome"] == "lost", "created_day"] = 10.0
    assert loss_summary(frame, warm_up_days=365.0)["overall"]["lost"] == 0


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def test_drivers_of_a_run_add_up_to_its_lost_requests(data: WorldData) -> None:
    """Every lost request has exactly one driver, and no other request has one.

    Short retention on the MLAT between the UK, the USA and India (preservation by Art. 29,
    by US providers, or none open) gives losses of several drivers.
    """
    codes = ["GBR", "IND", "USA"]
    scenario = make_scenario(
        codes,
        only("bilateral_mlat", "letters_rogatory"),
        quiet(),
        state_settings(codes, retention_days=60.0),
    )
    _, frame = run_model(data, scenario)
    lost = frame["outcome"] == "lost"
    drivers = frame["loss_driver"].astype(str)
    assert lost.sum() > 0
    assert (drivers[lost] != "").all() and (drivers[~lost] == "").all()
    assert drivers[lost].nunique() >= 3
    summary = loss_summary(frame, warm_up_days=0.0)["overall"]
    shares = [d["estimate"] for d in summary["share_lost_by_driver"].values()]
    assert np.isclose(sum(shares), summary["share_lost"]["estimate"])
