"""POST /webhooks/*: constant-time auth, size limit, envelope checks, persist then ack."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from live_helpers import SECRET, TOKEN, RelayServer, envelope

from console.live.log import FileEventLog


@pytest.fixture
async def relay(relay_factory: Callable[..., Any]) -> RelayServer:
    return await relay_factory()


def assert_8x8_error(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert set(body) == {"code", "message", "errorId", "timestamp"}
    return body


async def test_an_authorized_webhook_is_stored_then_acknowledged_with_its_seq(
    relay_factory: Callable[..., Any], http: httpx.AsyncClient, tmp_path: Any
) -> None:
    path = tmp_path / "events.jsonl"
    relay = await relay_factory(lambda: FileEventLog(path))
    for route, namespace in (("sms", "SMS"), ("chatapps", "ChatApps")):
        response = await http.post(
            f"{relay.http_url}/webhooks/{route}",
            headers={"Authorization": SECRET},
            json=envelope(1, namespace=namespace),
        )
        assert response.status_code == 200, response.text
    assert [r["seq"] for r in map(json.loads, path.read_text().splitlines()[1:])] == [1, 2]
    stored = await relay.log.read_since(0)
    assert [(e.seq, e.namespace) for e in stored] == [(1, "SMS"), (2, "ChatApps")]
    assert stored[0].payload == envelope(1)["payload"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": SECRET[:-1]},
        {"Authorization": SECRET.upper()},
    ],
    ids=["missing", "wrong", "prefix", "wrong-case"],
)
async def test_a_webhook_without_the_exact_secret_gets_401_and_nothing_is_stored(
    relay: RelayServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.post(f"{relay.http_url}/webhooks/sms", headers=headers, json=envelope(1))
    body = assert_8x8_error(response, 401, 1200)
    assert body["message"] == "Request was not authenticated properly"
    assert relay.log.last_seq == 0


async def test_a_body_over_64_kib_gets_413_by_content_length_or_by_counting(
    relay: RelayServer, http: httpx.AsyncClient
) -> None:
    big = json.dumps(envelope(1, size=70_000)).encode()
    response = await http.post(
        f"{relay.http_url}/webhooks/sms", headers={"Authorization": SECRET}, content=big
    )
    assert_8x8_error(response, 413, 1000)

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    response = await http.post(
        f"{relay.http_url}/webhooks/sms", headers={"Authorization": SECRET}, content=chunked()
    )
    assert "content-length" not in response.request.headers
    assert_8x8_error(response, 413, 1000)
    assert relay.log.last_seq == 0

    just_fits = envelope(2, size=60_000)
    response = await http.post(
        f"{relay.http_url}/webhooks/sms", headers={"Authorization": SECRET}, json=just_fits
    )
    assert response.status_code == 200
    assert relay.log.last_seq == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'"a string"', "JSON object"),
        (b'{"eventType": "x", "payload": {}}', "namespace"),
        (b'{"namespace": "SMS", "payload": {}}', "eventType"),
        (b'{"namespace": "SMS", "eventType": "x"}', "payload"),
        (b'{"namespace": "SMS", "eventType": "x", "payload": [1]}', "payload"),
        (b"\xff\xfe", "not valid JSON"),
        # what strict parsers (a console, a browser, orjson) refuse is never stored or sent on
        (b'{"namespace": "SMS", "eventType": "x", "payload": {"price": NaN}}', "not valid JSON"),
        (b'{"namespace": "SMS", "eventType": "x", "payload": {"n": Infinity}}', "not valid JSON"),
        (b'{"namespace": "SMS", "eventType": "x", "payload": {"n": -Infinity}}', "not valid JSON"),
        (b'{"namespace": "SMS", "eventType": "x", "payload": {"t": "\\ud800"}}', "not valid JSON"),
        (b"[" * 30_000 + b"]" * 30_000, "not valid JSON"),  # nested deeper than 1,024
    ],
    ids=[
        "not-json",
        "empty",
        "string",
        "no-namespace",
        "no-event-type",
        "no-payload",
        "payload-array",
        "not-utf8",
        "nan",
        "infinity",
        "minus-infinity",
        "lone-surrogate",
        "deep",
    ],
)
async def test_malformed_bodies_get_400_with_the_reason(
    relay: RelayServer, http: httpx.AsyncClient, body: bytes, reason: str
) -> None:
    response = await http.post(
        f"{relay.http_url}/webhooks/chatapps", headers={"Authorization": SECRET}, content=body
    )
    assert reason in assert_8x8_error(response, 400, 1000)["message"]
    assert relay.log.last_seq == 0


async def test_wrong_methods_and_unknown_paths_get_the_8x8_error_body(
    relay: RelayServer, http: httpx.AsyncClient
) -> None:
    refused = await http.get(f"{relay.http_url}/webhooks/sms")
    assert assert_8x8_error(refused, 405, 1000)["message"] == "Method not allowed"
    assert refused.headers["allow"] == "POST"
    missing = await http.post(
        f"{relay.http_url}/webhooks/telegram", headers={"Authorization": SECRET}
    )
    assert assert_8x8_error(missing, 404, 1300)["message"] == "Resource not found"


FORGED_TEAM = {
    "namespace": "Team",
    "eventType": "assigned",
    "payload": {
        "type": "assigned",
        "conversationId": "whatsapp:+6591234567",
        "agent": "supervisor",
        "assignee": "mallory",
    },
}


async def test_the_webhook_secret_cannot_post_a_team_event_nor_another_routes_events(
    relay: RelayServer, http: httpx.AsyncClient
) -> None:
    """8x8's secret opens 8x8's routes for 8x8's events only: a Team event (or the other
    product's namespace) is refused with 400 and no connected console ever sees it."""
    from websockets.asyncio.client import connect

    from console.live.events import Event, Heartbeat
    from console.live.frames import parse_message

    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with connect(relay.ws_url, additional_headers=auth) as ws:
        async with asyncio.timeout(5):
            while not any(isinstance(f, Heartbeat) for f in parse_message(await ws.recv())):
                pass
        refused = [
            await http.post(
                f"{relay.http_url}/webhooks/{route}",
                headers={"Authorization": SECRET},
                json=body,
            )
            for route in ("sms", "chatapps")
            for body in (
                FORGED_TEAM,
                {**FORGED_TEAM, "namespace": "team"},
                envelope(1, namespace="ChatApps" if route == "sms" else "SMS"),
                {**envelope(1), "eventType": "assigned"},
            )
        ]
        for answer in refused:
            assert_8x8_error(answer, 400, 1000)
        assert "'namespace' must be 'SMS' here" in refused[0].json()["message"]
        assert relay.log.last_seq == 0
        good = await http.post(
            f"{relay.http_url}/webhooks/sms", headers={"Authorization": SECRET}, json=envelope(7)
        )
        assert good.status_code == 200 and good.json() == {"seq": 1}
        seen: list[Event] = []
        async with asyncio.timeout(5):
            while not seen:  # the forged posts came first: they would arrive before this one
                seen = [f for f in parse_message(await ws.recv()) if isinstance(f, Event)]
    assert [(e.seq, e.namespace, e.payload["index"]) for e in seen] == [(1, "SMS", 7)]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("namespace", "SMS\x1b[2J", "control characters"),
        ("namespace", "S\x07MS", "control characters"),
        ("namespace", "SMS\x9b", "control characters"),
        ("namespace", "N" * 60_000, "longer than 64 characters"),
        ("eventType", "outbound_message_status_changed\x1b]0;x\x07", "control characters"),
        ("eventType", "e" * 65, "longer than 64 characters"),
        ("eventType", "outbound_message_read", "'eventType' must be"),
        ("description", "receipt\x1b[31m", "control characters"),
        ("description", "line\u2028break", "control characters"),
        ("description", "d" * 1_001, "longer than 1,000 characters"),
        ("description", 5, "'description' must be a string"),
    ],
    ids=[
        "esc-namespace",
        "bel-namespace",
        "c1-namespace",
        "60k-namespace",
        "esc-event-type",
        "long-event-type",
        "unknown-event-type",
        "esc-description",
        "separator-description",
        "long-description",
        "number-description",
    ],
)
async def test_envelope_strings_are_bounded_and_free_of_control_characters(
    relay: RelayServer, http: httpx.AsyncClient, field: str, value: object, reason: str
) -> None:
    body = {**envelope(1), "description": "SMS status changed", field: value}
    answer = await http.post(
        f"{relay.http_url}/webhooks/sms", headers={"Authorization": SECRET}, json=body
    )
    message = assert_8x8_error(answer, 400, 1000)["message"]
    assert reason in message
    assert "\x1b" not in message and len(message) < 200  # the value is never echoed back
    assert relay.log.last_seq == 0
