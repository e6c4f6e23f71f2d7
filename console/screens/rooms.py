"""RoomsScreen: open a video room for the customer on the phone, send them the guest link,
and follow the room: its 15-minute countdown, the SMS invite's receipts, the guest joining,
and the call logs. The rules live in the core (`console.core.rooms`); this screen shows them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Static

from console.core.model import Changes
from console.core.rooms import (
    CallReport,
    RoomState,
    RoomView,
    check_room_form,
    check_room_phone,
    mask_link_secrets,
    reference_problem,
    room_matches,
    suggest_reference,
)
from console.core.roomservice import RoomFailed
from console.paths import styles_path
from console.screens.resume import SectionScreen
from console.ui.app_access import console_app
from console.ui.callbacks import subscribe
from console.ui.text import clean, plain, plain_text
from console.widgets.key_bar import KeyBar
from console.widgets.session_bar import SessionBar
from console.widgets.text_input import TextInput

HISTORY_LIMIT = 200
STATE_LABELS = {
    RoomState.WAITING: "◌ waiting",
    RoomState.GUEST_JOINED: "✓ guest joined",
    RoomState.EXPIRED: "✗ expired",
}
FORM_FIELDS = ("phone", "country", "reference")


def when(moment: float | None, now: float) -> str:
    """A time as the agent reads it: '10:02:03' today, '12 Mar 10:02' before."""
    if moment is None:
        return "—"
    local, today = time.localtime(moment), time.localtime(now)
    if local[:3] == today[:3]:
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%d %b %H:%M", local)


def call_line(report: CallReport, now: float) -> str:
    state = "open" if report.open else "ended"
    parts = [
        f"call {report.call_id} {state}",
        f"created {when(report.created_at, now)}",
        f"agent joined {when(report.agent_joined_at, now)}",
        f"guest joined {when(report.guest_joined_at, now)}",
        f"duration {report.duration_label}",
    ]
    if report.guest_rating:
        parts.append(f"guest rating {report.guest_rating}")
    return " · ".join(parts)


class RoomsScreen(SectionScreen):
    """The room form, the room just created, and the room history with its call logs."""

    CSS_PATH = styles_path("rooms.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+j,alt+enter",
            "create",
            "Create",
            id="rooms.create",
            priority=True,
            tooltip="Create the room (Enter in the call reference does too).",
        ),
        Binding(
            "ctrl+n",
            "suggest",
            "Suggest ref",
            id="rooms.suggest",
            tooltip="Fill in the generated call reference (8–20 characters).",
        ),
        Binding(
            "ctrl+y",
            "copy_guest_link",
            "Copy guest link",
            id="rooms.copy_guest_link",
            priority=True,
            tooltip="Copy the guest link of the room just created (or of the selected room).",
        ),
        Binding(
            "ctrl+o",
            "open_agent_link",
            "Open agent link",
            id="rooms.open_agent_link",
            priority=True,
            tooltip="Open the room as the agent (the local browser, else the link is copied).",
        ),
        Binding(
            "ctrl+l",
            "call_logs",
            "Call logs",
            id="rooms.call_logs",
            tooltip="Show the call logs of the selected room (Enter on a room does too).",
        ),
    ]

    app = console_app()
    phone_input = getters.query_one("#phone", Input)
    country_input = getters.query_one("#country", Input)
    reference_input = getters.query_one("#reference", Input)
    history_table = getters.query_one("#rooms-history", DataTable)

    @dataclass
    class Created(Message):
        room: RoomView

    @dataclass
    class NotCreated(Message):
        reason: str
        field: str | None

    @dataclass
    class CallsLoaded(Message):
        reference: str
        reports: list[CallReport]

    @dataclass
    class CallsFailed(Message):
        reference: str
        reason: str

    def __init__(self) -> None:
        super().__init__()
        self.suggestion = suggest_reference()
        self.current: RoomView | None = None
        self.creating = False
        self._rows: list[str] = []  # references, in table order
        self._states: dict[str, tuple[str, str]] = {}  # reference -> (state, left) shown

    def compose(self) -> ComposeResult:
        yield SessionBar("Rooms")
        with Vertical(id="room-form"):
            with Horizontal(classes="form-row"):
                yield Label("Phone", classes="field-label")
                yield TextInput(
                    placeholder="customer, optional: +6591234567", id="phone", compact=True
                )
                yield Label("Country", classes="field-label-inline")
                yield TextInput(
                    placeholder="cc", id="country", max_length=2, compact=True, what="Country"
                )
            with Horizontal(classes="hint-row"):
                yield Label("", classes="field-label")
                yield Label("", id="phone-hint", classes="hint", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Reference", classes="field-label")
                yield TextInput(id="reference", compact=True)
            with Horizontal(classes="hint-row"):
                yield Label("", classes="field-label")
                yield Label("", id="reference-hint", classes="hint", markup=False)
            with Horizontal(classes="form-row", id="create-row"):
                yield Label("", classes="field-label")
                yield Button("Create room", id="create", variant="primary", compact=True)
                yield Label("", id="room-status", markup=False)
        with Vertical(id="room-result"):
            yield Static(id="room-details")
        with Horizontal(id="filter-row"):
            yield Label("Filter", classes="field-label")
            yield TextInput(
                placeholder="reference, phone digits or state", id="filter", compact=True
            )
            yield Label("", id="rooms-count", markup=False)
        yield DataTable(id="rooms-history", cursor_type="row", zebra_stripes=True)
        yield Static("", id="call-logs")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#room-result").display = False
        self.query_one("#call-logs").display = False
        table = self.history_table
        table.border_title = "Room history · Enter: call logs"
        for label, key in (
            ("State", "state"),
            ("Left", "left"),
            ("Phone", "phone"),
            ("Reference", "reference"),
            ("Created", "created"),
        ):
            table.add_column(label, key=key)
        self._show_suggestion()
        self._check_phone(final=False)
        self._check_reference(final=False)
        subscribe(self.app.core_changed, self, self._core_changed)
        self.app.history_ready.subscribe(self, lambda _history: self._render_history())
        self._render_history()
        self.set_interval(1.0, self._tick)
        self.phone_input.focus()

    # -- the clock -----------------------------------------------------------------------

    def now(self) -> float:
        return self.app.core.now()

    def _tick(self) -> None:
        """Every second: the countdown, and the states that the clock changes."""
        now = self.now()
        self._show_current(now)
        table = self.history_table
        for reference in self._rows:
            room = self.app.core.room(reference)
            if room is None:
                continue
            shown = self._row_state(room, now)
            if self._states.get(reference) != shown:
                self._states[reference] = shown
                table.update_cell(reference, "state", plain_text(shown[0]))
                table.update_cell(reference, "left", plain_text(shown[1]))

    @staticmethod
    def _row_state(room: RoomView, now: float) -> tuple[str, str]:
        state = room.state(now)
        left = "—" if state is RoomState.EXPIRED else room.countdown(now).removesuffix(" left")
        return STATE_LABELS[state], left

    # -- the form ------------------------------------------------------------------------

    def _show_suggestion(self) -> None:
        self.reference_input.placeholder = f"optional · ctrl+n: {self.suggestion}"

    @on(Input.Changed, "#phone")
    @on(Input.Changed, "#country")
    def _phone_changed(self) -> None:
        self._check_phone(final=False)

    @on(Input.Changed, "#reference")
    def _reference_changed(self) -> None:
        self._check_reference(final=False)

    def _check_phone(self, *, final: bool) -> None:
        checked = check_room_phone(self.phone_input.value, self.country_input.value)
        hint = self.query_one("#phone-hint", Label)
        problem = checked.problem is not None and (final or len(self.phone_input.value) > 3)
        text = f"✗ {checked.problem}" if problem else checked.hint
        if checked.problem is not None and not problem:
            text = "international (+65…), or national with a country"
        self._hint(hint, text, error=problem)

    def _check_reference(self, *, final: bool) -> None:
        value = self.reference_input.value
        problem = reference_problem(value)
        hint = self.query_one("#reference-hint", Label)
        if problem is not None and (final or len(value) > 20 or value != value.strip()):
            self._hint(hint, f"✗ {problem}", error=True)
        elif value:
            self._hint(hint, f"{len(value)} characters (8–20)", error=False)
        else:
            self._hint(hint, "8–20 characters, or none", error=False)

    @staticmethod
    def _hint(label: Label, text: str, *, error: bool) -> None:
        label.update(plain(text))
        label.set_class(error, "-error")

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self._hint(self.query_one("#room-status", Label), text, error=error)

    @on(Input.Submitted, "#phone")
    @on(Input.Submitted, "#country")
    def _next_field(self) -> None:
        self.focus_next()

    def action_suggest(self) -> None:
        self.reference_input.value = self.suggestion
        self.reference_input.focus()
        self.reference_input.cursor_position = len(self.suggestion)

    @on(Input.Submitted, "#reference")
    @on(Button.Pressed, "#create")
    def action_create(self) -> None:
        if self.creating:
            self._set_status("◌ Still creating the previous room…")
            return
        form = check_room_form(
            self.phone_input.value, self.country_input.value, self.reference_input.value
        )
        self._check_phone(final=True)
        self._check_reference(final=True)
        if "country" in form.problems:
            hint = self.query_one("#phone-hint", Label)
            self._hint(hint, f"✗ {form.problems['country']}", error=True)
        if form.draft is None:
            first = next(field for field in FORM_FIELDS if field in form.problems)
            self.query_one(f"#{first}", Input).focus()
            self._set_status("✗ Nothing was created: fix the field marked ✗.", error=True)
            return
        if self.app.room_service is None:
            self._set_status("✗ Not connected: nothing was created.", error=True)
            return
        self.creating = True
        self._set_status("◌ Creating the room…")
        self.create_room(form.draft)

    @work(group="create-room", exit_on_error=False, description="Creating a room")
    async def create_room(self, draft: object) -> None:
        from console.core.rooms import RoomDraft

        assert isinstance(draft, RoomDraft)
        service = self.app.room_service
        if service is None:
            self.post_message(self.NotCreated("not connected", None))
            return
        try:
            room = await service.create(draft)
        except RoomFailed as failure:
            self.post_message(self.NotCreated(failure.reason, failure.field))
            return
        self.post_message(self.Created(room))

    @on(Created)
    def _created(self, message: Created) -> None:
        self.creating = False
        self.current = message.room
        for field_id in FORM_FIELDS:
            self.query_one(f"#{field_id}", Input).value = ""
        self.suggestion = suggest_reference()
        self._show_suggestion()
        self._set_status(f"✓ Room {message.room.call_reference} created.")
        self._show_current(self.now())
        if message.room.call_reference in self._rows:  # the history's cursor on it too
            self.history_table.move_cursor(row=self._rows.index(message.room.call_reference))
        self.phone_input.focus()

    @on(NotCreated)
    def _not_created(self, message: NotCreated) -> None:
        self.creating = False
        self._set_status(f"✗ Not created: {message.reason}", error=True)
        if message.field in FORM_FIELDS:
            self.query_one(f"#{message.field}", Input).focus()

    # -- the room just created -----------------------------------------------------------

    def _show_current(self, now: float) -> None:
        room = self.current
        box = self.query_one("#room-result")
        if room is None:
            box.display = False
            return
        box.display = True
        state = room.state(now)
        box.border_title = plain(f"Room {clean(room.call_reference)} · {room.countdown(now)}")
        box.border_subtitle = "ctrl+y copy guest link · ctrl+o open agent link"
        box.set_class(state is RoomState.EXPIRED, "-expired")
        if state is RoomState.EXPIRED:
            where = f"at {when(room.expires_at, now)}"
        else:
            where = f"· {room.countdown(now)}"
        rows = (
            ("Guest link", room.guest_link),
            ("Agent link", mask_link_secrets(room.agent_link) if room.agent_link else "—"),
            ("Invite SMS", room.invite_label(now)),
            ("State", f"{STATE_LABELS[state]} {where}"),
        )
        text = Text()
        for index, (label, value) in enumerate(rows):
            text.append("\n" if index else "")
            text.append(f"{label:<12}", style="bold")
            text.append(clean(value))
        self.query_one("#room-details", Static).update(text)

    # -- history -------------------------------------------------------------------------

    def _core_changed(self, changes: Changes) -> None:
        if not changes.rooms:
            return
        if self.current is not None and self.current.call_reference in changes.rooms:
            self.current = changes.rooms[self.current.call_reference]
            self._show_current(self.now())
        self._render_history()

    @on(Input.Changed, "#filter")
    def _render_history(self) -> None:
        table = self.history_table
        now = self.now()
        query = self.query_one("#filter", Input).value
        rooms = self.app.core.rooms_newest(HISTORY_LIMIT)
        shown = [room for room in rooms if room_matches(room, query, now)]
        selected = self._selected_reference()
        table.clear()
        self._rows = []
        self._states = {}
        for room in shown:
            state, left = self._row_state(room, now)
            self._states[room.call_reference] = (state, left)
            self._rows.append(room.call_reference)
            table.add_row(
                plain_text(state),
                plain_text(left),
                plain_text(room.masked_phone),
                plain_text(room.call_reference),
                plain_text(when(room.created_at, now)),
                key=room.call_reference,
            )
        count = self.query_one("#rooms-count", Label)
        total = len(rooms)
        noun = "room" if total == 1 else "rooms"
        count.update(
            plain(f"{len(shown)} of {total} {noun}" if query.strip() else f"{total} {noun}")
        )
        if selected in self._rows:
            table.move_cursor(row=self._rows.index(selected))

    def _selected_reference(self) -> str | None:
        table = self.history_table
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row]

    def _selected_or_current(self) -> RoomView | None:
        if self.current is not None:
            return self.current
        reference = self._selected_reference()
        return self.app.core.room(reference) if reference else None

    # -- actions on a room ---------------------------------------------------------------

    def action_copy_guest_link(self) -> None:
        room = self._selected_or_current()
        if room is None:
            self.notify("No room yet: create one first.", severity="warning")
            return
        self.app.copy_text(room.guest_link, f"the guest link of {room.call_reference}")

    def action_open_agent_link(self) -> None:
        room = self._selected_or_current()
        if room is None or room.agent_link is None:
            self.notify(
                "No agent link: create a room first (the link of an earlier session is not kept).",
                severity="warning",
            )
            return
        self.app.open_link(room.agent_link, f"the agent link of {room.call_reference}")

    @on(DataTable.RowSelected, "#rooms-history")
    def action_call_logs(self) -> None:
        reference = self._selected_reference()
        if reference is None:
            self.notify("Select a room in the history first.", severity="warning")
            return
        if self.app.room_service is None:
            self.notify("Not connected: the call logs cannot be read.", severity="error")
            return
        panel = self.query_one("#call-logs", Static)
        panel.display = True
        panel.update(plain(f"◌ Reading the call logs of {reference}…"))
        self.load_calls(reference)

    @work(group="call-logs", exclusive=True, exit_on_error=False, description="Call logs")
    async def load_calls(self, reference: str) -> None:
        service = self.app.room_service
        if service is None:
            self.post_message(self.CallsFailed(reference, "not connected"))
            return
        try:
            reports = await service.calls(reference)
        except RoomFailed as failure:
            self.post_message(self.CallsFailed(reference, failure.reason))
            return
        self.post_message(self.CallsLoaded(reference, reports))

    @on(CallsLoaded)
    def _calls_loaded(self, message: CallsLoaded) -> None:
        panel = self.query_one("#call-logs", Static)
        now = self.now()
        if not message.reports:
            panel.update(plain(f"Call logs of {message.reference}: no call reported yet."))
            return
        lines = [f"Call logs of {message.reference}:"]
        lines += [call_line(report, now) for report in message.reports]
        panel.update(plain("\n".join(lines), newlines=True))

    @on(CallsFailed)
    def _calls_failed(self, message: CallsFailed) -> None:
        panel = self.query_one("#call-logs", Static)
        panel.update(plain(f"✗ Call logs of {message.reference}: {message.reason}"))
