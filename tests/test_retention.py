"""Tests of ``sim.rules.retention``: how long a holder's providers keep each data type.

The periods by data type come from the scenario's ``[retention]``; a holder state's statutory
period (``retention_days``) replaces the traffic-data one only. A model run shows that the
period of the need's own data type sets its expiry.
"""

from typing import Any

import pytest
from model_runs import make_scenario, only, quiet, run_model, state_settings

from sim.config.loading import default_settings, validate_settings
from sim.rules.retention import retention_periods
from sim.world.data import WorldData, load_world_data


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def test_periods_by_data_type_and_statute() -> None:
    """Without a statute each type has its default; a statute sets the traffic period only."""
    scenario = validate_settings(default_settings())
    defaults = scenario.retention
    plain = scenario.state_defaults
    assert retention_periods(plain, defaults) == (
        defaults.subscriber_days,
        defaults.traffic_days,
        defaults.content_days,
    )
    statute = plain.model_copy(update={"retention_days": 70.0})
    assert retention_periods(statute, defaults) == (
        defaults.subscriber_days,
        70.0,
        defaults.content_days,
    )


def test_the_need_s_data_type_sets_its_expiry(data: WorldData) -> None:
    """Traffic data kept 5 days are lost on a slow channel; subscriber data kept for ever are not.

    Both types are wanted equally by every crime; the MLAT takes months and nothing is
    preserved, so exactly the traffic requests are lost: in the UK by its (test) statute, in
    the USA by the ``[retention]`` traffic period.
    """
    codes = ["GBR", "USA"]
    crimes: dict[str, Any] = {
        name: {"subscriber": 1.0, "traffic": 1.0, "content": 0.0}
        for name in ("ransomware", "online_fraud", "csam", "intrusion", "ddos_extortion")
    }
    scenario = make_scenario(
        codes,
        only("bilateral_mlat"),
        quiet(),
        {"preservation": {"enabled": False}, "crime_types": crimes},
        state_settings(codes, cases_per_year=100.0),
        {"states": {"GBR": {"retention_days": 5.0}}},  # a statute (the USA has none)
        {"retention": {"subscriber_days": 1e6, "traffic_days": 5.0, "content_days": 1e6}},
    )
    _, frame = run_model(data, scenario)
    done = frame[frame["outcome"] != "pending"]
    lost = done["outcome"] == "lost"
    assert set(done.loc[lost, "data_type"].astype(str)) == {"traffic"}
    assert (done.loc[done["data_type"] == "traffic", "outcome"] == "lost").all()
    assert set(done.loc[lost, "loss_driver"].astype(str)) <= {"gone_at_request", "not_asked"}
