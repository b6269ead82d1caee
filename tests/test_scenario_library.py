"""Tests of the scenario library in ``scenarios/``: each file is valid, and each reform works.

Every scenario file validates and resolves against the world data, as ``mlatsim validate``
checks it. The reform files lay levers over the baseline's settings and nothing else, so a
comparison with the baseline isolates the levers.

Each reform is then run on a REDUCED version of its file, next to the same reduction of the
baseline (its twin: identical settings, no levers), under common random numbers, and the
metric the reform targets must move in the expected direction with a paired 95% confidence
interval that excludes zero. The reduction keeps the files' levers but makes a run take
about half a second per replication:

- 16 states (the main requesting and requested states, and the signatories and non-parties
  the treaty reforms need); a lever's named states outside them are dropped;
- two years from 2026-07-01, with a warm-up to 2027-01-01 (when the library's levers start,
  so every measured request is created under the reform) and no new cases in the last 180
  days;
- demand at 0.5% of the data's (``demand.scale``), with every need that only a formal channel
  can serve pursued (``tests/model_runs.pursue_all``) so that formal channels carry enough
  requests;
- the central authorities of the staffing reform given between a half (the US one, the
  bottleneck, as calibration target 7 says of the real one) and seven eighths of the staff
  their load in this world needs, so that their queues exist to be cut; no prior caseload.

Robustness: with this setup and 5 replications, the 14 reform targets held for each of the
seeds 1, 2, 4, 5 and 2027 under the keyed random numbers of issue #11 (item 6), with the near
bound of each interval at least 58% of the effect away from zero, except the privacy bridge
(15% to 76%): its refusals are few and the reform abolishes them, so pairing cannot narrow
that interval, and for seed 3 it reached zero ([-0.42, 0.10] points). Under the earlier
event-ordered numbers all held for seeds 1 to 5 and 2027 (privacy bridge weakest, electronic
MLA next at 43%). Since issue #12 (the treaty bases: UNTOC and the others close letters
rogatory between CHN, KEN and the rest) the world also holds PNG and IRN, states outside
UNTOC, and PNG's demand is raised; the targets then held for the default seed, the other
seeds were not re-checked. Runs are shared within a test process: the baseline twin runs once.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from model_runs import pursue_all

from sim.analysis.comparison import paired_difference
from sim.analysis.runs import RunResult
from sim.analysis.statistics import replication_metrics
from sim.cli import main
from sim.config.loading import load_scenario, merge, validate_settings
from sim.config.schema import Scenario
from sim.engine.streams import RandomStreams
from sim.experiments.runner import run_scenario
from sim.rules.channels import FORMAL_MLA
from sim.rules.levers import ActiveLever, resolve
from sim.vocabulary import CHANNELS
from sim.world.build import build_world
from sim.world.data import load_world_data

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
ALL_FILES = sorted(SCENARIOS.glob("*.toml"))
NOT_IN_LIBRARY = {"baseline", "validation_queueing", "teaching"}
TEACHING = ("teaching_staffing_low", "teaching_staffing_high")
REFORMS = (
    "harmonised_definitions",
    "standard_procedures",
    "electronic_mla",
    "central_authority_staffing",
    "universal_budapest",
    "second_protocol",
    "un_convention",
    "cloud_act_expansion",
    "privacy_bridge",
    "preservation_24_7",
)
"""The single reforms, in the order all_reforms.toml copies their levers."""

REDUCED_STATES = (
    *("USA", "GBR", "DEU", "FRA", "IRL", "NLD", "BRA", "IND", "JPN", "NGA", "ZAF", "CAN"),
    "CHN",  # a UN Convention signatory, outside Budapest (UNTOC binds it to the others)
    "KEN",  # invited to accede to Budapest, a non-party today
    "PNG",  # invited to accede to Budapest and outside UNTOC: letters rogatory until it joins
    "IRN",  # a UN Convention signatory outside UNTOC and Budapest: letters rogatory
)
REDUCED_CASES = {"PNG": {"cases_per_year": 20000.0}}
"""Papua New Guinea's demand, raised from its 197 cases a year so that at 0.5% its requests
(the ones universal Budapest moves from letters rogatory to Art. 27, PNG being outside UNTOC
and every other treaty with most of this world) are numerous enough to measure."""
REDUCED_START = dt.date(2026, 7, 1)
REDUCED_END = dt.date(2028, 7, 1)
LEVERS_START = dt.date(2027, 1, 1)
REDUCED_SCALE = 0.005
REDUCED_STAFF = {"USA": 6, "DEU": 4, "FRA": 2, "GBR": 2, "IRL": 2, "NLD": 2, "JPN": 3, "CAN": 2}
"""Central-authority staff in the reduced world (the data's are sized for the full world)."""
REPLICATIONS = 5
SEED = 2027


# -- helpers ---------------------------------------------------------------------------------


def library_name(path: Path) -> str:
    """A scenario file's name (its stem)."""
    return path.stem


def settings_of(path: Path) -> dict[str, Any]:
    """The resolved settings of a scenario file, as a dictionary."""
    return load_scenario(path).model_dump()


def without(settings: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``settings`` without the top-level ``keys``."""
    return {key: value for key, value in settings.items() if key not in keys}


def reduced(name: str, *, levers: bool = True) -> Scenario:
    """The reduced version of ``scenarios/<name>.toml`` (see the module docstring).

    Args:
        name: The scenario file's stem.
        levers: Keep the file's levers (False gives its baseline twin).
    """
    settings = settings_of(SCENARIOS / f"{name}.toml")
    settings["name"] = f"{name}_reduced" if levers else "baseline_twin"
    settings["description"] = ""
    settings["simulation"].update(
        start=REDUCED_START,
        end=REDUCED_END,
        warm_up_days=float((LEVERS_START - REDUCED_START).days),
        drain_days=180.0,
        replications=REPLICATIONS,
        seed=SEED,
    )
    settings["world"]["states"] = list(REDUCED_STATES)
    settings["demand"]["scale"] = REDUCED_SCALE
    settings = merge(settings, pursue_all())
    settings["states"] = {code: {"ca_staff": staff} for code, staff in REDUCED_STAFF.items()}
    settings["states"].update({code: dict(case) for code, case in REDUCED_CASES.items()})
    kept = []
    for lever in settings["levers"] if levers else []:
        # Each kind's table has only its own fields: in_force no states, most no partners.
        named = bool(lever.get("states"))
        for field in ("states", "partners"):
            if field in lever:
                lever[field] = [code for code in lever[field] if code in REDUCED_STATES]
        if named and not lever["states"] and lever.get("group") is None:
            continue  # every state it names is outside the reduced world
        if lever["start"] is not None:
            lever["start"] = max(lever["start"], REDUCED_START)
        kept.append(lever)
    settings["levers"] = kept
    return validate_settings(settings)


_RUNS: dict[str, RunResult] = {}


def measured(scenario: Scenario) -> pd.DataFrame:
    """The requests of a run created after the warm-up (the run is shared in this process)."""
    key = scenario.model_dump_json(exclude={"name"})
    if key not in _RUNS:
        _RUNS[key] = run_scenario(scenario)
    requests = _RUNS[key].requests
    return requests[requests["created_day"] >= scenario.simulation.warm_up_days]


def active_lever(scenario: Scenario, lever: str) -> ActiveLever:
    """The scenario's first ``lever``, as the run resolves it."""
    world = build_world(load_world_data(), scenario)
    for active in resolve(
        scenario, world.states, world.calendar, RandomStreams(0, 0)["levers/join"]
    ):
        if active.lever.lever == lever:
            return active
    raise AssertionError(f"{scenario.name} has no lever {lever}")


def targets(scenario: Scenario, lever: str) -> frozenset[str]:
    """The states the scenario's first ``lever`` targets, as the run resolves them."""
    return active_lever(scenario, lever).targets


Metric = Callable[[pd.DataFrame, pd.DataFrame, Scenario], np.ndarray]
"""(reform requests, twin requests, reform scenario) -> one value per replication, for one."""


def by_replication(requests: pd.DataFrame, value: Callable[[pd.DataFrame], float]) -> np.ndarray:
    """``value`` of each replication's requests (NaN where a replication has none)."""
    groups = dict(tuple(requests.groupby("replication", observed=True)))
    return np.array(
        [value(groups[r]) if r in groups else np.nan for r in range(REPLICATIONS)], dtype=float
    )


def share_for(reason: str) -> Callable[[pd.DataFrame], float]:
    """Percentage of requests whose recorded reason is ``reason``."""
    return lambda requests: 100.0 * float((requests["reason"] == reason).mean())


def count_on(channel: str) -> Callable[[pd.DataFrame], float]:
    """Number of requests whose last channel is ``channel``."""
    return lambda requests: float((requests["channel"] == channel).sum())


def median_days(requests: pd.DataFrame) -> np.ndarray:
    """Median time to evidence per replication (sim.analysis.statistics: pending censored)."""
    table = replication_metrics(requests).set_index("replication")
    return table["median_days"].reindex(range(REPLICATIONS)).to_numpy(dtype=float)


def formal(requests: pd.DataFrame) -> pd.DataFrame:
    """Requests that went first to a formal MLA channel."""
    return requests[requests["first_channel"].isin(FORMAL_MLA)]


def same_needs(requests: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame:
    """The requests of ``requests`` for the needs (replication, request id) of ``chosen``.

    The twins open the same needs in the same order (test_twins_open_the_same_needs), so a
    need chosen in one run is the same investigation's need in the other.
    """
    keys = pd.MultiIndex.from_frame(chosen[["replication", "request_id"]])
    index = pd.MultiIndex.from_frame(requests[["replication", "request_id"]])
    return requests[index.isin(keys)]


def between(requests: pd.DataFrame, states: frozenset[str]) -> pd.DataFrame:
    """Requests whose requesting and requested states are both in ``states``."""
    both = requests["requesting"].isin(states) & requests["requested"].isin(states)
    return requests[both.to_numpy()]


# -- the metrics each reform targets -----------------------------------------------------------


def dual_criminality_refusals(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Share of requests refused for dual criminality (%)."""
    share = share_for("dual_criminality")
    return by_replication(reform, share), by_replication(twin, share)


def clarifications_between_adopters(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Returns for clarification per formal request between two states using the templates."""
    adopters = targets(scenario, "standard_procedures")

    def per_request(requests: pd.DataFrame) -> float:
        return float(between(formal(requests), adopters)["clarifications"].mean())

    return by_replication(reform, per_request), by_replication(twin, per_request)


def formal_median_days(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Median time to evidence of the needs the twin sent to a formal channel (days)."""
    needs = formal(twin)
    return median_days(same_needs(reform, needs)), median_days(needs)


def queue_wait_at_staffed(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Mean wait for legal review at the staffed central authorities (days)."""
    staffed = targets(scenario, "ca_staffing")

    def wait(requests: pd.DataFrame) -> float:
        chosen = formal(requests)
        chosen = chosen[chosen["requested"].isin(staffed).to_numpy()]
        return float(chosen["legal_review_wait_days"].mean())

    return by_replication(reform, wait), by_replication(twin, wait)


def letters_rogatory(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Requests through letters rogatory."""
    count = count_on("letters_rogatory")
    return by_replication(reform, count), by_replication(twin, count)


def letters_rogatory_of_joiners(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Requests through letters rogatory to or from a state that joins Budapest.

    The lever's group, ``signatories:budapest``, also holds today's Parties; those are left
    out, so the count is that of the pairs whose channel the reform changes.
    """
    calendar = build_world(load_world_data(), scenario).calendar
    joiners = {
        code for code in targets(scenario, "join") if not calendar.is_party(code, "budapest", 0)
    }
    assert joiners
    count = count_on("letters_rogatory")

    def involving(requests: pd.DataFrame) -> pd.DataFrame:
        either = requests["requesting"].isin(joiners) | requests["requested"].isin(joiners)
        return requests[either.to_numpy()]

    return by_replication(involving(reform), count), by_replication(involving(twin), count)


def budapest_mla(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Requests through Budapest Art. 27 mutual assistance."""
    count = count_on("budapest_mla")
    return by_replication(reform, count), by_replication(twin, count)


SECOND_PROTOCOL = [name for name in CHANNELS if name.startswith("sp_")]
"""The Second Protocol's channels, one per article (Arts. 6 to 10)."""


def second_protocol_requests(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Requests through any of the Second Protocol's channels (none in the twin)."""

    def count(requests: pd.DataFrame) -> float:
        return float(requests["channel"].isin(SECOND_PROTOCOL).sum())

    return by_replication(reform, count), by_replication(twin, count)


def second_protocol_needs_days(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Median time to evidence of the needs eligible for the Protocol's channels (days).

    Eligible: the needs the reform sends first to one of the Second Protocol's channels; in the
    twin the same needs went to formal MLA (or direct requests to providers, where they could).
    """
    needs = reform[reform["first_channel"].isin(SECOND_PROTOCOL)]
    return median_days(needs), median_days(same_needs(twin, needs))


def un_convention_requests(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Requests through the UN Convention's mutual assistance (none in the twin)."""
    count = count_on("un_convention_mla")
    return by_replication(reform, count), by_replication(twin, count)


def cloud_act_from_eu_to_usa(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """CLOUD Act requests from the EU member states (the lever's group) to the USA."""
    eu = frozenset(targets(scenario, "new_agreement")) - {"CAN"}

    def count(requests: pd.DataFrame) -> float:
        chosen = (
            (requests["channel"] == "cloud_act")
            & requests["requesting"].isin(eu)
            & (requests["requested"] == "USA")
        )
        return float(chosen.sum())

    return by_replication(reform, count), by_replication(twin, count)


def bridged(requests: pd.DataFrame, bridge: ActiveLever) -> pd.DataFrame:
    """Requests between two states that ``bridge`` joins (either direction)."""
    pairs = zip(requests["requesting"].astype(str), requests["requested"].astype(str), strict=True)
    return requests[np.fromiter((bridge.bridges(*pair) for pair in pairs), dtype=bool)]


def data_protection_refusals(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Share of requests between bridged states refused on data protection (%)."""
    bridge = active_lever(scenario, "privacy_bridge")
    share = share_for("data_protection")
    return (
        by_replication(bridged(reform, bridge), share),
        by_replication(bridged(twin, bridge), share),
    )


def retention_losses(reform, twin, scenario) -> tuple[np.ndarray, np.ndarray]:
    """Share of requests whose evidence was lost because retention ran out (%)."""
    share = share_for("retention_expired")
    return by_replication(reform, share), by_replication(twin, share)


DOWN, UP = -1, +1
TARGETS: list[tuple[str, Callable[..., tuple[np.ndarray, np.ndarray]], int]] = [
    ("harmonised_definitions", dual_criminality_refusals, DOWN),
    ("standard_procedures", clarifications_between_adopters, DOWN),
    ("electronic_mla", formal_median_days, DOWN),
    ("central_authority_staffing", queue_wait_at_staffed, DOWN),
    ("universal_budapest", letters_rogatory_of_joiners, DOWN),
    ("universal_budapest", budapest_mla, UP),
    ("second_protocol", second_protocol_requests, UP),
    ("second_protocol", second_protocol_needs_days, DOWN),
    ("un_convention", un_convention_requests, UP),
    ("un_convention", letters_rogatory, DOWN),
    ("cloud_act_expansion", cloud_act_from_eu_to_usa, UP),
    ("privacy_bridge", data_protection_refusals, DOWN),
    ("preservation_24_7", retention_losses, DOWN),
    ("all_reforms", formal_median_days, DOWN),
]


def paired_effect(name: str, metric: Callable[..., tuple[np.ndarray, np.ndarray]]):
    """(mean, low, high) of the reform's metric minus its twin's, paired by replication."""
    reform_scenario = reduced(name)
    values, reference = metric(
        measured(reform_scenario), measured(reduced(name, levers=False)), reform_scenario
    )
    return paired_difference(values, reference)


# -- the files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=library_name)
def test_every_scenario_validates_against_the_world(path: Path, capsys) -> None:
    """`mlatsim validate` accepts every file: settings valid, states and groups resolve."""
    assert main(["validate", str(path)]) == 0
    assert f"valid ({path.stem})" in capsys.readouterr().out


LIBRARY = [path for path in ALL_FILES if path.stem not in NOT_IN_LIBRARY]


@pytest.mark.parametrize("path", LIBRARY, ids=library_name)
def test_library_file_is_the_baseline_plus_levers(path: Path) -> None:
    """A library file repeats the baseline's [simulation] table and changes only levers.

    It starts with a comment block (what it represents and its sources), names itself after
    its file, and has at least one lever; everything else resolves to the baseline's values.
    """
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ")
    raw = tomllib.loads(text)
    baseline_raw = tomllib.loads((SCENARIOS / "baseline.toml").read_text(encoding="utf-8"))
    assert raw["simulation"] == baseline_raw["simulation"]
    settings = settings_of(path)
    assert settings["name"] == path.stem
    assert settings["levers"]
    ignored = ("name", "description", "levers")
    assert without(settings, *ignored) == without(
        settings_of(SCENARIOS / "baseline.toml"), *ignored
    )


def test_every_reform_has_a_target_metric() -> None:
    """Each library file is a reform with a tested metric, the combination, or teaching."""
    assert {path.stem for path in LIBRARY} == {*REFORMS, "all_reforms", *TEACHING}
    assert {name for name, _, _ in TARGETS} == {*REFORMS, "all_reforms"}


def test_all_reforms_combines_exactly_the_single_reforms() -> None:
    """all_reforms.toml holds every single reform's levers, unchanged and in REFORMS order."""
    combined = [
        lever for name in REFORMS for lever in settings_of(SCENARIOS / f"{name}.toml")["levers"]
    ]
    assert settings_of(SCENARIOS / "all_reforms.toml")["levers"] == combined


def test_teaching_pair_differs_only_in_one_strength() -> None:
    """The teaching files are identical but for their name, description and lever strength."""
    low, high = (settings_of(SCENARIOS / f"{name}.toml") for name in TEACHING)
    assert without(low, "name", "description", "levers") == without(
        high, "name", "description", "levers"
    )
    assert len(low["levers"]) == len(high["levers"]) == 1
    assert without(low["levers"][0], "strength") == without(high["levers"][0], "strength")
    assert low["levers"][0]["strength"] < high["levers"][0]["strength"]


# -- the reduced runs ----------------------------------------------------------------------------


def test_twin_differs_from_the_reduced_reform_only_in_its_levers() -> None:
    """The baseline twin is the reduced baseline, and each reduced reform differs by levers."""
    twin = reduced("baseline", levers=False).model_dump()
    for name in (*REFORMS, "all_reforms"):
        reform = reduced(name).model_dump()
        assert reform["levers"]
        assert without(reform, "name", "levers") == without(twin, "name", "levers")


def test_twins_open_the_same_needs() -> None:
    """Reform and twin open the same needs (ids, states, data, day): pairing by need is sound."""
    columns = ["replication", "request_id", "requesting", "requested", "data_type", "created_day"]
    reform = measured(reduced("all_reforms"))[columns].sort_values(columns[:2])
    twin = measured(reduced("all_reforms", levers=False))[columns].sort_values(columns[:2])
    assert len(reform) == len(twin) > 0
    assert (reform.to_numpy() == twin.to_numpy()).all()


@pytest.mark.parametrize(
    ("name", "metric", "direction"),
    TARGETS,
    ids=[f"{name}-{metric.__name__}" for name, metric, _ in TARGETS],
)
def test_reform_moves_its_metric(name: str, metric, direction: int) -> None:
    """The reform moves its metric against the twin; the paired 95% CI excludes zero."""
    mean, low, high = paired_effect(name, metric)
    if direction == DOWN:
        assert high < 0.0, f"{name} {metric.__doc__}: {mean:.3g} [{low:.3g}, {high:.3g}]"
    else:
        assert low > 0.0, f"{name} {metric.__doc__}: {mean:.3g} [{low:.3g}, {high:.3g}]"


def test_teaching_pair_more_staff_shorter_us_queue() -> None:
    """The high-staffing teaching file has a shorter US legal-review queue than the low one."""
    low, high = (reduced(name) for name in TEACHING)

    def wait(requests: pd.DataFrame) -> float:
        chosen = formal(requests)
        return float(chosen[chosen["requested"] == "USA"]["legal_review_wait_days"].mean())

    mean, _, upper = paired_difference(
        by_replication(measured(high), wait), by_replication(measured(low), wait)
    )
    assert upper < 0.0, f"high minus low: {mean:.3g} days, upper bound {upper:.3g}"
