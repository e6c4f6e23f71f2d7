"""The TCSS ships inside the wheel, so an installed console looks like a checkout."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from console.paths import styles_path

ROOT = Path(__file__).resolve().parents[3]


def stylesheets_in_use() -> dict[str, Path]:
    """Every CSS_PATH the app and its screens and widgets set, by the class that sets it."""
    import console.screens
    import console.widgets
    from console.app import AgentConsole

    owners: list[type] = [AgentConsole]
    for package in (console.screens, console.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            owners += [
                cls
                for _, cls in inspect.getmembers(module, inspect.isclass)
                if cls.__module__ == module.__name__ and "CSS_PATH" in vars(cls)
            ]
    used: dict[str, Path] = {}
    for owner in owners:
        paths = vars(owner)["CSS_PATH"]
        for path in paths if isinstance(paths, list | tuple) else [paths]:
            used[f"{owner.__name__}: {path}"] = Path(path)
    return used


def test_every_stylesheet_in_use_exists_and_ships() -> None:
    used = stylesheets_in_use()
    assert len(used) >= 3  # the app's base, home and compose at least
    shipped = {path.name for path in (ROOT / "styles").glob("*.tcss")}
    for owner, path in used.items():
        assert path.is_file(), owner
        assert path.name in shipped, f"{owner}: not in styles/, so not in the wheel"
        assert path == styles_path(path.name), f"{owner}: use styles_path()"


def test_every_stylesheet_in_styles_is_used() -> None:
    used = {path.name for path in stylesheets_in_use().values()}
    for path in (ROOT / "styles").glob("*.tcss"):
        assert path.name in used, f"{path.name} is shipped but no screen uses it"


@pytest.mark.slow
def test_wheel_contains_the_styles(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("agent_console-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "console/styles/base.tcss" in names
    assert "console/app.py" in names
    # `agent-console serve`: the page template and icon ship beside the code.
    assert {"console/serve/templates/index.html", "console/serve/favicon.svg"} <= names
    tcss_in_checkout = {p.name for p in (ROOT / "styles").glob("*.tcss")}
    assert {f"console/styles/{n}" for n in tcss_in_checkout} <= names
