"""SectionScreen: a section's screen that comes back (F2, F3, F4…) without restyling itself.

Textual (8.2.8) re-applies the whole stylesheet to every widget of a screen each time a mode
switches back to it (``ScreenResume(refresh_styles=True)``): 20–40 ms of the UI loop at each
F3 or F4 during a shift, and every widget's line cache left cold, so the first repaint after
the switch redrew the whole screen (up to 60 ms more). What can leave a hidden screen's
styles stale is app-wide: a theme or CSS change (Textual counts them), the App's classes, or
its pseudo-classes (focus/blur, dark/light, inline, ansi, nocolor). A hidden screen's own
widgets are restyled as they change (a class, focus, display), shown or not. So a section
restyles on resume only when something app-wide changed since it was put away; otherwise it
resumes as Textual does the rest (a layout, a repaint). Skipping that layout too when the
terminal kept its size (~10 ms a switch) left the login screen's buttons deaf to clicks, so
it stays. This leans on Textual's internals (pinned: textual==8.2.8):
``App._css_update_count``.
"""

from __future__ import annotations

from textual import events
from textual.screen import Screen


class SectionScreen(Screen[None]):
    """A screen of a section (a Textual mode): resumes without a full restyle when nothing
    app-wide changed while it was hidden."""

    _put_away_as: tuple[object, ...] | None = None  # the App's styling when suspended

    @property
    def shown(self) -> bool:
        """On the terminal now (its section's, maybe under a dialog). A hidden section only
        notes that its lines are out of date, and brings them up to date when it comes back
        (``on_screen_resume``): it does not redraw for nobody."""
        try:
            return self in self.app.screen_stack
        except Exception:  # no App (unmounted), or no screen stack yet
            return False

    def _app_styling(self) -> tuple[object, ...]:
        app = self.app
        return (getattr(app, "_css_update_count", None), frozenset(app.classes), app.pseudo_classes)

    def _on_screen_suspend(self) -> None:
        # Textual's own handler (Screen's) runs after this one, as for every handler by MRO.
        self._put_away_as = self._app_styling()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if event.refresh_styles and self._put_away_as == self._app_styling():
            event.refresh_styles = False  # Screen's handler (next) skips the restyle
        self._put_away_as = None
