"""Canned responses: short texts an agent drops into a reply with ``/shortcode``, with
``{{name}}``-style variables filled from the conversation. Pure: parsing and expanding only;
the file (``canned.toml`` in the config folder) is read and written by the App's workers.

The file::

    [responses]
    hi = "Hi {{first_name}}, thanks for writing to us. How can I help?"

Variables: ``{{name}}`` (the customer's name, else "there"), ``{{first_name}}``,
``{{agent}}`` (this agent's name), ``{{channel}}`` (WhatsApp, SMS…), ``{{number}}`` (the
customer's number). One that is not known is left as it is, and named.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

MAX_RESPONSES = 500
MAX_TEXT = 4_000
SHORTCODE = re.compile(r"[a-z0-9][a-z0-9_\-]{0,31}")
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_AT_CURSOR = re.compile(r"(?:^|(?<=\s))/([a-z0-9][a-z0-9_\-]{0,31})?$")

DEFAULT_TOML = """\
# Canned responses for the inbox. In a reply, type /shortcode and press Tab.
# Variables: {{name}} {{first_name}} {{agent}} {{channel}} {{number}}
[responses]
hi = "Hi {{first_name}}, thanks for writing to us. How can I help?"
wait = "Let me check that for you, {{first_name}}. One moment please."
thanks = "Thank you, {{first_name}}! Is there anything else I can do for you?"
bye = "Glad I could help. Have a good day! {{agent}}"
"""


class CannedError(ValueError):
    """The canned responses file cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Canned:
    shortcode: str
    text: str


@dataclass(frozen=True, slots=True)
class CannedResponses:
    """The responses by shortcode, in the file's order."""

    responses: tuple[Canned, ...] = ()

    def get(self, shortcode: str) -> Canned | None:
        for response in self.responses:
            if response.shortcode == shortcode:
                return response
        return None

    def matching(self, prefix: str) -> list[Canned]:
        """Responses whose shortcode starts with `prefix` (all for ""), exact match first."""
        found = [r for r in self.responses if r.shortcode.startswith(prefix)]
        found.sort(key=lambda r: r.shortcode != prefix)
        return found


def parse(text: str) -> CannedResponses:
    """Read a canned responses file's text; raises CannedError naming what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CannedError(f"not valid TOML: {error}") from None
    table = data.get("responses", {})
    unknown = sorted(set(data) - {"responses"})
    if unknown:
        raise CannedError(f"unknown table or key {unknown[0]!r}: only [responses] is read")
    if not isinstance(table, dict):
        raise CannedError('[responses] must be a table of shortcode = "text"')
    if len(table) > MAX_RESPONSES:
        raise CannedError(f"more than {MAX_RESPONSES} responses")
    responses: list[Canned] = []
    for shortcode, value in table.items():
        if not SHORTCODE.fullmatch(shortcode):
            raise CannedError(
                f"shortcode {shortcode!r}: lower-case letters, digits, - and _, at most 32"
            )
        if not isinstance(value, str) or not value.strip():
            raise CannedError(f"{shortcode}: the text must be a non-empty string")
        if len(value) > MAX_TEXT:
            raise CannedError(f"{shortcode}: the text is longer than {MAX_TEXT:,} characters")
        responses.append(Canned(shortcode, value))
    return CannedResponses(tuple(responses))


DEFAULT = parse(DEFAULT_TOML)


def variables(*, name: str | None, agent: str, channel: str, number: str) -> dict[str, str]:
    """The variables a response can use, for one conversation."""
    full = (name or "").strip()
    return {
        "name": full or "there",
        "first_name": full.split()[0] if full else "there",
        "agent": agent,
        "channel": channel,
        "number": number,
    }


def expand(template: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """The text with its variables filled in, and the names of those not known (kept)."""
    unknown: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name not in unknown:
            unknown.append(name)
        return match.group(0)

    return VARIABLE.sub(fill, template), unknown


def shortcode_before(line: str, column: int) -> tuple[int, str] | None:
    """The ``/shortcode`` (possibly just ``/``) ending at `column` of `line`, as (where its
    ``/`` is, the shortcode typed so far); None when the cursor is not after one."""
    match = _AT_CURSOR.search(line[:column])
    if match is None:
        return None
    return match.start(), match.group(1) or ""
