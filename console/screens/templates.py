"""The inbox's WhatsApp templates: the picker dialog, and the glue the inbox screen calls.

After WhatsApp's 24-hour window closes (console/core/wawindow.py) a template is the only
message that reaches the customer. ctrl+t in the inbox opens :class:`TemplatePicker`: the
account's templates for the conversation's WhatsApp channel (loaded in a worker through the
API client), the sendable ones first; the highlighted one's text as the customer will read
it; a field per ``{{n}}`` it takes, each checked as it is typed. ctrl+j (or Enter in the last
field) sends it through the API client; it appears in the thread with its delivery state.

Template names and texts come from the server, customers' names from customers: all of it is
shown as text, never markup (console.ui.text).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from console.api.templates import Template
from console.core.templates import offered, preview, slots, unsendable, value_problem
from console.core.wawindow import (
    SESSION_EXPIRED,
    Window,
    free_form_refusal,
    window_at,
    window_label,
)
from console.ui.text import clean, plain
from console.widgets.text_input import TextInput

if TYPE_CHECKING:
    from console.core.inbox import Conversation
    from console.core.thread import Thread
    from console.screens.inbox import InboxScreen

LoadTemplates = Callable[[], Awaitable[list[Template]]]


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    """What the agent picked: a template and its values, in slot order (checked)."""

    template: Template
    values: tuple[str, ...]


def _prompt(template: Template) -> Text:
    """An option's line: the name, language, category, and why it cannot be sent."""

    line = Text(no_wrap=True, overflow="ellipsis", end="")
    problem = unsendable(template)
    line.append(clean(template.name), style="dim" if problem else "bold")
    line.append(f" · {clean(template.language_name or template.language)}")
    if template.category:
        line.append(f" · {clean(template.category.lower())}", style="dim")
    if problem:
        line.append(f" · cannot send: {clean(problem)}", style="dim italic")
    return line


class _TemplateList(OptionList):
    """Enter goes on to the highlighted template's first value at once, while the key is
    handled (a message would arrive after keys typed right behind it: console/ui/typeahead)."""

    def action_select(self) -> None:
        screen = self.screen
        if not (isinstance(screen, TemplatePicker) and screen.take_highlighted()):
            super().action_select()


class _ValueInput(TextInput):
    """A template's value: Enter moves to the next one (or sends) at once, as _TemplateList."""

    async def action_submit(self) -> None:
        screen = self.screen
        if isinstance(screen, TemplatePicker):
            screen.after_value(self)


class TemplatePicker(ModalScreen[TemplateChoice | None]):
    """Pick a WhatsApp template and fill in its values; None when cancelled."""

    DEFAULT_CSS = """
    TemplatePicker {
        align: center middle;
    }
    TemplatePicker > VerticalScroll {
        width: 76;
        max-width: 98%;
        height: auto;
        max-height: 96%;
        border: round $primary;
        border-title-style: bold;
        background: $panel;
        padding: 0 1;
    }
    TemplatePicker #tp-window { color: $warning; }
    TemplatePicker OptionList {
        height: auto;
        max-height: 7;
    }
    TemplatePicker #tp-preview {
        border: tall $surface-lighten-1;
        padding: 0 1;
        height: auto;
        max-height: 6;
    }
    TemplatePicker .tp-label { color: $text-muted; }
    TemplatePicker #tp-hint { color: $text-muted; }
    TemplatePicker #tp-hint.-error {
        color: $error;
        text-style: bold;
    }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="templates.cancel", tooltip="Send nothing."),
        Binding(
            "ctrl+j,alt+enter",
            "send",
            "Send",
            id="templates.send",
            priority=True,
            tooltip="Send the highlighted template with the values typed.",
        ),
    ]

    @dataclass
    class Loaded(Message):
        templates: list[Template]
        problem: str | None = None

    def __init__(self, customer: str, load: LoadTemplates, window: str = "") -> None:
        super().__init__()
        self.customer = customer
        self.load = load
        self.window = window
        self.templates: list[Template] = []
        self.chosen: Template | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = plain(f"WhatsApp template for {self.customer}")
            yield Label(plain(self.window), id="tp-window")
            yield _TemplateList(id="tp-list")
            yield Static(plain("Loading the account's templates…"), id="tp-preview")
            yield VerticalScroll(id="tp-fields")
            yield Label("", id="tp-hint")

    def on_mount(self) -> None:
        self.query_one("#tp-window").display = bool(self.window)
        self.query_one("#tp-fields").styles.height = "auto"
        self.query_one("#tp-list", OptionList).focus()
        self._hint("↑/↓ picks · Enter fills in its values · ctrl+j sends · Esc cancels")
        self.fetch()

    @work(group="templates-load", exclusive=True, exit_on_error=False)
    async def fetch(self) -> None:
        from console.core.replying import ReplyFailed

        try:
            found = await self.load()
        except ReplyFailed as failure:
            self.post_message(self.Loaded([], failure.reason))
            return
        except Exception as error:  # never a dialog stuck on "Loading…"
            self.post_message(self.Loaded([], f"unexpected error: {type(error).__name__}"))
            return
        self.post_message(self.Loaded(offered(found)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.templates = message.templates
        options = self.query_one("#tp-list", OptionList)
        options.clear_options()
        options.add_options(
            Option(_prompt(t), id=str(i), disabled=unsendable(t) is not None)
            for i, t in enumerate(self.templates)
        )
        if message.problem is not None:
            self._show_preview(f"The templates could not be loaded: {message.problem}")
            self._hint("Esc closes; try again in a moment.", error=True)
            return
        if not self.templates:
            self._show_preview("This WhatsApp channel has no templates.")
            return
        first = next((i for i, t in enumerate(self.templates) if unsendable(t) is None), None)
        if first is None:
            self._show_preview("None of this channel's templates can be sent from here.")
            return
        options.highlighted = first

    @on(OptionList.OptionHighlighted, "#tp-list")
    async def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            await self._choose(self.templates[int(event.option.id)])

    @on(OptionList.OptionSelected, "#tp-list")
    async def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:
            return
        template = self.templates[int(event.option.id)]
        if template is not self.chosen:
            await self._choose(template)
        fields = list(self.query(TextInput))
        if fields:
            fields[0].focus()
        else:
            self.action_send()

    async def _choose(self, template: Template) -> None:
        self.chosen = template
        box = self.query_one("#tp-fields", VerticalScroll)
        await box.remove_children()
        wanted = slots(template)
        widgets: list[Any] = []
        for index, slot in enumerate(wanted):
            widgets.append(Label(plain(f"Value for {slot.label}"), classes="tp-label"))
            widgets.append(
                _ValueInput(
                    placeholder=slot.label,
                    id=f"tp-value-{index}",
                    compact=True,
                    max_length=slot.limit,
                    what=slot.label,
                )
            )
        if widgets:
            await box.mount_all(widgets)
        box.display = bool(widgets)
        self._show_preview()

    def values(self) -> list[str]:
        return [field.value for field in self.query(TextInput)]

    def _show_preview(self, text: str | None = None) -> None:
        if text is None and self.chosen is not None:
            text = preview(self.chosen, self.values())
        self.query_one("#tp-preview", Static).update(plain(text or "", newlines=True))

    @on(TextInput.Changed)
    def _typed(self, event: TextInput.Changed) -> None:
        self._show_preview()
        self._hint("ctrl+j sends · Esc cancels")

    def take_highlighted(self) -> bool:
        """Enter on the list: to the first value of the template shown (or send one that
        takes none); False when the highlighted one is not shown yet or cannot be sent."""
        options = self.query_one("#tp-list", OptionList)
        index = options.highlighted
        if index is None or self.chosen is None or self.templates[index] is not self.chosen:
            return False
        if unsendable(self.chosen) is not None:
            return False
        fields = list(self.query(_ValueInput))
        if fields:
            self.set_focus(fields[0])  # now, not later: the next key of a burst goes there
        else:
            self.action_send()
        return True

    def after_value(self, field: TextInput) -> None:
        """Enter in a value: the next one, or send after the last."""
        fields = list(self.query(_ValueInput))
        index = fields.index(field) if field in fields else len(fields)
        if index + 1 < len(fields):
            self.set_focus(fields[index + 1])  # now, not later (Widget.focus is deferred)
        else:
            self.action_send()

    def action_send(self) -> None:
        template = self.chosen
        if template is None:
            self._hint("Pick a template first.", error=True)
            return
        problem = unsendable(template)
        if problem is not None:
            self._hint(f"{template.name} cannot be sent: {problem}", error=True)
            return
        values = self.values()
        for slot, field, value in zip(slots(template), self.query(TextInput), values, strict=True):
            problem = value_problem(slot, value)
            if problem is not None:
                self._hint(problem, error=True)
                field.focus()
                return
        self.dismiss(TemplateChoice(template, tuple(values)))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _hint(self, text: str, *, error: bool = False) -> None:
        hint = self.query_one("#tp-hint", Label)
        hint.update(plain(("✗ " if error else "") + text))
        hint.set_class(error, "-error")


# ------------------------------------------------------------------------------ inbox glue


def conversation_window(conversation: Conversation, thread: Thread | None, now: float) -> Window:
    """The conversation's window: when the customer last wrote, from the inbox or (after a
    restart, when the agent answered last) from the thread read from the history; closed
    once 8x8 trashed a reply sent since (receipt errorCode 61)."""
    last = conversation.last_inbound_at
    expired: float | None = None
    if thread is not None and thread.conversation_id == conversation.conversation_id:
        entries = thread.entries()
        seen = [entry.at for entry in entries if entry.kind == "in"]
        if seen:
            last = max(seen + ([last] if last is not None else []))
        trashed = [  # replies 8x8 answered with SessionExpired
            entry.at
            for entry in entries
            if entry.kind == "out"
            and entry.delivery is not None
            and entry.delivery.error_code == SESSION_EXPIRED
        ]
        expired = max(trashed, default=None)
    return window_at(conversation.channel, last, now, expired_at=expired)


def header_words(conversation: Conversation, thread: Thread | None, now: float) -> str | None:
    """The window's words for the thread header ('WA window 3h12m left'), or None."""
    return window_label(conversation_window(conversation, thread, now))


def reply_refusal(conversation: Conversation, thread: Thread | None, now: float) -> str | None:
    """Why the typed reply cannot be sent as it is (the window closed), or None."""
    return free_form_refusal(conversation_window(conversation, thread, now))


def reply_title(conversation: Conversation, thread: Thread | None, now: float) -> str:
    """The reply box's title: 'Reply', or what alone can be sent once the window closed."""
    if reply_refusal(conversation, thread, now) is None:
        return "Reply"
    return "Reply · WA window closed: templates only (ctrl+t)"


def offer_templates(screen: InboxScreen) -> None:
    """ctrl+t in the inbox: the picker for the open conversation, then the send."""
    app = screen.app
    conversation = app.core.inbox.get(screen.opened or "")
    if conversation is None:
        screen.notify("Open a conversation first.", severity="warning")
        return
    if conversation.channel != "whatsapp":
        screen.notify("Templates are for WhatsApp conversations.", severity="warning")
        return
    replier = app.replier
    if replier is None:
        screen.notify("Not connected yet: no templates to offer.", severity="warning")
        return
    words = header_words(conversation, screen.thread, app.clock()) or ""

    def chosen(choice: TemplateChoice | None) -> None:
        if choice is None:
            return
        screen.query_one("#reply-hint", Static).update(plain(f"Sending {choice.template.name}…"))
        screen.run_worker(
            _send(screen, conversation, choice),
            group="inbox-reply",
            exit_on_error=False,
            description="Sending a template",
        )

    picker = TemplatePicker(conversation.customer, lambda: replier.templates(conversation), words)
    app.push_screen(picker, chosen)


async def _send(screen: InboxScreen, conversation: Conversation, choice: TemplateChoice) -> None:
    from console.core.replying import ReplyFailed

    replier = screen.app.replier
    cid = conversation.conversation_id
    if replier is None:
        screen.post_message(screen.ReplyNotSent(cid, "not connected"))
        return
    try:
        replied = await replier.send_template(
            conversation, choice.template, list(choice.values), f"ac-{uuid.uuid4().hex[:12]}"
        )
    except ReplyFailed as failure:
        screen.post_message(screen.ReplyNotSent(cid, failure.reason))
        return
    screen.post_message(screen.ReplySent(cid, replied.umid, replied.channel, replied.text))


__all__ = [
    "TemplateChoice",
    "TemplatePicker",
    "conversation_window",
    "header_words",
    "offer_templates",
    "reply_refusal",
    "reply_title",
]
