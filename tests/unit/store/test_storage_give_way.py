"""A big write of the history's files gives way between runs of documents (the console's
writer waits there while the UI loop is busy: console/loop_turns.py), and still writes
every document, in order, as one valid file."""

from __future__ import annotations

import json
from pathlib import Path

from console.store.storage import WriteBehindStorage


def test_a_big_write_gives_way_between_runs_of_documents_and_keeps_every_one(
    tmp_path: Path,
) -> None:
    storage = WriteBehindStorage(tmp_path / "part.json")
    docs = {str(n): {"umid": f"u{n}", "text": "é" * (n % 7)} for n in range(5_000)}
    storage.write({"messages": docs, "rooms": {"1": {"ref": "r"}}})
    asked: list[int] = []
    with storage.lock:
        snapshot = storage.snapshot()
    assert snapshot is not None
    storage.commit(snapshot, between=lambda: asked.append(1))
    assert len(asked) >= 10, "between runs of encoded documents and of written chunks"
    saved = json.loads((tmp_path / "part.json").read_text("utf-8"))
    assert saved == {"messages": docs, "rooms": {"1": {"ref": "r"}}}
    assert list(saved["messages"]) == list(docs), "in order"


def test_a_small_write_does_not_stop_for_nothing(tmp_path: Path) -> None:
    storage = WriteBehindStorage(tmp_path / "part.json")
    storage.write({"messages": {"1": {"umid": "u1"}}})
    asked: list[int] = []
    with storage.lock:
        snapshot = storage.snapshot()
    assert snapshot is not None
    storage.commit(snapshot, between=lambda: asked.append(1))
    assert asked == []
    assert json.loads((tmp_path / "part.json").read_text("utf-8")) == {
        "messages": {"1": {"umid": "u1"}}
    }
