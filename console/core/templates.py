"""Sending a WhatsApp template, UI-free: which parameters a template asks for (its text
header's and its body's ``{{1}}``, ``{{2}}``…), whether the agent's values fit, the Chat Apps
``content.template`` that carries them, and the text the thread shows for it.

What fits is WhatsApp's rule for a text parameter, which 8x8 passes on: not empty, no new
lines or tabs, not more than four spaces in a row, at most 1,024 characters (60 in a header).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from console.api.templates import Template

PLACEHOLDER = re.compile(r"\{\{\s*(\d{1,3})\s*\}\}")
MAX_BODY_PARAMETER = 1024
MAX_HEADER_PARAMETER = 60
SENDABLE_HEADERS = (None, "TEXT")  # a media header needs a file, which the inbox has not


@dataclass(frozen=True, slots=True)
class Slot:
    """One value a template asks for: `{{number}}` in its header or its body."""

    part: str  # "header" | "body"
    number: int

    @property
    def label(self) -> str:
        return f"{self.part} {{{{{self.number}}}}}"

    @property
    def limit(self) -> int:
        return MAX_HEADER_PARAMETER if self.part == "header" else MAX_BODY_PARAMETER


def placeholders(text: str | None) -> tuple[int, ...]:
    """The placeholder numbers of a text, each once, in order: '{{2}} {{1}} {{2}}' → (1, 2)."""
    return tuple(sorted({int(n) for n in PLACEHOLDER.findall(text or "")}))


def slots(template: Template) -> tuple[Slot, ...]:
    """What the agent fills in, the header's first."""
    out: list[Slot] = []
    header = template.component("HEADER")
    if header is not None and (header.format or "TEXT").upper() == "TEXT":
        out += [Slot("header", n) for n in placeholders(header.text)]
    body = template.component("BODY")
    if body is not None:
        out += [Slot("body", n) for n in placeholders(body.text)]
    return tuple(out)


def unsendable(template: Template) -> str | None:
    """Why the inbox cannot send this template, or None: not approved, or a media header."""
    if not template.approved:
        return f"not approved ({(template.status or 'no status').lower()})"
    header = template.component("HEADER")
    if header is not None and (header.format or "TEXT").upper() not in ("TEXT",):
        return f"its header is {header.format.lower() if header.format else 'media'}"
    if template.component("BODY") is None:
        return "it has no body"
    return None


def value_problem(slot: Slot, value: str) -> str | None:
    """Why one value cannot fill `slot` (WhatsApp's rules for a text parameter), or None."""
    if not value.strip():
        return f"{slot.label} is empty"
    if "\n" in value or "\t" in value or "\r" in value:
        return f"{slot.label} has a new line or a tab (WhatsApp refuses them in a parameter)"
    if "     " in value:
        return f"{slot.label} has more than four spaces in a row"
    if len(value) > slot.limit:
        return f"{slot.label} is {len(value):,} characters; at most {slot.limit:,}"
    return None


def values_problem(template: Template, values: Sequence[str]) -> str | None:
    """Why these values cannot go with the template (the first reason), or None."""
    problem = unsendable(template)
    if problem is not None:
        return f"{template.name} cannot be sent: {problem}"
    wanted = slots(template)
    if len(values) != len(wanted):
        return f"{template.name} takes {len(wanted)} value(s), not {len(values)}"
    for slot, value in zip(wanted, values, strict=True):
        problem = value_problem(slot, value)
        if problem is not None:
            return problem
    return None


def _fill(text: str, values: dict[int, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(int(m.group(1)), m.group(0)), text)


def _by_part(template: Template, values: Sequence[str]) -> dict[str, dict[int, str]]:
    parts: dict[str, dict[int, str]] = {"header": {}, "body": {}}
    for slot, value in zip(slots(template), values, strict=False):
        if value:  # an empty value is one not given yet (a check refuses it before a send)
            parts[slot.part][slot.number] = value
    return parts


def content(template: Template, values: Sequence[str]) -> dict[str, Any]:
    """The Chat Apps ``content.template`` for these values (check them first): the name, the
    language, and one component per part that has parameters, in placeholder order."""
    parts = _by_part(template, values)
    components = [
        {
            "type": part,
            "parameters": [{"type": "text", "text": filled[n]} for n in sorted(filled)],
        }
        for part, filled in parts.items()
        if filled
    ]
    out: dict[str, Any] = {"name": template.name, "language": template.language}
    if components:
        out["components"] = components
    return out


def preview(template: Template, values: Sequence[str] = ()) -> str:
    """The message as the customer reads it: header, body, footer, buttons; a placeholder
    not filled yet (or filled with nothing) stays '{{n}}'."""
    parts = _by_part(template, values)
    lines: list[str] = []
    for component in template.components:
        kind = component.type
        if kind == "HEADER":
            fmt = (component.format or "TEXT").upper()
            lines.append(
                _fill(component.text or "", parts["header"])
                if fmt == "TEXT"
                else f"[{fmt.lower()}]"
            )
        elif kind == "BODY":
            lines.append(_fill(component.text or "", parts["body"]))
        elif kind == "FOOTER" and component.text:
            lines.append(component.text)
        elif kind == "BUTTONS" and component.buttons:
            lines.append(" ".join(f"[{text}]" for text in component.buttons))
    return "\n".join(line for line in lines if line)


def sent_text(template: Template, values: Sequence[str]) -> str:
    """What the thread and the history keep for a sent template: its name, then the text."""
    return f"[template {template.name} · {template.language}]\n{preview(template, values)}"


def offered(templates: Iterable[Template]) -> list[Template]:
    """The templates the picker lists: approved and sendable ones first, by name, language."""
    return sorted(templates, key=lambda t: (unsendable(t) is not None, t.name, t.language))
