"""The requested state's review (``sim.rules.legal_review``) in runs of the model.

The requesting state's clarification factor scales its returns, the data-protection review
never refuses among EU/EEA states or towards a state with law-enforcement adequacy, and dual
criminality is tested only as the instruments allow: for coercive measures, never for
preservation, never for child sexual abuse material.
"""

from dataclasses import replace

import pytest
from model_runs import (
    finished,
    make_scenario,
    only,
    quiet,
    run_model,
    state_settings,
)

from sim.rules.channels import TREATY_MLA_INSTRUMENTS
from sim.vocabulary import CHANNELS
from sim.world.data import WorldData, load_world_data


@pytest.fixture(scope="module")
def data() -> WorldData:
    """The packaged world data, read once."""
    return load_world_data()


@pytest.fixture(scope="module")
def untreated(data: WorldData) -> WorldData:
    """The packaged world without the multilateral MLA treaties (UNTOC, ETS 030, ...).

    UNTOC binds nearly every pair and so closes Budapest Art. 27 (Art. 27(1)) and letters
    rogatory; without it, those channels open to the pairs these review tests need.
    """
    return replace(
        data,
        memberships=tuple(
            m for m in data.memberships if m.instrument not in TREATY_MLA_INSTRUMENTS
        ),
    )


def test_clarification_factor_scales_returns(data: WorldData) -> None:
    """A state with clarification factor 0 (perfect forms) is never sent back."""
    codes = ["GBR", "USA"]
    scenario = make_scenario(
        codes,
        only("bilateral_mlat"),
        quiet(),
        {
            "channels": {"bilateral_mlat": {"p_clarify": 1.0, "max_clarifications": 1}},
            "preservation": {"enabled": False},
            "states": {"GBR": {"clarification_factor": 0.0}, "USA": {"clarification_factor": 1.0}},
        },
        days=365,
    )
    _, frame = run_model(data, scenario)
    done = finished(frame)
    from_gbr = done["requesting"] == "GBR"
    assert from_gbr.sum() > 20
    assert (~from_gbr).sum() > 20
    assert (done.loc[from_gbr, "clarifications"] == 0).all()
    assert set(done.loc[~from_gbr, "reason"].astype(str)) == {"too_many_clarifications"}


def test_no_data_protection_refusals_among_eu_states_and_gbr(data: WorldData) -> None:
    """Between EU/EEA states and towards the UK the data-protection review never refuses."""
    codes = ["DEU", "FRA", "GBR", "NLD"]
    changes = {
        "channels": {name: {"p_refuse_data_protection": 1.0} for name in CHANNELS},
    }
    _, frame = run_model(data, make_scenario(codes, changes, days=365))
    assert len(finished(frame)) > 200
    assert "data_protection" not in set(frame["reason"].astype(str))


def strict_review(codes: list[str], channel: str) -> dict:
    """Only ``channel``, quiet but for a certain dual-criminality test of every data type it lists.

    The requested states have no cybercrime law (completeness 0) and every crime type the
    same label factor, so the risk is 1 wherever the rules let the test apply.
    """
    crime_types = make_scenario(codes).crime_types
    return {
        "channels": {channel: {"p_refuse_dual_criminality": 1.0, "conduct_test": False}},
        "crime_types": {name: {"dual_criminality_factor": 1.0} for name in crime_types},
        "states": {code: {"cyber_law_completeness": 0.0} for code in codes},
    }


@pytest.mark.parametrize(
    ("channel", "codes", "tested"),
    [
        ("bilateral_mlat", ["GBR", "USA"], {"content"}),
        ("budapest_mla", ["FRA", "JPN"], {"traffic", "content"}),  # Parties, no other treaty
    ],
)
def test_dual_criminality_refusals_only_for_coercive_data_types(
    untreated: WorldData, channel: str, codes: list[str], tested: set[str]
) -> None:
    """Dual criminality is tested only for the data types whose measure is coercive.

    1959 European Convention Art. 5(1)(a): a Party may make search or seizure, not every
    assistance, depend on dual criminality; EU-Japan MLA Agreement: only assistance needing
    enforcement action. In a run where the test cannot be passed, every request for a tested
    data type is refused on it, and no request for subscriber information is.
    """
    scenario = make_scenario(
        codes,
        only(channel),
        quiet(),
        {"preservation": {"enabled": False}},
        strict_review(codes, channel),
        days=365,
    )
    _, frame = run_model(untreated, scenario)
    done = finished(frame)
    refused = done["reason"].astype(str) == "dual_criminality"
    data_type = done["data_type"].astype(str)
    assert (data_type == "subscriber").sum() > 20
    assert set(data_type[refused]) == tested
    assert refused[data_type.isin(tested)].all()
    assert (done.loc[data_type == "subscriber", "outcome"].astype(str) == "fulfilled").all()


def test_preservation_is_never_refused_on_dual_criminality(untreated: WorldData) -> None:
    """Budapest Art. 29(3): dual criminality shall not be a condition of preservation.

    With the formal request certain to fail dual criminality (no cybercrime law in the
    requested state, content only), the data are still preserved first: preservation has no
    dual-criminality review, and every request it was asked for is preserved.
    """
    codes = ["FRA", "JPN"]
    scenario = make_scenario(
        codes,
        only("budapest_mla"),
        quiet(),
        strict_review(codes, "budapest_mla"),
        {
            "demand": {"data_age_days": 0.0},
            "preservation": {"enabled": True, "p_success": 1.0},
            "crime_types": {
                name: {"subscriber": 0.0, "traffic": 0.0, "content": 1.0}
                for name in make_scenario(codes).crime_types
            },
        },
        state_settings(codes, retention_days=60.0),
        days=365,
    )
    _, frame = run_model(untreated, scenario)
    done = finished(frame)
    assert len(done) > 20
    assert (done["reason"].astype(str) == "dual_criminality").all()
    assert done["preserved"].mean() > 0.95


def test_child_abuse_material_is_never_refused_on_dual_criminality(untreated: WorldData) -> None:
    """CSAM is an offence nearly everywhere (OPSC Art. 3(1)(c), Lanzarote Art. 20, Budapest Art. 9).

    With the packaged crime factors, letters rogatory that cannot pass the test for other
    crime types (content requests to states without cybercrime law) never refuse a
    child-abuse-material request on it.
    """
    codes = ["KEN", "AFG"]
    changes = strict_review(codes, "letters_rogatory")
    changes["crime_types"] = {  # content only, the packaged crime factors
        name: {"subscriber": 0.0, "traffic": 0.0, "content": 1.0} for name in changes["crime_types"]
    }
    scenario = make_scenario(
        codes,
        only("letters_rogatory"),
        quiet(),
        {"preservation": {"enabled": False}},
        changes,
        days=365,
    )
    _, frame = run_model(untreated, scenario)
    done = finished(frame)
    csam = done["crime_type"].astype(str) == "csam"
    refused = done["reason"].astype(str) == "dual_criminality"
    assert csam.sum() > 10
    assert refused[~csam].mean() > 0.5  # certain for factors of 1 or more, half for fraud
    assert not refused[csam].any()
