"""WhatsApp templates and the 24-hour customer-service window, as 8x8 has them.

- ``GET /chatapps/api/v1/accounts/{accountId}/channels/{channelId}/templates`` lists the
  channel's registered templates in 8x8's shape (``{"templates": [...]}``): a few realistic
  ones are seeded on the sandbox's WhatsApp channel (approved ones with and without
  parameters, a header and buttons, another language, one with an image header, one still in
  review). Another known channel has none; an unknown channel id is 404 code 1300.
- A ``type: template`` message is checked completely before anything is accepted: a name and
  language that match no template of the channel is **400 code 3038, "Template not found for
  provided name and language"** (8x8's own code and words, from its OpenAPI examples); a
  template not approved, components or parameters that do not match its placeholders, or a
  parameter WhatsApp refuses (empty, a new line or tab, five spaces in a row, too long) is
  **400 code 1000** naming what is wrong — 8x8 documents no finer code, so this is ours.
- A free-form WhatsApp message (anything but a template) to a customer who has not written
  in the last 24 hours is accepted (8x8 cannot know at the send) and then ends
  ``undelivered`` with **errorCode 61, "SessionExpired"** in its receipt: 8x8's Messaging Apps
  delivery-receipt code for "Message trashed by session expired reason (i.e. 24 hours for
  WhatsApp)". Which state and detail 8x8 sets with it is not documented: the sandbox chooses
  ``undelivered`` / ``rejected_by_operator``, with no ``sent`` before it.

The window opens when the customer writes (the sandbox's inbound, at the world's clock), and
only then: a template does not open it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import errors as E
from .errors import ApiError, bad_request, json_response

WINDOW = 24 * 3600.0  # seconds after the customer's last message
TEMPLATE_NOT_FOUND = 3038
SESSION_EXPIRED = (61, "SessionExpired", "rejected_by_operator")  # (errorCode, message, detail)
PLACEHOLDER = re.compile(r"\{\{\s*(\d{1,3})\s*\}\}")
MAX_PARAMETER = {"header": 60, "body": 1024}
PARTS = ("header", "footer", "body", "button")  # what a message's components may name
CHANNEL_NAME = "Sandbox WhatsApp"


def _template(
    name: str,
    language: str,
    language_name: str,
    components: list[dict[str, Any]],
    *,
    category: str = "UTILITY",
    status: str = "APPROVED",
    created: str = "2026-03-02T08:15:00.00Z",
) -> dict[str, Any]:
    return {
        "templateName": name,
        "language": language,
        "languageName": language_name,
        "components": components,
        "category": category,
        "categoryName": category.capitalize(),
        "status": status,
        "statusName": {"APPROVED": "Approved", "PENDING": "In review"}.get(status, status),
        "createdAt": created,
        "updatedAt": created,
    }


# The sandbox's WhatsApp channel's templates (8x8 lists them in the order it keeps them).
SEEDED: tuple[dict[str, Any], ...] = (
    _template(
        "ticket_update",
        "en",
        "English",
        [
            {
                "type": "BODY",
                "text": "Hello {{1}}, there is an update on your ticket {{2}}. Reply to this "
                "message to continue the conversation with our team.",
            },
            {"type": "FOOTER", "text": "Sandbox Support"},
        ],
    ),
    _template(
        "follow_up",
        "en",
        "English",
        [
            {"type": "HEADER", "format": "Text", "text": "Still there, {{1}}?"},
            {
                "type": "BODY",
                "text": "We have not heard from you since your last message. Is there "
                "anything else we can help you with?",
            },
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Yes, please"},
                    {"type": "QUICK_REPLY", "text": "No, thanks"},
                ],
            },
        ],
    ),
    _template(
        "conversation_reopen",
        "en",
        "English",
        [
            {
                "type": "BODY",
                "text": "Hi! We would like to continue our conversation. Reply to this "
                "message to chat with an agent.",
            }
        ],
    ),
    _template(
        "appointment_reminder",
        "en_US",
        "English (US)",
        [{"type": "BODY", "text": "Reminder: your appointment is on {{1}} at {{2}}."}],
    ),
    _template(
        "seguimiento",
        "es",
        "Spanish",
        [{"type": "BODY", "text": "Hola {{1}}, ¿podemos ayudarte con algo más?"}],
    ),
    _template(
        "order_shipped",
        "en",
        "English",
        [
            {"type": "HEADER", "format": "Image"},
            {"type": "BODY", "text": "Your order {{1}} is on its way."},
        ],
    ),
    _template(
        "spring_offer",
        "en",
        "English",
        [{"type": "BODY", "text": "Spring offer: {{1}} off your next order."}],
        category="MARKETING",
        status="PENDING",
    ),
)


def placeholders(text: Any) -> list[int]:
    return sorted({int(n) for n in PLACEHOLDER.findall(text if isinstance(text, str) else "")})


@dataclass
class TemplateBook:
    """The channels' templates and each WhatsApp customer's last message (the window)."""

    channel_ids: dict[str, str]  # channel name → its channel id
    enforce_window: bool = True  # False: free-form WhatsApp always goes (older tests' worlds)

    def __post_init__(self) -> None:
        whatsapp = self.channel_ids["whatsapp"]
        self.templates: dict[str, list[dict[str, Any]]] = {
            cid: [] for cid in self.channel_ids.values()
        }
        self.templates[whatsapp] = [
            {"channelId": whatsapp, "channelName": CHANNEL_NAME, **t} for t in SEEDED
        ]
        self.last_inbound: dict[str, float] = {}  # "+6591234567" → when they last wrote

    # -- the window ------------------------------------------------------------------------

    def customer_wrote(self, msisdn: str, at: float) -> None:
        if at > self.last_inbound.get(msisdn, float("-inf")):
            self.last_inbound[msisdn] = at

    def window_open(self, msisdn: str | None, now: float) -> bool:
        """True while `msisdn` wrote less than 24 hours ago (exactly 24 hours: closed)."""
        if not self.enforce_window:
            return True
        last = self.last_inbound.get(msisdn or "")
        return last is not None and now - last < WINDOW

    # -- listing ---------------------------------------------------------------------------

    async def list_endpoint(self, request: Request) -> Response:
        channel_id = request.path_params["channel"]
        templates = self.templates.get(channel_id.lower())
        if templates is None:
            raise ApiError(404, E.NOT_FOUND, "Object wasn't found or is already expired")
        return json_response({"templates": templates})

    # -- a template message ----------------------------------------------------------------

    def render(self, channel: str, template: Any) -> str:
        """Check a message's ``content.template`` completely against the channel's
        templates; the text the customer reads. Raises ApiError(400) before anything."""
        if not isinstance(template, dict):
            raise bad_request(3030, "Empty Template")
        name, language = template.get("name"), template.get("language")
        if not isinstance(name, str) or not name or not isinstance(language, str) or not language:
            raise bad_request(E.INVALID_PARAMETER, "Template name and language are required")
        channel_id = self.channel_ids.get(channel)
        found = next(
            (
                t
                for t in self.templates.get(channel_id or "", ())
                if t["templateName"] == name and t["language"].lower() == language.lower()
            ),
            None,
        )
        if found is None:
            raise bad_request(
                TEMPLATE_NOT_FOUND, "Template not found for provided name and language"
            )
        if found["status"] != "APPROVED":
            raise bad_request(
                E.INVALID_PARAMETER,
                f"Template {name} is not approved (status {found['status']})",
            )
        given = _given_parameters(template.get("components"))
        texts: dict[str, str] = {}
        for component in found["components"]:
            kind = component["type"].lower()
            if kind == "header" and component.get("format", "Text").lower() != "text":
                raise bad_request(
                    E.INVALID_PARAMETER,
                    f"Template {name} has a {component['format']} header: "
                    "its media parameter is required",
                )
            if kind not in ("header", "body"):
                continue
            wanted = placeholders(component.get("text"))
            values = given.pop(kind, [])
            if len(values) != len(wanted):
                raise bad_request(
                    E.INVALID_PARAMETER,
                    f"Template {name} {kind} expects {len(wanted)} parameter(s), got {len(values)}",
                )
            filled = dict(zip(wanted, values, strict=True))
            texts[kind] = PLACEHOLDER.sub(
                lambda m, f=filled: f[int(m.group(1))], component.get("text") or ""
            )
        extra = next((kind for kind, values in given.items() if values), None)
        if extra is not None:
            raise bad_request(E.INVALID_PARAMETER, f"Template {name} takes no {extra} parameters")
        return "\n".join(texts[k] for k in ("header", "body") if texts.get(k))


def _given_parameters(components: Any) -> dict[str, list[str]]:
    """The text values a message gives, per part; ApiError(400, 1000) for a bad shape."""
    if components is None:
        return {}
    if not isinstance(components, list):
        raise bad_request(E.INVALID_PARAMETER, "template.components must be an array")
    out: dict[str, list[str]] = {}
    for component in components:
        if not isinstance(component, dict):
            raise bad_request(E.INVALID_PARAMETER, "Each template component must be an object")
        kind = component.get("type", "body")
        if not isinstance(kind, str) or kind.lower() not in PARTS:
            raise bad_request(E.INVALID_PARAMETER, f"Invalid template component type: {kind!r}")
        kind = kind.lower()
        if kind in out:
            raise bad_request(E.INVALID_PARAMETER, f"Template component {kind} appears twice")
        parameters = component.get("parameters", [])
        if not isinstance(parameters, list):
            raise bad_request(E.INVALID_PARAMETER, "template parameters must be an array")
        values: list[str] = []
        for parameter in parameters:
            if not isinstance(parameter, dict) or parameter.get("type") != "text":
                raise bad_request(
                    E.INVALID_PARAMETER, "Only text template parameters are supported here"
                )
            values.append(_text_parameter(kind, parameter.get("text")))
        out[kind] = values
    return out


def _text_parameter(kind: str, value: Any) -> str:
    """WhatsApp's rules for a text parameter."""
    if not isinstance(value, str) or not value.strip():
        raise bad_request(E.INVALID_PARAMETER, f"A {kind} text parameter is empty")
    if any(c in value for c in "\n\r\t"):
        raise bad_request(
            E.INVALID_PARAMETER, f"A {kind} text parameter cannot contain new lines or tabs"
        )
    if "     " in value:
        raise bad_request(
            E.INVALID_PARAMETER, f"A {kind} text parameter cannot have more than 4 spaces in a row"
        )
    limit = MAX_PARAMETER.get(kind, 1024)
    if len(value) > limit:
        raise bad_request(
            E.INVALID_PARAMETER, f"A {kind} text parameter is longer than {limit} characters"
        )
    return value
