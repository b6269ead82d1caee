"""A fitted calibration written to a directory of its own, never into the installed package.

``mlatsim calibrate --out DIR`` writes, all or nothing (staged beside DIR, like a run):

- ``calibration.toml``: the method, date, targets, fitted values, the history of every
  evaluation and the ``[settings]`` laid over the defaults;
- ``central_authorities.csv``: each central authority's staff and other matters a year (with
  the workload and utilisation behind them), the staff table read with the calibration;
- ``manifest.json``: what produced it (scenario, seed, the calibration it started from, the
  world data files' SHA-256, versions, command), tagged as a calibration.

A run uses it when given ``--calibration DIR`` (or ``DIR/calibration.toml``). To ship a new fit
as the default, copy both files over ``sim/data/`` by hand; the command itself refuses a
directory inside the package.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from sim.config.loading import CALIBRATION_NAME, STAFF_TABLE
from sim.errors import InputError
from sim.experiments.calibration import FIT_TARGETS, FREE_PARAMETERS, PURSUIT, Fit
from sim.experiments.calibration_workload import E_EVIDENCE_SHARE, UTILISATION
from sim.experiments.inputs import RunInputs
from sim.experiments.result_dir import CALIBRATION_FORMAT, MANIFEST
from sim.rules.channels import CALIBRATED_MLA


def check_outside_package(destination: Path, option: str = "--out") -> None:
    """Refuse a destination inside the installed ``sim`` package (or the package itself).

    Raises:
        InputError: naming ``option`` and the package directory.
    """
    package = os.path.realpath(str(resources.files("sim")))
    target = os.path.realpath(destination)
    if target == package or target.startswith(package + os.sep):
        raise InputError(
            option,
            f"'{destination}' is inside the installed package ({package}); write the "
            "calibration elsewhere and give it to runs with --calibration",
        )


def write_calibration_files(
    fit: Fit,
    inputs: RunInputs,
    directory: Path,
    *,
    replications: int,
    command: Sequence[str] = ("mlatsim", "calibrate"),
) -> None:
    """Write the calibration file, its staff table and the manifest into ``directory``.

    Args:
        fit: The fitted values.
        inputs: The baseline scenario the fit started from, with its calibration and world.
        directory: Where to write (a staging directory).
        replications: Replications per evaluation of the fit.
        command: The command line, for the manifest.
    """
    directory = Path(directory)
    (directory / CALIBRATION_NAME).write_text(
        calibration_text(fit, inputs, replications=replications), encoding="utf-8"
    )
    with (directory / STAFF_TABLE).open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(list(fit.staff.columns))
        for row in fit.staff.itertuples(index=False):
            writer.writerow(row)
    # The manifest last: it marks the directory as a complete calibration.
    (directory / MANIFEST).write_text(
        json.dumps(_manifest(fit, inputs, replications, command), indent=2) + "\n",
        encoding="utf-8",
    )


def _manifest(
    fit: Fit, inputs: RunInputs, replications: int, command: Sequence[str]
) -> dict[str, Any]:
    record = inputs.record()
    return {
        "format": CALIBRATION_FORMAT,
        "scenario": inputs.scenario.model_dump(mode="json"),
        "seed": inputs.scenario.simulation.seed,
        "replications_per_evaluation": replications,
        "evaluations": fit.evaluations,
        "fitted": dict(fit.parameters),
        "achieved": dict(fit.objective),
        "started_from": {key: record[key] for key in ("calibration", "world_data", "version")},
        "command": list(command),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def calibration_text(fit: Fit, inputs: RunInputs, *, replications: int) -> str:
    """The calibration file (TOML): method, targets, fitted values, history, settings."""
    today = dt.date.today().isoformat()
    parameter_keys = [p.key for p in FREE_PARAMETERS]
    lines = [
        "# Written by `mlatsim calibrate --out DIR`; used by `--calibration DIR`, checked by",
        "# `mlatsim calibrate --check --calibration DIR`. The [settings] table, and the staff in",
        "# central_authorities.csv beside this file, are laid over sim/data/defaults.toml.",
        "",
        "[meta]",
        f"date = {today}",
        f'scenario = "{inputs.scenario.name}"',
        f"seed = {inputs.scenario.simulation.seed}",
        f"replications_per_evaluation = {replications}",
        f"evaluations = {fit.evaluations}",
        'method = """Fit: two free parameters (time scale of the formal MLA channels\' stages;',
        "pursuit scale of formal MLA) solved for the US mean time to evidence and the formal",
        "requests the US authority receives a year, by a linear response surface fitted by",
        "least squares to every evaluation, each an unqueued pilot run (unlimited staff) with",
        "the same seed (common random numbers). Staff: the pilot at the fitted values gives",
        "each central authority's e-evidence review work and incoming formal requests; its",
        "other matters are the published all-crime inflow (sim/data/all_crime_mla.csv) less",
        "those requests, or as many again where none is published (e-evidence share "
        f"{E_EVIDENCE_SHARE});",
        "staff = ceil(whole review work / (365 * utilisation)), utilisation "
        f"{UTILISATION}; no prior",
        "caseload. [meta.achieved] is a staffed confirmation run.",
        '"""',
        "",
        "[meta.targets]",
        *(f"{k} = {v}" for k, v in FIT_TARGETS.items()),
        "",
        "[meta.achieved]",
        *(f"{k} = {v:.4f}" for k, v in fit.objective.items()),
        "",
        "[fitted]",
        f"formal_time_scale = {fit.time_scale:.4f}",
        f"pursuit_scale = {fit.pursuit:.4f}",
        "",
        "[history]",
        "# One row per evaluation: the fitted parameters, then the fitted targets, in order.",
        "columns = [" + ", ".join(f'"{k}"' for k in (*parameter_keys, *FIT_TARGETS)) + "]",
        "rows = [",
        *(f"    [{', '.join(f'{x:.4f}' for x in row)}]," for row in fit.history),
        "]",
        "",
        "[settings]",
        *(f"channels.{name}.time_scale = {fit.time_scale:.4f}" for name in CALIBRATED_MLA),
        f"{PURSUIT[0]}.{PURSUIT[1]} = {fit.pursuit:.4f}",
        "",
    ]
    return "\n".join(lines)
