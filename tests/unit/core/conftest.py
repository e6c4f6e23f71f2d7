"""Fixtures for the console core's tests: a history in a temp folder, and what was published."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console.core import Changes
from console.store import History


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    with History.open(tmp_path) as opened:
        yield opened


@pytest.fixture
def published() -> list[Changes]:
    return []
