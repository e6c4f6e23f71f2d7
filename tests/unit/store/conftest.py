"""Fixtures for the history's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.store import storage as storage_module


@pytest.fixture
def renames(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the history replaces (each save of a file ends in a rename)."""
    replaced: list[str] = []
    real_replace = storage_module.os.replace

    def counting(source: str, target: str) -> None:
        replaced.append(Path(target).name)
        real_replace(source, target)

    monkeypatch.setattr(storage_module.os, "replace", counting)
    return replaced
