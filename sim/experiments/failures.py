"""A failed replication: the record an experiment keeps of it, and the error that ends a run.

Kept apart from the executors (and free of the engine) so that the command line can catch
:class:`ReplicationError` without importing the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReplicationFailure:
    """A replication that raised an error instead of giving its rows.

    Attributes:
        replication: Its number.
        error: The exception (rebuilt in this process if raised in a worker).
        traceback: The traceback text where it was raised ("" if there is none).
        remote: Whether it was raised in another process (``traceback`` then is all there
            is of where it came from).
    """

    replication: int
    error: BaseException
    traceback: str = ""
    remote: bool = False

    @property
    def message(self) -> str:
        """The error in one line: its type and text."""
        text = str(self.error).replace("\r", "\\r").replace("\n", "\\n")
        return f"{type(self.error).__name__}: {text}" if text else type(self.error).__name__

    def record(self) -> dict[str, int | str]:
        """The failure as an experiment's results record it: its number and one-line error."""
        return {"replication": self.replication, "error": self.message}


class ReplicationError(RuntimeError):
    """A replication failed with an error that is not an input error (a bug, a dead worker).

    Its text is one line: the replication's number and its error's type and text.
    """

    def __init__(self, failure: ReplicationFailure) -> None:
        super().__init__(f"replication {failure.replication} failed: {failure.message}")
        self.failure = failure
