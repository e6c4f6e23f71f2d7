"""Contract: the real CpaasClient drives the real sandbox over loopback, endpoint by endpoint
and error path by error path, exactly as the console does against 8x8."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from console.api import (
    ApiError,
    BatchTooLarge,
    ChatChannel,
    ChatMessage,
    CpaasClient,
    NotFound,
    RateLimited,
    ServerError,
    SmsMessage,
    SmsTemplate,
    Unauthenticated,
    ValidationFailed,
)


@pytest.fixture
async def api(sandbox):
    async with CpaasClient(sandbox.endpoints, sandbox.key, sandbox.subaccount, timeout=30) as c:
        yield c


# ------------------------------------------------------------------------------ logging in


async def test_verify_accepts_the_right_key(api):
    await api.verify()


async def test_wrong_key_is_401_code_1200(sandbox):
    async with CpaasClient(sandbox.endpoints, "not-the-key", sandbox.subaccount) as api:
        with pytest.raises(Unauthenticated) as caught:
            await api.verify()
        assert (caught.value.status, caught.value.code) == (401, 1200)
        assert caught.value.readable == (
            "The API key was refused (8x8 code 1200): check the key and sub-account."
        )
        with pytest.raises(Unauthenticated):
            await api.send_sms(SmsMessage("+6591234567", "hi"))
        with pytest.raises(Unauthenticated):
            await api.create_agent_token()


async def test_sub_account_the_key_does_not_own_is_401_code_1001(sandbox):
    async with CpaasClient(sandbox.endpoints, sandbox.key, "someone-else") as api:
        with pytest.raises(Unauthenticated) as caught:
            await api.verify()
    assert caught.value.code == 1001
    assert "sub-account" in caught.value.readable


# ------------------------------------------------------------------------------ SMS


async def test_single_sms_is_queued_and_its_details_match(api):
    accepted = await api.send_sms(SmsMessage("+6591234567", "Your case 4411 is resolved"))
    assert accepted.accepted and accepted.status_code == "QUEUED"
    assert accepted.destination == "6591234567"
    assert accepted.encoding == "GSM7"
    assert accepted.client_message_id and len(accepted.client_message_id) == 32

    details = await api.sms_details(accepted.umid)
    assert details.umid == accepted.umid
    assert details.client_message_id == accepted.client_message_id
    assert details.direction == "outbound"
    assert details.status.state == "queued"
    assert details.sms_count == 1


async def test_unicode_sms_is_ucs2(api):
    accepted = await api.send_sms(SmsMessage("+6591234567", "Xin chào, cảm ơn bạn 🙏"))
    assert accepted.encoding == "UCS2"


async def test_invalid_destination_is_400_code_1002(api):
    with pytest.raises(ValidationFailed) as caught:
        await api.send_sms(SmsMessage("12", "hi"))
    assert (caught.value.status, caught.value.code) == (400, 1002)
    assert caught.value.message


async def test_batch_of_messages_with_a_per_item_rejection(api):
    result = await api.send_sms_batch(
        messages=[
            SmsMessage("+6591234567", "one", client_message_id="m-1"),
            SmsMessage("12", "two", client_message_id="m-2"),
            SmsMessage("+6598765432", "three"),
        ],
        client_batch_id="shift-7",
    )
    assert (result.accepted_count, result.rejected_count) == (2, 1)
    assert result.client_batch_id == "shift-7"
    assert result.messages is not None
    by_id = {m.client_message_id: m for m in result.messages}
    assert by_id["m-1"].status_code == "QUEUED"
    assert by_id["m-2"].status_code == "REJECTED"
    assert by_id["m-2"].status_description
    generated = [m for m in result.messages if m.client_message_id not in ("m-1", "m-2")]
    assert len(generated) == 1 and generated[0].accepted


async def test_batch_of_destinations_with_a_template_and_a_rejection(api):
    result = await api.send_sms_batch(
        destinations=["+6591234567", "not-a-number", "+6598765432"],
        template=SmsTemplate(text="Service restored, thanks for waiting", source="Support"),
    )
    assert (result.accepted_count, result.rejected_count) == (2, 1)
    assert result.messages is not None
    assert [m.status_code for m in result.messages].count("REJECTED") == 1


async def test_a_10000_message_batch(api):
    messages = [SmsMessage(f"+659{i:07d}", f"Notice {i}") for i in range(10_000)]
    result = await api.send_sms_batch(messages=messages)
    assert (result.accepted_count, result.rejected_count) == (10_000, 0)
    assert result.messages is not None and len(result.messages) == 10_000
    assert all(m.accepted for m in result.messages)
    assert len({m.client_message_id for m in result.messages}) == 10_000


async def test_10001_messages_is_400_code_1100(api):
    destinations = [f"+659{i:07d}" for i in range(10_001)]
    # The client refuses before sending ...
    with pytest.raises(BatchTooLarge) as local:
        await api.send_sms_batch(destinations=destinations, template=SmsTemplate(text="x"))
    assert local.value.code == 1100
    # ... and the sandbox says the same to a client that sends it anyway.
    with pytest.raises(ValidationFailed) as remote:
        await api.request_json(
            "sms",
            "POST",
            f"/api/v1/subaccounts/{api.subaccount}/messages/batch",
            {"destinations": destinations, "template": {"text": "x"}},
        )
    assert (remote.value.status, remote.value.code) == (400, 1100)


async def test_cancel_a_scheduled_sms_and_batch(api):
    later = datetime.now(UTC) + timedelta(hours=2)
    scheduled = await api.send_sms(SmsMessage("+6591234567", "Reminder", scheduled=later))
    assert await api.cancel_sms(scheduled.umid) == 1
    assert await api.cancel_sms(scheduled.umid) == 0  # already cancelled
    assert (await api.sms_details(scheduled.umid)).status.state != "queued"

    batch = await api.send_sms_batch(
        destinations=["+6591234567", "+6598765432", "+6587654321"],
        template=SmsTemplate(text="Maintenance tonight", scheduled=later),
    )
    assert await api.cancel_sms_batch(batch.batch_id) == 3


async def test_cancel_unknown_message_is_404_code_1300(api):
    with pytest.raises(NotFound) as caught:
        await api.cancel_sms(str(uuid.uuid4()))
    assert caught.value.code == 1300
    with pytest.raises(NotFound):
        await api.sms_details(str(uuid.uuid4()))


async def test_a_status_lookup_reads_the_sandboxs_answer_as_a_receipt(api):
    """The feed's "ask 8x8": GET /messages/{umid} through the real client, as a receipt."""
    from console.core.lookup import look_up

    accepted = await api.send_sms(SmsMessage("+6591234567", "Where is my parcel?"))
    receipt = await look_up(api, accepted.umid)
    assert (receipt.umid, receipt.source, receipt.state) == (accepted.umid, "lookup", "queued")
    assert receipt.client_message_id == accepted.client_message_id
    assert receipt.sms_count == 1
    assert receipt.price is not None and receipt.price.currency
    assert receipt.raw["body"] == "**MASKED**", "the raw answer is kept for the timeline"
    with pytest.raises(NotFound):
        await look_up(api, str(uuid.uuid4()))


# ------------------------------------------------------------------------------ Chat Apps


async def test_chat_send_with_fallback_then_mark_read(api):
    accepted = await api.send_chat(
        ChatMessage(
            msisdn="+6591234567",
            text="Hi, this is Support. How can we help?",
            channels=[ChatChannel("WhatsApp", fallback_after=60), ChatChannel("SMS")],
            sms_source="Support",
        )
    )
    assert accepted.state == "queued"
    assert accepted.user.msisdn == "+6591234567"
    assert accepted.client_message_id and len(accepted.client_message_id) == 32
    assert accepted.timestamp is not None
    await api.mark_read(accepted.umid)


async def test_mark_read_an_inbound_customer_message(api, sandbox):
    async with httpx.AsyncClient(
        base_url=sandbox.url, headers={"Authorization": f"Bearer {sandbox.key}"}
    ) as control:
        response = await control.post(
            "/sandbox/inbound",
            json={"channel": "whatsapp", "from": "+6591112222", "name": "Jane", "text": "Hello?"},
        )
    assert response.status_code == 200
    umid = response.json()["umid"]
    hook = await sandbox.receiver.wait_for(
        lambda h: isinstance(h.body, dict) and h.body.get("payload", {}).get("umid") == umid
    )
    assert hook.body["payload"]["content"]["text"] == "Hello?"
    await api.mark_read(umid)


async def test_chat_errors(api):
    with pytest.raises(ValidationFailed) as caught:
        await api.send_chat(ChatMessage(msisdn="+6591234567"))  # no text
    assert caught.value.code == 3005
    with pytest.raises(NotFound) as missing:
        await api.mark_read(str(uuid.uuid4()))
    assert missing.value.code == 1300


# ------------------------------------------------------------------------------ Video


async def test_agent_token_signs_the_agent_in(api):
    token = await api.create_agent_token()
    assert token.auth_token
    async with httpx.AsyncClient() as browser:
        page = await browser.get(token.agent_link("jane"))
    assert page.status_code == 200
    assert "Signed in as jane" in page.text


async def test_room_with_phone_and_reference(api):
    before = datetime.now(UTC)
    room = await api.create_room(phone_number="+6591234567", call_reference="CASE-000123")
    assert room.call_reference == "CASE-000123"
    assert room.expires_at - room.created_at == timedelta(minutes=15)
    assert before - timedelta(seconds=1) <= room.created_at <= datetime.now(UTC)
    async with httpx.AsyncClient() as browser:
        agent = await browser.get(room.agent_link("jane"))
        guest = await browser.get(room.guest_link)
    assert agent.status_code == 200 and "joined room CASE-000123" in agent.text
    assert guest.status_code == 200


async def test_room_without_options_gets_a_generated_reference(api):
    room = await api.create_room()
    assert 8 <= len(room.call_reference) <= 20
    assert room.guest_link.startswith(api.endpoints.video + "/guest/")


async def test_room_with_a_bad_reference_is_refused(api):
    with pytest.raises(ValidationFailed) as caught:
        await api.create_room(call_reference="short")
    assert caught.value.status == 400


async def test_call_logs_and_detail_of_a_room(api):
    room = await api.create_room(phone_number="+6598765432", call_reference="LOGS-CLIENT-01")
    token = (await api.create_agent_token()).auth_token
    page = await api.call_logs(token, query="logs-client-01")
    (call,) = page.calls
    assert (call.reference, call.phone, call.country, call.status) == (
        "LOGS-CLIENT-01",
        "+6598765432",
        "SG",
        "C",
    )
    assert call.guest_joined_at is None and call.created_at is not None
    async with httpx.AsyncClient() as browser:
        await browser.get(room.agent_link("jane"))
        await browser.get(room.guest_link)
    detail = await api.call_detail(token, call.call_id)
    assert detail.call_id == call.call_id
    assert detail.agent_joined_at is not None and detail.guest_joined_at is not None
    today = datetime.now(UTC).date()
    ranged = await api.call_logs(room.auth_token, since=today, until=today)
    assert any(c.reference == "LOGS-CLIENT-01" for c in ranged.calls)
    with pytest.raises(Unauthenticated):
        await api.call_logs("forged-token")
    with pytest.raises(NotFound):
        await api.call_detail(token, "999999")


async def test_the_room_service_records_rooms_and_reads_their_calls(api):
    from console.core import ConsoleCore
    from console.core.rooms import RoomDraft, RoomState
    from console.core.roomservice import RoomFailed, RoomService

    core = ConsoleCore()
    service = RoomService(api, core, agent_name="jane")
    room = await service.create(RoomDraft("+6591230000", "SERVICE-ROOM-01"))
    assert core.room("SERVICE-ROOM-01") == room
    assert room.agent_link is not None and "user=jane" in room.agent_link
    assert await service.refresh() is not None  # asked; nothing changed yet
    assert room.state(core.now()) is RoomState.WAITING
    async with httpx.AsyncClient() as browser:
        await browser.get(room.agent_link)
        await browser.get(room.guest_link)
    changes = await service.refresh()
    assert changes is not None and "SERVICE-ROOM-01" in changes.rooms
    joined = core.room("SERVICE-ROOM-01")
    assert joined is not None and joined.state(core.now()) is RoomState.GUEST_JOINED
    (report,) = await service.calls("SERVICE-ROOM-01")
    assert report.open and report.guest_joined_at is not None and report.agent_joined_at
    assert await service.calls("NO-SUCH-ROOM-01") == []
    with pytest.raises(RoomFailed) as refused:
        await service.create(RoomDraft(None, "short"))
    assert "8x8 rejected the request" in refused.value.reason
    assert refused.value.field == "reference"


# ------------------------------------------------------------------------------ failures


async def test_server_errors_are_retried_until_the_send_goes_through(sandbox):
    async with httpx.AsyncClient(
        base_url=sandbox.url, headers={"Authorization": f"Bearer {sandbox.key}"}
    ) as control:
        armed = await control.post(
            "/sandbox/faults", json={"count": 2, "status": 503, "prefix": "/sms"}
        )
    assert armed.status_code == 200
    retries: list[tuple[int, ApiError, float]] = []
    async with CpaasClient(
        sandbox.endpoints,
        sandbox.key,
        sandbox.subaccount,
        on_retry=lambda *args: retries.append(args),
    ) as api:
        accepted = await api.send_sms(SmsMessage("+6591234567", "after two 503s"))
    assert accepted.accepted
    assert [attempt for attempt, _, _ in retries] == [2, 3]
    assert all(isinstance(reason, ServerError) for _, reason, _ in retries)


async def test_server_errors_beyond_max_attempts_raise(sandbox):
    async with httpx.AsyncClient(
        base_url=sandbox.url, headers={"Authorization": f"Bearer {sandbox.key}"}
    ) as control:
        await control.post("/sandbox/faults", json={"count": 2, "status": 502, "prefix": "/video"})
    async with CpaasClient(
        sandbox.endpoints, sandbox.key, sandbox.subaccount, max_attempts=2
    ) as api:
        with pytest.raises(ServerError) as caught:
            await api.create_agent_token()
    assert caught.value.status == 502 and caught.value.attempts == 2


async def test_a_burst_draws_429_and_every_send_still_succeeds(limited_sandbox):
    sandbox = limited_sandbox
    limited: list[float] = []

    def on_retry(attempt: int, reason: ApiError, wait: float) -> None:
        if isinstance(reason, RateLimited):
            limited.append(reason.retry_after)
            assert wait >= reason.retry_after

    async with CpaasClient(
        sandbox.endpoints, sandbox.key, sandbox.subaccount, on_retry=on_retry
    ) as api:
        results = await asyncio.gather(
            *(api.send_sms(SmsMessage(f"+65912{i:05d}", f"burst {i}")) for i in range(50))
        )
    assert len(results) == 50 and all(result.accepted for result in results)
    assert len({result.umid for result in results}) == 50  # nothing sent twice
    assert limited, "the burst should have drawn at least one 429"
    assert all(seconds >= 1 for seconds in limited)


async def test_a_client_paced_under_the_servers_rate_draws_no_429(limited_sandbox):
    sandbox = limited_sandbox
    await asyncio.sleep(1.1)  # let the previous burst's window pass
    retries: list[object] = []
    async with CpaasClient(
        sandbox.endpoints,
        sandbox.key,
        sandbox.subaccount,
        rate_limit=12,  # the sandbox allows 20/s: a margin for a busy machine bunching requests
        on_retry=lambda *args: retries.append(args),
    ) as api:
        results = await asyncio.gather(
            *(api.send_sms(SmsMessage(f"+65913{i:05d}", f"paced {i}")) for i in range(30))
        )
    assert all(result.accepted for result in results)
    assert retries == []
