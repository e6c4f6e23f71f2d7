"""Webhooks: SMS receipts, their bodies, Omni Shield, retries, ordering, a 10,000 batch."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sandbox_support import AUTH, SUB, WEBHOOK_SECRET, Hook, Receiver

SMS = f"/sms/api/v1/subaccounts/{SUB}/messages"
FAILURES = {
    46: "Subscriber not reachable",
    36: "SMS expired",
    1: "Absent subscriber",
    47: "Subscriber temporary unavailable",
    15: "Invalid destination",
}


def _post(url: str, path: str, body: object) -> dict:
    response = httpx.post(url + path, json=body, headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_sms_receipts_sent_then_delivered_with_auth_header_and_price(
    client: httpx.Client, receiver: Receiver, webhook_schema: Callable[[Hook], str]
) -> None:
    text = "Your order #4471 has shipped and will arrive tomorrow between 9am and 1pm. " * 3
    sent = client.post(
        SMS,
        json={
            "destination": "+6591234567",
            "text": text,
            "source": "Acme",
            "clientMessageId": "w1",
        },
    ).json()
    hooks = receiver.wait_for(lambda h: "delivered" in receiver.states(sent["umid"]))
    mine = [h for h in hooks if h.body["payload"].get("umid") == sent["umid"]]
    assert [h.body["payload"]["status"]["state"] for h in mine] == ["sent", "delivered"]
    for hook in mine:
        assert webhook_schema(hook) == "sms_receipt"
        assert hook.authorization == WEBHOOK_SECRET
        payload = hook.body["payload"]
        assert payload["destination"] == "+6591234567"
        assert payload["source"] == "Acme"
        assert payload["clientMessageId"] == "w1"
        assert payload["subAccountId"] == SUB
        assert payload["smsCount"] == 2
        price = payload["price"]
        assert price["total"] == round(price["perSms"] * 2, 4) and price["currency"] == "EUR"
    assert mine[1].body["payload"]["status"]["detail"] == "delivered_to_recipient"


def test_undelivered_receipts_carry_a_realistic_error(
    make_sandbox: Callable[..., str], receiver: Receiver, webhook_schema: Callable[[Hook], str]
) -> None:
    url = make_sandbox(undelivered_share=1.0)
    umids = [
        _post(url, SMS, {"destination": f"+659123450{i}", "text": "hi"})["umid"] for i in range(6)
    ]
    receiver.wait_for(lambda h: all("undelivered" in receiver.states(u) for u in umids))
    for umid in umids:
        hooks = receiver.for_umid(umid)
        assert [h.body["payload"]["status"]["state"] for h in hooks] == ["sent", "undelivered"]
        status = hooks[-1].body["payload"]["status"]
        assert FAILURES[status["errorCode"]] == status["errorMessage"]
        assert status["detail"] in ("undelivered_to_recipient", "rejected_by_operator")
        webhook_schema(hooks[-1])


def test_omni_shield_rejects_destinations_on_its_fraud_list(
    client: httpx.Client, receiver: Receiver, webhook_schema: Callable[[Hook], str]
) -> None:
    sent = client.post(SMS, json={"destination": "+12025550123", "text": "Your code is 1234"})
    assert sent.json()["status"]["code"] == "QUEUED"  # blocked after acceptance, as on 8x8
    umid = sent.json()["umid"]
    receiver.wait_for(lambda h: "rejected" in receiver.states(umid))
    (hook,) = receiver.for_umid(umid)
    webhook_schema(hook)
    status = hook.body["payload"]["status"]
    assert (status["state"], status["errorCode"], status["errorMessage"]) == (
        "rejected",
        99,
        "Rejected by 8x8",
    )
    assert "price" not in hook.body["payload"]
    assert client.get(f"{SMS}/{umid}").json()["status"]["state"] == "rejected"


def test_dlr_callback_url_overrides_the_webhook_url(
    client: httpx.Client, make_receiver: Callable[..., Receiver]
) -> None:
    other = make_receiver()
    sent = client.post(
        SMS,
        json={"destination": "+6591234567", "text": "hi", "dlrCallbackUrl": other.url + "/sms"},
    ).json()
    other.wait_for(lambda h: "delivered" in other.states(sent["umid"]))


def test_failed_deliveries_are_retried_and_keep_their_order(
    make_sandbox: Callable[..., str], make_receiver: Callable[..., Receiver]
) -> None:
    flaky = make_receiver(fail_first=3)
    url = make_sandbox(webhook_url=flaky.url, retry_schedule=(0.5, 0.5, 0.5, 0.5))
    umid = _post(url, SMS, {"destination": "+6591234567", "text": "hi"})["umid"]
    flaky.wait_for(lambda h: "delivered" in flaky.states(umid))
    # `sent` was refused 3 times and retried; `delivered` waited for it
    assert flaky.states(umid) == ["sent", "delivered"]
    assert flaky.attempts == 5
    stats = httpx.get(url + "/sandbox/info").json()["webhooks"]
    assert stats["failedAttempts"] == 3 and stats["givenUp"] == 0


def test_deliveries_are_given_up_after_the_retry_schedule(
    make_sandbox: Callable[..., str], make_receiver: Callable[..., Receiver]
) -> None:
    down = make_receiver(fail_always=True)
    url = make_sandbox(webhook_url=down.url, retry_schedule=(0.2, 0.2))
    _post(url, SMS, {"destination": "+6591234567", "text": "hi"})

    def stats() -> dict:
        return httpx.get(url + "/sandbox/info").json()["webhooks"]

    import time

    deadline = time.monotonic() + 10
    while stats()["givenUp"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    final = stats()
    # sent and delivered: each tried once and retried twice, then given up
    assert final == {"posted": 2, "delivered": 0, "failedAttempts": 6, "givenUp": 2, "pending": 0}
    assert down.attempts == 6
    assert down.hooks == []


def test_many_messages_keep_per_message_order(client: httpx.Client, receiver: Receiver) -> None:
    batch = client.post(
        f"{SMS}/batch",
        json={
            "destinations": [f"+6591{i:06d}" for i in range(300)],
            "template": {"text": "Flash sale"},
            "includeMessagesInResponse": True,
        },
    ).json()
    umids = [m["umid"] for m in batch["messages"]]
    receiver.wait_for(
        lambda hooks: (
            sum(
                1
                for h in hooks
                if h.body["payload"].get("batchId") == batch["batchId"]
                and h.body["payload"]["status"]["state"] == "delivered"
            )
            == 300
        ),
        timeout=20,
    )
    for umid in umids:
        assert receiver.states(umid) == ["sent", "delivered"]


def test_ten_thousand_message_batch_is_accepted_and_receipts_flow(
    make_sandbox: Callable[..., str],
    make_receiver: Callable[..., Receiver],
    webhook_schema: Callable[[Hook], str],
) -> None:
    sink = make_receiver()
    url = make_sandbox(webhook_url=sink.url, speed=5.0)
    destinations = [f"+6590{i:06d}" for i in range(10_000)]
    body = _post(
        url,
        f"{SMS}/batch",
        {"clientBatchId": "big-one", "destinations": destinations, "template": {"text": "Hi"}},
    )
    assert (body["acceptedCount"], body["rejectedCount"], body["messages"]) == (10_000, 0, None)
    hooks = sink.wait_for(lambda h: len(h) >= 200, timeout=20)
    for hook in hooks[:200]:
        webhook_schema(hook)
        assert hook.body["payload"]["batchId"] == body["batchId"]
        assert hook.body["payload"]["clientBatchId"] == "big-one"
    # the sandbox delivers through a bounded pool, not one connection per webhook
    assert len(sink.peers) <= 16
