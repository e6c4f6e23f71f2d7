"""The Chat Apps (Messaging Apps) API: send, batch, mark read, cancel scheduled.

Validation codes are 8x8's Messaging Apps codes (3001 Missed User, 3003 Invalid MSISDN,
3005 Missed Text, 3006 Too long text, 3038 Template not found, ...). Receipts use lower-case
channel names. Templates and WhatsApp's 24-hour window: templates.py.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import errors as E
from .common import is_http_url, parse_datetime
from .errors import ApiError, bad_request, format_timestamp
from .messages import MessagesApi, check_batch_size
from .phones import PhoneError, parse_phone
from .records import ChatRecord
from .templates import SESSION_EXPIRED

MISSED_USER = 3001
MISSED_MSISDN = 3002
INVALID_MSISDN = 3003
MISSED_CONTENT = 3004
MISSED_TEXT = 3005
TOO_LONG_TEXT = 3006
MISSED_MEDIA_URL = 3007
INVALID_MEDIA_URL = 3008
TOO_LONG_CLIENT_MESSAGE_ID = 3009
INVALID_CONTENT_TYPE = 3010
TOO_LONG_SMS_SOURCE = 3011
MISSED_MESSAGES = 3012
TOO_LONG_CLIENT_BATCH_ID = 3014
INVALID_COUNTRY = 3018
INVALID_DR_CALLBACK = 3020
INVALID_LOCATION = 3021
INVALID_FALLBACK_CHANNEL = 3022
INVALID_FALLBACK_DELAY = 3023
INVALID_FALLBACK_STATUS = 3024
EMPTY_TEMPLATE = 3030

MAX_TEXT = 35_000  # content.text maxLength in 8x8's spec
TYPES = (
    "text",
    "audio",
    "video",
    "image",
    "location",
    "file",
    "interactive",
    "template",
    "carousel",
    "richcard",
)
CHANNELS = {
    c.lower(): c
    for c in ("SMS", "WhatsApp", "Facebook", "RCS", "Viber", "Line", "WeChat", "Zalo", "Instagram")
}
SUCCESS_STATUSES = ("accepted", "sent", "delivered", "read")
CHANNEL_USER_ID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9]{1,128}$")


class ChatAppsApi(MessagesApi[ChatRecord]):
    client_batch_id_limit = 100
    client_batch_id_error = (TOO_LONG_CLIENT_BATCH_ID, "Too long ClientBatchId (max 100)")

    def _channel_for(self, msisdn: str | None, channels: list[str]) -> str:
        if channels:
            return channels[0]
        if self.world.customers is not None and msisdn is not None:
            persona = self.world.customers.persona_for(msisdn)
            if persona is not None:
                return persona.channel
        return "whatsapp"

    def build(
        self,
        body: Any,
        *,
        batch_id: str | None = None,
        client_batch_id: str | None = None,
    ) -> tuple[ChatRecord, float | None]:
        """Validate one message and make its record. Raises ApiError(400, code, message)."""
        if not isinstance(body, dict):
            raise bad_request(E.INVALID_PARAMETER, "Each message must be a JSON object")
        client_message_id = body.get("clientMessageId")
        if client_message_id is not None and (
            not isinstance(client_message_id, str) or len(client_message_id) > 50
        ):
            raise bad_request(TOO_LONG_CLIENT_MESSAGE_ID, "Too long ClientMessageId (max 50)")
        user = body.get("user")
        if not isinstance(user, dict):
            raise bad_request(MISSED_USER, "Missed User")
        raw_msisdn = user.get("msisdn")
        channel_user_id = user.get("channelUserId")
        if raw_msisdn in (None, "") and channel_user_id in (None, ""):
            raise bad_request(MISSED_MSISDN, "Missed MSISDN")
        msisdn: str | None = None
        if raw_msisdn not in (None, ""):
            try:
                msisdn = parse_phone(raw_msisdn, user.get("country")).e164
            except PhoneError as error:
                if error.field == "country":
                    raise bad_request(INVALID_COUNTRY, "Invalid Country code") from None
                raise bad_request(INVALID_MSISDN, "Invalid MSISDN") from None
        if channel_user_id not in (None, "") and (
            not isinstance(channel_user_id, str) or not CHANNEL_USER_ID.match(channel_user_id)
        ):
            raise bad_request(
                E.INVALID_PARAMETER, "Invalid channelUserId: <COUNTRY>.<alphanumeric>"
            )
        kind = body.get("type")
        if not isinstance(kind, str) or kind.lower() not in TYPES:
            raise bad_request(INVALID_CONTENT_TYPE, "Invalid Content Type")
        kind = kind.lower()
        content = body.get("content")
        if not isinstance(content, dict):
            raise bad_request(MISSED_CONTENT, "Missed Content")
        text = content.get("text")
        if text is not None and not isinstance(text, str):
            raise bad_request(MISSED_TEXT, "Missed Text")
        if kind == "text" and not text:
            raise bad_request(MISSED_TEXT, "Missed Text")
        if text is not None and len(text) > MAX_TEXT:
            raise bad_request(TOO_LONG_TEXT, f"Too long text (max {MAX_TEXT:,} characters)")
        if kind in ("image", "audio", "video", "file"):
            url = content.get("url")
            if url in (None, ""):
                raise bad_request(MISSED_MEDIA_URL, "Missed Media URL")
            if not is_http_url(url):
                raise bad_request(INVALID_MEDIA_URL, "Invalid Media URL")
        elif kind == "location":
            location = content.get("location")
            if (
                not isinstance(location, dict)
                or not isinstance(location.get("latitude"), int | float)
                or not isinstance(location.get("longitude"), int | float)
            ):
                raise bad_request(INVALID_LOCATION, "Empty or Invalid Location")
        elif kind == "template":
            if not isinstance(content.get("template"), dict) or not content["template"]:
                raise bad_request(EMPTY_TEMPLATE, "Empty Template")
        elif kind in ("interactive", "carousel", "richcard"):
            key = "richCard" if kind == "richcard" else kind
            if not isinstance(content.get(key), dict):
                raise bad_request(MISSED_CONTENT, "Missed Content")
        sms = content.get("sms")
        if sms is not None:
            if not isinstance(sms, dict):
                raise bad_request(E.INVALID_PARAMETER, "content.sms must be an object")
            source = sms.get("source")
            if source is not None and (not isinstance(source, str) or len(source) > 16):
                raise bad_request(TOO_LONG_SMS_SOURCE, "Too long SMS Source (max 16)")
            encoding = sms.get("encoding")
            if encoding is not None and (
                not isinstance(encoding, str) or encoding.upper() not in ("AUTO", "GSM7", "UCS2")
            ):
                raise bad_request(E.INVALID_ENCODING, "Invalid Encoding")
        channels = self._channels(body.get("channels"))
        callback = body.get("dlrCallbackUrl")
        if callback is not None and not is_http_url(callback):
            raise bad_request(INVALID_DR_CALLBACK, "Invalid DR Callback URL")
        try:
            scheduled = parse_datetime(body.get("scheduled"))
        except ValueError:
            raise bad_request(E.INVALID_SCHEDULE, "Invalid Schedule Time") from None
        channel = self._channel_for(msisdn, channels)
        doomed = None
        if kind == "template":  # the customer reads the template's text, filled in
            text = self.world.templates.render(channel, content["template"])
        elif channel == "whatsapp" and not self.world.templates.window_open(
            msisdn, self.world.clock.time()
        ):
            doomed = SESSION_EXPIRED  # accepted, then trashed: receipt errorCode 61
        out_user: dict[str, Any] = {}
        if msisdn is not None:
            out_user["msisdn"] = msisdn
        if channel_user_id not in (None, ""):
            out_user["channelUserId"] = channel_user_id
        record = ChatRecord(
            umid=self.world.new_id(),
            subaccount=self.world.config.subaccount,
            channel=channel,
            user=out_user,
            msisdn=msisdn,
            text=text,
            client_message_id=client_message_id,
            batch_id=batch_id,
            client_batch_id=client_batch_id,
            callback_url=callback,
            doomed=doomed,
        )
        return record, scheduled

    @staticmethod
    def _channels(raw: Any) -> list[str]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise bad_request(INVALID_FALLBACK_CHANNEL, "Invalid Fallback Channel")
        names: list[str] = []
        for entry in raw:
            if not isinstance(entry, dict):
                raise bad_request(INVALID_FALLBACK_CHANNEL, "Invalid Fallback Channel")
            channel = entry.get("channel")
            if not isinstance(channel, str) or channel.lower() not in CHANNELS:
                raise bad_request(INVALID_FALLBACK_CHANNEL, "Invalid Fallback Channel")
            delay = entry.get("fallbackAfter")
            if delay is not None and (
                not isinstance(delay, int) or isinstance(delay, bool) or not 10 <= delay <= 86_400
            ):
                raise bad_request(
                    INVALID_FALLBACK_DELAY, "Invalid Fallback Delay range (10-86400 s)"
                )
            status = entry.get("successStatus")
            if status is not None and (
                not isinstance(status, str) or status.lower() not in SUCCESS_STATUSES
            ):
                raise bad_request(INVALID_FALLBACK_STATUS, "Invalid Fallback Status")
            names.append(channel.lower())
        return names

    @staticmethod
    def accepted_item(record: ChatRecord) -> dict[str, Any]:
        out: dict[str, Any] = {"umid": record.umid, "user": record.user}
        if record.client_message_id is not None:
            out["clientMessageId"] = record.client_message_id
        out["status"] = {"state": "queued", "timestamp": format_timestamp(record.created_at)}
        return out

    def rejected_item(self, item: Any, error: ApiError) -> dict[str, Any]:
        item = item if isinstance(item, dict) else {}
        user = item.get("user")
        out: dict[str, Any] = {
            "umid": self.world.new_id(),
            "user": {
                k: v
                for k, v in (user.items() if isinstance(user, dict) else ())
                if k in ("msisdn", "channelUserId") and isinstance(v, str)
            },
        }
        client_message_id = item.get("clientMessageId")
        if isinstance(client_message_id, str):
            out["clientMessageId"] = client_message_id
        out["status"] = {
            "state": "rejected",
            "timestamp": format_timestamp(),
            "errorCode": error.code,
            "errorMessage": error.message,
        }
        return out

    def batch_items(self, body: dict[str, Any], template: dict[str, Any]) -> list[Any]:
        messages = body.get("messages")
        if messages is None or (isinstance(messages, list) and not messages):
            raise bad_request(MISSED_MESSAGES, "Missed messages")
        if not isinstance(messages, list):
            raise bad_request(E.INVALID_PARAMETER, "messages must be an array")
        check_batch_size(len(messages))
        return [_merge(template, message) for message in messages]

    # -- endpoints -------------------------------------------------------------------------

    async def mark_read(self, request: Request) -> Response:
        record = self.outbox.get(request.path_params["umid"])
        if record is None:
            raise ApiError(404, E.NOT_FOUND, "Message not found.")
        if record.direction == "inbound" and record.status.state != "read":
            record.status.state = "read"
            record.status.at = time.time()
        return Response(status_code=200)


def _merge(template: dict[str, Any], message: Any) -> Any:
    """Template values fill what a message leaves out; ``content`` merges one level deep."""
    if not isinstance(message, dict):
        return message
    merged = {**template, **message}
    if isinstance(template.get("content"), dict) and isinstance(message.get("content"), dict):
        merged["content"] = {**template["content"], **message["content"]}
    return merged
