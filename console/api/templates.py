"""WhatsApp message templates as 8x8 lists them (``GET /api/v1/accounts/{accountId}/channels/
{channelId}/templates`` on the Chat Apps host: ``{"templates": [...]}``, each with its
``templateName``, ``language``, ``components`` (HEADER / BODY / FOOTER / BUTTONS, texts with
``{{1}}``-style placeholders), ``category`` and approval ``status``).

Frozen dataclasses, no I/O. ``templates_from_json`` skips an entry it cannot read (a
template without a name or language could not be sent anyway) and raises on a body that is
not 8x8's shape, which the client turns into ``UnexpectedResponse``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

APPROVED = "APPROVED"


@dataclass(frozen=True, slots=True)
class TemplateComponent:
    """One part of a template: HEADER (``format`` Text, Image, Video, Document, Location),
    BODY, FOOTER or BUTTONS (their texts)."""

    type: str  # upper-case, as 8x8 lists them
    text: str | None = None
    format: str | None = None
    buttons: tuple[str, ...] = ()  # the buttons' texts

    @classmethod
    def from_json(cls, data: Any) -> TemplateComponent | None:
        if not isinstance(data, Mapping) or not isinstance(data.get("type"), str):
            return None
        text = data.get("text")
        fmt = data.get("format")
        buttons = data.get("buttons")
        return cls(
            type=data["type"].upper(),
            text=text if isinstance(text, str) else None,
            format=fmt if isinstance(fmt, str) else None,
            buttons=tuple(
                b["text"]
                for b in (buttons if isinstance(buttons, list) else ())
                if isinstance(b, Mapping) and isinstance(b.get("text"), str)
            ),
        )


@dataclass(frozen=True, slots=True)
class Template:
    """A registered WhatsApp template of one channel, in one language."""

    name: str
    language: str
    components: tuple[TemplateComponent, ...] = ()
    language_name: str | None = None
    category: str | None = None
    status: str | None = None
    channel_id: str | None = None
    channel_name: str | None = None

    @property
    def approved(self) -> bool:
        return (self.status or "").upper() == APPROVED

    def component(self, kind: str) -> TemplateComponent | None:
        return next((c for c in self.components if c.type == kind), None)

    @classmethod
    def from_json(cls, data: Any) -> Template | None:
        if not isinstance(data, Mapping):
            return None
        name, language = data.get("templateName"), data.get("language")
        if not isinstance(name, str) or not name or not isinstance(language, str) or not language:
            return None
        raw = data.get("components")
        components = tuple(
            c
            for c in (TemplateComponent.from_json(item) for item in (raw or ()))
            if c is not None
        ) if isinstance(raw, list) else ()  # fmt: skip

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        return cls(
            name=name,
            language=language,
            components=components,
            language_name=text("languageName"),
            category=text("category"),
            status=text("status"),
            channel_id=text("channelId"),
            channel_name=text("channelName"),
        )


def templates_from_json(data: Any) -> list[Template]:
    """The templates in 8x8's answer, in its order. Raises TypeError on another shape."""
    if not isinstance(data, Mapping) or not isinstance(data.get("templates"), list):
        raise TypeError("no templates array")
    found = (Template.from_json(item) for item in data["templates"])
    return [template for template in found if template is not None]
