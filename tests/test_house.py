"""House rules of the source tree, checked with ``ast`` over every module of ``sim/``.

- **Short functions.** No function or method is longer than :data:`MAX_FUNCTION_LINES`,
  counted from its ``def`` line to its last line (decorators not counted).
- **Long modules say why.** A module longer than :data:`MAX_MODULE_LINES` states the reason
  in its module docstring, by the convention that the docstring contains the words
  ``over 400 lines because`` followed by the reason (line breaks and runs of spaces count as
  one space), e.g. "The module is over 400 lines because it holds each of the five
  subcommands' options and steps".
- **The environment is read in one place.** No module reads or writes ``os.environ`` (nor
  calls ``os.getenv``, ``os.putenv``, ``os.unsetenv``) except the functions of
  :data:`ENVIRONMENT_ALLOWED`: the default calibration, and the command line's setup of its
  own process.

Each test lists every offender in its failure message.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"

MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 400
REASON_MARK = f"over {MAX_MODULE_LINES} lines because"
"""What the docstring of a module longer than ``MAX_MODULE_LINES`` must contain."""

ENVIRONMENT_NAMES = frozenset({"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"})
"""Attributes of ``os`` that read or change the process environment."""
ENVIRONMENT_ALLOWED = frozenset(
    {
        ("sim/config/loading.py", "default_calibration"),  # MLATSIM_UNCALIBRATED: the default
        ("sim/cli.py", "_prepare_process"),  # MPLBACKEND=agg for the process and its workers
    }
)
"""(module, function) pairs that may touch the environment."""


def modules() -> list[Path]:
    """Every Python module of the package, in path order."""
    return sorted(PACKAGE.rglob("*.py"))


def relative(path: Path) -> str:
    """The module's path from the repository root, with forward slashes."""
    return path.relative_to(ROOT).as_posix()


def parse(path: Path) -> ast.Module:
    """The module's syntax tree."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function and method of a tree, nested ones included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def environment_uses(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """``(line, enclosing function)`` of each use of the environment ("<module>" if none).

    A use is ``os.environ`` (and the other names of :data:`ENVIRONMENT_NAMES`) as an attribute
    of ``os``, or one of those names imported from ``os``.
    """

    def visit(node: ast.AST, where: str) -> Iterator[tuple[int, str]]:
        for child in ast.iter_child_nodes(node):
            inside = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inside = child.name
            if (
                isinstance(child, ast.Attribute)
                and child.attr in ENVIRONMENT_NAMES
                and isinstance(child.value, ast.Name)
                and child.value.id == "os"
            ):
                yield child.lineno, where
            if (
                isinstance(child, ast.ImportFrom)
                and child.module == "os"
                and any(alias.name in ENVIRONMENT_NAMES for alias in child.names)
            ):
                yield child.lineno, where
            yield from visit(child, inside)

    yield from visit(tree, "<module>")


def test_the_rules_see_every_module() -> None:
    """The checks below walk the real package (a wrong root would pass them vacuously)."""
    names = {relative(path) for path in modules()}
    assert {"sim/cli.py", "sim/engine/model.py", "sim/config/loading.py"} <= names
    assert len(names) > 40


def test_no_function_is_longer_than_80_lines() -> None:
    """Every function and method of ``sim/`` fits in 80 lines, ``def`` line to last line."""
    offenders = [
        f"{relative(path)}:{node.lineno} {node.name}() is {node.end_lineno - node.lineno + 1} lines"
        for path in modules()
        for node in functions(parse(path))
        if node.end_lineno is not None and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines (split them):\n" + "\n".join(
        offenders
    )


def test_modules_over_400_lines_say_why() -> None:
    """A module over 400 lines says ``over 400 lines because ...`` in its docstring."""
    offenders = []
    for path in modules():
        length = len(path.read_text(encoding="utf-8").splitlines())
        if length <= MAX_MODULE_LINES:
            continue
        docstring = " ".join((ast.get_docstring(parse(path)) or "").split())
        if REASON_MARK not in docstring:
            offenders.append(f"{relative(path)} is {length} lines")
    assert not offenders, (
        f"modules over {MAX_MODULE_LINES} lines whose docstring does not say "
        f"'{REASON_MARK} ...' (split them, or give the reason):\n" + "\n".join(offenders)
    )


def test_only_the_allowed_functions_touch_the_environment() -> None:
    """``os.environ`` and its kin appear only where :data:`ENVIRONMENT_ALLOWED` says."""
    offenders = [
        f"{relative(path)}:{line} in {where}"
        for path in modules()
        for line, where in environment_uses(parse(path))
        if (relative(path), where) not in ENVIRONMENT_ALLOWED
    ]
    assert not offenders, (
        "the environment is read or changed outside "
        f"{sorted(ENVIRONMENT_ALLOWED)}:\n" + "\n".join(offenders)
    )


def test_the_environment_rule_finds_every_kind_of_use() -> None:
    """The detector sees attribute uses, calls and imports, and names the enclosing function."""
    source = (
        "import os\n"
        "from os import getenv\n"
        "A = os.environ\n"
        "def f():\n"
        "    return os.getenv('X')\n"
        "class C:\n"
        "    def g(self):\n"
        "        os.environ['Y'] = '1'\n"
        "def h():\n"
        "    return os.path.join('a', 'b')\n"
    )
    found = list(environment_uses(ast.parse(source)))
    assert found == [(2, "<module>"), (3, "<module>"), (5, "f"), (8, "g")]
