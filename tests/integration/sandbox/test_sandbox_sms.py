"""SMS API contract: send, validation codes, batch, cancel, details, legacy paths, auth."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sandbox_support import API_KEY, SUB, Contract, Receiver, assert_error

SMS = f"/sms/api/v1/subaccounts/{SUB}/messages"
BATCH = f"{SMS}/batch"


def test_single_send_is_queued_with_the_documented_shape(
    client: httpx.Client, contract: Contract
) -> None:
    response = client.post(
        SMS,
        json={
            "destination": "+6591234567",
            "text": "Your parcel is on its way",
            "source": "Acme",
            "clientMessageId": "order-42",
        },
    )
    body = contract.check(response)
    assert response.status_code == 200
    uuid.UUID(body["umid"])
    assert body == {
        "umid": body["umid"],
        "clientMessageId": "order-42",
        "destination": "6591234567",
        "encoding": "GSM7",
        "status": {"code": "QUEUED", "description": "SMS is accepted and queued for processing"},
    }


def test_single_send_without_client_id_says_null_and_picks_ucs2(
    client: httpx.Client, contract: Contract
) -> None:
    response = client.post(SMS, json={"destination": "6591234567", "text": "Привет 👋"})
    body = contract.check(response)
    assert body["clientMessageId"] is None
    assert body["encoding"] == "UCS2"
    assert body["destination"] == "6591234567"


def test_national_number_with_country_and_encoding_case(client: httpx.Client) -> None:
    body = client.post(
        SMS, json={"destination": "91234567", "country": "sg", "text": "hi [1]", "encoding": "gsm7"}
    ).json()
    assert body["destination"] == "6591234567"
    assert body["encoding"] == "GSM7"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "hi"}, 1002),
        ({"destination": "12345", "text": "hi"}, 1002),
        ({"destination": "+6591234567abc", "text": "hi"}, 1002),
        ({"destination": "+6591234567"}, 1004),
        ({"destination": "+6591234567", "text": ""}, 1004),
        ({"destination": "+6591234567", "text": "x" * 1531}, 1004),  # 11 parts
        ({"destination": "+6591234567", "text": "hi", "source": "S" * 17}, 1005),
        ({"destination": "+6591234567", "text": "hi", "clientMessageId": "c" * 351}, 1000),
        ({"destination": "+6591234567", "text": "hi", "encoding": "UTF8"}, 1003),
        ({"destination": "+6591234567", "text": "Привет", "encoding": "GSM7"}, 1003),
        ({"destination": "91234567", "country": "XX", "text": "hi"}, 1009),
        ({"destination": "+6591234567", "text": "hi", "scheduled": "tomorrow"}, 1011),
        ({"destination": "+6591234567", "text": "hi", "dlrCallbackUrl": "ftp://x"}, 1000),
    ],
)
def test_invalid_single_send_gets_the_specific_code(
    client: httpx.Client, contract: Contract, body: dict[str, object], code: int
) -> None:
    response = client.post(SMS, json=body)
    assert_error(response, 400, code, contract)
    contract.check(response)


def test_source_of_16_and_client_id_of_350_are_accepted(client: httpx.Client) -> None:
    response = client.post(
        SMS,
        json={
            "destination": "+6591234567",
            "text": "x" * 1530,  # exactly 10 parts
            "source": "S" * 16,
            "clientMessageId": "c" * 350,
        },
    )
    assert response.status_code == 200, response.text


def test_body_that_is_not_json_is_a_1000(client: httpx.Client, contract: Contract) -> None:
    response = client.post(SMS, content=b"{not json", headers={"content-type": "application/json"})
    assert_error(response, 400, 1000, contract)
    assert_error(client.post(SMS, json=[1, 2]), 400, 1000)


def test_a_lone_surrogate_is_refused_before_anything_is_queued(
    client: httpx.Client, receiver: Receiver
) -> None:
    """It used to be queued and then fail the answer: no cached answer, so the client's
    retry sent it a second time."""
    raw = b'{"destination": "+6591234500", "text": "hi", "clientMessageId": "x\\ud800"}'
    for _ in range(2):  # the client retries
        response = client.post(SMS, content=raw, headers={"content-type": "application/json"})
        assert "surrogate" in assert_error(response, 400, 1000)["message"]
    valid = {"destination": "+6591234500", "text": "hi", "clientMessageId": "retry-me"}
    first, again = client.post(SMS, json=valid), client.post(SMS, json=valid)
    assert first.status_code == 200 and again.json() == first.json()
    hooks = receiver.wait_for(lambda h: "delivered" in receiver.states(first.json()["umid"]))
    sent_to = [h for h in hooks if h.body["payload"].get("destination") == "+6591234500"]
    assert {h.body["payload"]["umid"] for h in sent_to} == {first.json()["umid"]}  # once


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {API_KEY}"}],
    ids=["missing", "wrong-key", "wrong-scheme"],
)
def test_unauthenticated_is_401_code_1200(
    sandbox: str, contract: Contract, headers: dict[str, str]
) -> None:
    response = httpx.post(
        sandbox + SMS, json={"destination": "+6591234567", "text": "hi"}, headers=headers
    )
    body = assert_error(response, 401, 1200, contract)
    assert body["message"] == "Request was not authenticated properly"
    contract.check(response)


def test_someone_elses_subaccount_is_401_code_1001(client: httpx.Client) -> None:
    response = client.post(
        "/sms/api/v1/subaccounts/other-team/messages",
        json={"destination": "+6591234567", "text": "hi"},
    )
    assert_error(response, 401, 1001)


def test_unknown_routes_and_methods_get_the_error_body(client: httpx.Client) -> None:
    assert_error(client.get("/sms/api/v1/nothing-here"), 404, 1300)
    assert_error(client.get("/chatapps/api/v2/whatever"), 404, 1300)
    response = client.put(SMS, json={})
    assert_error(response, 405, 1000)
    assert "POST" in response.headers["allow"]


def test_details_follow_the_message_and_unknown_is_404(
    client: httpx.Client, contract: Contract, receiver: Receiver
) -> None:
    sent = client.post(
        SMS, json={"destination": "+6591234567", "text": "Hello", "clientMessageId": "d-1"}
    ).json()
    receiver.wait_for(lambda hooks: "delivered" in receiver.states(sent["umid"]))
    response = client.get(f"{SMS}/{sent['umid']}")
    details = contract.check(response)
    assert details["umid"] == sent["umid"]
    assert details["status"]["state"] == "delivered"
    assert details["msisdn"] == "+6591234567"
    assert details["direction"] == "outbound"
    assert details["country"] == "SG"
    assert details["smsCount"] == 1
    assert details["price"]["currency"] == "EUR"
    assert details["clientMessageId"] == "d-1"
    missing = client.get(f"{SMS}/{uuid.uuid4()}")
    assert_error(missing, 404, 1300, contract)
    contract.check(missing)


def _later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def test_cancel_scheduled_message_and_batch(
    client: httpx.Client, contract: Contract, receiver: Receiver
) -> None:
    keep = client.post(
        SMS, json={"destination": "+6591234567", "text": "later", "scheduled": _later(30)}
    ).json()
    drop = client.post(
        SMS, json={"destination": "+6591234568", "text": "never", "scheduled": _later(30)}
    ).json()
    now = client.post(SMS, json={"destination": "+6591234569", "text": "now"}).json()
    first = client.delete(f"{SMS}/{drop['umid']}")
    assert contract.check(first) == {"cancelledCount": 1}
    assert client.delete(f"{SMS}/{drop['umid']}").json() == {"cancelledCount": 0}
    assert client.delete(f"{SMS}/{now['umid']}").json() == {"cancelledCount": 0}
    assert_error(client.delete(f"{SMS}/{uuid.uuid4()}"), 404, 1300)

    batch = client.post(
        BATCH,
        json={
            "destinations": ["+6591230001", "+6591230002"],
            "template": {"text": "later", "scheduled": _later(30)},
        },
    ).json()
    cancelled = client.delete(f"{BATCH}/{batch['batchId']}")
    assert contract.check(cancelled) == {"cancelledCount": 2}
    assert client.delete(f"{BATCH}/{uuid.uuid4()}").json() == {"cancelledCount": 0}

    # the kept one goes out at its time (30 s / speed 20 = 1.5 s); the cancelled never do
    receiver.wait_for(lambda hooks: "delivered" in receiver.states(keep["umid"]))
    assert receiver.for_umid(drop["umid"]) == []
    assert client.get(f"{SMS}/{drop['umid']}").json()["status"]["state"] == "failed"


def test_batch_merges_the_template_and_rejects_bad_items(
    client: httpx.Client, contract: Contract
) -> None:
    response = client.post(
        BATCH,
        json={
            "clientBatchId": "spring-sale",
            "template": {"source": "Acme", "text": "Sale starts today", "encoding": "AUTO"},
            "messages": [
                {"destination": "+6591230001", "clientMessageId": "m1"},
                {"destination": "+6591230002", "text": "Привет"},
                {"destination": "+99912345678", "clientMessageId": "bad-number"},
                {"destination": "+6591230003", "encoding": "LATIN1"},
            ],
            "includeMessagesInResponse": True,
        },
    )
    body = contract.check(response)
    uuid.UUID(body["batchId"])
    assert body["clientBatchId"] == "spring-sale"
    assert (body["acceptedCount"], body["rejectedCount"]) == (2, 2)
    codes = [m["status"]["code"] for m in body["messages"]]
    assert codes == ["QUEUED", "QUEUED", "REJECTED", "REJECTED"]
    assert [m["encoding"] for m in body["messages"][:2]] == ["GSM7", "UCS2"]
    assert body["messages"][0]["clientMessageId"] == "m1"
    assert body["messages"][2]["clientMessageId"] == "bad-number"
    assert "MSISDN" in body["messages"][2]["status"]["description"]
    assert "encoding" in body["messages"][3]["status"]["description"].lower()


def test_batch_with_destinations_and_no_messages_in_response(
    client: httpx.Client, contract: Contract
) -> None:
    response = client.post(
        BATCH,
        json={"destinations": ["+6591230001", "6591230002"], "template": {"text": "Hi"}},
    )
    body = contract.check(response)
    assert (body["acceptedCount"], body["rejectedCount"]) == (2, 0)
    assert body["messages"] is None
    assert body["clientBatchId"] is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"messages": [{"destination": "+6591230001", "text": "x"}] * 10_001}, 1100),
        ({"destinations": ["+6591230001"] * 10_001, "template": {"text": "x"}}, 1100),
        ({"messages": []}, 1000),
        ({"template": {"text": "x"}}, 1000),
        ({"messages": {"destination": "+6591230001"}}, 1000),
        ({"clientBatchId": "c" * 21, "destinations": ["+6591230001"]}, 1000),
        ({"destinations": ["+6591230001"], "template": "text"}, 1000),
    ],
    ids=["10001-messages", "10001-destinations", "empty", "none", "not-a-list", "batch-id", "tpl"],
)
def test_invalid_batch_is_a_400(
    client: httpx.Client, contract: Contract, body: dict[str, object], code: int
) -> None:
    response = client.post(BATCH, json=body)
    assert_error(response, 400, code, contract)
    contract.check(response)


def test_legacy_paths_map_onto_the_modern_api(client: httpx.Client, contract: Contract) -> None:
    legacy = f"/sms/v1/{SUB}"
    single = client.post(f"{legacy}/single", json={"destination": "+6591234567", "text": "hi"})
    assert contract.check(single)["status"]["code"] == "QUEUED"
    many = client.post(
        f"{legacy}/many",
        json={"messages": [{"destination": "+6591234567", "text": "hi"}], "clientBatchId": "old"},
    )
    assert contract.check(many)["acceptedCount"] == 1
    compact = client.post(
        f"{legacy}/many/compact",
        json={"destinations": ["+6591234567", "+6591234568"], "template": {"text": "hi"}},
    )
    assert contract.check(compact)["acceptedCount"] == 2
    scheduled = client.post(
        f"{legacy}/single",
        json={"destination": "+6591234567", "text": "hi", "scheduled": _later(600)},
    ).json()
    assert contract.check(client.delete(f"{legacy}/single/{scheduled['umid']}")) == {
        "cancelledCount": 1
    }
    assert contract.check(client.delete(f"{legacy}/many/{compact.json()['batchId']}")) == {
        "cancelledCount": 0
    }
    assert_error(client.post(f"{legacy}/single", json={"text": "hi"}), 400, 1002)
    assert_error(httpx.post(str(client.base_url) + f"{legacy}/single", json={}), 401, 1200)
