"""Control routes, rate limits, faults, seeded runs and the scripted customers."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from sandbox_support import (
    API_KEY,
    AUTH,
    SUB,
    Contract,
    Hook,
    ManualClock,
    Receiver,
    assert_error,
)

SMS = f"/sms/api/v1/subaccounts/{SUB}/messages"
CHAT = f"/chatapps/api/v1/subaccounts/{SUB}/messages"


def test_healthz_and_info(sandbox: str) -> None:
    assert httpx.get(sandbox + "/healthz").json() == {"status": "ok"}
    info = httpx.get(sandbox + "/sandbox/info")
    assert info.json()["subaccount"] == SUB
    assert info.json()["products"] == {"sms": "/sms", "chatapps": "/chatapps", "video": "/video"}
    assert (info.json()["speed"], info.json()["seed"]) == (20.0, 7)
    assert API_KEY not in info.text  # no key is ever handed out over HTTP


@pytest.mark.parametrize("channel", ["whatsapp", "viber"])
def test_inbound_chat_message_arrives_as_8x8_webhook(
    client: httpx.Client,
    receiver: Receiver,
    webhook_schema: Callable[[Hook], str],
    channel: str,
) -> None:
    response = client.post(
        "/sandbox/inbound",
        json={"channel": channel, "from": "+6591234567", "name": "Jane", "text": "Where is it?"},
    )
    assert response.status_code == 200, response.text
    umid = response.json()["umid"]
    receiver.wait_for(lambda h: bool(receiver.for_umid(umid)))
    hook = receiver.for_umid(umid)[0]
    assert webhook_schema(hook) == "chat_inbound"
    payload = hook.body["payload"]
    assert payload["user"]["msisdn"] == "+6591234567" and payload["user"]["name"] == "Jane"
    assert payload["recipient"]["channel"] == channel
    assert payload["content"] == {"text": "Where is it?"}
    assert hook.body["version"] == 3


def test_inbound_sms_arrives_as_8x8_webhook(
    client: httpx.Client, receiver: Receiver, webhook_schema: Callable[[Hook], str]
) -> None:
    umid = client.post(
        "/sandbox/inbound", json={"channel": "SMS", "from": "+6591234567", "text": "STOP"}
    ).json()["umid"]
    receiver.wait_for(lambda h: bool(receiver.for_umid(umid)))
    hook = receiver.for_umid(umid)[0]
    assert webhook_schema(hook) == "sms_inbound"
    payload = hook.body["payload"]
    assert (payload["source"], payload["body"], payload["encoding"]) == (
        "+6591234567",
        "STOP",
        "GSM7",
    )
    assert (
        payload["destination"]
        == httpx.get(str(client.base_url) + "/sandbox/info").json()["smsNumber"]
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"channel": "telegram", "from": "+6591234567", "text": "hi"}, 1000),
        ({"channel": "sms", "from": "6591234567", "text": "hi"}, 1002),
        ({"channel": "sms", "from": "+6591234567", "text": " "}, 1004),
        ({"channel": "sms", "from": "+6591234567", "text": "hi", "name": 5}, 1000),
    ],
)
def test_invalid_inbound_injection(
    client: httpx.Client, body: dict[str, object], code: int
) -> None:
    assert_error(client.post("/sandbox/inbound", json=body), 400, code)


@pytest.mark.parametrize(
    ("channel", "text", "limit"),
    [
        ("whatsapp", "x" * 100_000, "at most 35,000"),  # 8x8's own text limit
        ("viber", "x" * 35_001, "at most 35,000"),
        ("whatsapp", "😀" * 20_000, "65,536"),  # within 35,000 characters, not within 64 KiB
        ("sms", "x" * 1_531, "at most 10"),  # 11 SMS parts
    ],
    ids=["100k", "35001", "emoji-over-64k", "sms-11-parts"],
)
def test_an_inbound_message_that_could_never_be_delivered_is_refused(
    client: httpx.Client, receiver: Receiver, channel: str, text: str, limit: str
) -> None:
    before = len(receiver.snapshot())
    body = {"channel": channel, "from": "+6591234567", "text": text}
    refused = assert_error(client.post("/sandbox/inbound", json=body), 400, 1004)
    assert limit in refused["message"]
    at_limit = {"channel": channel, "from": "+6591234567", "text": "y" * 1_530}
    umid = client.post("/sandbox/inbound", json=at_limit).json()["umid"]  # fits: delivered
    hooks = receiver.wait_for(lambda h: bool(receiver.for_umid(umid)))
    assert len(hooks) == before + 1  # the refused one sent nothing


def test_control_routes_need_the_key(sandbox: str) -> None:
    body = {"channel": "sms", "from": "+6591234567", "text": "hi"}
    assert_error(httpx.post(sandbox + "/sandbox/inbound", json=body), 401, 1200)
    assert_error(httpx.post(sandbox + "/sandbox/faults", json={}), 401, 1200)


def test_injected_faults_give_the_500_and_503_error_bodies(
    make_sandbox: Callable[..., str], contract: Contract
) -> None:
    url = make_sandbox()
    with httpx.Client(base_url=url, headers=AUTH) as client:
        armed = client.post("/sandbox/faults", json={"count": 2, "status": 503, "prefix": "/sms"})
        assert armed.json() == {"armed": 2, "status": 503, "prefix": "/sms"}
        message = {"destination": "+6591234567", "text": "hi"}
        chat = {"user": {"msisdn": "+6591234567"}, "type": "text", "content": {"text": "hi"}}
        assert client.post(CHAT, json=chat).status_code == 200  # other prefix: untouched
        assert_error(client.post(SMS, json=message), 503, 2000)
        assert_error(client.post(SMS, json=message), 503, 2000)
        assert client.post(SMS, json=message).status_code == 200
        client.post("/sandbox/faults", json={"status": 500})
        failed = client.post(SMS, json=message)
        body = assert_error(failed, 500, 2000, contract)
        assert body["message"] == "Internal server error"
        contract.check(failed)
        assert client.post(SMS, json=message).status_code == 200
        assert_error(client.post("/sandbox/faults", json={"status": 418}), 400, 1000)


def test_rate_limit_per_subaccount_answers_429_with_retry_after(
    make_sandbox: Callable[..., str], contract: Contract
) -> None:
    clock = ManualClock()  # the window moves only when the test says so
    url = make_sandbox(rate_limit=5, clock=clock)
    with httpx.Client(base_url=url, headers=AUTH) as client:
        responses = [client.get(f"{SMS}/unknown-{i}") for i in range(15)]
        admitted = [r for r in responses if r.status_code != 429]
        limited = [r for r in responses if r.status_code == 429]
        assert [r.status_code for r in admitted] == [404] * 5  # exactly the limit gets through
        assert len(limited) == 10
        for response in limited:
            body = assert_error(response, 429, 429, contract)
            assert response.headers["Retry-After"] == "1"
            assert body["message"] == "Quota exceeded. Please try again in 1 second(s)."
        contract.check(limited[0])  # 429 is documented for message details
        clock.advance(0.99)  # still inside the window
        assert client.get(f"{SMS}/unknown").status_code == 429
        clock.advance(0.01)  # the first five admissions leave the window
        assert [client.get(f"{SMS}/unknown").status_code for _ in range(6)] == [404] * 5 + [429]


def test_rate_limit_per_client_ip_counts_every_request(make_sandbox: Callable[..., str]) -> None:
    url = make_sandbox(ip_rate_limit=4)
    statuses = [httpx.get(f"{url}{SMS}/x").status_code for _ in range(8)]  # no key at all
    assert statuses[:4] == [401] * 4
    assert 429 in statuses[4:]
    assert httpx.get(url + "/healthz").status_code == 200  # not an API route


def _outcomes(url: str, receiver: Receiver, count: int = 12) -> list[tuple[str, int | None]]:
    umids = []
    with httpx.Client(base_url=url, headers=AUTH) as client:
        for i in range(count):
            body = {"destination": f"+659100{i:04d}", "text": "seeded"}
            umids.append(client.post(SMS, json=body).json()["umid"])
    finals = {"delivered", "undelivered"}
    receiver.wait_for(lambda h: all(finals & set(receiver.states(u)) for u in umids))
    out = []
    for umid in umids:
        status = receiver.for_umid(umid)[-1].body["payload"]["status"]
        out.append((status["state"], status.get("errorCode")))
    return out


def test_a_seed_makes_receipts_reproducible(
    make_sandbox: Callable[..., str], receiver: Receiver
) -> None:
    first = _outcomes(make_sandbox(seed=42, undelivered_share=0.5), receiver)
    again = _outcomes(make_sandbox(seed=42, undelivered_share=0.5), receiver)
    other = _outcomes(make_sandbox(seed=43, undelivered_share=0.5), receiver)
    assert first == again
    assert {state for state, _ in first} == {"delivered", "undelivered"}
    assert other != first


def test_customers_write_in_and_answer_the_agent(
    make_sandbox: Callable[..., str],
    make_receiver: Callable[..., Receiver],
    webhook_schema: Callable[[Hook], str],
) -> None:
    inbox = make_receiver()
    url = make_sandbox(webhook_url=inbox.url, customers=True, speed=100.0)

    def inbound(hooks: list[Hook]) -> list[Hook]:
        return [h for h in hooks if h.body["eventType"] == "inbound_message_received"]

    # all four personas write in (first within a few seconds, then every 20-60 s, scaled)
    hooks = inbox.wait_for(lambda h: len(inbound(h)) >= 4, timeout=15)
    channels = set()
    for hook in inbound(hooks):
        kind = webhook_schema(hook)
        payload = hook.body["payload"]
        if kind == "chat_inbound":
            channels.add(payload["recipient"]["channel"])
            assert payload["user"]["name"]
        else:
            channels.add("sms")
    assert channels == {"whatsapp", "viber", "sms"}

    first = inbound(hooks)[0].body["payload"]
    number, opener = first["user"]["msisdn"], first["content"]["text"]
    with httpx.Client(base_url=url, headers=AUTH) as client:
        reply = {"user": {"msisdn": number}, "type": "text", "content": {"text": "Checking now"}}
        assert client.post(CHAT, json=reply).status_code == 200

    def answers(hooks: list[Hook]) -> list[Hook]:
        return [
            h
            for h in inbound(hooks)
            if h.body["payload"].get("user", {}).get("msisdn") == number
            and h.body["payload"]["content"]["text"] != opener
        ]

    answer = answers(inbox.wait_for(lambda h: bool(answers(h)), timeout=10))[0]
    assert answer.body["payload"]["recipient"]["channel"] == "whatsapp"
    assert answer.body["payload"]["content"]["text"]


def test_a_customer_opens_the_video_invite(make_sandbox: Callable[..., str]) -> None:
    url = make_sandbox(customers=True, speed=100.0)
    with httpx.Client(base_url=url, headers=AUTH) as client:
        room = client.post(
            "/video/api/v1/tokens",
            json={
                "create_room": True,
                "phone_number": "+4915123456789",
                "call_reference": "ROUTER-01",
            },
        ).json()
        httpx.get(f"{url}/video/?user=agent&token={room['auth_token']}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            logs = client.get("/video/api/v1/call-logs", headers={"x-token": room["auth_token"]})
            if logs.json()["list"][0]["GuestJoinedAt"]:
                break
            time.sleep(0.05)
        assert logs.json()["list"][0]["GuestJoinedAt"] is not None
