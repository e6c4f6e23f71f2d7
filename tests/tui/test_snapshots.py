"""Snapshots of every screen (pytest-textual-snapshot). Regenerate deliberately with
`pytest tests/tui/test_snapshots.py --snapshot-update` and review the SVG diff."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from inbox_helpers import JANE_ID, SNAPSHOT_NOW, seed_inbox
from textual.pilot import Pilot
from textual.widgets import DataTable, Input
from tui_helpers import DEMO_KEY, DEMO_SUBACCOUNT, console_for, login_console, screen_text, wait_for

import console.screens.rooms
from console.api import keystore
from console.api.keystore import NO_BACKEND, KeyringStatus
from console.app import AgentConsole
from console.core.rooms import CallReport, CallSeen, RoomView
from console.live.events import Event, utc_iso
from console.sandbox.app import SandboxConfig
from console.sandbox.server import SandboxServer
from console.screens.compose import ComposeScreen
from console.screens.inbox import InboxScreen
from console.screens.login import LoginScreen
from console.screens.rooms import RoomsScreen
from console.store import History
from console.widgets.message_editor import MessageEditor
from console.widgets.reply_box import ReplyBox

SIZE = (100, 30)


async def connected(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, AgentConsole)
    await wait_for(
        pilot, lambda: app.connection.state == "connected" and app.history_keeper.settled
    )
    # The live-events label changes with timing; pin it so the snapshot is stable.
    await pilot.pause()


def compose_with(text: str, *, to: str = "+6591234567", sender: str = "ACME Care"):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await connected(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ComposeScreen))
        screen = pilot.app.screen
        screen.query_one("#from").value = sender  # type: ignore[attr-defined]
        screen.query_one("#to").value = to  # type: ignore[attr-defined]
        screen.query_one("#reference").value = "ac-snapshot01"  # type: ignore[attr-defined]
        if text:
            screen.query_one("#message", MessageEditor).insert(text)
        screen.query_one("#message", MessageEditor).focus()
        await pilot.pause()

    return run_before


@pytest.fixture
def app(sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AgentConsole:
    """A console on a fresh history in a temporary home: the home screen shows it as
    ~/agent-console whatever the machine's temp folder is."""
    monkeypatch.setenv("HOME", str(tmp_path))
    console = console_for(sandbox_url, data_dir=tmp_path / "agent-console")
    console.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return console


async def home_with_balance(pilot: Pilot) -> None:
    await connected(pilot)
    await wait_for(pilot, lambda: bool(getattr(pilot.app.screen, "balance", "")))
    await pilot.pause()


@pytest.fixture(scope="module")
def untouched_sandbox() -> Iterator[str]:
    """A sandbox nobody sent from: Home shows its balance, which every SMS sent lowers."""
    config = SandboxConfig(
        api_keys=(DEMO_KEY,), subaccount=DEMO_SUBACCOUNT, seed=7, customers=False
    )
    server = SandboxServer(config)
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def home_app(
    untouched_sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AgentConsole:
    monkeypatch.setenv("HOME", str(tmp_path))
    console = console_for(untouched_sandbox, data_dir=tmp_path / "agent-console")
    console.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return console


def test_home(snap_compare, home_app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(home_app, terminal_size=SIZE, run_before=home_with_balance)


def test_compose_empty(snap_compare, app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=SIZE, run_before=compose_with("", to="", sender=""))


def test_compose_gsm7_two_segments(snap_compare, app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    text = ("Your parcel is on its way. " * 12)[:292] + " Track: t/1182"
    assert snap_compare(app, terminal_size=SIZE, run_before=compose_with(text))


def test_compose_ucs2_culprit_highlighted(snap_compare, app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    text = "Hi Jane — your parcel “A-1182” arrives today"
    assert snap_compare(app, terminal_size=SIZE, run_before=compose_with(text))


def test_compose_over_long(snap_compare, app: AgentConsole) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=SIZE, run_before=compose_with("x" * 1600))


async def compose_confirming(pilot: Pilot) -> None:
    from console.screens.confirm_send_dialog import ConfirmSendDialog

    app = pilot.app
    assert isinstance(app, AgentConsole)
    await compose_with(
        "Your technician arrives between 2 and 4pm today.",
        to="+6591234567, +6598765432, +6591112222",
    )(pilot)
    await wait_for(pilot, lambda: app.balance.amount is not None)
    await pilot.press("ctrl+j")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmSendDialog))
    await pilot.pause()


@pytest.mark.parametrize("size", ["80x24", "120x36"])
def test_compose_asks_before_a_batch(
    snap_compare, untouched_sandbox: str, tmp_path: Path, size: str
) -> None:  # type: ignore[no-untyped-def]
    """The guard before money leaves: recipients, parts, cost, balance; Cancel focused."""
    console = console_for(untouched_sandbox, data_dir=tmp_path)
    console.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    assert snap_compare(console, terminal_size=SIZES[size], run_before=compose_confirming)


# -- login and rooms, at 80×24 and 120×36 -----------------------------------------------------

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}
# 10:00 UTC today: every time shown is the same on every run (and within the history's
# retention, which counts from the real clock)
FIXED = (time.time() // 86400) * 86400 + 10 * 3600


def headless(monkeypatch: pytest.MonkeyPatch) -> None:
    """No keyring backend (the screen says so), whether or not the keyring package is here."""
    monkeypatch.setattr(keystore, "keyring_status", lambda: KeyringStatus(False, reason=NO_BACKEND))


@pytest.fixture
def login_app(sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AgentConsole:
    """The login screen on a headless machine."""
    headless(monkeypatch)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", str(tmp_path / "config.toml"))
    app = login_console(sandbox_url, tmp_path / "agent-console", clock=lambda: FIXED)
    app.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return app


async def login_screen(pilot: Pilot) -> LoginScreen:
    app = pilot.app
    assert isinstance(app, AgentConsole)
    await wait_for(pilot, lambda: app.current_mode == "login" and app.keyring is not None)
    await wait_for(pilot, lambda: app.history_keeper.settled)
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, LoginScreen)
    return screen


@pytest.mark.parametrize("size", SIZES)
def test_login_first_run(snap_compare, login_app: AgentConsole, size: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(login_app, terminal_size=SIZES[size], run_before=login_screen)


@pytest.mark.parametrize("size", SIZES)
def test_login_key_refused(snap_compare, login_app: AgentConsole, size: str) -> None:  # type: ignore[no-untyped-def]
    async def refused(pilot: Pilot) -> None:
        screen = await login_screen(pilot)
        screen.query_one("#subaccount", Input).value = DEMO_SUBACCOUNT
        screen.query_one("#key", Input).value = "wrong-key-0000000000000000"
        screen.query_one("#key", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: login_app.connection.state == "failed")
        await pilot.pause()

    assert snap_compare(login_app, terminal_size=SIZES[size], run_before=refused)


@pytest.mark.parametrize("size", SIZES)
def test_login_subaccount_refused(snap_compare, login_app: AgentConsole, size: str) -> None:  # type: ignore[no-untyped-def]
    async def refused(pilot: Pilot) -> None:
        screen = await login_screen(pilot)
        screen.query_one("#subaccount", Input).value = "someone-else"
        screen.query_one("#key", Input).value = DEMO_KEY
        screen.query_one("#key", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: login_app.connection.state == "failed")
        await pilot.pause()

    assert snap_compare(login_app, terminal_size=SIZES[size], run_before=refused)


@pytest.mark.parametrize("size", SIZES)
def test_login_recent_logins(  # type: ignore[no-untyped-def]
    snap_compare,
    sandbox_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: str,
) -> None:
    headless(monkeypatch)
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / "agent-console"
    moment = [FIXED]
    with History.open(folder, clock=lambda: moment[0]) as history:
        for ago_seconds, subaccount, target in (
            (3 * 3600, "acme_support", "Europe"),
            (26 * 3600, "acme_sales", "Asia Pacific"),
            (600, "acme_support", "North America"),
        ):
            moment[0] = FIXED - ago_seconds
            history.record_login(subaccount, target, "a1b2c3")
    app = login_console(sandbox_url, folder, clock=lambda: FIXED)

    async def chosen(pilot: Pilot) -> None:
        screen = await login_screen(pilot)
        table = screen.query_one("#recent", DataTable)
        await wait_for(pilot, lambda: table.row_count == 3)
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=chosen)


# -- rooms: the screen fed known rooms through the core (the sandbox's links have a random
# port and code; the Pilot tests in test_rooms.py drive the sandbox itself) ---------------------

GUEST = "https://video-agent.8x8.com/guest/k3f9q2xa7m4p"
AGENT = "https://video-agent.8x8.com/?user=ana&token=eyJhbGciOiJIUzI1NiJ9.demo"


def known_room(reference: str, created: float, phone: str | None = "+6591234567") -> RoomView:
    return RoomView(
        call_reference=reference,
        guest_link=GUEST.replace("k3f9q2xa7m4p", reference.lower()[:12]),
        phone=phone,
        created_at=created,
        expires_at=created + 900,
        agent_link=AGENT,
    )


def invite_events(umid: str, destination: str, *states: str) -> list[Event]:
    return [
        Event(
            index + 1,
            utc_iso(FIXED - 30),
            "SMS",
            "outbound_message_status_changed",
            {
                "umid": umid,
                "destination": destination,
                "status": {"state": state, "timestamp": utc_iso(FIXED - 30 + index)},
            },
        )
        for index, state in enumerate(states)
    ]


@pytest.fixture
def rooms_app(sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AgentConsole:
    monkeypatch.setenv("HOME", str(tmp_path))
    app = console_for(sandbox_url, data_dir=tmp_path / "agent-console", clock=lambda: FIXED)
    app.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    app.session_flow.watch_rooms = lambda: None  # type: ignore[method-assign]
    monkeypatch.setattr(console.screens.rooms, "suggest_reference", lambda: "VC-K3F9Q2XA")
    return app


async def rooms_screen(pilot: Pilot) -> RoomsScreen:
    await connected(pilot)
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RoomsScreen))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RoomsScreen)
    return screen


@pytest.mark.parametrize("size", SIZES)
def test_rooms_empty(snap_compare, rooms_app: AgentConsole, size: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(rooms_app, terminal_size=SIZES[size], run_before=rooms_screen)


@pytest.mark.parametrize("size", SIZES)
def test_rooms_invalid_fields(snap_compare, rooms_app: AgentConsole, size: str) -> None:  # type: ignore[no-untyped-def]
    async def invalid(pilot: Pilot) -> None:
        screen = await rooms_screen(pilot)
        screen.query_one("#phone", Input).value = "+65 9123"
        screen.query_one("#reference", Input).value = "short"
        screen.query_one("#reference", Input).focus()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(rooms_app, terminal_size=SIZES[size], run_before=invalid)


@pytest.mark.parametrize("size", SIZES)
def test_rooms_created_invite_delivered(snap_compare, rooms_app: AgentConsole, size: str) -> None:  # type: ignore[no-untyped-def]
    async def created(pilot: Pilot) -> None:
        screen = await rooms_screen(pilot)
        core = rooms_app.core
        core.record_room(known_room("CASE-20260312", FIXED - 1800, phone="+6598761234"))
        room = known_room("CASE-20260312-B", FIXED - 61)
        core.record_room(room)
        core.apply_events(invite_events("inv-1", "6591234567", "sent", "delivered"))
        screen.post_message(RoomsScreen.Created(core.room(room.call_reference)))  # type: ignore[arg-type]
        await pilot.pause()

    assert snap_compare(rooms_app, terminal_size=SIZES[size], run_before=created)


@pytest.mark.parametrize("size", SIZES)
def test_rooms_expired_and_call_logs(snap_compare, rooms_app: AgentConsole, size: str) -> None:  # type: ignore[no-untyped-def]
    async def expired(pilot: Pilot) -> None:
        screen = await rooms_screen(pilot)
        core = rooms_app.core
        room = known_room("CASE-EXPIRED-1", FIXED - 901)
        core.record_room(room)
        core.record_room(known_room("CASE-JOINED-2", FIXED - 300, phone=None))
        core.apply_calls([CallSeen("CASE-JOINED-2", "5002", FIXED - 290, FIXED - 240)])
        screen.post_message(RoomsScreen.Created(core.room(room.call_reference)))  # type: ignore[arg-type]
        await pilot.pause()
        table = screen.query_one("#rooms-history", DataTable)
        table.focus()
        table.move_cursor(row=1)
        report = CallReport(
            "5001",
            "CASE-EXPIRED-1",
            created_at=FIXED - 901,
            finished_at=FIXED - 1,
            agent_joined_at=FIXED - 880,
            guest_joined_at=FIXED - 760,
            duration=759,
            open=False,
        )
        screen.post_message(RoomsScreen.CallsLoaded("CASE-EXPIRED-1", [report]))
        screen.query_one("#call-logs").display = True
        await pilot.pause()

    assert snap_compare(rooms_app, terminal_size=SIZES[size], run_before=expired)


@pytest.mark.parametrize("size", SIZES)
def test_home_sizes(snap_compare, home_app: AgentConsole, size: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(home_app, terminal_size=SIZES[size], run_before=home_with_balance)


# -- the inbox: a seeded team inbox, a fixed clock, at 80×24 and 160×48 -------------------


@pytest.fixture
def inbox_app(sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AgentConsole:
    monkeypatch.setenv("HOME", str(tmp_path))
    data = tmp_path / "agent-console"
    seed_inbox(data)
    console = console_for(sandbox_url, data_dir=data, clock=lambda: SNAPSHOT_NOW)
    console.settings = dataclasses.replace(console.settings, history_max_age_days=100_000)
    console.live.follow = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return console


def inbox_with(opened: str | None = None, draft: str = ""):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await connected(pilot)
        app = pilot.app
        assert isinstance(app, AgentConsole)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await wait_for(pilot, lambda: len(screen.conversations.rows) == 3)  # the open ones
        if opened is not None:
            screen.conversations.move_to(opened)
            await pilot.press("enter")
            await wait_for(pilot, lambda: "Where is it?" in screen_text(app))
            if draft:
                await pilot.press("enter")
                screen.query_one(ReplyBox).insert(draft)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_inbox_list(snap_compare, inbox_app: AgentConsole, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(inbox_app, terminal_size=size, run_before=inbox_with())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_inbox_thread(snap_compare, inbox_app: AgentConsole, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    run_before = inbox_with(JANE_ID, draft="Great, the courier will ring around 4pm.")
    assert snap_compare(inbox_app, terminal_size=size, run_before=run_before)
