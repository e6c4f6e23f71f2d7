"""The console core's inbox: team events and customers' messages from the relay, kept in the
history, the same after a restart; replies, local actions, reading, presence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.core import Accepted, Changes, ConsoleCore, SentSms
from console.live.events import Event, GapNotice
from console.live.team import TEAM_NAMESPACE, Presence, TeamAction
from console.store import History

AT = "2026-11-27T05:00:00.000Z"
LATER = "2026-11-27T05:02:00.000Z"
NOW = 1_795_755_660.0  # AT + 1 minute
JANE = "whatsapp:+6591234567"


def inbound(seq: int, text: str, umid: str | None = None) -> Event:
    payload = {
        "umid": umid or f"in-{seq}",
        "timestamp": AT,
        "user": {"msisdn": "+6591234567", "name": "Jane"},
        "recipient": {"channel": "WhatsApp", "channelId": "wa"},
        "type": "text",
        "content": {"text": text},
    }
    return Event(seq, AT, "ChatApps", "inbound_message_received", payload)


def team(seq: int, kind: str, agent: str = "ana", at: str = AT, **fields: Any) -> Event:
    payload = {"type": kind, "conversationId": JANE, "agent": agent, **fields}
    return Event(seq, at, TEAM_NAMESPACE, kind, payload)


@pytest.fixture
def core(history: History, published: list[Changes]) -> ConsoleCore:
    return ConsoleCore(history=history, on_change=published.append, clock=lambda: NOW, agent="ana")


EVENTS = [
    inbound(1, "Where is my parcel?"),
    team(2, "assigned", assignee="ana"),
    team(3, "labelled", add=["vip"], remove=[]),
    team(4, "note_added", text="Called the courier"),
    team(5, "status_changed", status="pending"),
]


def test_team_events_change_the_inbox_and_are_published_once(
    core: ConsoleCore, published: list[Changes]
) -> None:
    changes = core.apply_events(EVENTS)
    assert published == [changes]
    assert changes.conversations == {JANE}
    assert [(c.action.kind, c.seq) for c in changes.team] == [
        ("assigned", 2),
        ("labelled", 3),
        ("note_added", 4),
        ("status_changed", 5),
    ]
    jane = core.inbox.get(JANE)
    assert jane is not None
    assert (jane.assignee, jane.labels, jane.status, jane.unread) == ("ana", ("vip",), "pending", 1)
    assert [note.text for note in jane.notes] == ["Called the courier"]
    replay = core.apply_events(EVENTS[2:])  # a reconnect replays what was applied
    assert not replay.conversations and not replay.team
    assert core.inbox.get(JANE) == jane


def test_the_inbox_is_the_same_after_a_restart(core: ConsoleCore, tmp_path: Path) -> None:
    core.apply_events(EVENTS)
    before = core.inbox.get(JANE)
    core.history.close()  # type: ignore[union-attr]
    with History.open(tmp_path) as reopened:
        again = ConsoleCore(history=reopened, agent="ana")
        assert again.inbox.get(JANE) == before
        # The relay replays from an older resume point: nothing changes twice.
        assert not again.apply_events(EVENTS).conversations
        assert again.inbox.get(JANE) == before
        assert reopened.conversation(JANE).unread == 1  # type: ignore[union-attr]


def test_a_reply_joins_its_conversation_and_a_colleagues_reply_reaches_the_thread(
    core: ConsoleCore, history: History
) -> None:
    core.apply_events([inbound(1, "Hi")])
    mine = core.record_sent(
        [SentSms("+6591234567", Accepted("out-1", "c-1", channel="whatsapp"))],
        "Hello Jane",
        conversation_id=JANE,
    )
    assert mine.sent[0].conversation_id == JANE and mine.conversations == {JANE}
    colleague = core.apply_events(
        [team(2, "replied", "bob", LATER, umid="out-2", channel="whatsapp", text="Bob here")]
    )
    assert [c.action.text for c in colleague.team] == ["Bob here"]
    thread = core.after_writes(lambda h: h.conversation_messages(JANE)).result()
    assert [(m.direction, m.text) for m in thread] == [
        ("in", "Hi"),
        ("out", "Hello Jane"),
        ("out", "Bob here"),
    ]
    jane = core.inbox.get(JANE)
    assert jane is not None and (jane.last_text, jane.last_direction) == ("Bob here", "out")


def test_without_a_relay_actions_apply_here_at_once(core: ConsoleCore) -> None:
    core.apply_events([inbound(1, "Hi")])
    changes = core.apply_local(TeamAction("status_changed", JANE, "ana", status="resolved"))
    assert [(c.action.status, c.seq) for c in changes.team] == [("resolved", None)]
    jane = core.inbox.get(JANE)
    assert jane is not None and jane.status == "resolved" and jane.seq == 1
    assert not core.apply_local(TeamAction("typing", JANE, "ana"))  # presence: not an action


def test_reading_clears_unread_here_and_in_the_history(core: ConsoleCore, history: History) -> None:
    core.apply_events([inbound(1, "Hi"), inbound(2, "Hello?")])
    assert core.inbox.get(JANE).unread == 2  # type: ignore[union-attr]
    assert core.mark_read(JANE).conversations == {JANE}
    assert not core.mark_read(JANE)
    assert core.inbox.get(JANE).unread == 0  # type: ignore[union-attr]
    assert history.conversation(JANE).unread == 0  # type: ignore[union-attr]


def test_presence_is_published_but_never_saved(core: ConsoleCore, history: History) -> None:
    typing = Presence(TeamAction("typing", JANE, "bob"), AT, 8.0)
    assert core.apply_presence(typing).conversations == {JANE}
    assert [seen.agent for seen in core.inbox.presence(JANE, NOW)] == ["bob"]
    assert not core.apply_presence(typing)  # still typing: nothing new to show
    assert history.conversation(JANE) is None


def test_a_relay_that_restarted_its_numbering_is_followed_from_its_new_start(
    core: ConsoleCore,
) -> None:
    core.apply_events(EVENTS)
    core.apply_gap(GapNotice.describe(5, 1))
    changes = core.apply_events([team(1, "assigned", agent="bob", assignee="bob")])
    assert changes.conversations == {JANE}
    assert core.inbox.get(JANE).assignee == "bob"  # type: ignore[union-attr]
