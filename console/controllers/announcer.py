"""Announcements: toasts (each kept for the palette's "Notifications"), the hotlist line
while the agent is at work, the bell when the config asks, and snooze wake-ups. What to say
and where is decided in console/core/announce.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.core import announce
from console.core.hotlist import Notices
from console.ui.text import clean
from console.ui.toast_gate import ToastGate

if TYPE_CHECKING:
    from textual.notifications import Notification
    from textual.screen import Screen

    from console.app import AgentConsole
    from console.core.model import Changes

NEW_MESSAGE = "New message"  # the title of a customer's message's toast


class Announcer:
    def __init__(self, app: AgentConsole) -> None:
        self.app = app
        self.notices = Notices()  # the palette's "Notifications"
        self._snoozes_checked = app.clock()  # snoozes that ran out after this are announced
        self._toasts = ToastGate()  # "New message" toasts: one every few seconds at most
        self._screen: Screen[object] | None = None  # shown since the last section switch

    def at_work(self) -> bool:
        from textual.screen import ModalScreen
        from textual.widgets import Input, TextArea

        app = self.app
        return announce.at_work(
            typing=isinstance(app.focused, Input | TextArea),
            in_dialog=isinstance(app.screen, ModalScreen),
            mode=app.current_mode,
            width=app.size.width,
        )

    def announce(self, changes: Changes) -> None:
        """A customer wrote, or a colleague gave this agent a conversation: say so, wherever
        the agent is (and ring the bell when the config asks for it)."""
        app = self.app
        inbox = app.core.inbox
        text = announce.inbound_text(changes, inbox)
        if text is not None:
            # The hotlist line says it; nothing drawn over the work, nor a toast a second.
            if self.at_work() or not self._toasts.allow():
                self.notices.add(app.clock(), NEW_MESSAGE, clean(text))
            else:
                app.notify(text, title=NEW_MESSAGE, timeout=6)
            if app.settings.inbox_bell:
                app.bell()
        for notice in announce.team_notices(changes, inbox):
            app.notify(notice.text, title=notice.title, severity=notice.severity)

    def mode_changed(self, mode: str) -> None:
        """On coming to another section, the "New message" toasts raised before go at once
        (they stay in the palette's "Notifications"). The customers who wrote are named
        where the agent arrives: in the hotlist line above the keys, or in the inbox's list.
        Carried along, each toast was mounted again on the new screen (two layouts: a 41 ms
        callback seen at F4 in bench/shift.py), and on the inbox it lay over the reply box:
        the first letters typed after F3 were hidden under one for about 6 s. Other toasts
        (a colleague's hand-over, a failure) say what nothing else does: they follow.

        They go from the section left behind too (Textual shows the new one already): else
        one mounted there just before the switch went on composing, laying out the hidden
        screen as the agent started on the new one (seen right after F3 in bench/shift.py),
        and was removed again when the agent came back (another layout then)."""
        left, self._screen = self._screen, self.app.screen
        self._withdraw_new_message_toasts(left)

    def still_wanted(self, notification: Notification) -> bool:
        """A toast is about to be shown (Textual posts it): a "New message" decided just
        before a switch to a section where they are not toasted is not. It is in the
        palette's "Notifications" already; mounted on the inbox only to be withdrawn, it cost
        two layouts of the screen (40-90 ms) just as the agent started typing there."""
        return not (notification.title == NEW_MESSAGE and self.at_work())

    def _withdraw_new_message_toasts(self, left: Screen[object] | None = None) -> None:
        from textual.widgets._toast import ToastHolder, ToastRack  # Textual's own

        app = self.app
        stale = [n for n in app._notifications if n.title == NEW_MESSAGE]  # Textual pinned
        for notification in stale:
            app._unnotify(notification, refresh=False)
        if not stale:
            return
        app._refresh_notifications()
        if left is None or left is app.screen or not left.is_attached:
            return
        gone = {ToastRack._toast_id(notification) for notification in stale}
        for holder in left.query(ToastHolder):
            if holder.id in gone:
                holder.remove()

    def wake_snoozes(self) -> None:
        """Once a second: a snooze of the agent's (or of nobody's) that ran out is announced
        wherever the agent is; the customer is waiting again."""
        app = self.app
        now = app.clock()
        woke = announce.woken(app.core.inbox, self._snoozes_checked, now)
        self._snoozes_checked = now
        notice = announce.snooze_notice(woke)
        if notice is not None:
            app.notify(notice.text, title=notice.title)
            if app.settings.inbox_bell:
                app.bell()

    def show_recent(self) -> None:
        """The palette's "Notifications": the recent toasts and hotlist announcements."""
        from console.screens.notices_screen import NoticesScreen

        self.app.push_screen(NoticesScreen(self.notices.recent()))
