"""Type-ahead lands where the agent meant it.

Over a laggy SSH link keys arrive in bursts: a phone number, Tab, a reference, Enter. Textual
hands each key to the widget focused when the App *receives* it, so every key of the burst
went to the phone field before the field had handled the Tab that moves focus on. Here the
keys (and pastes) that arrive together are delivered one at a time: the next waits until the
one before has been handled all the way up — the focused widget, its parents, the screen's
and the App's bindings — so a key that moves focus takes effect before the keys behind it
are delivered. A key that finds nobody to follow it (a widget removed on the way) lets the
next one go after `STUCK` seconds once the App has nothing else queued (its walk may be
waiting behind a flood of keys: those are not a sign of it being lost).

One at a time costs a round trip through the queues per key (~0.7 ms of the loop): 100,000
characters typed or piped without bracketed paste took over a minute, ctrl+q and Escape
waiting behind them. So a run of printable keys waiting for the same text field is typed
into it in one go, with the value it would have got key by key (a field's max_length,
restrict and type refuse the same characters), then followed up to the App as a key is
(so a ctrl+q behind it finds the draft saved whole). A key bound with priority, a field
whose key handling is its own, or a key that is not plain text goes one at a time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from textual import events

from console.ui.callbacks import counted

if TYPE_CHECKING:
    from textual.app import App
    from textual.events import Key, Paste
    from textual.message_pump import MessagePump
    from textual.widget import Widget
    from textual.widgets import Input, TextArea

STUCK = 1.0  # seconds after which a key not seen to land lets the next one go
# Keys typed at once into a field that matches its whole value against a pattern for each
# key (restrict, type) and has no max_length: each check reads the value, so a long run
# goes in pieces, the loop free between them.
RESTRICTED_RUN = 2000


def _typing(event: Key | Paste) -> bool:
    """A printable character or a paste: what a field takes in place, moving no focus."""
    if isinstance(event, events.Paste):
        return True
    return event.character is not None and event.character.isprintable()


class TypeAhead:
    """One key in flight at a time; the others wait in order."""

    def __init__(self, app: App[object], clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self.backlog: deque[Key | Paste] = deque()
        self.flying: Key | Paste | None = None
        self._released: Key | Paste | None = None  # taken from the backlog: its turn now
        self._since = 0.0
        self._after_next = counted(self._after)  # call_later reads its signature once

    def waiting(self, event: Key | Paste) -> bool:
        """True: `event` waits its turn (it is delivered later); False: deliver it now."""
        if event is self._released:
            self._released = None
            return False
        if (
            self.flying is not None
            and self.clock() - self._since > STUCK
            and self.app._message_queue.empty()  # else its walk may wait behind those
        ):
            # Lost on the way: never hold the agent's keys for good; the next one goes.
            self._landed(self.flying)
        if self.flying is not None or self.backlog or self._released is not None:
            self.backlog.append(event)
            return True
        self._fly(event)
        return False

    async def dispatch(
        self, event: events.Event, deliver: Callable[[events.Event], Awaitable[None]]
    ) -> None:
        """The App's ``on_event``: a key or a paste waits its turn, then goes to `deliver`
        (Textual's own ``on_event``); every other event goes straight on."""
        if not isinstance(event, events.Key | events.Paste) or event.is_forwarded:
            await deliver(event)
        elif not self.waiting(event):
            await deliver(event)
            self.delivered(event)

    def delivered(self, event: Key | Paste) -> None:
        """`event` was given to the App's handling: follow it up from where it went."""
        if not event.is_forwarded:  # a priority binding of the App took it: handled
            self._landed(event)
            return
        target = self.app.focused or self.app.screen
        if not target.call_later(self._after_next, event, target, target):
            self._landed(event)

    def _fly(self, event: Key | Paste) -> None:
        self.flying = event
        self._since = self.clock()

    def _after(
        self, event: Key | Paste, node: MessagePump, origin: MessagePump, second: bool = False
    ) -> None:
        """Runs on `node` after it handled what was queued, `event` included when it came
        there; then the same one level up, until the App."""
        parent = node._parent
        # Typing stopped where it was handled (a letter into a field): it goes no higher, so
        # it has landed. Walking on up would wait for every parent's queue to drain, and
        # while a stream lands those are busy: typed letters waited up to STUCK each.
        if event._stop_propagation and _typing(event):
            self._landed(event)
            return
        if parent is None or node is self.app:
            # Enter in a field posts Submitted, which bubbles one step behind this walk; the
            # form's handler (moving focus on, or submitting) runs on the way. A second walk
            # from where the key went trails that message all the way up.
            if second or not origin.call_later(self._after_next, event, origin, origin, True):
                self._landed(event)
            return
        if not parent.call_later(self._after_next, event, parent, origin, second):
            self._landed(event)

    def _landed(self, event: Key | Paste) -> None:
        if event is not self.flying:
            return
        self.flying = None
        if self.backlog and not self._typed_run():
            following = self.backlog.popleft()
            self._released = following
            self._fly(following)
            self.app.post_message(following)

    def _typed_run(self) -> bool:
        """Type the printable keys at the front of the backlog that the focused field would
        take as text into it at once, and follow them up; False when the first one is not
        such a key."""
        field = self.app.focused
        if field is None or field.loading or not field.is_attached or not texting(field):
            return False
        chain = self.app.screen._binding_chain
        taken: dict[str, bool] = {}
        run: list[str] = []
        limit = RESTRICTED_RUN if checks_each_key(field) else None
        for event in self.backlog:
            char = plain_character(event)
            if char is None:
                break
            key = event.key  # type: ignore[union-attr]  # plain_character: a Key
            if key not in taken:
                taken[key] = field.check_consume_key(key, char) and not any(
                    binding.priority
                    for _, bindings in chain
                    for binding in bindings.key_to_bindings.get(key, ())
                )
            if not taken[key] or len(run) == limit:
                break
            run.append(char)
        if not run:
            return False
        for _ in run:
            self.backlog.popleft()
        text = "".join(run)
        type_into(field, text)
        # Followed up to the App as a key is, behind the field's Changed: what reacts to
        # the text (the draft saved on quit) has it before a ctrl+q behind it is delivered.
        marker = events.Paste(text)
        self._fly(marker)
        if not field.call_later(self._after_next, marker, field, field, True):
            self._landed(marker)
        return True


def plain_character(event: Key | Paste) -> str | None:
    """The character of a printable key pressed without ctrl or alt, else None."""
    char = getattr(event, "character", None)  # a Paste has none
    if char is None or event.is_forwarded:
        return None
    return char if event.key == _plain_key(char) else None  # type: ignore[union-attr]


@lru_cache(maxsize=4096)
def _plain_key(char: str) -> str | None:
    """The name of the key that types `char` alone, if it is one printable character."""
    from textual.keys import _character_to_key

    return _character_to_key(char) if len(char) == 1 and char.isprintable() else None


# What a field does with a printable key, besides Input's and TextArea's own handling: a
# subclass that defines one of these may do otherwise, so its keys go one at a time, unless
# it says (``TYPES_AS_ITS_BASE = True``) that printable keys reach its base unchanged.
_KEY_PATH = ("_on_key", "on_key", "replace", "insert", "insert_text_at_cursor", "edit")
_KEY_PATH_AREA = (*_KEY_PATH, "_replace_via_keyboard")


def texting(field: Widget) -> bool:
    """Is `field` an Input or TextArea that takes printable keys as text with the base
    class's handling (so a run of them can be typed in at once)?"""
    from textual.widgets import Input, TextArea

    if isinstance(field, Input):
        base: type[Widget] = Input
        path = _KEY_PATH
    elif isinstance(field, TextArea) and not field.read_only:
        base, path = TextArea, _KEY_PATH_AREA
    else:
        return False
    for cls in type(field).__mro__:
        if cls is base:
            return True
        own = cls.__dict__
        if own.get("TYPES_AS_ITS_BASE"):  # its own key handling passes printable keys on
            continue
        if any(name in own for name in path):
            return False
        if any(name.startswith("key_") for name in own):
            return False
        if events.Key in (own.get("_decorated_handlers") or {}):
            return False
    return False


def type_into(field: Widget, text: str) -> None:
    """Type `text` (printable characters) into an Input or TextArea as its key handler
    would one key at a time, in one edit: one Changed, one bell for all refused keys."""
    from textual.widgets import Input

    restart_blink = getattr(field, "_restart_blink", None)
    if restart_blink is not None:
        restart_blink()
    if isinstance(field, Input):
        _type_into_input(field, text)
    else:
        area: TextArea = field  # type: ignore[assignment]  # texting(): Input or TextArea
        area._replace_via_keyboard(text, *area.selection)
        # The edit scrolled to its cursor before the area had grown by what it inserted
        # (so a long run stopped short of its end): scroll again, now that it has.
        area.scroll_cursor_visible()


def _patterns(field: Input) -> list[str]:
    """The patterns Input.replace matches a new value against (restrict, type)."""
    from textual.widgets._input import _RESTRICT_TYPES

    return [p for p in (field.restrict, _RESTRICT_TYPES.get(field.type)) if p]


def checks_each_key(field: Widget) -> bool:
    """Does typing into `field` match the whole value against a pattern, with no maximum?"""
    from textual.widgets import Input

    return isinstance(field, Input) and not field.max_length and bool(_patterns(field))


def accepted(field: Input, text: str) -> tuple[str, int]:
    """The part of `text` that typing it key by key into `field` keeps (each key checked
    as Input.replace checks it: max_length, restrict, type), and how many keys it refuses."""
    import re

    value = field.value
    start, end = sorted((max(0, field.selection.start), min(len(value), field.selection.end)))
    before, after = value[:start], value[end:]
    patterns = _patterns(field)
    if not patterns:
        kept = text
        if field.max_length:
            kept = text[: max(0, field.max_length - len(before) - len(after))]
        return kept, len(text) - len(kept)
    kept = ""
    for char in text:
        candidate = f"{before}{kept}{char}{after}"
        if field.max_length and len(candidate) > field.max_length:
            break  # full: every key after this one is refused as well
        if any(re.fullmatch(pattern, candidate) is None for pattern in patterns):
            continue
        kept += char
    return kept, len(text) - len(kept)


def _type_into_input(field: Input, text: str) -> None:
    kept, refused = accepted(field, text)
    if kept:
        start, end = field.selection
        field.replace(kept, start, end)
    if refused:
        field.restricted()  # the bell, once for the run rather than once a key
