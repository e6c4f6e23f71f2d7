"""TUI fixtures: a real sandbox under uvicorn on 127.0.0.1, and consoles wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tui_helpers import quiet_sandbox


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """A quiet sandbox shared by the session's tests."""
    yield from quiet_sandbox(7)


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blinking cursors make snapshots flaky."""
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)
    monkeypatch.setattr(TextArea, "cursor_blink", False, raising=False)


@pytest.fixture
def fresh_sandbox() -> Iterator[str]:
    """A sandbox of its own: an inbox test sees only the conversations it makes."""
    yield from quiet_sandbox(11)
