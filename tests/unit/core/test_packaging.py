"""The TCSS ships inside the wheel, so an installed console looks like a checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from console.paths import styles_path

ROOT = Path(__file__).resolve().parents[3]


def test_every_screen_stylesheet_resolves_in_the_checkout() -> None:
    for name in ("base.tcss", "home.tcss", "section.tcss"):
        assert styles_path(name).is_file(), name


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
