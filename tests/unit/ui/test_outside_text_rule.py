"""The rule behind "text from outside is never markup", held over the source.

Textual parses a plain ``str`` as content markup wherever a widget shows one: a border title,
a screen title, a Label, a Static, an OptionList option, a tab, a button, a DataTable column.
Text the console did not write (a customer's name, a colleague's note, a server's error, what
the agent typed) given to one of those as ``str`` ends the console on ``[/`` (MarkupError) or
turns ``[@click=app.quit]`` into an action. So in the UI modules every such place gets a
literal, or goes through :func:`console.ui.text.plain` / :func:`~console.ui.text.plain_text`
(or a Rich ``Text`` / Textual ``Content`` built from it), or the widget says ``markup=False``.

This test reads every UI module's syntax tree and names each place that breaks the rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import console

PACKAGE = Path(console.__file__).parent
PURE = {"core", "api", "live", "store", "sms", "sandbox", "feed", "serve"}

# Call → the position of its markup-parsed argument (and the keyword that may carry it).
SINKS = {
    "Label": (0, "content"),
    "Static": (0, "content"),
    "Option": (0, "prompt"),
    "Tab": (0, "label"),
    "TabPane": (0, "title"),
    "Button": (0, "label"),
    "Checkbox": (0, "label"),
    "RadioButton": (0, "label"),
    "Collapsible": (None, "title"),
    "add_column": (0, "label"),
}
TITLES = {"border_title", "border_subtitle", "title", "sub_title"}
SAFE_CALLS = {"plain", "plain_text", "Text", "Content", "escape", "assemble", "from_markup"}


def ui_modules() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if not PURE & set(path.relative_to(PACKAGE).parts[:1]):
            yield path


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def outside(node: ast.expr) -> bool:
    """Could this expression be a ``str`` made from text the console did not write?"""
    if isinstance(node, ast.Constant):
        return False
    if isinstance(node, ast.Call):
        return _name(node.func) not in SAFE_CALLS
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.IfExp):
        return outside(node.body) or outside(node.orelse)
    if isinstance(node, ast.BinOp):
        return outside(node.left) or outside(node.right)
    # A module constant (UPPER_CASE) is written here; any other name may hold outside text.
    return not (isinstance(node, ast.Name) and node.id.isupper())


def _markup_off(call: ast.Call) -> bool:
    return any(
        k.arg == "markup" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in call.keywords
    )


def _ids_without_markup(tree: ast.AST) -> set[str]:
    """Ids of the widgets this module creates with ``markup=False``."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _markup_off(node):
            for keyword in node.keywords:
                if keyword.arg == "id" and isinstance(keyword.value, ast.Constant):
                    found.add(str(keyword.value.value))
    return found


def _queried_id(node: ast.expr, names: dict[str, str]) -> str | None:
    """The id in ``self.query_one("#id", …)`` (or a local name bound to one)."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if (
        isinstance(node, ast.Call)
        and _name(node.func) == "query_one"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and str(node.args[0].value).startswith("#")
    ):
        return str(node.args[0].value)[1:]
    return None


def _textual_names(tree: ast.AST) -> set[str]:
    """Names this module imports from Textual (its ``Tab`` may be the inbox's own enum)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("textual")
        for alias in node.names
    }


def _renderable_methods(tree: ast.AST) -> set[str]:
    """Methods of this module that return a Rich or Textual renderable, not a ``str``."""
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.returns is not None
        and ast.unparse(node.returns) in ("Text", "Content", "Table", "RenderableType")
    }


def _literal(node: ast.expr) -> bool:
    return all(
        isinstance(n, ast.Constant | ast.Tuple | ast.List | ast.Load) for n in ast.walk(node)
    )


def breaches(source: str, where: str) -> Iterator[str]:
    tree = ast.parse(source)
    plain_ids = _ids_without_markup(tree)
    textual = _textual_names(tree)
    renderable = _renderable_methods(tree)
    names_in: dict[int, dict[str, str]] = {}  # a call's id → the local names of its function
    safe_in: dict[int, set[str]] = {}  # a call's id → the names of its function known safe
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            names: dict[str, str] = {}
            safe: set[str] = set()
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    queried = _queried_id(node.value, {})
                    if queried is not None:
                        names[node.targets[0].id] = queried
                    if not outside(node.value):
                        safe.add(node.targets[0].id)
                if isinstance(node, ast.For) and _literal(node.iter):
                    safe |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
                names_in[id(node)] = names
                safe_in[id(node)] = safe

    def unsafe(arg: ast.expr, call: ast.Call) -> bool:
        if isinstance(arg, ast.Name) and arg.id in safe_in.get(id(call), set()):
            return False
        if isinstance(arg, ast.Call) and _name(arg.func) in renderable:
            return False
        return outside(arg)

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr in TITLES
                    and outside(node.value)
                ):
                    yield f"{where}:{node.lineno}: .{target.attr} = {ast.unparse(node.value)}"
        if not isinstance(node, ast.Call) or _markup_off(node):
            continue
        name = _name(node.func)
        if name in SINKS and (isinstance(node.func, ast.Attribute) or name in textual):
            position, keyword = SINKS[name]
            args = [node.args[position]] if position is not None and node.args else []
            args += [k.value for k in node.keywords if k.arg == keyword]
            for arg in args:
                if unsafe(arg, node):
                    yield f"{where}:{node.lineno}: {name}({ast.unparse(arg)})"
        elif name == "update" and isinstance(node.func, ast.Attribute) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.JoinedStr | ast.BinOp) and unsafe(arg, node):
                receiver = _queried_id(node.func.value, names_in.get(id(node), {}))
                if receiver not in plain_ids:
                    yield f"{where}:{node.lineno}: .update({ast.unparse(arg)})"


def test_no_ui_module_gives_outside_text_to_a_markup_parser() -> None:
    found = [
        line
        for path in ui_modules()
        for line in breaches(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    ]
    assert not found, "text from outside given as markup:\n" + "\n".join(found)


def test_the_rule_sees_a_breach() -> None:
    """The checker itself: each kind of breach is named, each safe form is not."""
    source = """
from textual.widgets import Label, Static
from textual.widgets.option_list import Option

def compose(self, name):
    box.border_title = f"Assign {name}"
    yield Label(name)
    yield Option(f"{name} (you)", id="x")
    yield Static(name, markup=False)
    yield Label(plain(name))
    yield Label("Phone")
    self.query_one("#free", Static).update(f"hello {name}")
    self.query_one("#quiet", Static).update(f"hello {name}")
    yield Static(id="quiet", markup=False)
"""
    found = sorted(breaches(source, "probe.py"), key=lambda line: int(line.split(":")[1]))
    assert [line.split(": ", 1)[1] for line in found] == [
        ".border_title = f'Assign {name}'",
        "Label(name)",
        "Option(f'{name} (you)')",
        ".update(f'hello {name}')",
    ]
