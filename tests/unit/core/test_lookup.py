"""A status lookup (GET /messages/{umid}) as a receipt the core applies like any other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from console.api.errors import ApiError
from console.api.models import SmsDetails
from console.core.lookup import look_up, receipt_from_details
from console.live.events import Price

ANSWER: Mapping[str, Any] = {
    "umid": "dec02e44-c76f-4a0a-b69f-6ac2a4386eb9",
    "subAccountId": "acme",
    "direction": "outbound",
    "status": {
        "state": "UNDELIVERED",
        "detail": "undelivered_to_recipient",
        "timestamp": "2020-06-17T04:17:21.06Z",
        "errorCode": 46,
        "errorMessage": "Subscriber not reachable",
    },
    "msisdn": "+65****4567",
    "body": "**MASKED**",
    "encoding": "GSM7",
    "smsCount": 2,
    "price": {"total": 0.0024, "perSms": 0.0012, "currency": "EUR"},
    "clientMessageId": "ref-1",
    "batchId": "b-1",
}


def test_the_answer_becomes_a_lookup_receipt_with_what_8x8_said() -> None:
    receipt = receipt_from_details(SmsDetails.from_json(ANSWER), "2020-06-17T04:20:00.000Z")
    assert receipt.source == "lookup"
    assert (receipt.umid, receipt.state, receipt.detail) == (
        ANSWER["umid"],
        "undelivered",
        "undelivered_to_recipient",
    )
    assert receipt.provider_timestamp == "2020-06-17T04:17:21.060Z"
    assert receipt.received_at == "2020-06-17T04:20:00.000Z"
    assert (receipt.error_code, receipt.error_message) == (46, "Subscriber not reachable")
    assert (receipt.sms_count, receipt.batch_id, receipt.client_message_id) == (2, "b-1", "ref-1")
    assert receipt.price == Price(0.0024, "EUR", 0.0012)
    assert receipt.destination is None, "8x8 masks the number: it is not kept"
    assert receipt.raw["body"] == "**MASKED**"


class Gateway:
    def __init__(self, answer: Mapping[str, Any] | None) -> None:
        self.answer = answer
        self.asked: list[str] = []

    async def sms_details(self, umid: str) -> SmsDetails:
        self.asked.append(umid)
        if self.answer is None:
            raise ApiError("Message not found.", status=404)
        return SmsDetails.from_json(self.answer)


async def test_look_up_asks_for_the_umid() -> None:
    gateway = Gateway(ANSWER)
    receipt = await look_up(gateway, "dec02e44")
    assert gateway.asked == ["dec02e44"]
    assert receipt.state == "undelivered"


async def test_a_refusal_reaches_the_caller_as_the_api_error() -> None:
    with pytest.raises(ApiError):
        await look_up(Gateway(None), "nope")
