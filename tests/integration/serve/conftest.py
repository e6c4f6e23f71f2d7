"""Fixtures for `agent-console serve`: the served console, and a real headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser import chromium_missing, start_chromium
from serve_helpers import Served, descendants, kill_leftovers, serve

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`agent-console serve` on the embedded sandbox (reproducible world), one per module."""
    data = tmp_path_factory.mktemp("serve-data")
    with serve("--seed", "7", "--data-dir", str(data)) as running:
        started: set[int] = set()
        try:
            yield running
        finally:
            started = descendants(running.pid)
    kill_leftovers(started)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Debian's Chromium, headless, driven by its own chromedriver: nothing downloaded."""
    reason = chromium_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    driver = start_chromium(Path(tmp_path_factory.mktemp("chromium-profile")))
    try:
        yield driver
    finally:
        driver.quit()
