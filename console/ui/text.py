"""Text from outside the console, made safe to display (STYLE.md pitfall 16).

Agents, customers, servers and exceptions write text the console shows: a hint that echoes a
typed number, a toast with a server's reason, a receipt's error message. None of it may be
parsed as markup (`[/` ends a Textual app with MarkupError; `[@click=app.quit]` becomes a live
action), and none of it may reach the terminal as control characters (an OSC 52 sequence
writes the clipboard, CSI clears the screen, OSC 0 sets the window title). So every such text
goes through :func:`clean` (console.safe_text, the pure half, re-exported here), and is shown
as :func:`plain` content (never markup) or :func:`plain_text` where a Rich renderable is needed
(DataTable cells parse plain strings as markup). Textual and Rich load on first use only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.safe_text import REPLACEMENT, clean, strip_controls

if TYPE_CHECKING:
    from rich.text import Text
    from textual.content import Content

__all__ = ["REPLACEMENT", "clean", "plain", "plain_text", "strip_controls"]


def plain(value: object, *, newlines: bool = False) -> Content:
    """Textual content showing `value` as it is: cleaned, never parsed as markup."""
    from textual.content import Content

    return Content(clean(value, newlines=newlines))


def plain_text(value: object, *, style: str = "") -> Text:
    """A Rich Text showing `value` as it is (for DataTable cells and Rich tables)."""
    from rich.text import Text

    return Text(clean(value), style=style, end="")


def middle(text: str, width: int) -> str:
    """`text` in at most `width` characters, cut in the middle ('http://127.…/webhooks/sms'):
    both ends of a URL say more than its middle."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    keep = width - 1
    head = (keep + 1) // 2
    return text[:head] + "…" + text[len(text) - (keep - head) :]
