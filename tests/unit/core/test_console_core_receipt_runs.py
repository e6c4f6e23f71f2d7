"""The core hands a batch's receipts to the history's thread as one run: what the history
then holds, and what the core publishes, is what the same events applied inline give."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from console.core import Accepted, Changes, ConsoleCore, SentSms
from console.live.events import Event
from console.store import History

NOW = 1_800_000_000.0
AT = "2027-01-15T08:00:00.000Z"
UMIDS = ["u-0", "u-1", "u-2", "theirs"]


def receipt(seq: int, umid: str, state: str, second: int) -> Event:
    payload = {
        "umid": umid,
        "subAccountId": "acme",
        "destination": "+6591234567",
        "batchId": "b-1",
        "status": {"state": state, "timestamp": f"2027-01-15T08:00:{second:02d}.00Z"},
    }
    return Event(seq, AT, "SMS", "outbound_message_status_changed", payload)


def inbound(seq: int, umid: str) -> Event:
    payload = {
        "umid": umid,
        "timestamp": "2027-01-15T08:01:00.00Z",
        "user": {"msisdn": "+6591234567", "name": "Jane"},
        "recipient": {"channel": "WhatsApp", "channelId": "wa"},
        "type": "text",
        "content": {"text": "hello"},
    }
    return Event(seq, AT, "ChatApps", "inbound_message_received", payload)


items = st.one_of(
    st.tuples(
        st.just("receipt"),
        st.sampled_from(UMIDS),
        st.sampled_from(["sent", "delivered", "undelivered", "bogus", ""]),
        st.integers(0, 59),
    ),
    st.tuples(st.just("inbound"), st.sampled_from(["in-1", "in-2"]), st.just(""), st.just(0)),
)


def events_of(batch: list[tuple[str, str, str, int]], start: int) -> list[Event]:
    return [
        receipt(seq, umid, state, second) if kind == "receipt" else inbound(seq, umid)
        for seq, (kind, umid, state, second) in enumerate(batch, start)
    ]


def run(folder: Path, batches: list[list[Any]], background: Callable[..., Any] | None) -> Any:
    published: list[Changes] = []
    history = History.open(folder, clock=lambda: NOW)
    core = ConsoleCore(
        history=history, on_change=published.append, clock=lambda: NOW, background=background
    )
    core.follow("wss://relay.example.com/events")
    core.record_sent([SentSms("+6591234567", Accepted(u, f"cid-{u}")) for u in UMIDS[:3]], "hi")
    seq = 1
    for batch in batches:
        core.apply_events(events_of(batch, seq))
        seq += len(batch)
    history.close()
    files = []
    for path in sorted((folder / "history").glob("*.json")):
        content = json.loads(path.read_text())
        if isinstance(content, dict):
            content.pop("source", None)  # which file an index describes (size, time)
        files.append((path.name, content))
    return files, published


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(items, max_size=12), max_size=4))
def test_receipts_handed_over_as_runs_keep_the_history_as_inline(batches: list[list[Any]]) -> None:
    with tempfile.TemporaryDirectory() as inline, tempfile.TemporaryDirectory() as handed:
        expected = run(Path(inline), batches, None)
        assert run(Path(handed), batches, lambda job: job()) == expected
