"""Tests of common random numbers request by request (issue #11, item 6).

Every draw that belongs to a case or a request is keyed by its identity (the replication,
the requesting state, the case's number among that state's cases, the holder's index in the
case, and what the draw is for), never taken in event order; only the case arrivals come in
turn, from one stream per state. So two scenarios run with the same seed give a request the
same numbers whatever the other requests do, and a policy changes a request's row only
through what the policy does to that request or to the queues it waits in:

- a lever of strength 0 (which acts on nothing) leaves every row identical;
- a lever acting on a queue that a pair of states never waits in leaves that pair's rows
  identical, row by row, while the rows it does act on change;
- a request's draws are the same whatever other draws are taken, in whatever order.

Rows under event-ordered draws (before this issue) differed for every pair in the second case:
one request waiting longer handed the next stage-time draws to other requests.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.runs import RunResult
from sim.config.loading import load_scenario
from sim.engine.case_draws import BLOCK, CaseDraws
from sim.engine.model import (
    _CASE,
    _EMERGENCY,
    _EXTRA_HOLDERS,
    _HOLDERS,
    CASE_DRAWS,
    PER_CASE,
    state_key,
)
from sim.engine.request import (
    _ATTEMPT,
    _FIRST_BLOCK,
    _SLOTS,
    APPROVAL,
    CONTENT_ORDER,
    DATA,
    DATA_AGE,
    ESCALATION,
    FIRST_LAYOUT,
    LATER_CHANNELS,
    LATER_LAYOUT,
    LEGAL_TESTS,
    PRESERVATION,
    PRESERVATION_TIME,
    PROVIDER,
    PROVIDER_CHOICE,
    REVIEW,
    TIME,
    channel_blocks,
    compile_channel,
)
from sim.engine.streams import STEP, RandomStreams, child, exponential_at, uniform_at, uniforms_at
from sim.experiments.runner import run_scenario
from sim.vocabulary import CHANNELS, STAGES

START = "2026-03-01"
INERT_LEVERS = {
    "harmonised_definitions": 'states = ["USA"]',
    "standard_procedures": 'states = ["USA", "DEU", "GBR"]',
    "harmonised_evidence": 'states = ["USA"]',
    "privacy_bridge": 'states = ["USA", "DEU", "FRA"]',
    "electronic_transmission": 'states = ["USA", "GBR"]',
    "ca_staffing": 'states = ["USA", "DEU"]',
    "training": 'states = ["DEU", "FRA"]',
    "preservation_24_7": 'states = ["USA", "IRL", "GBR"]',
    "data_retention": 'states = ["USA", "IRL"]',
    "join": 'instrument = "second_protocol"\nstates = ["USA", "GBR", "DEU"]',
    "in_force": 'instrument = "second_protocol"',
    "new_agreement": 'kind = "cloud_act"\nstates = ["DEU"]\npartners = ["USA"]',
}
"""A lever of each kind, with targets it would act on at a positive strength."""
US_BOTTLENECK = "\n[states.USA]\nca_staff = 1\n"
"""The tiny world with a one-person US central authority, so that its staffing matters."""
US_STAFFING = (
    f'\n[[levers]]\nlever = "ca_staffing"\nstrength = 1.0\nstates = ["USA"]\nstart = {START}\n'
)
WAITS = [f"{stage}_wait_days" for stage in ("outgoing_review", "legal_review")]


def lever_table(kind: str, strength: float) -> str:
    """TOML of one lever of ``kind`` with the targets of :data:`INERT_LEVERS`."""
    return (
        f'\n[[levers]]\nlever = "{kind}"\nstrength = {strength}\n'
        f"{INERT_LEVERS[kind]}\nstart = {START}\n"
    )


def run(directory: Path, write_tiny, name: str, extra: str, replications: int) -> RunResult:
    """Run the tiny scenario (seed 11) with ``extra`` TOML appended."""
    path = write_tiny(directory, name, seed=11, replications=replications, extra=extra)
    return run_scenario(load_scenario(path))


def rows_of(requests: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """The requests between two states (both directions), in a fixed order."""
    codes = requests["requesting"].astype(str), requests["requested"].astype(str)
    chosen = ((codes[0] == first) & (codes[1] == second)) | (
        (codes[0] == second) & (codes[1] == first)
    )
    ordered = requests[chosen.to_numpy()].sort_values(["replication", "request_id"])
    return ordered.reset_index(drop=True)


# -- an inert lever --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def without_levers(tmp_path_factory, write_tiny) -> RunResult:
    """The tiny scenario, one replication, no lever."""
    return run(tmp_path_factory.mktemp("crn"), write_tiny, "plain", "", 1)


def test_every_lever_kind_is_listed() -> None:
    """The inert-lever test covers every lever of the registry."""
    from sim.vocabulary import LEVER_NAMES

    assert set(INERT_LEVERS) == set(LEVER_NAMES)


@pytest.mark.parametrize("kind", sorted(INERT_LEVERS))
def test_an_inert_lever_leaves_every_row_identical(
    kind: str, without_levers: RunResult, tmp_path, write_tiny
) -> None:
    """A lever of strength 0 gives exactly the rows of no lever: requests and time series."""
    inert = run(tmp_path, write_tiny, kind, lever_table(kind, 0.0), 1)
    pd.testing.assert_frame_equal(inert.requests, without_levers.requests)
    pd.testing.assert_frame_equal(inert.timeseries, without_levers.timeseries)


# -- a lever on a queue the pair never waits in ------------------------------------------------


@pytest.fixture(scope="module")
def staffing_pair(tmp_path_factory, write_tiny) -> tuple[RunResult, RunResult]:
    """The tiny world with a US bottleneck, without and with doubled US staff (2 replications)."""
    directory = tmp_path_factory.mktemp("crn_pair")
    plain = run(directory, write_tiny, "bottleneck", US_BOTTLENECK, 2)
    staffed = run(directory, write_tiny, "staffed", US_BOTTLENECK + US_STAFFING, 2)
    return plain, staffed


def test_the_staffing_lever_changes_the_requests_it_acts_on(staffing_pair) -> None:
    """Doubling the US authority's staff shortens waits there: rows to and from the USA change."""
    plain, staffed = staffing_pair
    for other in ("DEU", "GBR"):
        before, after = (
            rows_of(plain.requests, "USA", other),
            rows_of(staffed.requests, "USA", other),
        )
        assert len(before) == len(after) > 0
        assert not before.equals(after)
    us_wait = plain.requests.loc[plain.requests["requested"] == "USA", "legal_review_wait_days"]
    staffed_wait = staffed.requests.loc[
        staffed.requests["requested"] == "USA", "legal_review_wait_days"
    ]
    assert staffed_wait.mean() < us_wait.mean()


@pytest.mark.parametrize(
    "pair", [("DEU", "FRA"), ("DEU", "GBR"), ("FRA", "IRL"), ("GBR", "IRL")], ids="-".join
)
def test_a_pair_that_never_waits_at_the_lever_keeps_its_rows(pair, staffing_pair) -> None:
    """A staffing lever on the US authority leaves a pair of other states' rows identical.

    The pair's requests never reach the US authority, and the queues they do use (their own
    central authorities, through formal MLA) never made any of them wait, with or without the
    lever: so nothing the lever does reaches them. Every row between the two states, in both
    directions (ids, channels, outcomes, every stage time and wait, to the last bit), is the
    same in both runs.
    """
    plain, staffed = (rows_of(result.requests, *pair) for result in staffing_pair)
    assert len(plain) > 100
    for rows in (plain, staffed):
        assert (rows[WAITS].to_numpy() == 0.0).all()
    pd.testing.assert_frame_equal(staffed, plain)


# -- a request's draws, whatever the order of events --------------------------------------------


def request_positions(passes: int = 3) -> list[int]:
    """Every position a request can draw at in its first ``passes`` passes (offsets from its key).

    Its need's draws and its case's (on the case's first need); for each pass, channel and
    stage, the stage's time and decisions; for each channel, the attempt's preservation time,
    success and escalation.
    """
    positions = [DATA, DATA_AGE, LEGAL_TESTS, _CASE, PROVIDER_CHOICE, _EMERGENCY]
    for name in CHANNELS:
        block, next_pass = channel_blocks(name)
        attempt = block + _ATTEMPT
        positions += [attempt + PRESERVATION_TIME, attempt + PRESERVATION, attempt + ESCALATION]
        positions.append(attempt + APPROVAL)
        for visit in range(passes):
            for index in range(len(STAGES)):
                stage = block + visit * next_pass + index * _SLOTS * STEP
                positions += [stage + offset for offset in (TIME, PROVIDER, CONTENT_ORDER, REVIEW)]
    return positions


def test_every_purpose_of_a_request_has_its_own_position() -> None:
    """No two draws of a request share a position: each purpose has its own numbers."""
    positions = request_positions()
    assert len(set(positions)) == len(positions)
    assert min(positions) > 0


def test_a_request_never_reaches_its_cases_variable_draws() -> None:
    """Even after the most returns a channel allows, a request draws below ``CASE_DRAWS``.

    The case's Poisson and holder draws sit from ``CASE_DRAWS`` on under its first need's
    key, so they can never be a draw of that need's request.
    """
    most_passes = 1 + 1_000  # max_clarifications is at most 1,000
    last = max(request_positions(passes=most_passes))
    assert last < CASE_DRAWS * STEP


def test_the_first_channels_keep_their_blocks_and_later_ones_come_after() -> None:
    """The first ten channels keep the blocks they always had; channels added later sit beyond.

    Adding a channel must not move another channel's draws, or every run's rows would change
    although no request can use the new channel (tests/test_regression.py).
    """
    block_size = (len(STAGES) + 1) * _SLOTS
    assert set(FIRST_LAYOUT) | set(LATER_CHANNELS) == set(CHANNELS)
    assert not set(FIRST_LAYOUT) & set(LATER_CHANNELS)
    for number, name in enumerate(FIRST_LAYOUT):
        assert channel_blocks(name) == (
            (_FIRST_BLOCK + number * block_size) * STEP,
            len(FIRST_LAYOUT) * block_size * STEP,
        )
    first_end = (_FIRST_BLOCK + 1_001 * len(FIRST_LAYOUT) * block_size) * STEP
    assert all(channel_blocks(name)[0] >= LATER_LAYOUT * STEP for name in LATER_CHANNELS)
    assert first_end < LATER_LAYOUT * STEP


def test_compiled_channels_place_their_stages_in_the_layout() -> None:
    """A compiled channel's block and stage positions are those of the request layout."""
    from sim.config.loading import default_settings, validate_settings

    scenario = validate_settings(default_settings())
    allowed = set(request_positions(passes=1))
    for name in CHANNELS:
        plan = compile_channel(name, getattr(scenario.channels, name))
        assert (plan.at, plan.next_pass) == channel_blocks(name)
        for stage in plan.stages:
            assert plan.at + stage.at + TIME in allowed


def test_a_requests_stage_times_do_not_depend_on_the_order_of_events() -> None:
    """A request's stage times are the same whether drawn alone or among others', any order.

    Keys are those of two needs of two states' cases; the stage times of a bilateral MLAT
    request are drawn through the compiled channel's samplers, first for one request alone,
    then for both, interleaved in a shuffled order (as events would interleave them).
    """
    from sim.config.loading import default_settings, validate_settings

    scenario = validate_settings(default_settings())
    plan = compile_channel("bilateral_mlat", scenario.channels.bilateral_mlat)
    root = RandomStreams(11, 0).root("requests")
    first = child(state_key(root, "DEU"), 17 * PER_CASE)  # case 17's first holder
    second = child(state_key(root, "FRA"), 17 * PER_CASE)
    draws = [
        (key, visit, stage)
        for key in (first, second)
        for visit in range(2)
        for stage in plan.stages
    ]

    def time(key: int, visit: int, stage) -> float:
        return stage.sample(key + plan.at + visit * plan.next_pass + stage.at)

    alone = [time(*draw) for draw in draws if draw[0] == first]
    random.Random(1).shuffle(draws)
    mixed = {(key, visit, stage.index): time(key, visit, stage) for key, visit, stage in draws}
    again = [mixed[(first, visit, stage.index)] for visit in range(2) for stage in plan.stages]
    assert again == alone
    assert len(set(alone)) == len(alone)  # distinct purposes, distinct numbers


def test_case_draws_computed_in_blocks_are_the_keyed_draws() -> None:
    """Each case's first draws, computed a block at a time with numpy, are the keyed draws.

    Exactly the scalar draws at the same positions, across block boundaries and for cases
    asked out of order.
    """
    key = state_key(RandomStreams(11, 3).root("requests"), "DEU")
    blocks = CaseDraws(key, PER_CASE, _CASE, _EXTRA_HOLDERS, _HOLDERS, DATA, DATA_AGE)
    for number in [*range(2 * BLOCK + 3), 10_000, 10_001, 5]:
        need = child(key, number * PER_CASE)
        expected = (
            need,
            *uniforms_at(need + _CASE),
            uniform_at(need + _EXTRA_HOLDERS),
            uniform_at(need + _HOLDERS),
            *uniforms_at(need + DATA),
            exponential_at(need + DATA_AGE),
        )
        assert blocks.case(number) == expected, number
