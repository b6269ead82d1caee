"""Every parameter has a status (sourced, fitted, derived, assumed), and the docs table is current.

The checks read the real ``defaults.toml``, ``parameters.csv`` and ``calibration.toml``, so a
parameter added, renamed or removed on another branch fails here with a message naming it;
the fix is one line in ``sim/data/parameter_status.toml`` and
``.venv/bin/python tools/parameter_table.py --write``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from model_runs import load_tool

ROOT = Path(__file__).resolve().parents[1]


tool = load_tool("parameter_table")


@pytest.fixture(scope="module")
def status() -> dict:
    """The real status file."""
    return tool.load_status()


@pytest.fixture(scope="module")
def keys() -> dict[str, list[str]]:
    """The parameters of the real defaults, parameters.csv and calibration."""
    return tool.model_keys()


def test_every_parameter_has_exactly_one_valid_entry(status: dict, keys: dict) -> None:
    """The real files: no parameter without an entry, no entry without a parameter."""
    found = tool.problems(status, keys)
    assert not found, "parameter_status.toml disagrees with the model:\n" + "\n".join(found)


def test_the_real_files_have_the_keys_the_checks_rely_on(keys: dict) -> None:
    """The reader finds the parameters (an empty read would pass every check)."""
    # Guards the reader itself: if it read nothing, every check above would pass vacuously.
    assert "channels.bilateral_mlat.p_clarify" in keys["defaults"]
    assert "channels.eio.stages.execution.time.mean" in keys["defaults"]
    assert "cases_per_year" in keys["parameters"]
    assert "iso3" not in keys["parameters"] and "basis" not in keys["parameters"]
    assert "formal_time_scale" in keys["fitted"]


def test_a_missing_entry_is_named(status: dict, keys: dict) -> None:
    """A parameter of each file without an entry is named in the message."""
    changed = copy.deepcopy(status)
    del changed["defaults"]["routing.max_channels"]
    del changed["parameters"]["cases_per_year"]
    del changed["fitted"]["formal_time_scale"]
    found = "\n".join(tool.problems(changed, keys))
    assert "defaults: routing.max_channels has no entry" in found
    assert "parameters: cases_per_year has no entry" in found
    assert "fitted: formal_time_scale has no entry" in found


def test_an_entry_without_a_key_is_named(status: dict, keys: dict) -> None:
    """An entry for a parameter that does not exist is named."""
    changed = copy.deepcopy(status)
    entry = {"status": "assumed", "value": "1", "source": "a reason"}
    changed["defaults"]["routing.p_no_such_thing"] = entry
    changed["parameters"]["no_such_column"] = entry
    found = "\n".join(tool.problems(changed, keys))
    assert "defaults: entry routing.p_no_such_thing names no existing key" in found
    assert "parameters: entry no_such_column names no existing key" in found


def test_a_key_removed_from_the_model_leaves_a_stale_entry(status: dict, keys: dict) -> None:
    """Removing a parameter from the model makes its entry the one problem."""
    changed = {group: [k for k in names if k != "demand.scale"] for group, names in keys.items()}
    found = tool.problems(status, changed)
    assert found == ["defaults: entry demand.scale names no existing key"]


def test_a_bad_status_or_field_is_named(status: dict, keys: dict) -> None:
    """A status outside the four, and an empty source, are refused."""
    changed = copy.deepcopy(status)
    changed["defaults"]["demand.scale"] = {"status": "guessed", "value": "1.0", "source": ""}
    found = "\n".join(tool.problems(changed, keys))
    assert "defaults.demand.scale: status 'guessed' is not one of" in found
    assert "defaults.demand.scale: field 'source' is missing" in found


def test_two_entries_for_one_key_are_named(status: dict, keys: dict) -> None:
    """A table entry and an entry inside it may not both cover a leaf."""
    changed = copy.deepcopy(status)
    changed["defaults"]["channels.eio.stages.execution.time"] = {
        "status": "assumed",
        "value": "x",
        "source": "y",
    }
    found = "\n".join(tool.problems(changed, keys))
    assert "channels.eio.stages.execution.time.mean is covered by several entries" in found


def test_model_doc_table_is_the_rendered_one(status: dict) -> None:
    """docs/model.md section 9a is exactly what the tool renders."""
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert tool.between_markers(text) == tool.render(status), (
        "docs/model.md section 9a is stale: run .venv/bin/python tools/parameter_table.py --write"
    )


def test_section_9a_sits_right_before_section_10() -> None:
    """The new section is placed right before section 10."""
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    where = headings.index("## 9a. Every parameter: sourced, fitted or assumed")
    assert headings[where + 1] == "## 10. What the model does not represent"
