"""WhatsApp templates and the 24-hour window on the sandbox, over HTTP: the templates list in
8x8's shape, a `type: template` message checked completely before it is accepted (3038 for an
unknown name or language, 1000 for parameters that do not fit), and a free-form WhatsApp
message outside the window accepted, then ended `undelivered` with errorCode 61
(SessionExpired), as 8x8's delivery receipts say it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sandbox_support import AUTH, SUB, Contract, Hook, ManualClock, Receiver, assert_error

from console.sandbox.settings import SandboxConfig
from console.sandbox.world import CHANNEL_IDS

CHAT = f"/chatapps/api/v1/subaccounts/{SUB}/messages"
ACCOUNT = SandboxConfig(api_keys=("k",), subaccount=SUB).account
WHATSAPP = CHANNEL_IDS["whatsapp"]
TEMPLATES = f"/chatapps/api/v1/accounts/{ACCOUNT}/channels/{WHATSAPP}/templates"
HOUR = 3600.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def windowed(make_sandbox: Callable[..., str], clock: ManualClock) -> Iterator[httpx.Client]:
    """A sandbox that keeps WhatsApp's window (as the `sandbox` command does), on a clock
    the test moves."""
    url = make_sandbox(clock=clock, whatsapp_window=True)
    with httpx.Client(base_url=url, headers=AUTH, timeout=30, trust_env=False) as c:
        yield c


def _template(name: str, language: str = "en", **parts: list[str]) -> dict[str, Any]:
    components = [
        {"type": part, "parameters": [{"type": "text", "text": v} for v in values]}
        for part, values in parts.items()
    ]
    return {"name": name, "language": language, "components": components}


def _send(client: httpx.Client, msisdn: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(
        CHAT, json={"user": {"msisdn": msisdn}, "clientMessageId": uuid.uuid4().hex, **body}
    )


def _template_message(msisdn: str, template: dict[str, Any]) -> dict[str, Any]:
    return {"type": "template", "content": {"template": template}}


def _text(text: str = "Are you still there?") -> dict[str, Any]:
    return {"type": "text", "content": {"text": text}}


def _customer_writes(client: httpx.Client, msisdn: str) -> None:
    answer = client.post(
        "/sandbox/inbound", json={"channel": "whatsapp", "from": msisdn, "text": "hi"}
    )
    assert answer.status_code == 200, answer.text


def _final(receiver: Receiver, umid: str) -> list[dict[str, Any]]:
    receiver.wait_for(
        lambda _: any(s in receiver.states(umid) for s in ("delivered", "undelivered"))
    )
    return [h.body["payload"]["status"] for h in receiver.for_umid(umid)]


# -- the list ---------------------------------------------------------------------------------


def test_templates_are_listed_as_8x8_lists_them(client: httpx.Client, contract: Contract) -> None:
    body = contract.check(client.get(TEMPLATES))
    templates = body["templates"]
    names = [(t["templateName"], t["language"]) for t in templates]
    assert ("ticket_update", "en") in names and ("seguimiento", "es") in names
    assert len(names) == len(set(names)) >= 5
    assert {t["channelId"] for t in templates} == {WHATSAPP}
    statuses = {t["templateName"]: t["status"] for t in templates}
    assert statuses["ticket_update"] == "APPROVED" and statuses["spring_offer"] == "PENDING"
    follow_up = next(t for t in templates if t["templateName"] == "follow_up")
    assert [c["type"] for c in follow_up["components"]] == ["HEADER", "BODY", "BUTTONS"]


def test_another_channel_has_none_and_an_unknown_channel_is_not_found(
    client: httpx.Client, contract: Contract
) -> None:
    viber = TEMPLATES.replace(WHATSAPP, CHANNEL_IDS["viber"])
    assert contract.check(client.get(viber)) == {"templates": []}
    unknown = client.get(TEMPLATES.replace(WHATSAPP, str(uuid.uuid4())))
    assert_error(unknown, 404, 1300)


def test_the_templates_of_another_account_are_refused(client: httpx.Client) -> None:
    other = client.get(TEMPLATES.replace(ACCOUNT, str(uuid.uuid4())))
    assert_error(other, 401, 1001)
    assert httpx.get(client.base_url.join(TEMPLATES), timeout=10).status_code == 401


# -- a template message -------------------------------------------------------------------------


def test_a_template_reaches_a_customer_whose_window_is_closed(
    windowed: httpx.Client,
    contract: Contract,
    receiver: Receiver,
    webhook_schema: Callable[[Hook], str],
) -> None:
    template = _template("ticket_update", body=["Jane", "T-1042"])
    answer = _send(windowed, "+6590000101", _template_message("+6590000101", template))
    body = contract.check(answer)
    statuses = _final(receiver, body["umid"])
    assert [s["state"] for s in statuses][:2] == ["sent", "delivered"]
    assert all(webhook_schema(h) == "chat_receipt" for h in receiver.for_umid(body["umid"]))


@pytest.mark.parametrize(
    ("template", "code", "words"),
    [
        (_template("no_such_template", body=["x"]), 3038, "Template not found"),
        (_template("ticket_update", "fr", body=["a", "b"]), 3038, "Template not found"),
        (_template("ticket_update", body=["only one"]), 1000, "expects 2 parameter"),
        (_template("ticket_update", body=["a", "b", "c"]), 1000, "expects 2 parameter"),
        (_template("ticket_update", body=["Jane", ""]), 1000, "empty"),
        (_template("ticket_update", body=["Jane", "T-1\nT-2"]), 1000, "new lines"),
        (_template("ticket_update", body=["Jane", "T      1"]), 1000, "4 spaces"),
        (_template("ticket_update", body=["Jane", "x" * 1025]), 1000, "longer than 1024"),
        (_template("conversation_reopen", body=["unexpected"]), 1000, "expects 0"),
        (_template("follow_up", body=["Jane"]), 1000, "header expects 1"),
        (_template("follow_up", header=["Jane"], button=["x"]), 1000, "no button"),
        (_template("spring_offer", body=["20%"]), 1000, "not approved"),
        (_template("order_shipped", body=["A-1"]), 1000, "Image header"),
        ({"name": "ticket_update"}, 1000, "name and language"),
        ({}, 3030, "Empty Template"),
        ({**_template("ticket_update"), "components": "body"}, 1000, "array"),
        (
            {**_template("ticket_update"), "components": [{"type": "sidebar"}]},
            1000,
            "component type",
        ),
    ],
)
def test_a_template_that_does_not_fit_is_refused_before_anything_is_accepted(
    windowed: httpx.Client, contract: Contract, template: dict[str, Any], code: int, words: str
) -> None:
    reference = uuid.uuid4().hex
    refused = windowed.post(
        CHAT,
        json={
            "user": {"msisdn": "+6590000102"},
            "type": "template",
            "content": {"template": template},
            "clientMessageId": reference,
        },
    )
    error = assert_error(refused, 400, code, contract)
    assert words in error["message"]
    # nothing was remembered under that clientMessageId: a good send with it goes out anew
    good = windowed.post(
        CHAT,
        json={
            "user": {"msisdn": "+6590000102"},
            "type": "template",
            "content": {"template": _template("conversation_reopen")},
            "clientMessageId": reference,
        },
    )
    assert good.status_code == 200, good.text


def test_a_batch_item_with_an_unknown_template_is_rejected_as_8x8_shows_it(
    windowed: httpx.Client, contract: Contract
) -> None:
    answer = windowed.post(
        f"{CHAT}/batch",
        json={
            "messages": [
                {"user": {"msisdn": "+6590000103"}, **_template_message("", _template("x"))},
                {
                    "user": {"msisdn": "+6590000104"},
                    **_template_message("", _template("seguimiento", "es", body=["Ana"])),
                },
            ],
            "includeMessagesInResponse": True,
        },
    )
    body = contract.check(answer)
    assert (body["acceptedCount"], body["rejectedCount"]) == (1, 1)
    rejected = body["messages"][0]["status"]
    assert (rejected["state"], rejected["errorCode"]) == ("rejected", 3038)
    assert rejected["errorMessage"] == "Template not found for provided name and language"


# -- the window -------------------------------------------------------------------------------


def test_free_form_goes_inside_the_window_and_is_trashed_after_it(
    windowed: httpx.Client,
    clock: ManualClock,
    receiver: Receiver,
    webhook_schema: Callable[[Hook], str],
) -> None:
    msisdn = "+6590000105"
    _customer_writes(windowed, msisdn)
    clock.advance(24 * HOUR - 1)  # one second before the window closes
    inside = _send(windowed, msisdn, _text()).json()["umid"]
    assert [s["state"] for s in _final(receiver, inside)][:2] == ["sent", "delivered"]

    clock.advance(1)  # exactly 24 hours after the customer's message: closed
    outside = _send(windowed, msisdn, _text())
    assert outside.status_code == 200  # 8x8 cannot tell at the send: the receipt does
    statuses = _final(receiver, outside.json()["umid"])
    assert len(statuses) == 1, "trashed before it is sent"
    (status,) = statuses
    assert status["state"] == "undelivered"
    assert (status["errorCode"], status["errorMessage"]) == (61, "SessionExpired")
    assert status["detail"] == "rejected_by_operator"
    assert webhook_schema(receiver.for_umid(outside.json()["umid"])[0]) == "chat_receipt"

    _customer_writes(windowed, msisdn)  # the customer writes again: the window reopens
    again = _send(windowed, msisdn, _text()).json()["umid"]
    assert "delivered" in [s["state"] for s in _final(receiver, again)]


def test_a_customer_who_never_wrote_gets_only_templates(
    windowed: httpx.Client, receiver: Receiver
) -> None:
    text = _send(windowed, "+6590000106", _text()).json()["umid"]
    assert [s.get("errorCode") for s in _final(receiver, text)] == [61]
    template = _send(
        windowed, "+6590000106", _template_message("", _template("conversation_reopen"))
    ).json()["umid"]
    assert "delivered" in [s["state"] for s in _final(receiver, template)]


def test_a_template_does_not_open_the_window(windowed: httpx.Client, receiver: Receiver) -> None:
    first = _send(windowed, "+6590000107", _template_message("", _template("conversation_reopen")))
    assert "delivered" in [s["state"] for s in _final(receiver, first.json()["umid"])]
    text = _send(windowed, "+6590000107", _text()).json()["umid"]
    assert [s.get("errorCode") for s in _final(receiver, text)] == [61]


def test_other_channels_have_no_window(windowed: httpx.Client, receiver: Receiver) -> None:
    umid = windowed.post(
        CHAT,
        json={
            "user": {"msisdn": "+6590000108"},
            "type": "text",
            "content": {"text": "hello on Viber"},
            "channels": [{"channel": "Viber"}],
        },
    ).json()["umid"]
    assert "delivered" in [s["state"] for s in _final(receiver, umid)]


def test_the_demos_customer_from_yesterday_is_reached_only_by_a_template(
    make_sandbox: Callable[..., str], make_receiver: Callable[..., Receiver]
) -> None:
    """One scripted customer wrote 26 hours ago and was never answered: their message is
    dated so, a free-form reply is trashed (61), a template reaches them and they answer."""
    from datetime import datetime

    from console.sandbox.customers import PERSONAS

    lucas = next(p for p in PERSONAS if p.wrote_ago)
    inbox = make_receiver()
    url = make_sandbox(webhook_url=inbox.url, customers=True, speed=100.0, whatsapp_window=True)

    def said(hooks: list[Hook]) -> list[dict[str, Any]]:
        return [
            h.body["payload"]
            for h in hooks
            if h.body["eventType"] == "inbound_message_received"
            and h.body["payload"].get("user", {}).get("msisdn") == lucas.msisdn
        ]

    opener = said(inbox.wait_for(lambda h: bool(said(h)), timeout=15))[0]
    written = datetime.fromisoformat(opener["timestamp"].replace("Z", "+00:00")).timestamp()
    assert 25.9 * HOUR < time.time() - written < 26.1 * HOUR
    with httpx.Client(base_url=url, headers=AUTH, timeout=30, trust_env=False) as client:
        text = _send(client, lucas.msisdn, _text("Sorry for the wait!")).json()["umid"]
        statuses = _final(inbox, text)
        assert [s.get("errorCode") for s in statuses] == [61]
        template = _template_message("", _template("conversation_reopen"))
        reached = _send(client, lucas.msisdn, template).json()["umid"]
        assert "delivered" in [s["state"] for s in _final(inbox, reached)]
    inbox.wait_for(lambda h: len(said(h)) >= 2, timeout=15)  # they answer the template
