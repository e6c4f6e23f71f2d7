"""The account's endpoints: webhooks (configuration API) on both hosts, balance, prices, SMS
feedback, and the AIT scenario; every answer checked against 8x8's OpenAPI files."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import phonenumbers
import pytest
from phonenumbers import carrier
from sandbox_support import (
    AUTH,
    SUB,
    WEBHOOK_SECRET,
    Contract,
    Receiver,
    assert_error,
    sandbox_config,
)

ACCOUNT = sandbox_config(None).account
TERMINAL = ("delivered", "undelivered", "rejected")
SMS = f"/sms/api/v1/subaccounts/{SUB}/messages"


def _valid(contract: Contract, name: str, pointer: str, value: object) -> None:
    from openapi_schema_validator import OAS30Validator

    spec = contract.raw[name]
    schema = {**contract.example(name, pointer), "components": spec["components"]}
    OAS30Validator(schema).validate(value)


def _hooks(product: str, account: str = ACCOUNT) -> str:
    return f"/{product}/api/v1/accounts/{account}/webhooks"


@pytest.mark.parametrize("product", ["sms", "chatapps"])
def test_the_command_line_webhooks_are_listed_then_replaced_and_deleted(
    make_sandbox: Callable[..., str], receiver: Receiver, contract: Contract, product: str
) -> None:
    url = make_sandbox()
    with httpx.Client(base_url=url, headers=AUTH, trust_env=False) as http:
        listed = contract.check(http.get(_hooks(product)))
        inbound = "MO" if product == "sms" else "MSG"
        assert [(h["subAccountId"], h["type"], h["url"]) for h in listed] == [
            ("*", "DR", f"{receiver.url}/{product}"),
            ("*", inbound, f"{receiver.url}/{product}"),
        ]
        assert all(h["httpAuthorization"] == WEBHOOK_SECRET and h["enabled"] for h in listed)

        new = [{"subAccountId": SUB, "type": "DR", "url": "https://relay.example.com/x"}]
        created = http.post(_hooks(product), json=new)
        assert created.status_code == 200 and contract.check(created) is None
        listed = contract.check(http.get(_hooks(product)))
        mine = [h for h in listed if h["subAccountId"] == SUB]
        assert mine == [
            {
                "subAccountId": SUB,
                "type": "DR",
                "version": 3,
                "url": "https://relay.example.com/x",
                "httpContenttype": "application/json",
                "enabled": True,
            }
        ]
        gone = http.request("DELETE", _hooks(product), json=[{"subAccountId": SUB, "type": "DR"}])
        assert gone.status_code == 200 and contract.check(gone) is None
        assert len(contract.check(http.get(_hooks(product)))) == 2
        again = http.request("DELETE", _hooks(product), json=[{"subAccountId": SUB, "type": "DR"}])
        assert_error(again, 404, 1300)


def test_a_bad_item_changes_nothing_and_names_itself(make_sandbox: Callable[..., str]) -> None:
    url = make_sandbox()
    with httpx.Client(base_url=url, headers=AUTH, trust_env=False) as http:
        before = http.get(_hooks("sms")).json()
        body = [
            {"subAccountId": SUB, "type": "DR", "url": "https://ok.example.com"},
            {"subAccountId": SUB, "type": "XX", "url": "https://ok.example.com"},
        ]
        error = assert_error(http.post(_hooks("sms"), json=body), 400, 1000)
        assert "Webhook 2" in error["message"]
        assert http.get(_hooks("sms")).json() == before
        bad_url = [{"subAccountId": "*", "type": "DR", "url": "ftp://x"}]
        assert_error(http.post(_hooks("sms"), json=bad_url), 400, 1000)
        assert_error(http.get(_hooks("sms", "not-a-uuid")), 400, 1000)
        other = "00000000-0000-0000-0000-000000000000"
        assert_error(http.get(_hooks("sms", other)), 401, 1001)


def test_receipts_follow_the_configured_webhook_with_its_authorization(
    make_sandbox: Callable[..., str], make_receiver: Callable[..., Receiver], receiver: Receiver
) -> None:
    url = make_sandbox()
    elsewhere = make_receiver()
    with httpx.Client(base_url=url, headers=AUTH, trust_env=False) as http:
        hook = {
            "subAccountId": "*",
            "type": "DR",
            "url": f"{elsewhere.url}/moved",
            "httpAuthorization": "Bearer moved-secret",
        }
        assert http.post(_hooks("sms"), json=[hook]).status_code == 200
        umid = http.post(SMS, json={"destination": "+6591230000", "text": "hi"}).json()["umid"]
        elsewhere.wait_for(lambda hooks: bool(elsewhere.for_umid(umid)))
        got = elsewhere.for_umid(umid)[0]
        assert (got.product, got.authorization) == ("moved", "Bearer moved-secret")
        assert receiver.for_umid(umid) == []

        # disabled: the receipts are posted nowhere
        assert http.post(_hooks("sms"), json=[{**hook, "enabled": False}]).status_code == 200
        posted = http.get("/sandbox/info").json()["webhooks"]["posted"]
        quiet = http.post(SMS, json={"destination": "+6591230001", "text": "hi"}).json()["umid"]
        deadline = time.monotonic() + 10
        while http.get(f"{SMS}/{quiet}").json()["status"]["state"] not in TERMINAL:
            assert time.monotonic() < deadline, "the message never reached a final state"
            time.sleep(0.02)
        assert http.get("/sandbox/info").json()["webhooks"]["posted"] == posted
        assert elsewhere.for_umid(quiet) == [] and receiver.for_umid(quiet) == []


def test_balance_goes_down_with_each_sms(
    make_sandbox: Callable[..., str], contract: Contract
) -> None:
    url = make_sandbox(balance=10.0)
    path = f"/sms/api/v1/accounts/{ACCOUNT}/balance"
    with httpx.Client(base_url=url, headers=AUTH, trust_env=False) as http:
        first = contract.check(http.get(path))
        assert first == {"balance": 10.0, "currency": "EUR"}
        http.post(SMS, json={"destination": "+6591230000", "text": "x" * 200})  # 2 parts to SG
        assert contract.check(http.get(path))["balance"] == pytest.approx(10.0 - 2 * 0.037)


def test_a_send_the_balance_does_not_cover_is_refused_whole_and_charges_nothing(
    make_sandbox: Callable[..., str], contract: Contract
) -> None:
    """400 code 1400 (the sandbox's choice: 8x8 documents no code for it) with both figures;
    a batch is refused whole, before any of it is accepted; the balance is unchanged."""
    url = make_sandbox(balance=0.12)  # two SMS parts to Singapore cost 0.074
    path = f"/sms/api/v1/accounts/{ACCOUNT}/balance"
    with httpx.Client(base_url=url, headers=AUTH, trust_env=False) as http:
        ok = http.post(SMS, json={"destination": "+6591230000", "text": "x" * 200})
        assert ok.status_code == 200, ok.text
        left = contract.check(http.get(path))["balance"]
        assert left == pytest.approx(0.12 - 0.074)
        again = http.post(SMS, json={"destination": "+6591230001", "text": "x" * 200})
        body = assert_error(again, 400, 1400, contract)
        assert "0.0740 EUR" in body["message"] and "0.0460 EUR" in body["message"]
        batch = http.post(
            f"{SMS}/batch",
            json={"template": {"text": "hi"}, "destinations": ["+6591230002"] * 3},
        )
        assert "these 3 messages cost 0.1110 EUR" in assert_error(batch, 400, 1400)["message"]
        assert contract.check(http.get(path))["balance"] == pytest.approx(left)
        fits = http.post(SMS, json={"destination": "+6591230003", "text": "hi"})
        assert fits.status_code == 200, "what the balance still covers goes out"


def test_a_rejected_sms_gives_its_price_back(
    make_sandbox: Callable[..., str], contract: Contract
) -> None:
    url = make_sandbox(balance=1.0, speed=20)
    path = f"/sms/api/v1/accounts/{ACCOUNT}/balance"
    with httpx.Client(base_url=url, headers=AUTH, trust_env=False) as http:
        fraud = http.get("/sandbox/info").json()["fraudPrefixes"][0] + "23"
        umid = http.post(SMS, json={"destination": fraud, "text": "hi"}).json()["umid"]
        assert contract.check(http.get(path))["balance"] < 1.0  # charged when accepted
        deadline = time.monotonic() + 10
        while http.get(f"{SMS}/{umid}").json()["status"]["state"] != "rejected":
            assert time.monotonic() < deadline, "Omni Shield rejects the fraudulent number"
            time.sleep(0.05)
        assert contract.check(http.get(path))["balance"] == pytest.approx(1.0)


def test_prices_of_one_country_with_its_operators(
    sandbox: str, client: httpx.Client, contract: Contract
) -> None:
    path = f"/sms/api/v1/accounts/{ACCOUNT}/prices"
    body = contract.check(client.get(path, params={"country": "sg"}))
    (entry,) = body["subAccounts"]
    assert entry["subAccountId"] == SUB
    (country,) = entry["outbound"][0]["countries"]
    assert (country["alpha2Code"], country["dialingPrefix"]) == ("SG", "+65")
    assert {op["operatorName"] for op in country["operators"]} == {"SingTel", "StarHub", "M1"}
    assert all(op["price"] == {"amount": 0.037, "currency": "EUR"} for op in country["operators"])
    everything = contract.check(client.get(path))
    assert len(everything["subAccounts"][0]["outbound"][0]["countries"]) > 5
    by_network = client.get(path, params={"mcc": 525, "mnc": 5}).json()
    ops = by_network["subAccounts"][0]["outbound"][0]["countries"][0]["operators"]
    assert [op["operatorName"] for op in ops] == ["StarHub"]
    assert_error(client.get(path, params={"country": "SGP"}), 400, 1009)
    assert_error(client.get(path, params={"mcc": 525}), 400, 1000)


def test_feedback_is_recorded_for_a_sent_sms(client: httpx.Client, contract: Contract) -> None:
    umid = client.post(SMS, json={"destination": "+6591230000", "text": "123456"}).json()["umid"]
    body = {"outcome": "success", "timestamp": "2026-01-02T03:04:05.60Z"}
    _valid(contract, "sms_api.json", "#/components/schemas/feedback", body)
    answer = client.post(f"{SMS}/{umid}/feedback", json=body)
    assert (answer.status_code, answer.content) == (200, b"")  # 8x8 documents no body
    assert client.get("/sandbox/info").json()["feedback"]["success"] >= 1
    assert_error(client.post(f"{SMS}/{umid}/feedback", json={}), 400, 1000)
    assert_error(client.post(f"{SMS}/{umid}/feedback", json={"outcome": "maybe"}), 400, 1000)
    missing = f"{SMS}/00000000-0000-0000-0000-000000000000/feedback"
    assert_error(client.post(missing, json={"outcome": "failure"}), 404, 1300)


def test_the_ait_scenario_surges_one_operator_with_rejections(
    make_sandbox: Callable[..., str], receiver: Receiver
) -> None:
    url = make_sandbox()
    with httpx.Client(base_url=url, headers=AUTH, trust_env=False) as http:
        started = http.post("/sandbox/scenarios", json={"name": "ait", "attackAfter": 0})
        assert started.status_code == 200, started.text
        assert started.json()["name"] == "ait"
        again = http.post("/sandbox/scenarios", json={"name": "ait"})
        assert_error(again, 400, 1000)
        assert_error(http.post("/sandbox/scenarios", json={"name": "nope"}), 400, 1000)

        def target_rejections() -> list[str]:
            found = []
            for hook in receiver.snapshot():
                payload = hook.body.get("payload", {})
                status = payload.get("status", {})
                if payload.get("source") == "VerifyApp" and status.get("errorCode") == 99:
                    found.append(payload["destination"])
            return found

        receiver.wait_for(lambda hooks: len(target_rejections()) >= 20, timeout=30)
        operators = {
            carrier.name_for_number(phonenumbers.parse(number), "en")
            for number in target_rejections()
        }
        assert operators == {"Indosat Ooredoo Hutchison"}
        backfilled = [
            h
            for h in receiver.snapshot()
            if h.body.get("payload", {}).get("source") == "VerifyApp"
            and h.body["payload"]["status"]["timestamp"] < started.json()["startedAt"][:13]
        ]
        assert backfilled  # the past week came first, dated when it happened
