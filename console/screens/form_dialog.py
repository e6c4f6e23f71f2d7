"""FormDialog: the modal form the Shield and Tools dialogs share — a bordered box in the
middle, a title, fields with their message under them (plain text, hidden while empty),
buttons on the right; Escape or Cancel closes it returning None."""

from __future__ import annotations

from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Button, Static

T = TypeVar("T")


class FormDialog(ModalScreen[T | None]):
    """A form that returns a value, or None when cancelled. Subclasses bind escape to
    ``dismiss(None)`` with their own binding id (keymaps name it)."""

    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog > .dialog-body {
        width: 70; max-width: 96%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    FormDialog .dialog-title { text-style: bold; margin-bottom: 1; }
    FormDialog .field-error { color: $error; height: auto; }
    FormDialog .field-error.-empty { display: none; }
    FormDialog .dialog-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    FormDialog Button { margin-left: 1; }
    """

    @staticmethod
    def field_error(field: str) -> ComposeResult:
        """The message line under the field with id ``field`` (hidden while empty)."""
        yield Static("", id=f"{field}-error", classes="field-error -empty", markup=False)

    def problem(self, field: str, message: str) -> None:
        """Say what is wrong with a field ('' clears it)."""
        label = self.query_one(f"#{field}-error", Static)
        label.update(message)
        label.set_class(not message, "-empty")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
