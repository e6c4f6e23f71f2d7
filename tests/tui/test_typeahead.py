"""Type-ahead (console/ui/typeahead.py): keys that arrive together, posted to the app at once
as its driver does (a laggy SSH link, or text typed or piped without bracketed paste). A run
of printable keys for a text field is typed into it in one go; the field ends with what it
would have got key by key, and keys that are not text to the focused widget still act."""

from __future__ import annotations

from typing import ClassVar

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.keys import _character_to_key
from textual.widgets import Input, Static, TextArea
from textual.widgets.input import Selection
from tui_helpers import wait_for

from console.ui.typeahead import STUCK, TypeAhead, texting
from console.widgets.destination_input import DestinationInput
from console.widgets.message_editor import MessageEditor
from console.widgets.reply_box import ReplyBox
from console.widgets.secret_input import SecretInput
from console.widgets.text_input import TextInput

HOSTILE = "[/ [@click=app.quit]x[/] 😀 [b]bold[/b] \\[escaped]"


class Reader(Static, can_focus=True):
    """A list-like widget: `r` replies, space pauses (the feed's priority key)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "reply", "Reply")]
    replies = 0

    def action_reply(self) -> None:
        self.replies += 1


class Host(App[None]):
    """Fields of every kind, with the console's type-ahead hook (console/app.py on_event)."""

    CSS = "ReplyBox { height: 6; }"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "pause", "Pause", priority=True),
        Binding("ctrl+q", "quit_now", "Quit", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.typeahead = TypeAhead(self)
        self.pauses = 0
        self.edits = 0  # Changed messages of the first field: one per edit
        self.drafted = ""  # its text as the App last heard of it (as drafts are saved)
        self.saved_at_quit: str | None = None

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "free":
            self.edits += 1
            self.drafted = event.value

    def action_quit_now(self) -> None:
        self.saved_at_quit = self.drafted

    def compose(self) -> ComposeResult:
        yield Input(id="free")
        yield Input(id="short", max_length=12)
        yield Input(id="digits", restrict=r"[0-9]*", max_length=30)
        yield Input(id="integer", type="integer")
        yield Input(id="pin", restrict=r"[0-9]*", disabled=True)  # out of the Tab order
        yield ReplyBox(id="area")  # the console's reply box: a TextArea
        yield Reader("reader", id="reader")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Space pauses, unless typed into a field (as the feed's filter)."""
        return not (action == "pause" and isinstance(self.focused, Input | TextArea))

    def action_pause(self) -> None:
        self.pauses += 1

    async def on_event(self, event: events.Event) -> None:
        await self.typeahead.dispatch(event, super().on_event)  # as console/app.py does


def burst(app: App[object], *parts: str | list[str]) -> None:
    """Post keys at once: a str is typed character by character, a list holds key names."""
    for part in parts:
        if isinstance(part, list):
            for name in part:
                app.post_message(events.Key(name, None))
        else:
            for char in part:
                app.post_message(events.Key(_character_to_key(char), char))


def settled(app: Host) -> bool:
    return app.typeahead.flying is None and not app.typeahead.backlog


async def typed_key_by_key(field: Input, text: str) -> None:
    """The reference: Input's own key handler, given one key at a time."""
    for char in text:
        await field._on_key(events.Key(_character_to_key(char), char))


async def test_a_burst_with_tabs_lands_in_the_fields_the_agent_meant_in_one_edit() -> None:
    app = Host()
    async with app.run_test() as pilot:
        free = app.query_one("#free", Input)
        free.focus()
        await pilot.pause()
        first, second, third = "a" * 3000, "hello, world", "0123x456"
        burst(app, first, ["tab"], second, ["tab"], third, ["shift+tab"], "!!")
        await wait_for(pilot, lambda: settled(app) and app.focused is app.query_one("#short"))
        assert free.value == first
        assert app.query_one("#digits", Input).value == "0123456"
        # Back in the field, its text is selected (Input's select_on_focus): typed over.
        assert app.query_one("#short", Input).value == "!!"
        assert app.edits < 100, "typed in a few edits, not one a key"


async def test_a_run_ten_thousand_long_is_cut_as_key_by_key_at_the_cursor() -> None:
    app = Host()
    async with app.run_test() as pilot:
        short = app.query_one("#short", Input)
        reference = Input(max_length=12)
        await app.mount(reference)
        short.focus()
        await pilot.pause()
        for field in (short, reference):
            field.value = "abcdef"
            field.selection = Selection(2, 4)  # "cd" selected
        text = "".join(chr(0x41 + n % 26) for n in range(10_000))
        burst(app, text, ["tab"])
        await typed_key_by_key(reference, text)
        await wait_for(pilot, lambda: settled(app) and app.focused is not short)
        assert short.value == reference.value == "abABCDEFGHef"
        assert short.cursor_position == reference.cursor_position


@pytest.mark.parametrize(
    ("field_id", "text"),
    [
        ("digits", "12a3 4-5x" * 10),
        ("integer", "-12-3+4_5__6.7e8" * 3),
        ("pin", "12a" * 2000),  # no max_length: longer than a piece (RESTRICTED_RUN)
    ],
)
async def test_a_restricted_field_ends_with_what_key_by_key_typing_leaves(
    field_id: str, text: str
) -> None:
    app = Host()
    async with app.run_test() as pilot:
        field = app.query_one(f"#{field_id}", Input)
        field.disabled = False
        reference = Input(restrict=field.restrict, type=field.type, max_length=field.max_length)
        await app.mount(reference)
        field.focus()
        await pilot.pause()
        burst(app, text, ["tab"])
        await typed_key_by_key(reference, text)
        await wait_for(pilot, lambda: settled(app) and app.focused is not field)
        assert field.value == reference.value
        assert field.value not in ("", text)  # some keys kept, some refused


async def test_a_letter_bound_on_a_list_acts_and_space_pauses_there_but_types_in_a_field() -> None:
    app = Host()
    async with app.run_test() as pilot:
        reader = app.query_one(Reader)
        reader.focus()
        await pilot.pause()
        burst(app, "rr r", ["shift+tab"], "a b c", ["shift+tab"], "x y")
        await wait_for(pilot, lambda: settled(app) and app.focused is app.query_one("#integer"))
        assert reader.replies == 3
        assert app.pauses == 1
        assert app.query_one("#area", TextArea).text == "a b c"
        assert app.query_one("#integer", Input).value == "", "x y: refused, as typed"


async def test_hostile_text_lands_literally_in_inputs_and_text_areas() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.query_one("#free", Input).focus()
        await pilot.pause()
        burst(app, HOSTILE, ["tab"], ["tab"], ["tab"], ["tab"], HOSTILE)
        await wait_for(pilot, lambda: settled(app) and bool(app.query_one(TextArea).text))
        assert app.query_one("#free", Input).value == HOSTILE
        assert app.query_one(TextArea).text == HOSTILE
        assert app.is_running


async def test_ctrl_q_behind_a_run_finds_the_whole_run_drafted() -> None:
    """The App hears of the run's last edit (a Changed, from which drafts are saved) before
    a ctrl+q typed behind it quits."""
    app = Host()
    async with app.run_test() as pilot:
        app.query_one("#free", Input).focus()
        await pilot.pause()
        text = "".join(chr(0x21 + n * 7 % 94) for n in range(5000))
        burst(app, text, ["ctrl+q"])
        await wait_for(pilot, lambda: app.saved_at_quit is not None)
        assert app.saved_at_quit == text


async def test_a_key_lost_on_the_way_holds_the_keys_behind_it_only_for_a_while() -> None:
    app = Host()
    now = [0.0]
    app.typeahead.clock = lambda: now[0]
    async with app.run_test() as pilot:
        free = app.query_one("#free", Input)
        free.focus()
        await pilot.pause()
        app.typeahead._fly(events.Key("x", "x"))  # never lands: a widget removed on the way
        burst(app, "ab")
        await pilot.pause()
        assert free.value == "", "behind the lost key"
        now[0] = STUCK + 1
        burst(app, "c")
        await wait_for(pilot, lambda: free.value == "abc")


async def test_a_long_run_into_a_text_area_shows_its_end_where_the_cursor_is() -> None:
    app = Host()
    async with app.run_test() as pilot:
        area = app.query_one(TextArea)
        area.focus()
        await pilot.pause()
        text = "".join(chr(0x21 + n * 7 % 94) for n in range(10_000)) + " THE-END"
        for end in (5000, len(text)):  # as they come in, in two bursts
            burst(app, text[len(area.text) : end])
            await wait_for(pilot, lambda: settled(app) and area.text == text[:end])  # noqa: B023
        await pilot.pause()
        assert area.max_scroll_y > 100
        assert area.scroll_y == area.max_scroll_y, "the view follows the cursor to the end"


def test_the_consoles_text_fields_take_runs_and_fields_with_their_own_key_handling_do_not() -> None:
    class Own(Input):
        async def _on_key(self, event: events.Key) -> None:
            await super()._on_key(event)

    for field in (TextInput(), SecretInput(), DestinationInput(), ReplyBox(), MessageEditor()):
        assert texting(field), type(field).__name__
    assert not texting(Own())
    assert not texting(TextArea(read_only=True))
    assert not texting(Reader())
