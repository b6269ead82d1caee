"""Everything that makes a run's rows: the resolved scenario, the calibration, the world data.

A run's manifest records these inputs (the calibration's path and SHA-256 or ``"none"``, a
SHA-256 of every world data file read, the package version, how random numbers are
derived), and their digest, the run's
*key*, is what the result store (:mod:`sim.experiments.store`) finds a stored run by: two runs
with one key have the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.config.loading import Calibration, default_calibration, digest, scenario_digest
from sim.config.schema import Scenario
from sim.engine.streams import DERIVATION
from sim.world.data import world_data_files


def package_version() -> str | None:
    """The installed mlatsim's version, or None if it is not installed."""
    try:
        return metadata.version("mlatsim")
    except metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class RunInputs:
    """A run's inputs: the resolved scenario, its calibration and the world data folder.

    Attributes:
        scenario: The validated scenario, its calibration's values laid in already.
        calibration: The calibration the scenario was loaded with (recorded, hashed).
        world_dir: The world data folder; the packaged ``sim/data`` when None.
    """

    scenario: Scenario
    calibration: Calibration
    world_dir: Path | None = None

    @classmethod
    def of(cls, scenario: Scenario, calibration: Calibration | None = None) -> RunInputs:
        """Inputs of a scenario on the packaged world data (the default calibration if None)."""
        return cls(scenario, default_calibration() if calibration is None else calibration)

    @cached_property
    def world_files(self) -> dict[str, str]:
        """SHA-256 of every world data file a replication reads, by name."""
        return world_data_files(self.world_dir)

    def record(self) -> dict[str, Any]:
        """The inputs as a manifest records them, with their key."""
        return {
            "calibration": self.calibration.describe(),
            "world_data": {
                "directory": None if self.world_dir is None else str(self.world_dir),
                "files": dict(self.world_files),
            },
            "version": package_version(),
            "key": self.key,
        }

    @cached_property
    def key(self) -> str:
        """The run's identity: a SHA-256 of everything that makes its rows.

        That is the resolved scenario's digest, seed, replications, the calibration's digest,
        the world data files' digests, the package version and how random numbers are derived
        (:data:`sim.engine.streams.DERIVATION`).
        """
        simulation = self.scenario.simulation
        return digest(
            {
                "scenario": scenario_digest(self.scenario),
                "seed": simulation.seed,
                "replications": simulation.replications,
                "calibration": self.calibration.digest,
                "world_data": self.world_files,
                "version": package_version(),
                "random_numbers": DERIVATION,
            }
        )
