"""Text from outside the console, made safe to display (STYLE.md pitfall 16).

Agents, customers, servers and exceptions write text the console shows: a hint that echoes a
typed number, a toast with a server's reason, a receipt's error message. None of it may be
parsed as markup (`[/` ends a Textual app with MarkupError; `[@click=app.quit]` becomes a live
action), and none of it may reach the terminal as control characters (an OSC 52 sequence
writes the clipboard, CSI clears the screen, OSC 0 sets the window title). So every such text
goes through :func:`clean`, and is shown as :func:`plain` content (never markup) or
:func:`plain_text` where a Rich renderable is needed (DataTable cells parse plain strings as
markup). No Textual import: the pure part is usable anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text
    from textual.content import Content

REPLACEMENT = "\ufffd"

_NEWLINE = ord("\n")


def _visible_controls(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):  # C0: the Unicode "control pictures", ␛ for ESC
        table[code] = chr(0x2400 + code)
    table[ord("\t")] = " "
    if keep_newlines:
        del table[_NEWLINE]
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):  # C1, e.g. 0x9B (a one-byte CSI)
        table[code] = REPLACEMENT
    # Bidirectional overrides and isolates reorder what follows them on screen ("Trojan
    # source"): shown as the replacement character, never obeyed.
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = REPLACEMENT
    for code in range(0xD800, 0xE000):  # lone surrogates cannot be written to a terminal
        table[code] = REPLACEMENT
    return table


_ONE_LINE = _visible_controls(keep_newlines=False)
_MULTI_LINE = _visible_controls(keep_newlines=True)


def clean(value: object, *, newlines: bool = False) -> str:
    """`value` as a string with every control character made visible.

    C0 controls become their control pictures (ESC shows as ␛, so an escape sequence reads as
    text and does nothing); a tab becomes a space; DEL shows as ␡; C1 controls, bidirectional
    overrides and lone surrogates become U+FFFD. Newlines are kept only with `newlines=True`
    (a toast may wrap; a field hint or a table cell is one line).
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case: nothing to translate (and no copy)
        return text
    return text.translate(_MULTI_LINE if newlines else _ONE_LINE)


_CONTROLS = {code: None for code in (*range(0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000))}
_CONTROLS_BUT_LINES = {code: None for code in _CONTROLS if code not in (0x09, 0x0A)}


def strip_controls(text: str, *, lines: bool = False) -> str:
    """`text` without control characters (C0, DEL, C1, lone surrogates): for what the agent
    pastes into a field, where junk is dropped rather than shown. `lines=True` keeps newlines
    and tabs (the message editor)."""
    if text.isprintable():
        return text
    return text.translate(_CONTROLS_BUT_LINES if lines else _CONTROLS)


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
