"""Tests that an interrupted ``mlatsim run`` ends at once, cleanly, and leaves nothing behind.

Each test starts a real run (``python -m sim run``, two workers, 28 replications of the tiny
scenario: well over ten seconds of work) in a session of its own, waits until both workers
are busy simulating, then signals it. Processes are found in ``/proc``, so these tests run on
Linux only. Two quicker tests check the SIGTERM handler and a failing replication in a worker.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.config.loading import load_scenario
from sim.experiments.interrupt import Terminated, handle_termination
from sim.experiments.runner import run_scenario

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds processes in /proc (Linux)"
)

EXIT_BOUND_SECONDS = 5.0  # the goal is 2 s; slack for a loaded two-core machine
GONE_BOUND_SECONDS = 3.0  # for every process of the run to be gone after its main one
BUSY_CPU_SECONDS = 2.5  # a worker past its imports (about 2 s of CPU) and into replications
START_TIMEOUT_SECONDS = 120.0

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

Identity = tuple[int, int]  # a process id and its start time, so a reused id is not confused


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name, or None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _identity(pid: int) -> Identity | None:
    fields = _stat(pid)
    return None if fields is None else (pid, int(fields[19]))


def _running(identity: Identity) -> bool:
    """Whether the process exists, is the same one, and is not a zombie (dead, unreaped)."""
    fields = _stat(identity[0])
    return fields is not None and int(fields[19]) == identity[1] and fields[0] != "Z"


def _descendants(root: int) -> list[Identity]:
    """Every process below ``root`` (children, their children, ...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found.extend(children)
        frontier = children
    return [identity for pid in found if (identity := _identity(pid)) is not None]


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / _TICKS


@contextlib.contextmanager
def _sigint_not_ignored() -> Iterator[None]:
    """Let the started process take SIGINT even if this one was started ignoring it.

    A process started with SIGINT ignored (a shell's background job) rightly keeps ignoring
    it, and would ignore the test's signal too.
    """
    if (
        signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Run:
    """A running ``mlatsim run`` and the places it may leave things."""

    process: subprocess.Popen[str]
    out: Path
    family: list[Identity] = field(default_factory=list)

    def wait_until_busy(self) -> None:
        """Wait until both workers exist and are simulating; remember every child process."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the run ended before it was signalled"
            family = _descendants(self.process.pid)
            workers = [pid for pid, _ in family if _is_worker(pid)]
            if len(workers) == 2 and all(_cpu_seconds(pid) >= BUSY_CPU_SECONDS for pid in workers):
                self.family = family
                return
            time.sleep(0.05)
        pytest.fail(f"two busy workers did not appear within {START_TIMEOUT_SECONDS:.0f} s")

    def left_running(self, within: float) -> list[Identity]:
        """The run's processes still running after up to ``within`` seconds of waiting."""
        deadline = time.monotonic() + within
        while True:
            left = [identity for identity in self.family if _running(identity)]
            if not left or time.monotonic() >= deadline:
                return left
            time.sleep(0.02)

    def leftovers(self) -> list[str]:
        """What the run left in the result directory's parent (nothing, when interrupted)."""
        return sorted(path.name for path in self.out.parent.iterdir())


@pytest.fixture
def start_run(tmp_path: Path, write_tiny) -> Iterator[Callable[[], Run]]:
    """A function starting ``python -m sim run`` on the tiny scenario; killed after the test."""
    runs: list[Run] = []

    def start() -> Run:
        scenario = write_tiny(tmp_path)
        out = tmp_path / "results" / "out"
        out.parent.mkdir()
        command = [sys.executable, "-m", "sim", "run", str(scenario), "--workers", "2"]
        command += ["--replications", "28", "--out", str(out), "--quiet"]
        with _sigint_not_ignored():
            process = subprocess.Popen(
                command,
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        run = Run(process, out)
        runs.append(run)
        return run

    yield start
    for run in runs:  # a failed test must not leave its processes behind
        if run.process.poll() is None:  # not reaped, so its group id is still its own
            os.killpg(run.process.pid, signal.SIGKILL)
        for identity in run.family:
            if _running(identity):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(identity[0], signal.SIGKILL)
        run.process.wait(timeout=30)
        run.process.stderr.close()


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="signal handlers are set in the main thread",
)
def test_sigterm_raises_terminated():
    """After ``handle_termination()`` (twice is fine) SIGTERM raises ``Terminated``.

    ``Terminated`` is a BaseException, so ``except Exception`` in between does not swallow it.
    """
    previous = signal.getsignal(signal.SIGTERM)
    try:
        handle_termination()
        handle_termination()
        with pytest.raises(Terminated):
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler raises here, at the latest
            except Exception:  # pragma: no cover - the point is that this is not reached
                pytest.fail("Terminated was caught as an Exception")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not issubclass(Terminated, Exception)


def test_failed_replication_in_a_worker_is_raised_and_workers_end(tmp_path, write_tiny):
    """A replication failing in a worker: its error reaches the caller, no worker is left.

    The error carries the worker's traceback as its cause; the other worker is killed rather
    than left to finish its replication.
    """
    scenario = load_scenario(write_tiny(tmp_path, replications=4))
    with pytest.raises(Exception, match=r"states\.csv") as raised:
        run_scenario(scenario, workers=2, world_dir=tmp_path / "no_such_world")
    assert "Traceback" in str(raised.value.__cause__)
    assert multiprocessing.active_children() == []


@needs_proc
@pytest.mark.parametrize(
    ("signal_name", "to_group", "status", "line"),
    [
        pytest.param("SIGINT", True, 130, "mlatsim: interrupted", id="ctrl-c"),
        pytest.param("SIGTERM", False, 143, "mlatsim: terminated", id="kill"),
        pytest.param("SIGTERM", True, 143, "mlatsim: terminated", id="kill-group"),
    ],
)
def test_signal_ends_run_at_once_and_cleanly(start_run, signal_name, to_group, status, line):
    """SIGINT or SIGTERM while workers simulate: exit within seconds, with one line.

    Ctrl-C in a terminal reaches the whole process group (workers too); ``kill PID`` only the
    main process; a service manager's stop the whole group. In each case the run exits with
    128 + the signal's number well before its work is done, prints exactly one line on
    standard error (no traceback, from it or its workers), leaves no process of it running and
    no result or staging directory.
    """
    run = start_run()
    run.wait_until_busy()
    signum = getattr(signal, signal_name)
    sent = time.monotonic()
    if to_group:
        os.killpg(run.process.pid, signum)
    else:
        run.process.send_signal(signum)
    code = run.process.wait(timeout=60)
    seconds = time.monotonic() - sent
    print(f"{signal_name} to {'group' if to_group else 'process'}: exit {code} in {seconds:.2f} s")
    assert seconds < EXIT_BOUND_SECONDS
    assert code == status
    assert run.left_running(GONE_BOUND_SECONDS) == []
    stderr = run.process.stderr.read()
    assert "Traceback" not in stderr
    assert stderr.splitlines() == [line]
    assert run.leftovers() == []


@needs_proc
def test_workers_die_with_a_killed_run(start_run):
    """SIGKILL to the main process: its workers and resource tracker are gone within seconds.

    Nothing can clean up after SIGKILL in the killed process itself; the workers must notice
    their parent's death (the kernel's parent-death signal, or their pipe to it closing) and
    the resource tracker then ends as its pipe closes.
    """
    run = start_run()
    run.wait_until_busy()
    assert len(run.family) >= 3  # two workers and the resource tracker
    sent = time.monotonic()
    run.process.kill()
    run.process.wait(timeout=60)
    left = run.left_running(GONE_BOUND_SECONDS)
    print(f"SIGKILL: children gone in {time.monotonic() - sent:.2f} s")
    assert left == []
