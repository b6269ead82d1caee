"""Helpers of the tests that run ``sim.engine.model`` on small worlds (``test_model*.py``).

Each of those tests runs one replication of a few real states over one or two years, with the
settings chosen so that the behaviour under test is the only thing that can happen (for
example every refusal probability at zero and a single open channel), and checks the request
records.
"""

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from sim.config.loading import default_settings, merge, validate_settings
from sim.config.schema import Scenario
from sim.engine.model import CooperationModel
from sim.vocabulary import CHANNELS, DATA_TYPES
from sim.world.build import build_world
from sim.world.data import WorldData

QUIET_CHANNEL = {
    "p_clarify": 0.0,
    "p_refuse_grounds": 0.0,
    "p_refuse_dual_criminality": 0.0,
    "p_refuse_data_protection": 0.0,
    "p_provider_decline": 0.0,
    "timeout_days": 100_000.0,
}
HUGE = 1_000_000.0


def pursue_all() -> dict[str, Any]:
    """Settings under which every evidence need is pursued and every decline escalated.

    The pursuit rule (``sim.rules.pursuit``) gives 1 when the value is clipped at 1 and the
    patience is fixed (no spread) far beyond any channel's expected delay.
    """
    crime_types = default_settings()["crime_types"]
    return {
        "routing": {"pursuit_scale": HUGE},
        "crime_types": {
            name: {"patience_days": HUGE, "patience_sigma": 0.0} for name in crime_types
        },
    }


def make_scenario(
    codes: list[str], *changes: dict[str, Any], days: int = 730, drain: int = 180
) -> Scenario:
    """The defaults over ``codes`` for ``days`` days, with each of ``changes`` laid over them.

    Every state opens 200 cases a year and pursues every formal need unless a change says
    otherwise, so that the tests do not depend on the calibration of parameters.csv. The
    emergency path is off unless a change enables it (``tests/test_emergency.py`` does), so
    that urgent cases in danger do not start on it in tests of the other channels.
    """
    settings = merge(
        default_settings(),
        {
            "world": {"states": codes},
            "simulation": {"warm_up_days": 0, "drain_days": drain, "replications": 1},
            "states": {code: {"cases_per_year": 200.0} for code in codes},
            "channels": {"emergency_disclosure": {"enabled": False}},
        },
    )
    settings = merge(settings, pursue_all())
    start = settings["simulation"]["start"]
    settings["simulation"]["end"] = start + dt.timedelta(days=days)
    for change in changes:
        settings = merge(settings, change)
    return validate_settings(settings)


def only(*names: str) -> dict[str, Any]:
    """Enable only the named channels."""
    return {"channels": {name: {"enabled": name in names} for name in CHANNELS}}


def quiet() -> dict[str, Any]:
    """No refusals, clarifications, declines or timeouts on any channel or domestic order.

    Providers are off (``world.providers``): every holder is its state's domestic provider,
    declining direct requests at the channel's ``p_provider_decline`` only.
    """
    return {
        "world": {"providers": False},
        "channels": {name: dict(QUIET_CHANNEL) for name in CHANNELS},
        "evidentiary_standards": {
            name: {"p_refuse_content": 0.0}
            for name in ("probable_cause", "reasonable_grounds", "relevance")
        },
    }


def state_settings(codes: list[str], **fields: Any) -> dict[str, Any]:
    """The same per-state overrides for each of ``codes``.

    ``retention_days`` (a state's statutory traffic-data period) also sets the ``[retention]``
    period of every data type, so that a test's data are kept that long whatever type a need
    wants.
    """
    change: dict[str, Any] = {"states": {code: dict(fields) for code in codes}}
    if "retention_days" in fields:
        days = fields["retention_days"]
        change["retention"] = {f"{name}_days": days for name in DATA_TYPES}
    return change


def run_model(
    data: WorldData, scenario: Scenario, replication: int = 0
) -> tuple[CooperationModel, pd.DataFrame]:
    """Run one replication to its horizon and return the closed model and its request frame."""
    model = CooperationModel(scenario, build_world(data, scenario), replication)
    while not model.finished:
        model.step()
    model.close()
    return model, model.log.to_frame(replication)


def finished(frame: pd.DataFrame) -> pd.DataFrame:
    """The requests that reached an outcome before the horizon."""
    return frame[frame["outcome"] != "pending"]


def load_tool(name: str) -> ModuleType:
    """The script ``tools/<name>.py`` as a module (tools/ is a folder of scripts, not a package)."""
    path = Path(__file__).resolve().parents[1] / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
