"""Errors that name what is wrong in a user's input.

The command line turns these into one line on stderr and exit status 2, so their text is
written for the person who wrote the scenario or edited the data, not for a programmer.
"""

from __future__ import annotations


class InputError(ValueError):
    """A user's input (scenario file, world data, command-line value) is wrong.

    Args:
        where: What is wrong, as a dotted path (``simulation.seed``) or a file and row.
        problem: What is wrong with it, in a few words.
    """

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        # Rebuilt from both fields, so an error raised in a worker keeps its type.
        return (type(self), (self.where, self.problem))


class ScenarioError(InputError):
    """A scenario file is missing, unreadable, malformed or invalid."""


class WorldDataError(InputError):
    """The world data (states, memberships, bilateral ties) is inconsistent."""
