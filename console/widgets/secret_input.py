"""SecretInput: the API key field. It shows bullets and only the key's last characters (as the
8x8 portal does), shows the whole key on request for a few seconds, and never copies it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.reactive import reactive

from console.widgets.text_input import TextInput

REVEAL_SECONDS = 5.0
TAIL = 6


def masked(value: str) -> str:
    """Bullets for all but the last 6 characters (fewer for a short value: never half of it)."""
    shown = TAIL if len(value) >= 3 * TAIL else len(value) // 3
    return "•" * (len(value) - shown) + value[len(value) - shown :]


class SecretInput(TextInput):
    """A password field that keeps its tail visible; ctrl+t shows the key for a few seconds."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+t",
            "reveal",
            "Show key",
            id="secret.reveal",
            tooltip=f"Show the whole key for {REVEAL_SECONDS:.0f} seconds, then hide it again.",
        ),
    ]

    revealed: reactive[bool] = reactive(False)
    reveal_seconds: ClassVar[float] = REVEAL_SECONDS  # how long ctrl+t shows the key (tests: less)

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("password", True)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._hide_timer: object | None = None

    @property
    def _value(self) -> Text:
        shown = self.value if self.revealed else masked(self.value)
        return Text(shown, no_wrap=True, overflow="ignore", end="")

    def action_reveal(self) -> None:
        """Show the key; it hides itself again after a few seconds (or on leaving the field)."""
        if not self.value:
            return
        self.revealed = True
        if self._hide_timer is not None:
            self._hide_timer.stop()  # type: ignore[attr-defined]
        self._hide_timer = self.set_timer(self.reveal_seconds, self.hide)

    def hide(self) -> None:
        self.revealed = False

    def watch_revealed(self) -> None:
        self.refresh()

    def _on_blur(self, event: object) -> None:
        self.revealed = False
        super()._on_blur(event)  # type: ignore[arg-type]

    def action_copy(self) -> None:
        """The key is never copied (nor cut): the clipboard may be shared or logged."""
        self.notify("The API key is never copied.", severity="warning")

    def action_cut(self) -> None:
        self.action_copy()
