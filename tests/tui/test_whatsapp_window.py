"""WhatsApp's 24-hour window in the inbox, against a real sandbox that keeps it: the time
left in the thread header and a marker in the row; once it has closed, a free-form reply is
refused at the reply box before anything is sent, and ctrl+t offers the account's templates,
fills one in and sends it, and it shows in the thread with its delivery state. The console's
clock is moved a day ahead (the sandbox's stays real: it would still take a free-form reply,
so only the console can have refused it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from inbox_helpers import JANE, conversation_id, customer_writes, listed, open_inbox
from test_hostile_text import raw_controls
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from tui_helpers import (
    DEMO_KEY,
    DEMO_SUBACCOUNT,
    WEBHOOK_SECRET,
    console_for,
    quiet_sandbox,
    screen_text,
    wait_for,
)

from console.sandbox.app import SandboxConfig
from console.sandbox.server import SandboxServer
from console.screens.inbox import InboxScreen
from console.screens.templates import TemplatePicker
from console.widgets.conversation_list import row_lines
from console.widgets.reply_box import ReplyBox
from console.widgets.text_input import TextInput

HOUR = 3600.0
HOSTILE = ("whatsapp", "+6591230000", "Eve [b]bold[/b] [@click=app.quit]x[/]")


@pytest.fixture(scope="module")
def windowed_sandbox() -> Iterator[str]:
    yield from quiet_sandbox(13, whatsapp_window=True)


def header(screen: InboxScreen) -> str:
    return str(screen.query_one("#thread-header", Static).render())


def hint(screen: InboxScreen) -> str:
    return str(screen.query_one("#reply-hint", Static).render())


def sent_entries(screen: InboxScreen) -> list[object]:
    assert screen.thread is not None
    return [e for e in screen.thread.entries() if e.kind == "out"]


async def open_jane(app, pilot: Pilot, url: str, who=JANE) -> InboxScreen:  # type: ignore[no-untyped-def]
    screen = await open_inbox(app, pilot)
    customer_writes(url, who, "Hi, is my parcel coming?")
    await wait_for(pilot, lambda: conversation_id(who) in listed(screen))
    screen.open_conversation(conversation_id(who))
    await pilot.pause()
    return screen


async def test_an_open_window_shows_its_time_left(windowed_sandbox: str, tmp_path: Path) -> None:
    app = console_for(windowed_sandbox, data_dir=tmp_path, clock=lambda: time.time() + 3 * HOUR)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_jane(app, pilot, windowed_sandbox)
        await wait_for(pilot, lambda: "WA window 20h" in header(screen))
        assert "left" in header(screen)
        conversation = app.core.inbox.get(conversation_id(JANE))
        assert conversation is not None
        _first, second = row_lines(conversation, 70, app.clock())
        assert "◷20h" in second.plain


async def test_a_closed_window_refuses_free_form_and_sends_a_template(
    windowed_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(windowed_sandbox, data_dir=tmp_path, clock=lambda: time.time() + 25 * HOUR)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await open_jane(app, pilot, windowed_sandbox)
        await wait_for(pilot, lambda: "WA window closed" in header(screen))
        assert "◷shut" in screen_text(app)  # the row's marker

        reply = screen.query_one("#reply", ReplyBox)
        reply.focus()
        await pilot.pause()
        assert "ctrl+t sends a template" in hint(screen)
        reply.insert("I'll check right away")
        await pilot.pause()
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: "only a template reaches them" in hint(screen), timeout=3)
        assert "WA window closed 1h ago" in hint(screen) and "ctrl+t" in hint(screen)
        assert reply.text == "I'll check right away", "the reply stays, not sent"
        assert not reply.read_only
        await pilot.pause(0.3)
        assert sent_entries(screen) == [], "nothing was sent"

        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, TemplatePicker))
        picker = app.screen
        assert isinstance(picker, TemplatePicker)
        await wait_for(pilot, lambda: bool(picker.templates))
        names = [t.name for t in picker.templates]
        assert "ticket_update" in names and names[-1] == "spring_offer"  # unsendable last
        options = picker.query_one("#tp-list", OptionList)
        assert options.get_option_at_index(names.index("spring_offer")).disabled
        assert "WA window closed" in str(picker.query_one("#tp-window").render())

        options.highlighted = names.index("ticket_update")
        await pilot.pause()
        await pilot.press("enter")  # to the first value
        await wait_for(pilot, lambda: isinstance(app.focused, TextInput))
        await pilot.press("ctrl+j")  # nothing typed yet: refused in the dialog
        await wait_for(
            pilot, lambda: "body {{1}} is empty" in str(picker.query_one("#tp-hint").render())
        )
        assert isinstance(app.screen, TemplatePicker)
        await pilot.press(*"Jane", "enter", *"T-1042")
        preview = str(picker.query_one("#tp-preview", Static).render())
        assert "Hello Jane, there is an update on your ticket T-1042." in preview
        await pilot.press("enter")  # Enter in the last value sends
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))

        await wait_for(pilot, lambda: len(sent_entries(screen)) == 1)
        (entry,) = sent_entries(screen)
        assert entry.text.startswith("[template ticket_update · en]")  # type: ignore[attr-defined]
        await wait_for(
            pilot,
            lambda: (
                sent_entries(screen)[0].delivery is not None  # type: ignore[attr-defined]
                and sent_entries(screen)[0].delivery.state in ("delivered", "read")
            ),  # type: ignore[attr-defined]
        )
        text = screen_text(app)
        assert "[template ticket_update · en]" in text and "ticket T-1042" in text


async def test_templates_need_a_whatsapp_conversation(sandbox_url: str, tmp_path: Path) -> None:
    from inbox_helpers import LI

    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await open_jane(app, pilot, sandbox_url, who=LI)
        assert "WA window" not in header(screen)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert not isinstance(app.screen, TemplatePicker)


async def test_a_hostile_customer_name_stays_text_in_the_picker(
    windowed_sandbox: str, tmp_path: Path
) -> None:
    app = console_for(windowed_sandbox, data_dir=tmp_path, clock=lambda: time.time() + 25 * HOUR)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_jane(app, pilot, windowed_sandbox, who=HOSTILE)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, TemplatePicker))
        await pilot.pause()
        assert "Eve [b]bold[/b] [@click=app.quit]x[/]" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        assert app.is_running


async def test_hostile_template_names_and_texts_stay_text() -> None:
    """A template list from a server is outside text: names, languages, bodies, footers and
    buttons with markup or terminal controls are shown as they are and never act."""
    from textual.app import App

    from console.api.templates import Template, TemplateComponent

    evil = "[/x] [@click=app.quit]q[/] \x1b]52;c;ZWNobyBwd25lZA==\x07"
    hostile = Template(
        name=f"promo{evil}",
        language="en[b]",
        status="APPROVED",
        category="[reverse]UTILITY",
        components=(
            TemplateComponent("HEADER", f"Hi {{{{1}}}} {evil}", "Text"),
            TemplateComponent("BODY", f"Body {evil} {{{{1}}}}"),
            TemplateComponent("FOOTER", f"Foot {evil}"),
            TemplateComponent("BUTTONS", buttons=(f"Yes {evil}",)),
        ),
    )

    async def load() -> list[Template]:
        return [hostile]

    chosen: list[object] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(TemplatePicker(f"Eve {evil}", load, "WA window closed"), chosen.append)

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, TemplatePicker) and app.screen.templates
        )
        await pilot.pause()
        text = screen_text(app)
        assert "[/x] [@click=app.quit]q[/]" in text
        assert "promo[/x]" in text and "en[b]" in text and "Foot [/x]" in text
        assert raw_controls(app) == []
        await pilot.press("enter", *"[/x]", "enter", *"ok", "enter")
        await wait_for(pilot, lambda: bool(chosen))
        assert app.is_running
    (choice,) = chosen
    assert choice.values == ("[/x]", "ok")  # type: ignore[attr-defined]


class ShiftedClock:
    """The sandbox's clock, a day ahead once the test says so (its world's window)."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def time(self) -> float:
        return time.time() + self.ahead

    def monotonic(self) -> float:
        return time.monotonic()


async def test_8x8s_session_expired_closes_the_window_in_the_console(tmp_path: Path) -> None:
    """The console counted the window open, but 8x8 (here the sandbox, whose clock is a day
    ahead) trashed the reply: the receipt's errorCode 61 shows on the reply, and the window
    is closed from then on (the next free-form reply is refused at the box)."""
    clock = ShiftedClock()
    config = SandboxConfig(
        api_keys=(DEMO_KEY,),
        subaccount=DEMO_SUBACCOUNT,
        seed=17,
        speed=5.0,
        customers=False,
        undelivered_share=0.0,
        webhook_secret=WEBHOOK_SECRET,
        whatsapp_window=True,
    )
    server = SandboxServer(config, clock=clock)
    url = server.start()
    try:
        app = console_for(url, data_dir=tmp_path)
        async with app.run_test(size=(160, 40)) as pilot:
            screen = await open_jane(app, pilot, url)
            await wait_for(pilot, lambda: "WA window 23h" in header(screen))
            clock.ahead = 25 * HOUR  # 8x8's view: the customer wrote 25 hours ago
            reply = screen.query_one("#reply", ReplyBox)
            reply.focus()
            reply.insert("Still there?")
            await pilot.pause()
            await pilot.press("ctrl+j")
            await wait_for(pilot, lambda: len(sent_entries(screen)) == 1)
            await wait_for(
                pilot,
                lambda: (
                    sent_entries(screen)[0].delivery is not None  # type: ignore[attr-defined]
                    and sent_entries(screen)[0].delivery.error_code == 61
                ),  # type: ignore[attr-defined]
            )
            await wait_for(pilot, lambda: "61 WhatsApp window closed" in screen_text(app))
            await wait_for(pilot, lambda: "WA window closed" in header(screen))
            reply.insert("Hello?")
            await pilot.pause()
            await pilot.press("ctrl+j")
            await wait_for(pilot, lambda: "only a template reaches them" in hint(screen))
            await pilot.pause(0.3)
            assert len(sent_entries(screen)) == 1, "the second reply was not sent"

            customer_writes(url, JANE, "Yes, still here!")  # the window opens again
            await wait_for(pilot, lambda: "WA window 23h" in header(screen))
            await wait_for(pilot, lambda: "ctrl+j send" in hint(screen))
            assert "templates only" not in str(reply.border_title)
    finally:
        server.stop()


async def _refused() -> list[object]:
    from console.core.replying import ReplyFailed

    raise ReplyFailed("key refused (8x8 code 1200)")


async def _broken() -> list[object]:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("load", "words"),
    [(_refused, "key refused (8x8 code 1200)"), (_broken, "unexpected error: RuntimeError")],
)
async def test_templates_that_cannot_be_loaded_say_why(load: object, words: str) -> None:
    from textual.app import App

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(TemplatePicker("Jane", load))  # type: ignore[arg-type]

    app = Host()
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, TemplatePicker))
        picker = app.screen
        said = lambda: str(picker.query_one("#tp-preview", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "could not be loaded" in said())
        assert words in said()
        await pilot.press("ctrl+j")  # nothing to send
        await pilot.pause()
        assert app.screen is picker
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not picker)


async def test_a_burst_of_keys_fills_the_values_the_agent_meant(
    windowed_sandbox: str, tmp_path: Path
) -> None:
    """Enter, a value, Enter, a value, Enter arriving together (a laggy SSH link; posted to
    the app at once as its driver does, not one at a time as Pilot does): each Enter moves
    on before the keys behind it are delivered, so each value lands in its own field."""
    from textual import events

    app = console_for(windowed_sandbox, data_dir=tmp_path, clock=lambda: time.time() + 25 * HOUR)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_jane(app, pilot, windowed_sandbox)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, TemplatePicker))
        picker = app.screen
        assert isinstance(picker, TemplatePicker)
        await wait_for(pilot, lambda: bool(picker.templates))
        names = [t.name for t in picker.templates]
        picker.query_one(OptionList).highlighted = names.index("ticket_update")
        await wait_for(pilot, lambda: len(picker.query(TextInput)) == 2)
        before = len(sent_entries(screen))  # the sandbox's stream may replay earlier tests'
        burst = ["enter", *"Jane", "enter", *"T-2084", "enter"]
        for key in burst:  # no pause between them: one burst in the app's queue
            char = key if len(key) == 1 else None
            app.post_message(events.Key({"-": "minus"}.get(key, key), char))
        await wait_for(pilot, lambda: len(sent_entries(screen)) == before + 1)
        await wait_for(pilot, lambda: app.typeahead.flying is None and not app.typeahead.backlog)
        texts = [e.text for e in sent_entries(screen)]  # type: ignore[attr-defined]
        assert any("Hello Jane, there is an update on your ticket T-2084." in t for t in texts)
