"""The layers point one way (README, "How it is built"), read from the source itself.

Every module of the console package is parsed, and its imports collected: at the top of the
module, and deferred ones inside functions too (a deferred import still loads the module
when it runs). Imports under ``if TYPE_CHECKING:`` are left out: they never run. Rules:

- ``core``, ``api``, ``live``, ``store``, ``sms``, ``sandbox`` and ``feed`` import no Textual,
  no Rich, and nothing of the UI (``console.app``, ``console.screens``, ``console.widgets``,
  ``console.ui``);
- ``api`` imports nothing of ``sandbox``, and ``live`` nothing of ``api``;
- screens and widgets reach the App through ``console.ui.app_access``, never by importing
  ``console.app`` (the App imports the screens);
- no two modules import each other, directly or round a longer circle;
- no module of the console is over 700 lines, and ``app.py`` (wiring only) stays small.

A subprocess also imports every module of those packages and checks that Textual was not
loaded on the way (through a third-party import the source does not show). Rich is checked
in the source only: httpx loads it for its command-line tool whenever it is installed.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import console

PACKAGE = Path(console.__file__).resolve().parent
UI_FREE = ("core", "api", "live", "store", "sms", "sandbox", "feed")
UI = ("textual", "rich", "console.app", "console.screens", "console.widgets", "console.ui")
FORBIDDEN = {
    "console.api": ("console.sandbox",),  # the demo key reaches the client as configuration
    "console.live": ("console.api",),  # the relay and the stream need nothing of the client
    "console.screens": ("console.app",),  # the typed accessor console.ui.app_access instead
    "console.widgets": ("console.app",),
    "console.controllers": ("console.app",),  # the App builds them (type-checking only)
}
MAX_LINES = 700  # a file past this does more than one job: split it along its jobs
MAX_APP_LINES = 450  # the App composes services and screens and routes messages, no more
# Being split on other branches (the relay's helpers); each leaves this set when it is.
STILL_LONG: frozenset[str] = frozenset()  # every module is within its line budget


def _module_names() -> dict[str, Path]:
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(
    body: Iterable[ast.stmt], deferred: bool
) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run: at module level (in ifs and trys too) and, with
    `deferred`, inside functions and classes; never those under ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_nodes(node.body, deferred)
            yield from _import_nodes(node.orelse, deferred)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if deferred:
                yield from _import_nodes(node.body, deferred)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(node, field, ()):
                    yield from _import_nodes(getattr(child, "body", [child]), deferred)


def imports_of(name: str, *, deferred: bool = True) -> set[str]:
    """The modules `name` imports (absolute names; ``from pkg import submodule`` names the
    submodule)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8")).body, deferred):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
        found.update(submodules)
        if len(submodules) < len(node.names):
            found.add(base)
    return found


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _in_package(package: str) -> list[str]:
    return [name for name in MODULES if _within(name, [package])]


@pytest.mark.parametrize("package", UI_FREE)
def test_the_ui_free_packages_import_no_textual_rich_or_ui(package: str) -> None:
    wrong = {
        name: sorted(found)
        for name in _in_package(f"console.{package}")
        if (found := {i for i in imports_of(name) if _within(i, UI)})
    }
    assert not wrong, f"console.{package} reaches the UI: {wrong}"


@pytest.mark.parametrize(("package", "forbidden"), FORBIDDEN.items())
def test_a_layer_imports_nothing_of_what_it_must_not_know(
    package: str, forbidden: tuple[str, ...]
) -> None:
    wrong = {
        name: sorted(found)
        for name in _in_package(package)
        if (found := {i for i in imports_of(name) if _within(i, forbidden)})
    }
    assert not wrong, f"{package} imports {forbidden}: {wrong}"


def find_circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The circles of a graph (Tarjan's strongly connected parts of more than one node)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for other in sorted(graph[name] - {name}):
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            part = {stack.pop()}
            while name not in part:
                part.add(stack.pop())
            if len(part) > 1:
                found.append(frozenset(part))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for name in sorted(graph):
            if name not in index:
                visit(name)
    finally:
        sys.setrecursionlimit(limit)
    return found


def circles(*, deferred: bool) -> list[frozenset[str]]:
    """The import circles among the console's modules."""
    return find_circles(
        {name: imports_of(name, deferred=deferred) & MODULES.keys() for name in MODULES}
    )


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert [sorted(part) for part in circles(deferred=False)] == [], "top-level imports"
    assert [sorted(part) for part in circles(deferred=True)] == [], "a deferred import"


def test_a_screen_importing_the_app_back_is_a_circle_the_check_finds() -> None:
    """The rule holds the real graph: one screen importing console.app (as every screen did
    before the typed accessor) closes a circle with the App, which shows the login screen."""
    graph = {name: imports_of(name) & MODULES.keys() for name in MODULES}
    graph["console.screens.login"] = graph["console.screens.login"] | {"console.app"}
    assert frozenset({"console.app", "console.screens.login"}) in find_circles(graph)


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_700_lines() -> None:
    long = {name for name, path in MODULES.items() if _lines(path) > MAX_LINES}
    assert sorted(long - STILL_LONG) == [], f"split along their jobs (≤ {MAX_LINES} lines)"
    assert sorted(STILL_LONG - long) == [], "split now: take it out of STILL_LONG"


def test_the_app_only_wires() -> None:
    assert _lines(MODULES["console.app"]) <= MAX_APP_LINES


def test_the_circle_check_finds_long_and_short_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": {"f"}}
    assert sorted(map(sorted, find_circles(graph))) == [["a", "b", "c"], ["d", "e"]]


def test_the_ui_free_packages_load_no_textual() -> None:
    names = [name for package in UI_FREE for name in _in_package(f"console.{package}")]
    names = [name for name in names if not name.endswith("__main__")]
    script = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == []
