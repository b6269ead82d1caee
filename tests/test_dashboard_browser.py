"""The dashboard in a real browser: bad input, then a reform run against the teaching world.

``mlatsim dashboard`` is started as a user starts it, and driven with Playwright in Debian's
headless Chromium (``/usr/bin/chromium``, installed by ``make test`` when missing: Playwright's
own browser download cannot work here, so it is never used). Screenshots of the page before
and after a run are saved under the test's temporary directory; the story panel's, after
picking "a refused one", also as ``docs/images/dashboard_story.png``.

Marked ``slow`` (a minute or so: two runs of the teaching world at two replications), so
``make test`` runs it after the parallel tests, alone on the cores.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "scenarios" / "teaching.toml"
RESULT_SECONDS = 150.0
"""The longest a run may take here (the machine's two cores may be shared)."""

pytestmark = [pytest.mark.slow, pytest.mark.calibrated]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a dashboard serving the teaching world, stopped after the tests."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    env = {key: value for key, value in os.environ.items() if key != "MLATSIM_UNCALIBRATED"}
    command = [sys.executable, "-m", "sim", "dashboard", str(TEACHING)]
    command += ["--port", str(_free_port()), "--workers", "2"]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        address = None
        deadline = time.monotonic() + 60
        while address is None and time.monotonic() < deadline:
            found = re.search(r"http://127\.0\.0\.1:\d+/", log.read_text())
            if found:
                address = found.group(0)
            elif server.poll() is not None:
                pytest.fail(f"the dashboard ended: {log.read_text()}")
            else:
                time.sleep(0.2)
        assert address is not None, log.read_text()
        yield address
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
    folder = re.search(r"runs kept in (\S+) until", log.read_text())
    assert folder is not None and not Path(folder.group(1)).exists()  # removed when it stopped


@pytest.fixture
def page(dashboard: str):  # -> playwright Page
    """A fresh page of the dashboard in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.goto(dashboard)
            tab.wait_for_selector(".mlatsim-run", timeout=60_000)
            yield tab
        finally:
            browser.close()


def _switch(page, lever: str) -> None:
    page.locator(f".mlatsim-switch-{lever} .v-input--selection-controls__ripple").click()
    page.wait_for_selector(f".mlatsim-strength-{lever} input", timeout=10_000)


def _type(page, selector: str, text: str) -> None:
    field = page.locator(f"{selector} input")
    field.fill(text)
    field.press("Enter")


def test_bad_input_shows_the_command_lines_message_beside_the_field(page, tmp_path) -> None:
    """A strength out of range and a start outside the run: the CLI's line, by the field."""
    _switch(page, "ca_staffing")
    _type(page, ".mlatsim-strength-ca_staffing", "9")
    strength = page.locator(".mlatsim-strength-ca_staffing")
    message = "levers[0].strength: must be at most 4 for lever 'ca_staffing'"
    strength.get_by_text(message).wait_for(timeout=10_000)
    _type(page, ".mlatsim-strength-ca_staffing", "1")
    strength.get_by_text(message).wait_for(state="detached", timeout=10_000)
    _type(page, ".mlatsim-start-ca_staffing", "2032-01-01")
    start = page.locator(".mlatsim-start-ca_staffing")
    message = "levers[0].start: 2032-01-01 is outside the run (2026-09-01 to 2031-03-01)"
    start.get_by_text(message).wait_for(timeout=10_000)
    page.locator(".mlatsim-run").click()
    page.wait_for_timeout(1_000)
    assert page.locator(".mlatsim-progress").count() == 0  # nothing ran
    assert "Traceback" not in page.inner_text("body")
    page.locator(".mlatsim-lever-ca_staffing").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "bad_input.png"))


def _run(page) -> tuple[str, list[bytes]]:
    """Press Run, wait for the result; the differences table's text and the charts as drawn."""
    page.locator(".mlatsim-run").click()
    page.wait_for_selector(".mlatsim-done", state="detached", timeout=30_000)  # a former result
    page.wait_for_selector(".mlatsim-live", timeout=30_000)
    page.wait_for_selector(".mlatsim-done", timeout=RESULT_SECONDS * 1000)
    table = page.locator(".mlatsim-differences").inner_text()
    images = page.locator(".mlatsim-figure img")
    charts = []
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 100")
        charts.append(image.screenshot())
    return table, charts


def test_a_reform_run_shows_charts_and_differences_that_change_with_it(page, tmp_path) -> None:
    """Run a staffing reform, then a weaker one: charts and paired differences appear, change."""
    page.screenshot(path=str(tmp_path / "before.png"), full_page=True)
    page.get_by_text("Scenario fields").click()
    _type(page, ".mlatsim-field-simulation-replications", "2")
    _switch(page, "ca_staffing")
    _type(page, ".mlatsim-strength-ca_staffing", "4")
    began = time.monotonic()
    strong, strong_charts = _run(page)
    first = time.monotonic() - began
    page.locator(".mlatsim-live").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "after.png"))
    page.locator(".mlatsim-figure").nth(2).scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "figures.png"))
    assert len(strong_charts) >= 6
    assert "median time to evidence (days)" in strong and "bilateral_mlat" in strong
    differences = [float(cell) for cell in re.findall(r"\t(-?\d+\.\d+)\t", strong)]
    assert any(abs(value) > 0 for value in differences)  # the reform changes something
    assert page.locator(".mlatsim-world img").count() == 1
    _type(page, ".mlatsim-strength-ca_staffing", "0.25")
    weak, weak_charts = _run(page)
    assert weak != strong
    assert weak_charts[0] != strong_charts[0]  # the reform's time to evidence by channel
    assert "read back" in page.locator(".mlatsim-done").inner_text()  # the baseline: reused
    print(f"first result after {first:.1f} s")
    _story(page, tmp_path)


def _story(page, tmp_path: Path) -> None:
    """A bad id: the one-line message beside the field; then a refused request's story."""
    panel = page.locator(".mlatsim-story")
    panel.scroll_into_view_if_needed()
    _type(page, ".mlatsim-story-request", "99999999")
    field = page.locator(".mlatsim-story-request")
    field.get_by_text("replication 0 has no request 99999999").wait_for(timeout=30_000)
    assert page.locator(".mlatsim-story-figure").count() == 0
    page.locator(".mlatsim-pick-refused").click()
    image = page.locator(".mlatsim-story-figure")
    image.wait_for(timeout=30_000)
    field.get_by_text("has no request").wait_for(state="detached", timeout=10_000)
    image.scroll_into_view_if_needed()
    assert image.evaluate("img => img.complete && img.naturalWidth > 500")
    reason = page.locator(".mlatsim-story-reason").inner_text()
    assert reason.startswith("Outcome: refused (") and len(reason) > 40, reason
    facts = page.locator(".mlatsim-story-facts").inner_text()
    assert "Channels tried:" in facts and "Returns for clarification:" in facts
    downloads = panel.get_by_text(re.compile(r"(PNG|CSV): story_0_\d+\.(png|csv)"))
    assert downloads.count() == 2
    assert "Traceback" not in page.inner_text("body")
    panel.screenshot(path=str(tmp_path / "story.png"))
    panel.screenshot(path=str(ROOT / "docs" / "images" / "dashboard_story.png"))
