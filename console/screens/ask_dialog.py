"""AskDialog: a small modal that asks one thing — pick from a list, type a line, or write a
few lines — and checks the answer before it closes. Used by the inbox's actions (assign,
snooze, label, note, canned responses)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, TextArea
from textual.widgets.option_list import Option

from console.ui.text import plain, strip_controls
from console.widgets.message_editor import MessageEditor
from console.widgets.text_input import TextInput

Check = Callable[[str], str | None]  # the answer → why it is refused, or None


def _one_per_answer(choices: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The choices with each answer once (the first label wins): an OptionList refuses two
    options with one id, and two labels for one answer would only confuse."""
    seen: set[str] = set()
    kept = []
    for label, answer in choices:
        if answer not in seen:
            seen.add(answer)
            kept.append((label, answer))
    return kept


class AskDialog(ModalScreen[str | None]):
    """Returns the chosen or typed answer, or None (Escape)."""

    DEFAULT_CSS = """
    AskDialog {
        align: center middle;
    }
    AskDialog > Vertical {
        width: 72;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: round $primary;
        border-title-style: bold;
        background: $panel;
        padding: 0 1;
    }
    AskDialog OptionList {
        height: auto;
        max-height: 12;
        margin-bottom: 1;
    }
    AskDialog MessageEditor {
        height: 12;
    }
    AskDialog .dialog-hint {
        color: $text-muted;
    }
    AskDialog .dialog-hint.-error {
        color: $error;
        text-style: bold;
    }
    """
    BINDINGS = [
        Binding(
            "escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close: nothing changes."
        ),
        Binding(
            "ctrl+j,alt+enter",
            "submit",
            "Save",
            id="dialog.submit",
            priority=True,
            tooltip="Save what was typed (Enter does it in a one-line field).",
        ),
    ]

    def __init__(
        self,
        title: str,
        *,
        choices: Sequence[tuple[str, str]] = (),
        placeholder: str | None = None,
        value: str = "",
        hint: str = "",
        check: Check | None = None,
        multiline: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = _one_per_answer(choices)
        self.placeholder = placeholder
        self.value = value
        self.hint = hint
        self.check = check
        self.multiline = multiline

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = plain(self.title_text)  # it names customers: never markup
            if self.choices:
                yield OptionList(
                    *(Option(plain(label), id=value) for label, value in self.choices),
                    id="choices",
                )
            if self.multiline:
                yield MessageEditor(self.value, id="answer")
            elif self.placeholder is not None:
                yield TextInput(self.value, placeholder=self.placeholder, id="answer")
            yield Label(plain(self.hint), id="hint", classes="dialog-hint")

    def on_mount(self) -> None:
        if self.choices:
            self.query_one("#choices", OptionList).focus()
        elif self.placeholder is not None or self.multiline:
            self.query_one("#answer").focus()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self._finish(event.option.id)

    @on(TextInput.Submitted, "#answer")
    def _typed(self, event: TextInput.Submitted) -> None:
        self._finish(event.value)

    def action_submit(self) -> None:
        answer = self.query("#answer")
        if not answer:
            return
        widget = answer.first()
        text = widget.text if isinstance(widget, TextArea) else getattr(widget, "value", "")
        self._finish(text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _finish(self, answer: str) -> None:
        answer = strip_controls(answer, lines=self.multiline)
        problem = self.check(answer) if self.check is not None else None
        hint = self.query_one("#hint", Label)
        if problem is not None:
            hint.update(plain("✗ " + problem))
            hint.add_class("-error")
            return
        self.dismiss(answer)
