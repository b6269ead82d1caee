"""``docs/tutorial.ipynb`` runs from top to bottom with the current code, so it never goes stale.

The notebook is executed in a fresh kernel (nbclient) in a temporary working directory,
where it writes its scenarios and results; any cell that raises fails the test. It runs on
the packaged calibration, as a researcher would run it (``calibrated``).
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
BUDGET_SECONDS = 120
"""The notebook must stay quick: a test suite runs it every time."""


@pytest.mark.calibrated
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jupyter_client's own, not ours
def test_the_tutorial_runs(tmp_path):
    """Every cell runs without error, the story is printed, and it takes under two minutes."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=BUDGET_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": tmp_path}},
    )
    began = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - began
    outputs = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "Outcome: fulfilled" in outputs
    assert "Outcome: refused (" in outputs
    assert (tmp_path / "results" / "teaching" / "timeline.parquet").is_file()
    assert seconds < BUDGET_SECONDS
