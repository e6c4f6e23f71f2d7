"""The Rooms section against a real sandbox: creating rooms with and without a phone and a
reference, every validation message, copying the guest link, opening the agent link, the
countdown reaching "expired" (an injected clock, never a sleep), the invite SMS's receipts,
the guest joining, and the call logs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from textual.command import CommandInput
from textual.widgets import DataTable, Input, Label, Static
from tui_helpers import (
    DEMO_KEY,
    connected,
    console_for,
    on_mode,
    open_section,
    palette_offers,
    screen_text,
    wait_for,
)

import console.controllers.session
from console.app import AgentConsole
from console.screens.rooms import RoomsScreen
from console.ui.browser import Browser


class FakeClock:
    """The core's clock, moved by the test (real time until moved)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def visiting_browser(visited: list[str]) -> Browser:
    """A local browser that opens the page the way a real one would: an HTTP GET."""

    def open_page(url: str) -> bool:
        visited.append(url)
        httpx.get(url, timeout=10)
        return True

    return Browser(open_page, environ={"DISPLAY": ":0"}, platform="linux")


async def open_rooms(pilot, app: AgentConsole) -> RoomsScreen:  # type: ignore[no-untyped-def]
    await wait_for(pilot, lambda: connected(app) and app.room_service is not None)
    await pilot.press("f2")
    await wait_for(pilot, on_mode(app, "rooms"))
    screen = app.screen
    assert isinstance(screen, RoomsScreen)
    return screen


async def create(
    pilot, screen: RoomsScreen, phone: str = "", reference: str = "", country: str = ""
):  # type: ignore[no-untyped-def]
    """Type the form as an agent would: the phone, Enter, the country, Enter, the reference,
    Enter (the last field creates)."""
    app = screen.app
    before = len(app.core.rooms)  # type: ignore[attr-defined]
    screen.query_one("#phone", Input).focus()
    await pilot.press(*phone, "enter")
    assert screen.focused is screen.query_one("#country")
    await pilot.press(*country, "enter")
    assert screen.focused is screen.query_one("#reference")
    await pilot.press(*reference, "enter")
    await wait_for(pilot, lambda: len(app.core.rooms) == before + 1)  # type: ignore[attr-defined]
    await pilot.pause()
    assert screen.current is not None
    return screen.current


def text_of(screen: RoomsScreen, selector: str) -> str:
    widget = screen.query_one(selector)
    return str(widget.render())


async def test_a_room_without_phone_or_reference(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        assert screen.focused is screen.query_one("#phone"), "focus starts in the first field"
        room = await create(pilot, screen)
        assert 8 <= len(room.call_reference) <= 20 and room.phone is None
        text = screen_text(app)
        assert room.guest_link in text and f"Room {room.call_reference}" in text
        assert "15:00 left" in text or "14:59 left" in text
        assert "none: no phone number" in text
        assert f"✓ Room {room.call_reference} created." in text_of(screen, "#room-status")
        table = screen.query_one("#rooms-history", DataTable)
        assert table.row_count == 1
        assert [str(c) for c in table.get_row_at(0)][2:4] == ["—", room.call_reference]
        assert DEMO_KEY not in text


async def test_a_room_with_phone_and_reference(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        room = await create(pilot, screen, phone="9123 4567", country="sg", reference="CASE-7781")
        assert (room.call_reference, room.phone) == ("CASE-7781", "+6591234567")
        text = screen_text(app)
        assert "sent by 8x8 when the agent link is opened" in text
        row = [str(c) for c in screen.query_one("#rooms-history", DataTable).get_row_at(0)]
        assert row[0] == "◌ waiting" and row[2:4] == ["+65••••4567", "CASE-7781"]
        # the form is ready for the next customer, with a new suggestion
        assert screen.query_one("#phone", Input).value == ""
        assert screen.suggestion in screen.query_one("#reference", Input).placeholder


async def test_the_suggested_reference_is_one_key_away(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        suggestion = screen.suggestion
        await pilot.press("ctrl+n")
        assert screen.query_one("#reference", Input).value == suggestion
        assert screen.focused is screen.query_one("#reference")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.current is not None)
        assert screen.current is not None and screen.current.call_reference == suggestion


@pytest.mark.parametrize(
    ("phone", "country", "reference", "field", "message"),
    [
        ("+65", "", "", "phone", "✗ Too short: 2 digits"),
        ("+65 9123 45ab", "", "", "phone", "✗ Letters in the number ('a', 'b')"),
        ("091234567", "", "", "phone", "✗ Starts with 0, so it is a national number"),
        ("+999 1234 5678", "", "", "phone", "✗ Unknown country calling code"),
        ("91234567", "XX", "", "country", "✗ Unknown country 'XX'"),
        (
            "",
            "",
            "short",
            "reference",
            "✗ A call reference has 8 to 20 characters: this one has 5.",
        ),
        ("", "", "x" * 21, "reference", "this one has 21."),
    ],
)
async def test_every_validation_message_is_at_its_field_and_nothing_is_created(
    sandbox_url: str,
    tmp_path: Path,
    phone: str,
    country: str,
    reference: str,
    field: str,
    message: str,
) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        screen.query_one("#phone", Input).value = phone
        screen.query_one("#country", Input).value = country
        screen.query_one("#reference", Input).value = reference
        screen.query_one("#reference", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        hint = "#reference-hint" if field == "reference" else "#phone-hint"
        assert message in text_of(screen, hint)
        assert screen.query_one(hint, Label).has_class("-error")
        assert screen.focused is screen.query_one(f"#{field}")
        assert "Nothing was created" in text_of(screen, "#room-status")
        # Refused before anything was sent: no room is being created, and none was.
        assert not [worker for worker in app.workers if worker.group == "create-room"]
        assert len(app.core.rooms) == 0 and screen.current is None


async def test_a_reference_with_spaces_around_it_is_refused(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        screen.query_one("#reference", Input).value = " CASE-0001"
        await pilot.pause()
        assert "No spaces at the start or end" in text_of(screen, "#reference-hint")


async def test_copy_the_guest_link_never_the_key(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        screen = await open_rooms(pilot, app)
        await pilot.press("ctrl+y")
        assert any("No room yet" in n.message for n in app._notifications)
        room = await create(pilot, screen, reference="COPY-ME-01")
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.clipboard == room.guest_link
        assert any(n.message == "Copied the guest link of COPY-ME-01." for n in app._notifications)
        assert DEMO_KEY not in app.clipboard


async def test_the_agent_link_opens_in_a_local_browser_else_is_copied(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, tmp_path)  # a headless machine: no local browser
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        screen = await open_rooms(pilot, app)
        room = await create(pilot, screen)
        assert room.agent_link is not None
        token = room.agent_link.rpartition("token=")[2]
        assert len(token) > 8
        shown = str(screen.query_one("#room-details", Static).render())
        assert "Agent link" in shown and f"token=…{token[-4:]}" in shown
        assert token not in shown, "the agent's token is on screen (and in screenshots)"
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert app.clipboard == room.agent_link, "copied whole: it must still work"
        assert any("no local browser here" in n.message for n in app._notifications)

    visited: list[str] = []
    app = console_for(sandbox_url, tmp_path / "2", browser=visiting_browser(visited))
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        screen = await open_rooms(pilot, app)
        room = await create(pilot, screen)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: visited == [room.agent_link])
        await wait_for(
            pilot, lambda: any("in the browser" in n.message for n in app._notifications)
        )


async def test_the_countdown_reaches_expired(sandbox_url: str, tmp_path: Path) -> None:
    clock = FakeClock()
    app = console_for(sandbox_url, tmp_path, clock=clock)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        room = await create(pilot, screen, reference="CLOCK-0001")
        clock.offset = 600
        await wait_for(
            pilot, lambda: "05:00 left" in screen_text(app) or "04:59 left" in screen_text(app)
        )
        clock.offset = 15 * 60 + 1
        await wait_for(pilot, lambda: f"Room {room.call_reference} · expired" in screen_text(app))
        row = [str(c) for c in screen.query_one("#rooms-history", DataTable).get_row_at(0)]
        assert row[:2] == ["✗ expired", "—"]
        assert screen.query_one("#room-result").has_class("-expired")


async def test_the_invite_sms_is_sent_and_delivered_from_live_receipts(
    sandbox_url: str, tmp_path: Path
) -> None:
    visited: list[str] = []
    app = console_for(sandbox_url, tmp_path, browser=visiting_browser(visited))
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        await wait_for(pilot, lambda: app.connection.events.state == "live")
        room = await create(pilot, screen, phone="+6598761234", reference="INVITE-0001")
        assert room.invite_label() == "sent by 8x8 when the agent link is opened"
        await pilot.press("ctrl+o")  # the sandbox sends the invite when the agent logs in
        await wait_for(pilot, lambda: "✓ delivered · to +65••••1234" in screen_text(app))
        current = app.core.room("INVITE-0001")
        assert current is not None and current.invite.umid is not None
        assert app.history is not None
        await wait_for(
            pilot,
            lambda: app.history.rooms()[0].invite_status == "delivered",  # type: ignore[union-attr]
        )


async def test_the_guest_joining_shows_and_the_call_logs_say_when(
    sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console.controllers.session, "ROOM_WATCH_SECONDS", 0.2)
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        room = await create(pilot, screen, reference="GUEST-0001")
        table = screen.query_one("#rooms-history", DataTable)
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Call logs of GUEST-0001:" in text_of(screen, "#call-logs"))
        logs = text_of(screen, "#call-logs")
        assert "open" in logs and "guest joined —" in logs
        # the customer opens the guest link: the console sees it in the call reports
        await pilot.pause()
        thread = threading.Thread(target=httpx.get, args=(room.guest_link,))
        thread.start()
        thread.join()
        await wait_for(pilot, lambda: "✓ guest joined" in screen_text(app))
        await pilot.press("ctrl+l")
        await wait_for(
            pilot,
            lambda: (
                "guest joined —" not in text_of(screen, "#call-logs")
                and "call " in text_of(screen, "#call-logs")
            ),
        )
        assert "duration" in text_of(screen, "#call-logs")


async def test_the_history_lists_rooms_newest_first_with_a_filter(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        await create(pilot, screen, reference="FIRST-ROOM-1")
        await create(pilot, screen, phone="+12025550142", reference="SECOND-ROOM-2")
        table = screen.query_one("#rooms-history", DataTable)
        assert [str(table.get_row_at(i)[3]) for i in range(2)] == ["SECOND-ROOM-2", "FIRST-ROOM-1"]
        screen.query_one("#filter", Input).value = "0142"
        await pilot.pause()
        assert table.row_count == 1 and str(table.get_row_at(0)[3]) == "SECOND-ROOM-2"
        assert "1 of 2 rooms" in text_of(screen, "#rooms-count")
    assert app.wait_closed(10)
    again = console_for(sandbox_url, tmp_path)
    async with again.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, again)
        table = screen.query_one("#rooms-history", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        assert str(table.get_row_at(0)[3]) == "SECOND-ROOM-2"


async def test_rooms_actions_are_in_the_palette(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await wait_for(pilot, lambda: connected(app) and app.room_service is not None)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for action in ("create room", "copy guest link", "open agent link", "call logs"):
            assert f"Rooms: {action}" in titles
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.focused, CommandInput))
        await pilot.press(*"rooms: create room")
        await wait_for(pilot, palette_offers(app, "Rooms: create room"))
        await pilot.press("enter")
        await wait_for(pilot, on_mode(app, "rooms"))
        screen = app.screen
        assert isinstance(screen, RoomsScreen)
        await wait_for(pilot, lambda: screen.current is not None)


async def test_a_room_id_from_the_server_that_looks_like_markup_shows_as_text(
    sandbox_url: str, tmp_path: Path
) -> None:
    """With no reference the room is named by the id the server gave it: a '[/x]' there is
    its name, not markup that ends the console."""
    import dataclasses

    app = console_for(sandbox_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_rooms(pilot, app)
        room = await create(pilot, screen)
        screen.current = dataclasses.replace(room, call_reference="[/x][@click=app.quit]r")
        screen._show_current(time.time())
        await pilot.pause()
        assert "Room [/x][@click=app.quit]r" in screen_text(app)


async def test_a_paste_longer_than_the_country_field_keeps_what_fits_and_says_why(
    sandbox_url: str, tmp_path: Path
) -> None:
    from textual import events

    from console.widgets.text_input import TextInput

    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_section(app, pilot, "f2", RoomsScreen)
        country = screen.query_one("#country", TextInput)
        country.focus()
        country.post_message(events.Paste("SGP"))
        await wait_for(pilot, lambda: country.value == "SG")
        said = [n.message for n in app._notifications]
        assert said == ["Country takes at most 2 characters: the paste was cut (1 left out)."]


@pytest.mark.parametrize("moves", [("tab", "tab"), ("enter", "enter")], ids=["tab", "enter"])
async def test_a_burst_of_keys_lands_in_the_fields_the_agent_meant(
    sandbox_url: str, tmp_path: Path, moves: tuple[str, str]
) -> None:
    """Keys that arrive together, as over a laggy SSH link, are posted to the app at once
    (as its driver does), not one at a time when the app is idle (as Pilot does): the Tabs
    move focus before the keys behind them are delivered; so does Enter, whose move to the
    next field is made by the form's handler of the field's Submitted message."""
    from textual import events

    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_section(app, pilot, "f2", RoomsScreen)
        screen.query_one("#phone", Input).focus()
        await pilot.pause()
        burst = [*"+6591234567", *moves, *"CASE-20001", "enter"]
        before = len(app.core.rooms)
        for key in burst:  # no pause between them: one burst in the app's queue
            char = key if len(key) == 1 else None
            name = {"+": "plus", "-": "minus"}.get(key, key)
            app.post_message(events.Key(name, char))
        await wait_for(pilot, lambda: len(app.core.rooms) == before + 1)
        assert app.core.rooms.newest(1)[0].call_reference == "CASE-20001"
        assert app.core.rooms.newest(1)[0].phone == "+6591234567"
