"""What the header shows, as typed values: login, live events, history."""

from __future__ import annotations

from pathlib import Path

from console.live.events import GapNotice
from console.live.state import StreamPhase, StreamState
from console.messages import EventsReceived, StreamStateChanged
from console.ui.state import (
    GAP_LABEL_SECONDS,
    ConnectionInfo,
    EventsState,
    EventsStatus,
    HistoryState,
    HistoryStatus,
    LoginState,
)
from console.widgets.session_bar import compact, describe

CONNECTED = ConnectionInfo(
    LoginState.CONNECTED, target="sandbox", subaccount="acme", masked_key="••••••abc123"
)


def test_stream_states_become_header_labels() -> None:
    assert EventsStatus.from_stream(StreamState(StreamPhase.LIVE)).label == "live"
    reconnecting = EventsStatus.from_stream(
        StreamState(StreamPhase.RECONNECTING, attempt=3, error="connection lost")
    )
    assert reconnecting.label == "reconnecting (attempt 3)"
    assert reconnecting.detail == "connection lost"
    gap = EventsStatus.from_stream(
        StreamState(StreamPhase.GAP, gap=GapNotice.describe(3, 9), at="2026-11-27T05:04:05.123Z")
    )
    assert gap.label == "may be missing since 05:04:05 UTC"
    assert EventsStatus.from_stream(StreamState(StreamPhase.CONNECTING)).label == "connecting"
    assert EventsStatus(EventsState.OFF, note="no relay").detail == "no relay"


def test_a_gap_label_gives_way_to_live_only_after_a_while() -> None:
    gap = EventsStatus(EventsState.GAP, since=1_000.0)
    assert gap.after_events(1_000.0 + GAP_LABEL_SECONDS - 1) is gap
    assert gap.after_events(1_000.0 + GAP_LABEL_SECONDS + 1).state is EventsState.LIVE
    live = EventsStatus(EventsState.LIVE)
    assert live.after_events(5_000.0) is live


def test_stream_changes_apply_only_while_connected() -> None:
    failed = ConnectionInfo(LoginState.FAILED, detail="no network")
    assert failed.with_events(EventsStatus(EventsState.LIVE)) is failed
    live = CONNECTED.with_events(EventsStatus(EventsState.LIVE))
    assert live.events.state is EventsState.LIVE and live.target == "sandbox"


def test_the_header_line_and_its_compact_form() -> None:
    info = CONNECTED.with_events(EventsStatus(EventsState.RECONNECTING, attempt=2))
    assert describe(info) == (
        "● connected to sandbox · sub-account acme · key ••••••abc123 · "
        "events reconnecting (attempt 2)"
    )
    assert compact(info) == "● sandbox · acme · ••••••abc123 · events reconnecting (attempt 2)"
    assert describe(CONNECTED) == "● connected to sandbox · sub-account acme · key ••••••abc123"
    assert describe(ConnectionInfo(LoginState.FAILED, detail="bad key")) == (
        "✗ not connected · bad key"
    )
    assert describe(ConnectionInfo(LoginState.CONNECTING, detail="starting…")) == "◌ starting…"
    assert describe(ConnectionInfo()) == "◌ connecting…"


def test_history_labels() -> None:
    assert HistoryStatus().label == "opening…"
    saved = HistoryStatus(HistoryState.SAVED, folder=Path.home() / "agent-console")
    assert saved.label == "saved in ~/agent-console"
    assert HistoryStatus(HistoryState.SAVED, folder=Path("/srv/h")).label == "saved in /srv/h"
    failing = HistoryStatus(HistoryState.NOT_SAVING, reason="disk full")
    assert failing.label == "not saving — disk full"


def test_a_burst_of_stream_states_is_drawn_once() -> None:
    first = StreamStateChanged(StreamState(StreamPhase.RECONNECTING, attempt=1))
    later = StreamStateChanged(StreamState(StreamPhase.RECONNECTING, attempt=2))
    assert first.can_replace(later), "a newer state still queued supersedes this one"
    assert not first.can_replace(EventsReceived(()))
    assert not EventsReceived(()).can_replace(EventsReceived(())), "events are never dropped"
