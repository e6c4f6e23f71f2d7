"""The one way the console copies text (STYLE.md pitfall 9).

- Always the terminal's clipboard, OSC 52 (Textual's `copy_to_clipboard`): it works over SSH;
  inside tmux it needs `set -g set-clipboard on`; macOS Terminal.app ignores it.
- Also the local clipboard through pyperclip, when there is one here: not over SSH, or on
  Terminal.app, where OSC 52 does nothing. pyperclip may be missing its helper (xclip…) or
  have no display: that is never an error.
- Never the API key, nor text that contains it.

No Textual import: the App gives it the OSC 52 writer and runs the local copy off the UI loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

MIN_SECRET = 8  # shorter "secrets" (a test key "k") would refuse ordinary text


class Copied(StrEnum):
    TERMINAL = "terminal"  # OSC 52 sent (the terminal decides)
    REFUSED = "refused"  # the text holds a secret: nothing was copied
    NOTHING = "nothing"  # empty text


def local_clipboard_expected(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether a local clipboard is worth trying: not over SSH (its clipboard would be the
    jump host's), except on Terminal.app, which ignores OSC 52."""
    if environ.get("TERM_PROGRAM") == "Apple_Terminal":
        return True
    return not (environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"))


def copy_locally(text: str) -> bool:
    """Copy with pyperclip; False (never an exception) when no local clipboard works."""
    try:
        import pyperclip

        pyperclip.copy(text)
    except Exception:  # PyperclipException, a missing helper, no display, …
        return False
    return True


@dataclass
class Clipboard:
    """Copies text to the terminal (always) and to the local clipboard (when expected)."""

    osc52: Callable[[str], object]
    secrets: Callable[[], Iterable[str]] = tuple
    local: Callable[[str], bool] | None = copy_locally
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def holds_secret(self, text: str) -> bool:
        return any(secret in text for secret in self.secrets() if len(secret) >= MIN_SECRET)

    def copy(self, text: str) -> Copied:
        """Send `text` to the terminal's clipboard; see :meth:`copy_local` for the rest."""
        if not text:
            return Copied.NOTHING
        if self.holds_secret(text):
            return Copied.REFUSED
        self.osc52(text)
        return Copied.TERMINAL

    def copy_local(self, text: str) -> bool:
        """The local clipboard too (blocking: pyperclip runs a helper; call it off the UI
        loop). False when there is none, when not expected here, or for a secret."""
        if self.local is None or not text or self.holds_secret(text):
            return False
        if not local_clipboard_expected(self.environ):
            return False
        return self.local(text)
