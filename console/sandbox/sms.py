"""The SMS API: send, batch, cancel, details, and the legacy /sms/v1 paths.

Legacy paths (8x8's migration guide says their payloads and responses are unchanged) map
onto the same handlers and return the same shapes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import errors as E
from .common import is_http_url, parse_datetime
from .errors import ApiError, bad_request, format_timestamp, json_response
from .messages import MessagesApi, check_batch_size
from .phones import PhoneError, parse_phone
from .records import SmsRecord
from .textinfo import MAX_PARTS, analyse
from .world import DEFAULT_SOURCE

QUEUED = {"code": "QUEUED", "description": "SMS is accepted and queued for processing"}
ENCODINGS = ("AUTO", "GSM7", "UCS2")
TEMPLATE_KEYS = ("source", "text", "encoding", "scheduled", "expiry", "dlrCallbackUrl", "country")


class SmsApi(MessagesApi[SmsRecord]):
    client_batch_id_limit = 20
    client_batch_id_error = (
        E.INVALID_PARAMETER,
        "Invalid clientBatchId: a string of at most 20 characters",
    )

    # -- validation ------------------------------------------------------------------------

    def build(
        self, item: Any, *, batch_id: str | None = None, client_batch_id: str | None = None
    ) -> tuple[SmsRecord, float | None]:
        """Validate one message and make its record. Raises ApiError(400, code, message)."""
        if not isinstance(item, dict):
            raise bad_request(E.INVALID_PARAMETER, "Each message must be a JSON object")
        try:
            phone = parse_phone(item.get("destination"), item.get("country"))
        except PhoneError as error:
            code = E.INVALID_COUNTRY if error.field == "country" else E.INVALID_MSISDN
            raise bad_request(code, str(error)) from None
        encoding = item.get("encoding", "AUTO")
        if encoding is None:
            encoding = "AUTO"
        if not isinstance(encoding, str) or encoding.upper() not in ENCODINGS:
            raise bad_request(E.INVALID_ENCODING, "Invalid encoding: use AUTO, GSM7 or UCS2")
        encoding = encoding.upper()
        text = item.get("text")
        if not isinstance(text, str) or text == "":
            raise bad_request(E.INVALID_TEXT, "Invalid text: text is required")
        try:
            info = analyse(text, encoding)
        except ValueError as error:
            raise bad_request(E.INVALID_ENCODING, f"Invalid encoding: {error}") from None
        if info.parts > MAX_PARTS:
            raise bad_request(
                E.INVALID_TEXT, f"Invalid text: {info.parts} SMS parts, at most {MAX_PARTS}"
            )
        source = item.get("source")
        if source is None or source == "":
            source = DEFAULT_SOURCE
        if not isinstance(source, str) or len(source) > 16:
            raise bad_request(E.INVALID_SOURCE, "Invalid source: at most 16 characters")
        client_message_id = item.get("clientMessageId")
        if client_message_id is not None and (
            not isinstance(client_message_id, str) or len(client_message_id) > 350
        ):
            raise bad_request(
                E.INVALID_PARAMETER, "Invalid clientMessageId: a string of at most 350 characters"
            )
        try:
            scheduled = parse_datetime(item.get("scheduled"))
        except ValueError:
            raise bad_request(E.INVALID_SCHEDULE, "Invalid scheduled date-time") from None
        try:
            expiry = parse_datetime(item.get("expiry"))
        except ValueError:
            raise bad_request(E.INVALID_EXPIRY, "Invalid expiry date-time") from None
        callback = item.get("dlrCallbackUrl")
        if callback is not None and not is_http_url(callback):
            raise bad_request(E.INVALID_PARAMETER, "Invalid dlrCallbackUrl: an http(s) URL")
        record = SmsRecord(
            umid=self.world.new_id(),
            subaccount=self.world.config.subaccount,
            source=source,
            destination=phone.e164,
            country=phone.region,
            text=text,
            encoding=info.encoding,
            sms_count=info.parts,
            per_sms=self.world.price_for(phone.region),
            client_message_id=client_message_id,
            batch_id=batch_id,
            client_batch_id=client_batch_id,
            callback_url=callback,
            expiry=expiry,
        )
        return record, scheduled

    @staticmethod
    def accepted_item(record: SmsRecord) -> dict[str, Any]:
        return {
            "umid": record.umid,
            "clientMessageId": record.client_message_id,
            "destination": record.destination.lstrip("+"),
            "encoding": record.encoding,
            "status": dict(QUEUED),
        }

    def rejected_item(self, item: Any, error: ApiError) -> dict[str, Any]:
        item = item if isinstance(item, dict) else {}
        destination = item.get("destination")
        client_message_id = item.get("clientMessageId")
        text = item.get("text")
        encoding = "GSM7"
        if isinstance(text, str):
            encoding = analyse(text).encoding  # AUTO never raises
        return {
            "umid": self.world.new_id(),
            "clientMessageId": client_message_id if isinstance(client_message_id, str) else None,
            "destination": destination if isinstance(destination, str) else "",
            "encoding": encoding,
            "status": {"code": "REJECTED", "description": error.message},
        }

    def batch_items(self, body: dict[str, Any], template: dict[str, Any]) -> list[Any]:
        """``messages`` and/or ``destinations`` (each a message made of the template)."""
        messages = body.get("messages")
        destinations = body.get("destinations")
        if messages is None and destinations is None:
            raise bad_request(E.INVALID_PARAMETER, "messages or destinations is required")
        if messages is not None and not isinstance(messages, list):
            raise bad_request(E.INVALID_PARAMETER, "messages must be an array")
        if destinations is not None and not isinstance(destinations, list):
            raise bad_request(E.INVALID_PARAMETER, "destinations must be an array")
        total = len(messages or ()) + len(destinations or ())
        if total == 0:
            raise bad_request(E.INVALID_PARAMETER, "messages must hold at least one message")
        check_batch_size(total)
        shared = {k: template[k] for k in TEMPLATE_KEYS if k in template}
        items: list[Any] = [{**shared, **m} if isinstance(m, dict) else m for m in messages or ()]
        items.extend({**shared, "destination": d} for d in destinations or ())
        return items

    # -- endpoints -------------------------------------------------------------------------

    async def details(self, request: Request) -> Response:
        record = self.outbox.get(request.path_params["umid"])
        if record is None:
            raise ApiError(404, E.NOT_FOUND, "Message not found.")
        out: dict[str, Any] = {
            "umid": record.umid,
            "subAccountId": record.subaccount,
            "direction": record.direction,
        }
        if record.country:
            out["country"] = record.country
        out.update(
            {
                "status": record.status.as_dict(),
                "msisdn": record.destination if record.direction == "outbound" else record.source,
                "source": record.source,
                "body": "**MASKED**",
                "encoding": record.encoding,
                "createdAt": format_timestamp(record.created_at),
                "smsCount": record.sms_count,
                "price": record.price(),
            }
        )
        for key, value in (
            ("clientMessageId", record.client_message_id),
            ("clientBatchId", record.client_batch_id),
            ("batchId", record.batch_id),
        ):
            if value is not None:
                out[key] = value
        return json_response(out)
