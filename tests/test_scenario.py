"""Tests for scenario loading: defaults, overlay rules, and errors that name the dotted path.

A scenario file states only what differs from ``sim/data/defaults.toml``; tables merge key by
key except distribution tables, which replace the default whole. Every mistake raises
:class:`~sim.errors.ScenarioError` whose ``where`` is the dotted path of the field.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import json
import math
import tempfile
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.config.distributions import Exponential, LogNormal
from sim.config.loading import (
    default_settings,
    load_scenario,
    validate_settings,
    without_run_out,
)
from sim.config.schema import Scenario
from sim.errors import InputError, ScenarioError
from sim.vocabulary import CHANNELS
from sim.world.build import build_world
from sim.world.data import WorldData, load_world_data


@functools.cache
def _world_data() -> WorldData:
    """The packaged world data, read once per process."""
    return load_world_data()


def _write(directory: Path, text: str | bytes, name: str = "scenario.toml") -> Path:
    """Write a scenario file and return its path."""
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _load_and_resolve(path: Path) -> Scenario:
    """Load a scenario and resolve it against the world data, as ``mlatsim validate`` does."""
    scenario = load_scenario(path)
    build_world(_world_data(), scenario)
    return scenario


# --- defaults and overlay --------------------------------------------------------------------


def test_defaults_alone_validate():
    """The packaged defaults are a complete, valid scenario named 'unnamed'."""
    scenario = validate_settings(default_settings())
    assert scenario.name == "unnamed"
    assert scenario.simulation.seed == 20261128
    assert [name for name, _ in scenario.channels.items()] == list(CHANNELS)


def test_defaults_resolve_against_world_data():
    """The defaults (every state of the world data) resolve into a world without error."""
    scenario = validate_settings(default_settings())
    world = build_world(_world_data(), scenario)
    assert {state.iso3 for state in world.states} == set(_world_data().states)


def test_file_states_only_what_differs(tmp_path):
    """A file with just ``[simulation] seed = 3`` takes every other value from the defaults."""
    path = _write(tmp_path, "[simulation]\nseed = 3\n", "only_seed.toml")
    loaded = load_scenario(path).model_dump()
    expected = validate_settings(default_settings()).model_dump()
    expected["simulation"]["seed"] = 3
    expected["name"] = "only_seed"
    assert loaded == expected


def test_empty_file_is_the_defaults(tmp_path):
    """An empty scenario file is the defaults under the file's name."""
    loaded = load_scenario(_write(tmp_path, "", "empty.toml"))
    assert loaded.model_dump() == {
        **validate_settings(default_settings()).model_dump(),
        "name": "empty",
    }


def test_nested_tables_merge_key_by_key(tmp_path):
    """Changing one field of a channel keeps the channel's other fields and stages."""
    path = _write(tmp_path, "[channels.eio]\np_clarify = 0.5\n")
    eio = load_scenario(path).channels.eio
    default_eio = validate_settings(default_settings()).channels.eio
    assert eio.p_clarify == 0.5
    assert eio.model_dump(exclude={"p_clarify"}) == default_eio.model_dump(exclude={"p_clarify"})


def test_distribution_table_replaces_default(tmp_path):
    """A table naming a distribution replaces the default whole (no lognormal ``sd`` left over)."""
    text = "[channels.eio.stages.drafting]\ntime = { distribution = 'exponential', mean = 4.0 }\n"
    stage = load_scenario(_write(tmp_path, text)).channels.eio.stages["drafting"]
    assert isinstance(stage.time, Exponential)
    assert stage.time.mean == 4.0
    assert stage.servers == "unlimited"


def test_distribution_replaces_default_for_preservation(tmp_path):
    """The preservation time, a lognormal by default, becomes a fixed time when so stated."""
    text = "[preservation]\ntime = { distribution = 'fixed', value = 1.5 }\n"
    preservation = load_scenario(_write(tmp_path, text)).preservation
    assert preservation.time.model_dump() == {"distribution": "fixed", "value": 1.5}
    assert preservation.enabled is True


def test_time_table_replaces_the_default_whole(tmp_path):
    """A stage's ``time`` table replaces the default whole, as the README says.

    Without ``distribution`` it is therefore an error naming the table, never a silent mix
    of the file's mean with the default's spread.
    """
    text = "[channels.eio.stages.drafting]\ntime = { mean = 3.0 }\n"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_write(tmp_path, text))
    assert caught.value.where == "channels.eio.stages.drafting.time"
    assert "distribution" in caught.value.problem
    full = 'time = { distribution = "lognormal", mean = 3.0, sd = 1.0 }\n'
    time = load_scenario(_write(tmp_path, f"[channels.eio.stages.drafting]\n{full}"))
    drafting = time.channels.eio.stages["drafting"].time
    assert isinstance(drafting, LogNormal)
    assert (drafting.mean, drafting.sd) == (3.0, 1.0)


def test_name_defaults_to_file_stem(tmp_path):
    """Without a ``name``, a scenario is named after its file's stem."""
    assert load_scenario(_write(tmp_path, "", "my-scenario.v2.toml")).name == "my-scenario.v2"


def test_explicit_name_wins_over_stem(tmp_path):
    """A ``name`` in the file is kept, whatever the file is called."""
    path = _write(tmp_path, 'name = "chosen"\n', "other.toml")
    assert load_scenario(path).name == "chosen"


def test_state_override_applies_over_world_data(tmp_path):
    """``[states.USA]`` changes that state's parameters and leaves the others as resolved."""
    text = '[world]\nstates = ["GBR", "USA"]\n[states.USA]\nca_staff = 77\n'
    scenario = load_scenario(_write(tmp_path, text))
    plain = load_scenario(_write(tmp_path, '[world]\nstates = ["GBR", "USA"]\n', "plain.toml"))
    world, plain_world = build_world(_world_data(), scenario), build_world(_world_data(), plain)
    assert world["USA"].params.ca_staff == 77
    assert world["GBR"].params == plain_world["GBR"].params
    assert world["USA"].params.model_dump(exclude={"ca_staff"}) == plain_world[
        "USA"
    ].params.model_dump(exclude={"ca_staff"})


def test_scenario_error_is_an_input_error():
    """ScenarioError is an InputError whose text is ``where: problem``."""
    error = ScenarioError("simulation.seed", "must not be negative")
    assert isinstance(error, InputError)
    assert str(error) == "simulation.seed: must not be negative"
    assert (error.where, error.problem) == ("simulation.seed", "must not be negative")


# --- errors with their exact dotted path -----------------------------------------------------

FIELD_ERRORS = [
    ("unknown-field", "[simulation]\nseeed = 3\n", "simulation.seeed"),
    ("unknown-top-level", "colour = 'blue'\n", "colour"),
    (
        "unknown-field-in-stage",
        "[channels.eio.stages.drafting]\nqueue = 3\n",
        "channels.eio.stages.drafting.queue",
    ),
    ("wrong-type", '[simulation]\nseed = "three"\n', "simulation.seed"),
    ("wrong-type-fraction", "[simulation]\nreplications = 2.5\n", "simulation.replications"),
    ("wrong-type-table", 'demand = "lots"\n', "demand"),
    ("wrong-type-date", '[simulation]\nstart = "soon"\n', "simulation.start"),
    ("negative-rate", "[demand]\nscale = -1\n", "demand.scale"),
    ("negative-holders", "[demand]\nextra_holders_mean = -0.5\n", "demand.extra_holders_mean"),
    ("nan-rate", "[demand]\nscale = nan\n", "demand.scale"),
    (
        "negative-stage-mean",
        "[channels.eio.stages.drafting]\ntime = { distribution = 'exponential', mean = -2.0 }\n",
        "channels.eio.stages.drafting.time.mean",
    ),
    (
        "negative-lognormal-mean",
        "[channels.bilateral_mlat.stages.execution]\n"
        'time = { distribution = "lognormal", mean = -5.0, sd = 1.0 }\n',
        "channels.bilateral_mlat.stages.execution.time.mean",
    ),
    (
        "negative-fixed-time",
        "[channels.eio.stages.transmission]\ntime = { distribution = 'fixed', value = -1.0 }\n",
        "channels.eio.stages.transmission.time.value",
    ),
    ("negative-warm-up", "[simulation]\nwarm_up_days = -1\n", "simulation.warm_up_days"),
    ("negative-timeout", "[channels.eio]\ntimeout_days = -3\n", "channels.eio.timeout_days"),
    ("probability-above-one", "[channels.eio]\np_clarify = 1.5\n", "channels.eio.p_clarify"),
    (
        "probability-below-zero",
        "[crime_types.csam]\nurgent_share = -0.1\n",
        "crime_types.csam.urgent_share",
    ),
    ("probability-privacy", "[privacy.strictness]\neu_eea = 2.0\n", "privacy.strictness.eu_eea"),
    ("probability-preservation", "[preservation]\np_success = 1.01\n", "preservation.p_success"),
    (
        "probability-state-override",
        '[world]\nstates = ["GBR", "USA"]\n[states.USA]\ncyber_law_completeness = 1.5\n',
        "states.USA.cyber_law_completeness",
    ),
    ("iso-pattern", '[world]\nstates = ["GBR", "usa"]\n', "world.states[1]"),
    ("unknown-channel", "[channels.pigeon_post]\nenabled = true\n", "channels.pigeon_post"),
    (
        "unknown-distribution",
        "[channels.eio.stages.drafting]\ntime = { distribution = 'weibull', mean = 3.0 }\n",
        "channels.eio.stages.drafting.time",
    ),
    (
        "distribution-extra-parameter",
        "[channels.eio.stages.drafting.time]\ndistribution = 'exponential'\nmean = 1\nsd = 2\n",
        "channels.eio.stages.drafting.time.sd",
    ),
    (
        "uniform-out-of-order",
        "[channels.eio.stages.drafting]\ntime = { distribution = 'uniform', low = 5, high = 1 }\n",
        "channels.eio.stages.drafting.time",
    ),
    ("end-before-start", "[simulation]\nstart = 2026-01-01\nend = 2025-06-01\n", "simulation.end"),
    ("end-equals-start", "[simulation]\nstart = 2026-01-01\nend = 2026-01-01\n", "simulation.end"),
    (
        "periods-longer-than-run",
        "[simulation]\nwarm_up_days = 1000\ndrain_days = 1000\n",
        "simulation.warm_up_days",
    ),
    (
        "run-out-beyond-the-run",
        "[simulation]\nwarm_up_days = 365\nrun_out_days = 1200\ndrain_days = 365\n",
        "simulation.warm_up_days",
    ),
    ("negative-run-out", "[simulation]\nrun_out_days = -1\n", "simulation.run_out_days"),
    ("zero-replications", "[simulation]\nreplications = 0\n", "simulation.replications"),
    ("negative-seed", "[simulation]\nseed = -1\n", "simulation.seed"),
    (
        "zero-interval",
        "[simulation]\ntimeseries_interval_days = 0\n",
        "simulation.timeseries_interval_days",
    ),
    ("too-many-channels", "[routing]\nmax_channels = 16\n", "routing.max_channels"),
    ("bad-data-type", '[channels.eio]\ndata_types = ["dna"]\n', "channels.eio.data_types[0]"),
    ("no-data-types", "[channels.eio]\ndata_types = []\n", "channels.eio"),
    ("zero-staff", "[state_defaults]\nca_staff = 0\n", "state_defaults.ca_staff"),
    (
        "bad-evidentiary-standard",
        "[state_defaults]\nevidentiary_standard = 'whim'\n",
        "state_defaults.evidentiary_standard",
    ),
    ("bad-name", 'name = "two words"\n', "name"),
    (
        "crime-needs-data",
        "[crime_types.ransomware]\nsubscriber = 0\ntraffic = 0\ncontent = 0\n",
        "crime_types.ransomware",
    ),
    (
        "new-crime-type-incomplete",
        "[crime_types.sextortion]\nshare = 0.1\n",
        "crime_types.sextortion.urgent_share",
    ),
]


@pytest.mark.parametrize(
    ("text", "where"),
    [(text, where) for _, text, where in FIELD_ERRORS],
    ids=[case for case, _, _ in FIELD_ERRORS],
)
def test_load_scenario_names_the_dotted_path(tmp_path, text, where):
    """Each kind of mistake raises ScenarioError whose ``where`` is the field's dotted path."""
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.where == where
    assert caught.value.problem
    assert "\n" not in str(caught.value)


def test_validate_settings_names_the_dotted_path():
    """``validate_settings`` on a merged dictionary names the field too (no file involved)."""
    settings = default_settings()
    settings["channels"]["cloud_act"]["p_provider_decline"] = 7
    with pytest.raises(ScenarioError) as caught:
        validate_settings(settings)
    assert caught.value.where == "channels.cloud_act.p_provider_decline"


def test_validate_settings_reports_missing_field():
    """A required field absent from the settings is named, with 'missing' in the problem."""
    settings = default_settings()
    del settings["simulation"]["seed"]
    with pytest.raises(ScenarioError) as caught:
        validate_settings(settings)
    assert caught.value.where == "simulation.seed"
    assert "missing" in caught.value.problem


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[world]\nstates = ["GBR", "XYZ"]\n', "world.states[1]"),
        ('[world]\nstates = ["GBR", "GBR"]\n', "world.states[1]"),
        ('[world]\nstates = ["GBR"]\n', "world.states"),
        ('[world]\nstates = ["GBR", "USA"]\n[states.XYZ]\nca_staff = 3\n', "states.XYZ"),
        ("[states.XYZ]\nca_staff = 3\n", "states.XYZ"),
        ('[world]\nstates = ["GBR", "USA"]\n[states.DEU]\nca_staff = 3\n', "states.DEU"),
    ],
    ids=[
        "unknown-code",
        "listed-twice",
        "one-state",
        "unknown-override",
        "unknown-override-all",
        "override-not-selected",
    ],
)
def test_world_resolution_names_the_dotted_path(tmp_path, text, where):
    """ISO codes the world data lacks (or states left out) are refused with their path."""
    with pytest.raises(ScenarioError) as caught:
        _load_and_resolve(_write(tmp_path, text))
    assert caught.value.where == where


def test_missing_file_is_named(tmp_path):
    """A missing file raises ScenarioError naming the path: 'file not found'."""
    path = tmp_path / "absent.toml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.where == str(path)
    assert caught.value.problem == "file not found"


def test_directory_is_not_a_scenario(tmp_path):
    """A directory passed as the scenario raises ScenarioError naming it."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path)
    assert caught.value.where == str(tmp_path)
    assert "directory" in caught.value.problem


def test_non_utf8_file_is_named(tmp_path):
    """A file that is not UTF-8 raises ScenarioError naming it ('not UTF-8')."""
    path = _write(tmp_path, b"[simulation]\n# \xff\xfe\nseed = 3\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.where == str(path)
    assert "UTF-8" in caught.value.problem


def test_malformed_toml_is_named(tmp_path):
    """Malformed TOML raises ScenarioError naming the file and where the parser stopped."""
    path = _write(tmp_path, "[simulation]\nseed = = 3\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.where == str(path)
    assert "malformed TOML" in caught.value.problem
    assert "line 2" in caught.value.problem


def test_duplicate_key_is_malformed(tmp_path):
    """A key given twice is malformed TOML, not a silent last-one-wins."""
    path = _write(tmp_path, "[simulation]\nseed = 3\nseed = 4\n")
    with pytest.raises(ScenarioError, match="malformed TOML"):
        load_scenario(path)


# --- known bugs: see the reasons ------------------------------------------------------------


@pytest.mark.parametrize("crime", ["intrusion", "uniform"])
def test_path_keeps_crime_type_names_like_union_branches(crime):
    """An error in crime type ``intrusion`` (or one named ``uniform``) names that crime type."""
    settings = default_settings()
    settings["crime_types"][crime] = {**settings["crime_types"]["ransomware"], "share": -1.0}
    with pytest.raises(ScenarioError) as caught:
        validate_settings(settings)
    assert caught.value.where == f"crime_types.{crime}.share"


def test_bad_servers_message_mentions_numbers(tmp_path):
    """``servers = 0`` is refused with a message saying a whole number of at least 1 is allowed."""
    path = _write(tmp_path, "[channels.eio.stages.drafting]\nservers = 0\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.where == "channels.eio.stages.drafting.servers"
    assert "whole number" in caught.value.problem


def test_unknown_stage_path_is_plain_dotted(tmp_path):
    """An unknown stage name is reported as ``channels.eio.stages.coffee``."""
    text = "[channels.eio.stages.coffee]\ntime = { distribution = 'fixed', value = 1.0 }\n"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_write(tmp_path, text))
    assert caught.value.where == "channels.eio.stages.coffee"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[demand]\nscale = true\n", "demand.scale"),
        ('[demand]\nscale = "0.5"\n', "demand.scale"),
        ('[preservation]\nenabled = "yes"\n', "preservation.enabled"),
        ("[preservation]\nenabled = 1\n", "preservation.enabled"),
        ("[simulation]\nstart = 0\nend = 1975-01-01\n", "simulation.start"),
    ],
    ids=[
        "bool-as-number",
        "string-as-number",
        "string-as-bool",
        "number-as-bool",
        "number-as-date",
    ],
)
def test_wrong_toml_type_is_refused(tmp_path, text, where):
    """A TOML value of the wrong type (not just an unparsable one) is refused with its path."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_write(tmp_path, text))
    assert caught.value.where == where


def test_infinite_rate_is_refused(tmp_path):
    """``demand.scale = inf`` is not a rate: it is refused rather than run forever."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_write(tmp_path, "[demand]\nscale = inf\n"))
    assert caught.value.where == "demand.scale"


# --- property: random mutations never escape as another exception ---------------------------


def _leaves(table: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Dotted paths (as tuples) of every non-table value in a settings dictionary."""
    paths = []
    for key, value in table.items():
        if isinstance(value, dict) and value:
            paths.extend(_leaves(value, (*prefix, key)))
        else:
            paths.append((*prefix, key))
    return paths


def _tables(table: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of every table (including the root) in a settings dictionary."""
    paths = [prefix]
    for key, value in table.items():
        if isinstance(value, dict):
            paths.extend(_tables(value, (*prefix, key)))
    return paths


DEFAULTS = default_settings()
LEAVES = sorted(_leaves(DEFAULTS))
TABLES = sorted(_tables(DEFAULTS))

_text = st.text(max_size=12)
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_one_line_text = st.text(
    st.characters(exclude_characters=_LINE_BREAKS, exclude_categories=("Cs",)), max_size=12
)
_scalars = st.one_of(
    st.integers(max_value=-1),
    st.floats(max_value=-1e-12, allow_nan=False),
    st.sampled_from([10**18, 2**63 - 1, 1e308, math.inf, -math.inf, math.nan, 0, 0.0, 1, 0.5]),
    st.integers(),
    st.floats(),
    _text,
    st.sampled_from(["unlimited", "central_authority", "exponential", "GBR", "eio", ""]),
    st.booleans(),
    st.dates(),
)
_values = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=4),
    st.dictionaries(_text, _scalars, max_size=3),
    st.dictionaries(_text, st.dictionaries(_text, _scalars, max_size=2), max_size=2),
)


@st.composite
def mutations(draw: st.DrawFn, keys: st.SearchStrategy[str] = _text) -> tuple[tuple[str, ...], Any]:
    """A (path, value): a default leaf given a random value, or an unknown key in a table.

    Args:
        draw: Hypothesis's draw function.
        keys: Names for the unknown key.
    """
    if draw(st.booleans()):
        return draw(st.sampled_from(LEAVES)), draw(_values)
    table_path = draw(st.sampled_from(TABLES))
    table = functools.reduce(lambda t, k: t[k], table_path, DEFAULTS)
    key = draw(keys.filter(lambda k: k not in table))
    return (*table_path, key), draw(_values)


def _set(settings: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set ``settings[path[0]]...[path[-1]] = value``."""
    for key in path[:-1]:
        settings = settings[key]
    settings[path[-1]] = value


@settings(max_examples=150, deadline=None)
@given(mutations())
def test_mutated_settings_validate_or_raise_scenario_error(mutation):
    """A randomly mutated default scenario either validates or raises ScenarioError.

    No other exception (pydantic's ValidationError, TypeError, KeyError, ...) gets out, and a
    valid result still resolves against the world data or raises ScenarioError.
    """
    path, value = mutation
    settings_ = copy.deepcopy(DEFAULTS)
    _set(settings_, path, value)
    try:
        scenario = validate_settings(settings_)
    except ScenarioError as exc:
        assert exc.where
        return
    try:
        build_world(_world_data(), scenario)
    except ScenarioError as exc:
        assert exc.where


# TOML rendering of a mutation, so the same mutations can be written to files.


def _toml_string(text: str) -> str:
    """A TOML basic string: printable ASCII as is, everything else escaped."""
    out = []
    for char in text:
        code = ord(char)
        if 0x20 <= code < 0x7F and char not in '"\\':
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    """A TOML inline value for a scalar, array or table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(type(value))


def _nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """``{path[0]: {...: {path[-1]: value}}}``."""
    for key in reversed(path):
        value = {key: value}
    return value


def _same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to itself."""
    return json.dumps(a, default=str, sort_keys=True) == json.dumps(b, default=str, sort_keys=True)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutations(keys=_one_line_text))
def test_mutated_files_make_validate_exit_0_or_2(mutation):
    """``mlatsim validate`` of a mutated scenario file returns 0 or 2, with ≤ 1 stderr line.

    Unknown keys here hold no line breaks: a key with one is the known bug checked by
    ``test_error_line_stays_one_line_for_key_with_line_break``.
    """
    path, value = mutation
    text = f"{'.'.join(_toml_string(key) for key in path)} = {_toml_value(value)}\n"
    assert _same(tomllib.loads(text), _nested(path, value)), text
    with tempfile.TemporaryDirectory() as directory:
        scenario = _write(Path(directory), text, "mutated.toml")
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["validate", str(scenario)])
    assert code in (0, 2)
    assert len(err.getvalue().splitlines()) <= 1
    assert "Traceback" not in err.getvalue()
    if code == 0:
        assert err.getvalue() == ""
    else:
        assert out.getvalue() == ""
        assert err.getvalue().startswith("mlatsim: error: ")


def test_error_line_stays_one_line_for_key_with_line_break(tmp_path, capsys):
    """An unknown quoted key containing a newline still gives exactly one stderr line."""
    path = _write(tmp_path, '[simulation]\n"seed\\nextra" = 3\n')
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1, err


def test_the_measured_window_ends_where_the_run_out_begins() -> None:
    """The window ends ``run_out_days + drain_days`` before the horizon; cases stop at the drain.

    ``without_run_out`` ends the run where the run-out began: the same window, every request
    recorded (what the benchmarks count).
    """
    settings = default_settings()
    settings["simulation"].update(
        start=dt.date(2026, 9, 1), end=dt.date(2031, 3, 1), run_out_days=181, drain_days=730
    )
    scenario = validate_settings(settings)
    assert scenario.simulation.horizon_days == 1642
    assert scenario.simulation.window_end_days == 1642 - 730 - 181
    assert scenario.simulation.measured_window == (365.0, 1642.0 - 730 - 181)
    cut = without_run_out(scenario)
    assert cut.simulation.run_out_days == 0
    assert cut.simulation.end == dt.date(2030, 9, 1)
    assert cut.simulation.window_end_days == scenario.simulation.window_end_days
    assert without_run_out(cut) is cut
