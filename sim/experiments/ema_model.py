"""The model as an EMA Workbench model, for scenario discovery (``pip install mlatsim[discovery]``).

The EMA Workbench (``ema_workbench`` 3) explores a model over *uncertainties* (assumptions
nobody can pin down) and *levers* (choices a policy maker makes) and finds, with PRIM, the
combinations of assumptions under which a policy fails. :func:`ema_model` gives it this model:

- uncertainties and levers are scenario fields by dotted path, as in a sweep file
  (``routing.urgent_patience``, ``levers.3.strength``), each with a range; EMA names them with
  ``__`` for the dots (:func:`ema_name`), since its names become keyword arguments;
- an experiment sets the values on the base scenario, validates it like a scenario file and
  runs every replication in the calling process (the same run as a sweep point's,
  :func:`sim.experiments.sweep_pool.run_point`; EMA's own evaluators parallelise), and its
  outcomes are the chosen sweep metrics, means over replications;
- with a ``reference`` (the regime without the reform, say), each experiment also runs the
  reference with the same uncertainties (not the levers) and the same seed, and reports each
  metric's ratio reform / reference as ``<metric>_ratio`` and the reference's value as
  ``<metric>_reference``: common random numbers make the ratio the reform's effect under those
  assumptions, not luck.

docs/experiments.md ("Scenario discovery") asks with it under which assumptions the package
of all reforms fails to halve the formal MLA median.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from sim.analysis.sweep_metrics import METRICS
from sim.config.schema import Scenario
from sim.errors import InputError
from sim.experiments.sweep_spec import check_range_ends

with warnings.catch_warnings():
    # ema_workbench 3 warns at import that ipyparallel (for its IpyparallelEvaluator) is
    # missing; mlatsim uses the sequential and multiprocessing evaluators only.
    warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
    # Its PRIM module warns at import that altair (interactive box inspection in a notebook)
    # is missing; the boxes, their statistics and the static plots do not need it.
    warnings.filterwarnings("ignore", message="altair based interactive", category=ImportWarning)
    import ema_workbench as ema
    from ema_workbench.analysis import prim

__all__ = ["ScenarioFunction", "ema", "ema_model", "ema_name", "field_path", "prim"]

Range = tuple[float, float]


def ema_name(field_path: str) -> str:
    """EMA's name of a dotted field path (dots become ``__``: names are keyword arguments)."""
    return field_path.replace(".", "__")


def field_path(name: str) -> str:
    """The dotted field path of an EMA name (:func:`ema_name` undone)."""
    return name.replace("__", ".")


class ScenarioFunction:
    """An experiment: the base with the values set, run, its metrics (and ratios) returned.

    A class, not a closure, so that EMA's multiprocessing evaluator can pickle it.
    """

    def __init__(
        self,
        base: Scenario,
        metrics: Sequence[str],
        levers: Sequence[str] = (),
        reference: Scenario | None = None,
    ) -> None:
        self.base = base
        self.metrics = tuple(metrics)
        self.levers = frozenset(levers)
        self.reference = reference

    def __call__(self, **values: Any) -> dict[str, float]:
        """Run the experiment; EMA passes each uncertainty and lever by its EMA name."""
        from sim.experiments.field_paths import point_scenario
        from sim.experiments.sweep_pool import run_point

        dotted = {field_path(name): value for name, value in values.items()}
        scenario = point_scenario(self.base, _plain(dotted), where="experiment")
        outcomes = _means(run_point(scenario), self.metrics)
        if self.reference is not None:
            assumed = {path: value for path, value in dotted.items() if path not in self.levers}
            reference = point_scenario(self.reference, _plain(assumed), where="reference")
            before = _means(run_point(reference), self.metrics)
            for metric in self.metrics:
                outcomes[f"{metric}_reference"] = before[metric]
                ratio = outcomes[metric] / before[metric] if before[metric] else math.nan
                outcomes[f"{metric}_ratio"] = ratio
        return outcomes


def ema_model(
    base: Scenario,
    metrics: Sequence[str],
    uncertainties: Mapping[str, Range],
    levers: Mapping[str, Range] | None = None,
    reference: Scenario | None = None,
    name: str = "mlatsim",
) -> ema.Model:
    """The scenario as an EMA model with uncertainties, levers and outcomes.

    Args:
        base: The scenario every experiment starts from (with the reform's levers, if any).
        metrics: Sweep metrics (:data:`sim.analysis.sweep_metrics.METRICS`) as outcomes.
        uncertainties: Each assumption's (low, high) by dotted path; two whole numbers make an
            integer parameter, otherwise a real one.
        levers: Each policy choice's (low, high) by dotted path (a lever's ``strength``...).
        reference: The scenario the base is compared with (the regime without the reform):
            adds ``<metric>_reference`` and ``<metric>_ratio`` outcomes.
        name: The model's name (a Python identifier, as EMA requires).

    Raises:
        InputError: for an unknown metric, or a range end its field does not accept.
    """
    for metric in metrics:
        if metric not in METRICS:
            raise InputError("metrics", f"unknown metric '{metric}' (see docs/experiments.md)")
    levers = dict(levers or {})
    check_range_ends(base, {**uncertainties, **levers}, "ranges")
    if reference is not None:
        check_range_ends(reference, uncertainties, "ranges (reference)")
    model = ema.Model(name, function=ScenarioFunction(base, metrics, levers, reference))
    model.uncertainties = [_parameter(path, bounds) for path, bounds in uncertainties.items()]
    model.levers = [_parameter(path, bounds) for path, bounds in levers.items()]
    outcomes = list(metrics)
    if reference is not None:
        outcomes += [f"{m}_{kind}" for m in metrics for kind in ("reference", "ratio")]
    model.outcomes = [ema.ScalarOutcome(outcome) for outcome in outcomes]
    return model


def _parameter(path: str, bounds: Range) -> Any:
    low, high = bounds
    if all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
        return ema.IntegerParameter(ema_name(path), low, high)
    return ema.RealParameter(ema_name(path), float(low), float(high))


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """EMA's numpy numbers as Python numbers (a scenario's fields validate plain types)."""
    return {
        path: value.item() if hasattr(value, "item") else value for path, value in values.items()
    }


def _means(rows: Any, metrics: Sequence[str]) -> dict[str, float]:
    return {metric: float(rows[metric].mean()) for metric in metrics}
