"""Prompt, clean ends: SIGTERM as an exception, and workers that neither outlive nor echo a run.

The main process turns SIGTERM into :class:`Terminated`, as Python turns SIGINT into
``KeyboardInterrupt``, so that cleanup code runs (the runner kills its workers) and the command
line can end with one line and exit status 143.

Worker processes start in :func:`start_worker`, which calls :func:`prepare_worker` before it
imports anything heavy: they ignore SIGINT (a terminal's Ctrl-C reaches the whole process
group, and the parent ends them itself, without a traceback from each) and they die when their
parent dies, even by SIGKILL.
"""

from __future__ import annotations

import ctypes
import importlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_PARENT_POLL_SECONDS = 0.5


class Terminated(BaseException):
    """SIGTERM arrived: the process was asked to end (a BaseException, like KeyboardInterrupt)."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def handle_termination() -> None:
    """Raise :class:`Terminated` in the main thread whenever SIGTERM arrives.

    Call it from the main thread; calling it again changes nothing. Child processes started by
    ``spawn`` do not keep the handler (it is reset on exec).
    """
    signal.signal(signal.SIGTERM, _raise_terminated)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM in this thread while the block starts worker processes.

    Processes started inside begin with both signals blocked, so a Ctrl-C while they are still
    importing cannot print a traceback from them (:func:`prepare_worker` then ignores SIGINT
    and restores SIGTERM). In this process a held signal is delivered when the block ends,
    unless another thread took it earlier. Does nothing where signal masks do not exist.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Let cleanup finish: a Ctrl-C or SIGTERM inside the block takes effect when it ends.

    A user who presses Ctrl-C again while an interrupted run removes its staging directory
    would otherwise stop the removal half-way and leave part of it behind. Inside the block
    both signals are only noted; at its end the first one noted is raised as
    ``KeyboardInterrupt`` or :class:`Terminated`. Handlers can be set only in the main thread,
    so elsewhere the block changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if noted:
            raise KeyboardInterrupt if noted[0] == signal.SIGINT else Terminated


def start_worker(parent_pid: int, target: str, *args: Any) -> None:
    """Run a worker process: :func:`prepare_worker`, then ``target(*args)``.

    Give this function as a ``spawn`` process's target, so that the worker is prepared within
    moments of starting: the real target is named, not pickled, and imported only afterwards
    (importing the simulation takes seconds, during which a parent's death would otherwise
    leave the worker running).

    Args:
        parent_pid: The process id of the parent starting the worker (``os.getpid()`` there).
        target: The function to run, as ``"package.module:function"``.
        *args: Its arguments (keep them cheap to unpickle: send the rest over a pipe).
    """
    prepare_worker(parent_pid)
    module, _, name = target.partition(":")
    getattr(importlib.import_module(module), name)(*args)


def prepare_worker(parent_pid: int) -> None:
    """Make this worker process ignore Ctrl-C and end as soon as its parent ends.

    SIGINT is ignored and SIGTERM has its default action (the process ends). On Linux the
    kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``); elsewhere, and as a
    second guard, a daemon thread ends the process when the parent is gone.

    Args:
        parent_pid: The process id of the parent that started this worker.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    _kill_me_with_parent()
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True
    ).start()


def _kill_me_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies; elsewhere do nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(
            ctypes.c_int(_PR_SET_PDEATHSIG),
            ctypes.c_ulong(signal.SIGKILL),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
        )
    except (OSError, AttributeError):
        pass  # no usable libc: the watching thread still ends this process


def _watch_parent(parent_pid: int) -> None:
    """End this process once the parent is gone (its pipe closed, or another parent id)."""
    parent = multiprocessing.parent_process()
    while True:
        if parent is not None:
            parent.join(_PARENT_POLL_SECONDS)  # returns at once when the parent's pipe closes
            if not parent.is_alive():
                os._exit(1)
        else:
            threading.Event().wait(_PARENT_POLL_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)
