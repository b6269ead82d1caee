"""Central-authority queues (``sim.engine.queues``) in runs of the model.

Urgent requests go first in a congested authority's queue.
"""

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

from sim.config.loading import validate_settings
from sim.world.data import WorldData, load_world_data


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


def test_urgent_requests_wait_less_at_a_congested_central_authority(data: WorldData) -> None:
    """Urgent requests go first in a busy central authority's queue.

    Two states with one officer each, loaded to about 80 %; only the queue discipline tells
    urgent from other requests (their urgent factor is 1), so the difference is priority's.
    """
    codes = ["DEU", "FRA"]
    zero = {"time": {"distribution": "fixed", "value": 0.0}, "servers": "unlimited"}
    at_ca = {"time": {"distribution": "exponential", "mean": 1.0}, "servers": "central_authority"}
    path = {
        "drafting": zero,
        "outgoing_review": at_ca,
        "transmission": zero,
        "legal_review": at_ca,
        "domestic_order": zero,
        "execution": zero,
        "return_transmission": zero,
    }
    scenario = make_scenario(
        codes,
        only("treaty_mla"),  # DEU-FRA: ETS 030 (Budapest Art. 27 gives way to it)
        quiet(),
        {
            "channels": {"treaty_mla": {"urgent_factor": 1.0, "stages": path}},
            "preservation": {"enabled": False},
            "demand": {"extra_holders_mean": 0.0},
        },
        state_settings(codes, ca_staff=1, cases_per_year=146.0, retention_days=HUGE),
        days=730,
        drain=30,
    )
    settings = scenario.model_dump()
    settings["crime_types"] = {
        "fraud": {
            "share": 1.0,
            "urgent_share": 0.3,
            "subscriber": 1.0,
            "traffic": 0.0,
            "content": 0.0,
            "dual_criminality_factor": 0.0,
            "budapest_offence": True,
            "seriousness": 1.0,
            "patience_days": HUGE,
            "patience_sigma": 0.0,
        }
    }
    _, frame = run_model(data, validate_settings(settings))
    done = finished(frame)
    wait = done["outgoing_review_wait_days"] + done["legal_review_wait_days"]
    urgent, normal = wait[done["urgent"]], wait[~done["urgent"]]
    assert len(urgent) > 100
    assert len(normal) > 300
    assert normal.mean() > 1.0  # the queue is congested
    assert urgent.mean() < 0.5 * normal.mean()
