"""Text from outside the console with its control characters made harmless: the pure half
of console.ui.text (STYLE.md pitfall 16), which the UI-free packages (feed, core, …) use too.

Agents, customers, servers and exceptions write text the console shows or writes (a receipt's
error message, a CSV export). None of it may reach the terminal as control characters (an OSC
52 sequence writes the clipboard, CSI clears the screen, OSC 0 sets the window title):
:func:`clean` makes them visible, :func:`strip_controls` drops them. No Textual or Rich here;
console.ui.text turns cleaned text into Textual content and Rich text.
"""

from __future__ import annotations

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
