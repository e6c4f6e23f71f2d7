"""Notifications never cover the work: while the agent types (or at 80 columns) a customer's
message goes to the hotlist line above the keys instead of a toast; the line says who is
waiting until it is read; the palette's "Notifications" lists the recent notices."""

from __future__ import annotations

from pathlib import Path

from inbox_helpers import JANE, customer_writes, open_inbox
from tui_helpers import console_for, open_compose, screen_text, wait_for

from console.screens.notices_screen import NoticesScreen
from console.widgets.key_bar import KeyBar


async def test_while_typing_a_customers_message_goes_to_the_hotlist_not_a_toast(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_inbox(app, pilot)  # connected, live
        compose = await open_compose(app, pilot)
        await pilot.click("#to")
        await pilot.press(*"+6591")  # the agent is typing
        customer_writes(fresh_sandbox, JANE, "Is my parcel coming today?")
        bar = compose.query_one(KeyBar)
        await wait_for(pilot, lambda: bar.hotlist == "1 new · Jane Tan 1")
        assert "◆ 1 new · Jane Tan 1" in screen_text(app)
        assert not app._notifications, "no toast over the field being typed in"
        assert compose.query_one("#to").value == "+6591"  # type: ignore[attr-defined]
        app.action_show_notices()
        said = "New message: Jane Tan on WhatsApp: Is my parcel coming today?"
        await wait_for(
            pilot, lambda: isinstance(app.screen, NoticesScreen) and said in screen_text(app)
        )
        await pilot.press("escape")
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen is screen)
        screen.conversations.move_to("whatsapp:+6591234567")
        await pilot.press("enter")  # read: the line empties
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.screen is compose and bar.hotlist == "")
        assert "◆" not in screen_text(app)


async def test_on_a_wide_screen_not_typing_it_is_a_toast(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_inbox(app, pilot)
        await pilot.press("f1")
        customer_writes(fresh_sandbox, JANE, "Hello?")
        await wait_for(pilot, lambda: bool(app._notifications))
        assert "Jane Tan on WhatsApp: Hello?" in next(iter(app._notifications)).message


async def test_a_toast_raised_elsewhere_goes_on_coming_to_the_inbox(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    """Left for its 6 s, it lay over the reply box: the letters typed were hidden under it."""
    from textual.widgets._toast import Toast

    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        screen = await open_inbox(app, pilot)
        await pilot.press("f1")
        customer_writes(fresh_sandbox, JANE, "Hello?")
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert not app._notifications, "no toast left over the inbox"
        assert not screen.query(Toast)
        said = [n.text for n in app.notices.recent() if n.title == "New message"]
        assert said == ["Jane Tan on WhatsApp: Hello?"], "the palette still has it"


async def test_a_new_message_toast_stays_behind_on_a_section_switch_the_hotlist_names_them(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    """Carried to the new section it was mounted there again (two layouts of that screen as
    the agent arrived); the hotlist line there says who is waiting, and a colleague's or a
    failure's toast (said nowhere else) still follows."""
    from textual.widgets._toast import Toast

    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_inbox(app, pilot)
        await pilot.press("f1")
        customer_writes(fresh_sandbox, JANE, "Hello?")
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        app.notify("Could not save the settings", title="Settings", severity="warning")
        home = app.screen
        await pilot.press("f4")
        await wait_for(pilot, lambda: app.current_mode == "feed")
        bar = app.screen.query_one(KeyBar)
        await wait_for(pilot, lambda: bar.hotlist.startswith("1 new · Jane Tan"))
        await wait_for(pilot, lambda: len(app.screen.query(Toast)) == 1)
        assert [n.title for n in app._notifications] == ["Settings"]
        assert "Could not save the settings" in screen_text(app)
        assert "Hello?" not in screen_text(app)
        await pilot.pause()  # nor is it left composing on the hidden section (laid out there)
        assert all(toast._notification.title != "New message" for toast in home.query(Toast))
        said = [n.text for n in app.notices.recent() if n.title == "New message"]
        assert said == ["Jane Tan on WhatsApp: Hello?"], "the palette still has it"


async def test_a_customers_name_in_the_hotlist_is_shown_as_text_never_as_terminal_control(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    """A name with an escape sequence and markup reads as typed in the line above the keys:
    the escape character shows as ␛ and nothing of it reaches the terminal."""
    hostile = ("whatsapp", "+6591230000", "\x1b[31mRed [b]bold[/b] [@click=app.quit]x[/]")
    app = console_for(fresh_sandbox, data_dir=tmp_path)
    async with app.run_test(size=(120, 24), notifications=True) as pilot:
        await open_inbox(app, pilot)
        compose = await open_compose(app, pilot)
        await pilot.click("#to")
        await pilot.press(*"+6591")  # the agent is typing: the message goes to the hotlist
        customer_writes(fresh_sandbox, hostile, "hello")
        bar = compose.query_one(KeyBar)
        await wait_for(pilot, lambda: bar.hotlist.startswith("1 new · "))
        await pilot.pause()
        shown = screen_text(app)
        assert "◆ 1 new · ␛[31mRed [b]bold[/b] [@click=app.quit]x[/] 1" in shown
        assert "\x1b" not in shown
        assert app.is_running
