"""KeyBar: the screen's keys on one line, like Textual's Footer, drawn as one widget, and
never cut in the middle of a word (console/ui/key_fit.py chooses what fits).

Textual's Footer mounts a widget per key and composes them again whenever the focus moves;
on the inbox, with its dozen actions, that was about 0.2 s of the 0.5 s it took to open.
KeyBar draws the same line (key, description; disabled keys dimmed; the palette key at the
right) and redraws it when the bindings change. A click on a key presses it.
"""

from __future__ import annotations

import time

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

from console.core.hotlist import hotlist_line
from console.ui.callbacks import subscribe
from console.ui.key_fit import SHORT, KeyItem, Place, fit
from console.ui.text import clean

TAIL_IDS = ("keys", "logout")  # the App's keys always at the right, when they apply
# Fields that take typed text (`?` is typed into them, not a key). Named rather than imported:
# importing TextArea costs ~10 ms at start-up, before the first frame, for a check by type.
TEXT_FIELDS = frozenset({"textual.widgets._input.Input", "textual.widgets._text_area.TextArea"})


def takes_text(widget: object) -> bool:
    """True for an Input or a TextArea (or a subclass of either)."""
    names = (f"{cls.__module__}.{cls.__qualname__}" for cls in type(widget).__mro__)
    return any(name in TEXT_FIELDS for name in names)


class KeyBar(Widget):
    """The active bindings of the screen that are shown (`show=True`), one line."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
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
    KeyBar > .key-bar--hotlist {
        color: $warning;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--hotlist"}
    HOTLIST_EVERY = 0.5  # seconds between two looks at who is waiting
    ITEMS_EVERY = 1.0  # seconds a reading of the keys is drawn again unchanged (at most)

    def __init__(self) -> None:
        super().__init__()
        self.hotlist = ""  # "3 new · Jane Tan 2 · …": above the keys, outside the inbox
        # The keys shown, read again when the bindings or the focus changed, else at most
        # every ITEMS_EVERY seconds: reading them asks every binding's check_action, and the
        # bar is drawn again whenever the hotlist changes, several times a second while
        # customers write (it picks up what check_action says differently then, as before).
        self._items_cache: list[KeyItem] | None = None
        self._items_at = 0.0
        self._styles: tuple[Style, Style, Style] | None = None

    def on_mount(self) -> None:
        subscribe(self.screen.bindings_updated_signal, self, self._bindings_updated)
        self.watch(self.screen, "focused", self._keys_changed, init=False)

        self.set_interval(self.HOTLIST_EVERY, self._look_at_hotlist)
        self._look_at_hotlist()

    def on_resize(self) -> None:
        self._look_at_hotlist()
        self._keys_changed()

    def _look_at_hotlist(self) -> None:
        if not self.screen.is_current:  # a section in the background: nobody sees its bar
            return
        # Only a core already built: the first frame's key bar must not build it (nothing
        # waits in an inbox that was never loaded).
        core = getattr(self.app, "core_if_built", None)
        line = ""
        if core is not None and getattr(self.app, "current_mode", None) != "inbox":
            inbox = core.inbox
            line = hotlist_line(inbox.conversations.values(), inbox.me, self.size.width - 4)
        if line != self.hotlist:
            # A new layout of the screen only when the line comes or goes (the bar's height):
            # one costs 30–70 ms of the loop, and the counts move with every message.
            appeared = bool(line) != bool(self.hotlist)
            self.hotlist = line
            self.refresh(layout=appeared)

    def _bindings_updated(self, _screen: Screen[object]) -> None:
        self._keys_changed()

    def _keys_changed(self, _value: object = None) -> None:
        self._items_cache = None
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def _items(self) -> list[KeyItem]:
        now = time.monotonic()
        if self._items_cache is None or now - self._items_at >= self.ITEMS_EVERY:
            self._items_cache = self._read_items()
            self._items_at = now
        return self._items_cache

    def _read_items(self) -> list[KeyItem]:
        """One item per action shown: the screen's (and focused widget's) keys, the App's
        section keys, and the tail — `?` (where a key is not typed into a field), F9 (while
        logged in) and the palette."""
        own: list[KeyItem] = []
        tail: dict[str, KeyItem] = {}
        seen: set[str] = set()
        palette = self.app.COMMAND_PALETTE_BINDING
        typing = takes_text(self.app.focused)
        here = f"switch_mode({self.app.current_mode!r})"
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if key == palette or binding.action in seen:
                continue
            shown = self.app.get_key_display(binding)
            if binding.id in TAIL_IDS:
                if active.enabled and not (binding.id == "keys" and typing):
                    tail[binding.id] = KeyItem(key, shown, binding.description, Place.TAIL)
                continue
            if not binding.show or binding.action == here:  # not the section already open
                continue
            seen.add(binding.action)
            place = Place.SECTION if active.node is self.app else Place.OWN
            short = SHORT.get(binding.id or "")
            own.append(KeyItem(key, shown, binding.description, place, active.enabled, short))
        items = own + [tail[i] for i in TAIL_IDS if i in tail]
        if self.app.ENABLE_COMMAND_PALETTE:
            shown = self.app.get_key_display(Binding(palette, "command_palette"))
            items.append(KeyItem(palette, shown, "Palette", Place.TAIL))
        return items

    def render(self) -> Text:
        if self._styles is None:
            self._styles = (
                self.get_component_rich_style("key-bar--key"),
                self.get_component_rich_style("key-bar--description"),
                self.get_component_rich_style("key-bar--hotlist"),
            )
        key_style, description_style, hotlist_style = self._styles
        dim = Style(dim=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        shown = fit(self._items(), self.size.width)
        tail_at = next((n for n, item in enumerate(shown) if item.place is Place.TAIL), None)
        for index, item in enumerate(shown):
            if index == tail_at:  # the tail sits at the right
                room = self.size.width - sum(i.width for i in shown[index:]) - line.cell_len
                line.append(" " * max(room, 0))
            state = Style() if item.enabled else dim
            click = Style(meta={"@click": f"app.simulate_key({item.key!r})"})
            line.append(f" {item.shown} ", style=key_style + state + click)
            line.append(f"{item.label} ", style=description_style + state)
        if not self.hotlist:
            return line
        # Customers' names: their control characters shown (␛), never sent to the terminal.
        hot = Text(f" ◆ {clean(self.hotlist)} ", style=hotlist_style)
        return Text("\n", no_wrap=True, overflow="crop", end="").join((hot, line))
