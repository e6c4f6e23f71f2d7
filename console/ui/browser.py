"""Opening a link in the agent's own browser, only when there is one to open it in.

Over SSH a browser would open on the jump host, not in front of the agent; on a Linux box
with no display, Python's `webbrowser` falls back to text browsers (lynx, w3m, links) that
would take over the very terminal the console draws on. In both cases the console copies the
link instead and says so. No Textual import: the App runs :meth:`Browser.open` in a worker
thread (starting a browser can block).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

TEXT_BROWSERS = frozenset({"www-browser", "links", "elinks", "lynx", "w3m", "links2"})


def local_browser_expected(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> bool:
    """Whether a graphical browser in front of the agent is likely: not over SSH, and on
    Linux and the BSDs only with a display."""
    if environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"):
        return False
    if platform in ("darwin", "win32", "cygwin"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def _open_graphical(url: str) -> bool:
    """`webbrowser.open`, unless the browser it found is a text browser (blocking)."""
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    name = getattr(browser, "name", "") or ""
    if os.path.basename(str(name)) in TEXT_BROWSERS:
        return False
    try:
        return bool(browser.open(url, new=2))
    except Exception:
        return False


@dataclass
class Browser:
    """Opens links locally when it makes sense; `open` returns False when it did not."""

    opener: Callable[[str], bool] = _open_graphical
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    platform: str = sys.platform

    @property
    def available(self) -> bool:
        return local_browser_expected(self.environ, self.platform)

    def open(self, url: str) -> bool:
        """Open `url` in the local browser (blocking: call it off the UI loop)."""
        if not self.available:
            return False
        try:
            return self.opener(url)
        except Exception:
            return False
