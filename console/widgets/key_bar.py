"""KeyBar: the screen's keys on one line, like Textual's Footer, drawn as one widget.

Textual's Footer mounts a widget per key and composes them again whenever the focus moves;
on the inbox, with its dozen actions, that was about 0.2 s of the 0.5 s it took to open.
KeyBar draws the same line (key, description; disabled keys dimmed; the palette key at the
right) and redraws it when the bindings change. A click on a key presses it.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    """The active bindings of the screen that are shown (`show=True`), one line."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        /* the keys are clickable: drawn as keys, not as links */
        link-color: $footer-key-foreground;
        link-background: $footer-key-background;
        link-style: bold;
        link-color-hover: $footer-key-foreground;
        link-background-hover: $block-hover-background;
        link-style-hover: bold;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_updated)

    def _bindings_updated(self, _screen: Screen[object]) -> None:
        self.refresh()

    def _keys(self) -> list[tuple[str, str, str, bool]]:
        """(key to press, key as shown, description, enabled), one per action."""
        keys: list[tuple[str, str, str, bool]] = []
        seen: set[str] = set()
        palette = self.app.COMMAND_PALETTE_BINDING
        for key, (_, binding, enabled, _) in self.screen.active_bindings.items():
            if not binding.show or binding.action in seen or key == palette:
                continue
            seen.add(binding.action)
            keys.append((key, self.app.get_key_display(binding), binding.description, enabled))
        return keys

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        dim = Style(dim=True)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        for key, shown, description, enabled in self._keys():
            state = Style() if enabled else dim
            click = Style(meta={"@click": f"app.simulate_key({key!r})"})
            line.append(f" {shown} ", style=key_style + state + click)
            line.append(f"{description} ", style=description_style + state)
        if self.app.ENABLE_COMMAND_PALETTE:
            palette = self.app.COMMAND_PALETTE_BINDING
            tail = Text(no_wrap=True, end="")
            shown = self.app.get_key_display(Binding(palette, "command_palette"))
            tail.append(f" {shown} ", style=key_style)
            tail.append("palette ", style=description_style)
            room = max(0, self.size.width - tail.cell_len)
            line.truncate(room, overflow="ellipsis", pad=True)
            line.append_text(tail)
        return line
