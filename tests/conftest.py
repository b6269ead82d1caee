"""Shared fixtures: a tiny scenario that runs in well under a second per replication."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

TINY_STATES = ["GBR", "USA", "DEU", "IRL", "FRA"]


def tiny_scenario_text(
    *, seed: int = 11, replications: int = 2, extra: str = "", scale: float = 0.05
) -> str:
    """TOML of a small five-state world simulated for one year at 5% of the usual demand.

    Args:
        seed: The scenario's seed.
        replications: The scenario's replications.
        extra: TOML appended at the end (must not repeat the tables written here).
        scale: The demand scale (5% of the usual demand unless given).
    """
    states = ", ".join(f'"{code}"' for code in TINY_STATES)
    return (
        "[simulation]\n"
        "start = 2026-01-01\n"
        "end = 2027-01-01\n"
        "warm_up_days = 30\n"
        "drain_days = 60\n"
        f"replications = {replications}\n"
        f"seed = {seed}\n"
        "\n"
        "[world]\n"
        f"states = [{states}]\n"
        "\n"
        "[demand]\n"
        f"scale = {scale}\n"
        f"{extra}"
    )


ScenarioWriter = Callable[..., Path]


@pytest.fixture(scope="session")
def write_tiny() -> ScenarioWriter:
    """A function writing the tiny scenario as ``DIRECTORY/NAME.toml`` and returning its path.

    Call it as ``write_tiny(directory, name="tiny", seed=11, replications=2, extra="",
    scale=0.05)``.
    """

    def write(
        directory: Path,
        name: str = "tiny",
        *,
        seed: int = 11,
        replications: int = 2,
        extra: str = "",
        scale: float = 0.05,
    ) -> Path:
        path = Path(directory) / f"{name}.toml"
        path.write_text(
            tiny_scenario_text(seed=seed, replications=replications, extra=extra, scale=scale),
            encoding="utf-8",
        )
        return path

    return write


# Tests of mechanisms run on the uncalibrated defaults, so a refit cannot move them: the
# variable makes no calibration the default (of load_scenario, default_settings and every
# command without --calibration); a calibration given explicitly is used all the same. Set for
# the whole session (module- and session-scoped fixtures too) and inherited by workers.
os.environ["MLATSIM_UNCALIBRATED"] = "1"


@pytest.fixture(autouse=True)
def _calibrated(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests marked ``calibrated`` (the calibration's own) default to the packaged fit."""
    if request.node.get_closest_marker("calibrated") is not None:
        monkeypatch.delenv("MLATSIM_UNCALIBRATED", raising=False)
