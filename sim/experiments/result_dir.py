"""Result directories: written whole or not at all, and never over a user's own folder.

A run, a comparison or a calibration writes into a hidden staging directory beside its
destination, made before any simulation starts (so an unwritable place is reported at once,
not after an hour) and moved into place when complete. An existing destination is replaced
only if it is empty or is itself a result of the same kind, recognised by the format tag in
its ``manifest.json``; anything else (a folder of notes, the current directory, the folder
holding the scenario file, ``results/`` itself) is refused with one line naming it. A
staging directory left behind by a killed run carries its process id and is removed by the
next run to the same destination.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from sim.errors import InputError
from sim.experiments.interrupt import interrupts_deferred

RUN_FORMAT = "mlatsim-run/1"
"""Format tag in the manifest of a run's result directory."""
COMPARISON_FORMAT = "mlatsim-comparison/1"
"""Format tag in the manifest of a comparison directory."""
CALIBRATION_FORMAT = "mlatsim-calibration/1"
"""Format tag in the manifest of a calibration directory (``mlatsim calibrate --out``)."""
SWEEP_FORMAT = "mlatsim-sweep/1"
"""Format tag in the manifest of a sweep's directory (``mlatsim sweep``), which is resumed."""
MANIFEST = "manifest.json"
_KIND_NAMES = {
    RUN_FORMAT: "a run's result",
    COMPARISON_FORMAT: "a comparison",
    CALIBRATION_FORMAT: "a calibration",
    SWEEP_FORMAT: "a sweep",
}
_MAX_MANIFEST_BYTES = 64 << 20
_STAGING = "staging"
_RETIRED = "old"


def result_format(directory: Path) -> str | None:
    """The format tag of the result in ``directory``, or None if it holds no result.

    Manifests written before the tag existed are recognised by their keys.
    """
    path = Path(directory) / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > _MAX_MANIFEST_BYTES:
            return None
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(manifest, dict):
        return None
    tag = manifest.get("format")
    if tag in _KIND_NAMES:
        return str(tag)
    if {"scenario", "seed", "replications", "stream_derivation"} <= manifest.keys():
        return RUN_FORMAT
    if {"scenarios", "reference", "by"} <= manifest.keys():
        return COMPARISON_FORMAT
    return None


def _absolute(path: Path) -> Path:
    """``path`` made absolute and normalised, following no link of its own last part."""
    return Path(os.path.normpath(os.path.abspath(path)))


def _within(inner: Path, outer: Path) -> bool:
    """Whether ``inner`` is ``outer`` or lies below it, links resolved."""
    inner, outer = Path(os.path.realpath(inner)), Path(os.path.realpath(outer))
    return inner == outer or outer in inner.parents


def check_destination(destination: Path, kind: str, option: str = "--out") -> None:
    """Refuse a destination that must not be replaced by a result of ``kind``.

    Raises:
        InputError: naming ``option`` (or the directory) and what is wrong, including a path
            the system refuses outright (a name over 255 bytes, a path over 4096).
    """
    destination = Path(destination)
    try:
        _check_destination(destination, kind, option)
    except OSError as exc:
        raise InputError(option, f"'{destination}' cannot be used ({exc.strerror})") from None


def _check_destination(destination: Path, kind: str, option: str) -> None:
    shown = str(destination)
    if destination.is_symlink():
        raise InputError(option, f"'{shown}' is a symbolic link; name a directory itself")
    if _within(Path.cwd(), destination):
        raise InputError(
            option, f"'{shown}' holds the current directory; choose a directory of its own"
        )
    if destination.exists():
        if not destination.is_dir():
            raise InputError(option, f"'{shown}' exists and is not a directory")
        try:
            empty = not any(destination.iterdir())
        except OSError as exc:
            raise InputError(option, f"'{shown}' cannot be read ({exc.strerror})") from None
        found = None if empty else result_format(destination)
        if not empty and found != kind:
            what = (
                f"holds {_KIND_NAMES[found]}, not {_KIND_NAMES[kind]}"
                if found is not None
                else f"is not empty and holds no mlatsim result ({MANIFEST})"
            )
            raise InputError(
                option, f"'{shown}' {what}; choose a new or empty directory, it is never replaced"
            )
        return
    for parent in _absolute(destination).parents:
        if parent.is_symlink() and not parent.exists():
            raise InputError(option, f"'{parent}' is a broken symbolic link")
        if parent.exists():
            if not parent.is_dir():
                raise InputError(option, f"'{parent}' is a file, not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise InputError(option, f"'{parent}' is not writable")
            return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(destination: Path) -> None:
    """Remove staging and retired directories that runs to ``destination`` left on dying.

    Their names carry the process id of the run that made them; only those of processes no
    longer alive are removed, so a concurrent run to the same place keeps its own.
    """
    destination = _absolute(destination)
    for kind in (_STAGING, _RETIRED):
        for path in destination.parent.glob(f".{destination.name}.{kind}-*"):
            pid_text = path.name.removeprefix(f".{destination.name}.{kind}-").split("-", 1)[0]
            if pid_text.isdigit() and not _alive(int(pid_text)) and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)


def _umask() -> int:
    """The process's file-creation mask (reading it means setting it, so set it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class StagedDirectory:
    """A hidden directory beside ``destination`` that becomes it when complete.

    Use it as a context manager: write into :attr:`path`, then call :meth:`publish`;
    leaving the block without publishing (an error, Ctrl-C) removes the staging directory
    and any parent directories it had to create.

    Args:
        destination: Where the result goes.
        kind: :data:`RUN_FORMAT`, :data:`COMPARISON_FORMAT` or :data:`CALIBRATION_FORMAT`.
        option: The option or name to blame in errors.

    Raises:
        InputError: if the destination may not be replaced or cannot be written.
    """

    def __init__(self, destination: Path, kind: str, option: str = "--out") -> None:
        self.destination = _absolute(destination)
        self.kind = kind
        self.option = option
        self.published = False
        check_destination(Path(destination), kind, option)
        self._created: list[Path] = []
        try:
            missing = [p for p in self.destination.parents if not p.exists()]
            for parent in reversed(missing):
                parent.mkdir()
                self._created.append(parent)
            remove_stale(self.destination)
            self.path = Path(
                tempfile.mkdtemp(
                    prefix=f".{self.destination.name}.{_STAGING}-{os.getpid()}-",
                    dir=self.destination.parent,
                )
            )
            # mkdtemp makes a private (0700) directory; a result reads like any other.
            self.path.chmod(0o777 & ~_umask())
        except OSError as exc:
            self._remove_created()
            raise InputError(
                option, f"cannot write '{destination}' ({exc.strerror or exc})"
            ) from None

    def __enter__(self) -> StagedDirectory:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self.published:
            self.discard()

    def discard(self) -> None:
        """Remove the staging directory and the parents made for it, even if interrupted again."""
        with interrupts_deferred():
            shutil.rmtree(self.path, ignore_errors=True)
            self._remove_created()

    def _remove_created(self) -> None:
        for parent in reversed(self._created):
            try:
                parent.rmdir()
            except OSError:
                break
        self._created = []

    def publish(self) -> Path:
        """Move the staging directory to the destination, replacing a result there.

        The destination is checked again (another process may have put something there
        since), and an old result is renamed aside before the new one takes its name, so a
        reader never sees a half-written result.

        Raises:
            InputError: if the destination may no longer be replaced.
        """
        for _ in range(5):
            check_destination(self.destination, self.kind, self.option)
            try:
                if self.destination.exists():
                    retired = Path(
                        tempfile.mkdtemp(
                            prefix=f".{self.destination.name}.{_RETIRED}-{os.getpid()}-",
                            dir=self.destination.parent,
                        )
                    )
                    self.destination.rename(retired / self.destination.name)
                    self.path.rename(self.destination)
                    shutil.rmtree(retired, ignore_errors=True)
                else:
                    self.path.rename(self.destination)
            except OSError as exc:
                # Another run put a result there between the check and the rename: try again.
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    continue
                raise InputError(
                    self.option, f"cannot write '{self.destination}' ({exc.strerror or exc})"
                ) from None
            self.published = True
            self._created = []
            return self.destination
        raise InputError(self.option, f"'{self.destination}' keeps changing; try again")
