"""Video Interaction: tokens, rooms, agent link + SMS invite, guest page, expiry, call logs."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from sandbox_support import AUTH, Contract, ManualClock, Receiver, assert_error

TOKENS = "/video/api/v1/tokens"
LOGS = "/video/api/v1/call-logs"
_EXAMPLE = "/get/responses/200/content/application~1json/examples/response/value"
EXAMPLE = "#/paths/~1api~1v1~1call-logs" + _EXAMPLE
DETAIL_EXAMPLE = "#/paths/~1api~1v1~1calls~1{id}" + _EXAMPLE


def test_empty_body_gives_an_agent_token(client: httpx.Client, contract: Contract) -> None:
    response = client.post(TOKENS)
    body = contract.check(response)
    assert set(body) == {"auth_token"} and len(body["auth_token"]) >= 32
    assert set(contract.check(client.post(TOKENS, json={}))) == {"auth_token"}


def test_room_with_phone_and_reference(
    client: httpx.Client, contract: Contract, sandbox: str
) -> None:
    response = client.post(
        TOKENS,
        json={"create_room": True, "phone_number": "+6591234567", "call_reference": "CASE-10042"},
    )
    body = contract.check(response)
    assert set(body) == {"call_reference", "guest_link", "auth_token"}
    assert body["call_reference"] == "CASE-10042"
    assert body["guest_link"].startswith(sandbox + "/video/guest/")
    generated = client.post(TOKENS, json={"create_room": True}).json()
    assert 8 <= len(generated["call_reference"]) <= 20
    assert generated["guest_link"] != body["guest_link"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"create_room": True, "call_reference": "short"}, 1000),
        ({"create_room": True, "call_reference": "r" * 21}, 1000),
        ({"create_room": True, "phone_number": "6591234567"}, 1002),
        ({"create_room": True, "phone_number": "+65"}, 1002),
        ({"create_room": "yes"}, 1000),
        ({"phone_number": "+6591234567"}, 1000),
    ],
)
def test_invalid_token_requests(client: httpx.Client, body: dict[str, object], code: int) -> None:
    assert_error(client.post(TOKENS, json=body), 400, code)


def test_tokens_need_the_api_key(sandbox: str) -> None:
    assert_error(httpx.post(sandbox + TOKENS, json={}), 401, 1200)


def test_agent_link_sends_the_invite_and_guest_page_marks_the_guest(
    client: httpx.Client, contract: Contract, receiver: Receiver, sandbox: str
) -> None:
    phone = "+6598765432"
    room = client.post(
        TOKENS, json={"create_room": True, "phone_number": phone, "call_reference": "REF-778899"}
    ).json()
    agent_url = f"{sandbox}/video/?user=alice&token={room['auth_token']}"
    page = httpx.get(agent_url)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "alice joined room REF-778899" in page.text and room["guest_link"] in page.text
    assert httpx.get(agent_url).status_code == 200  # a second visit sends no second invite

    def invite_receipts(hooks: list) -> list:
        return [
            h
            for h in hooks
            if h.body["namespace"] == "SMS" and h.body["payload"].get("destination") == phone
        ]

    hooks = receiver.wait_for(
        lambda h: any(
            x.body["payload"]["status"]["state"] == "delivered" for x in invite_receipts(h)
        )
    )
    invites = invite_receipts(hooks)
    assert len({h.body["payload"]["umid"] for h in invites}) == 1
    assert invites[0].body["payload"]["source"] == "VideoCall"

    logs = client.get(LOGS, headers={"x-token": room["auth_token"]})
    entry = next(e for e in contract.check(logs)["list"] if e["Reference"] == "REF-778899")
    assert entry["AgentJoinedAt"] is not None and entry["GuestJoinedAt"] is None
    assert entry["UserB_MSISDN"] == "6598765432" and entry["CountryISO2alpha"] == "SG"
    assert entry["Status"] == "C" and entry["FinishedAt"] is None

    guest = httpx.get(room["guest_link"])
    assert guest.status_code == 200 and "You have joined the video call" in guest.text
    detail = client.get(
        f"/video/api/v1/calls/{entry['CallId']}", headers={"x-token": room["auth_token"]}
    )
    body = contract.check(detail)
    assert body["AgentJoinedAt"] is not None and body["GuestJoinedAt"] is not None
    assert set(contract.example("video_interaction_api.json", DETAIL_EXAMPLE)) <= set(body)


def test_call_logs_follow_the_documented_example(client: httpx.Client, contract: Contract) -> None:
    token = client.post(TOKENS, json={"create_room": True, "call_reference": "LOGS-0001"}).json()[
        "auth_token"
    ]
    body = contract.check(client.get(LOGS, headers={"x-token": token}, params={"q": "logs-0001"}))
    example = contract.example("video_interaction_api.json", EXAMPLE)
    assert set(example) == set(body)
    assert [e["Reference"] for e in body["list"]] == ["LOGS-0001"]
    assert set(example["list"][0]) <= set(body["list"][0])
    today = time.strftime("%Y-%m-%d", time.gmtime())
    ranged = client.get(LOGS, headers={"x-token": token}, params={"from": today, "to": today})
    assert any(e["Reference"] == "LOGS-0001" for e in ranged.json()["list"])
    assert_error(client.get(LOGS), 401, 1200)
    assert_error(client.get(LOGS, headers={"x-token": "forged"}), 401, 1200)
    assert_error(client.get("/video/api/v1/calls/999999", headers={"x-token": token}), 404, 1300)
    assert_error(client.get(LOGS, headers={"x-token": token}, params={"from": "May 1"}), 400, 1000)


def test_unknown_links_get_clear_pages(sandbox: str) -> None:
    assert httpx.get(f"{sandbox}/video/guest/doesnotexist").status_code == 404
    unknown = httpx.get(f"{sandbox}/video/?user=bob&token=forged")
    assert unknown.status_code == 401 and "Unknown token" in unknown.text
    missing = httpx.get(f"{sandbox}/video/?user=bob")
    assert missing.status_code == 401 and "Missing token" in missing.text


def test_rooms_expire_after_15_minutes_scaled(make_sandbox: Callable[..., str]) -> None:
    clock = ManualClock()
    url = make_sandbox(speed=20.0, clock=clock)  # 15 minutes become 45 s
    room = httpx.post(url + TOKENS, json={"create_room": True}, headers=AUTH).json()
    clock.advance(44.9)
    assert httpx.get(room["guest_link"]).status_code == 200  # still open
    clock.advance(0.1)
    expired = httpx.get(room["guest_link"])
    assert expired.status_code == 410 and "expired" in expired.text
    assert httpx.get(f"{url}/video/?user=a&token={room['auth_token']}").status_code == 410
    logs = httpx.get(url + LOGS, headers={"x-token": room["auth_token"]}).json()
    assert logs["list"][0]["Status"] == "E" and logs["list"][0]["FinishedAt"] is not None
    assert logs["list"][0]["Duration"] == 0  # the agent never joined
