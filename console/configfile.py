"""Writing the console's own choices into the user's config.toml, keeping everything else.

The console writes only a few top-level settings (the start choice: ``start = "login"``). The
standard library reads TOML (`tomllib`) but cannot write it, and rewriting the whole file from a
parsed dict would drop the user's comments, order and formatting. So a change is a small text
edit: the line that sets the key at the top level is replaced in place (its trailing comment
kept), or a new line is added before the first table. The result is parsed again with `tomllib`
and must hold exactly the old settings plus the change, or nothing is written; the file is
replaced atomically.

`set_top_level` is pure (text in, text out); `update_config_file` does the I/O (call it from a
worker thread).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path

from console.config import SettingsError

Scalar = str | bool | int

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TABLE_HEADER = re.compile(r"\s*\[")


def toml_value(value: Scalar) -> str:
    """A TOML literal for a string, boolean or integer."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + "".join(_escape(char) for char in value) + '"'


def _escape(char: str) -> str:
    if char in ('"', "\\"):
        return "\\" + char
    if char.isprintable():
        return char
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate is no character: TOML cannot hold it
        return "\\ufffd"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _key_line(key: str) -> re.Pattern[str]:
    """A line that sets `key` (bare or quoted) to a one-line value, with an optional comment."""
    quoted = re.escape(key)
    return re.compile(
        rf'^(?P<indent>\s*)(?:{quoted}|"{quoted}"|\'{quoted}\')\s*=\s*(?P<rest>.*?)\s*$'
    )


def _trailing_comment(rest: str) -> str:
    """The comment after a one-line value ("  # …"), or "" (a '#' inside a string is not one)."""
    for index, char in enumerate(rest):
        if char != "#":
            continue
        try:
            tomllib.loads(f"v = {rest[:index]}")
        except tomllib.TOMLDecodeError:
            continue
        return "  " + rest[index:].strip()
    return ""


def set_top_level(text: str, updates: Mapping[str, Scalar]) -> str:
    """`text` (a TOML document) with each key of `updates` set at the top level.

    Comments, blank lines, order and tables are kept. Raises SettingsError when `text` is not
    valid TOML, or when a key cannot be edited safely (a multi-line value, a dotted key); the
    caller then leaves the file alone."""
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"not valid TOML ({error})") from error
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    for key, value in updates.items():
        if not _BARE_KEY.fullmatch(key):
            raise SettingsError(f"cannot write the setting {key!r}")
        pattern = _key_line(key)
        top_end = next((i for i, line in enumerate(lines) if _TABLE_HEADER.match(line)), len(lines))
        new = f"{key} = {toml_value(value)}"
        for index in range(top_end):
            match = pattern.match(lines[index])
            if match is None:
                continue
            comment = _trailing_comment(match.group("rest"))
            lines[index] = f"{match.group('indent')}{new}{comment}\n"
            break
        else:
            insert = top_end
            if top_end < len(lines):
                # Blank lines and comments just above the first table introduce that table.
                while insert > 0 and (
                    not lines[insert - 1].strip() or lines[insert - 1].lstrip().startswith("#")
                ):
                    insert -= 1
            lines.insert(insert, new + "\n")
    result = "".join(lines)
    expected = dict(before)
    expected.update(updates)
    try:
        after = tomllib.loads(result)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"the edit would break the file ({error})") from error
    if after != expected:
        raise SettingsError("the setting is written in a form this console does not edit")
    return result


def update_config_file(path: Path, updates: Mapping[str, Scalar]) -> None:
    """Set top-level settings in the TOML file at `path` (created if missing), atomically.

    Raises SettingsError (the file is not valid TOML, or cannot be edited safely) or OSError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    result = set_top_level(text, updates)
    if result == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(result)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
