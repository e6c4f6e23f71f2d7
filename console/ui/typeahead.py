"""Type-ahead lands where the agent meant it.

Over a laggy SSH link keys arrive in bursts: a phone number, Tab, a reference, Enter. Textual
hands each key to the widget focused when the App *receives* it, so every key of the burst
went to the phone field before the field had handled the Tab that moves focus on. Here the
keys (and pastes) that arrive together are delivered one at a time: the next waits until the
one before has been handled all the way up — the focused widget, its parents, the screen's
and the App's bindings — so a key that moves focus takes effect before the keys behind it
are delivered. A key that finds nobody to follow it (a widget removed on the way) lets the
next one go after at most `STUCK` seconds.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App
    from textual.events import Key, Paste
    from textual.message_pump import MessagePump

STUCK = 1.0  # seconds after which a key not seen to land lets the next one go


def _typing(event: Key | Paste) -> bool:
    """A printable character or a paste: what a field takes in place, moving no focus."""
    from textual.events import Paste

    if isinstance(event, Paste):
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

    def waiting(self, event: Key | Paste) -> bool:
        """True: `event` waits its turn (it is delivered later); False: deliver it now."""
        if event is self._released:
            self._released = None
            return False
        if self.flying is not None and self.clock() - self._since > STUCK:
            self.flying = None  # lost on the way: never hold the agent's keys for good
        if self.flying is not None or self.backlog or self._released is not None:
            self.backlog.append(event)
            return True
        self._fly(event)
        return False

    def delivered(self, event: Key | Paste) -> None:
        """`event` was given to the App's handling: follow it up from where it went."""
        if not event.is_forwarded:  # a priority binding of the App took it: handled
            self._landed(event)
            return
        target = self.app.focused or self.app.screen
        if not target.call_later(self._after, event, target, target):
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
            if second or not origin.call_later(self._after, event, origin, origin, True):
                self._landed(event)
            return
        if not parent.call_later(self._after, event, parent, origin, second):
            self._landed(event)

    def _landed(self, event: Key | Paste) -> None:
        if event is not self.flying:
            return
        self.flying = None
        if self.backlog:
            following = self.backlog.popleft()
            self._released = following
            self._fly(following)
            self.app.post_message(following)
