"""'Point 8x8's webhooks at my relay': which hop failed, in order, with fakes for the I/O."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from console.api.account import WebhookConfig
from console.api.errors import ValidationFailed
from console.api.models import SmsAccepted, SmsMessage
from console.api.relay_setup import check_relay_input, point_at_relay, relay_base, relay_webhooks


class FakeApi:
    def __init__(self, *, refuse: bool = False, drop: bool = False, reject: bool = False) -> None:
        self.saved: dict[str, list[WebhookConfig]] = {"sms": [], "chatapps": []}
        self.sent: list[SmsMessage] = []
        self.refuse, self.drop, self.reject = refuse, drop, reject

    async def webhooks(self, product: str, account_id: str) -> list[WebhookConfig]:
        return [] if self.drop else list(self.saved[product])

    async def put_webhooks(
        self, product: str, account_id: str, hooks: Sequence[WebhookConfig]
    ) -> None:
        if self.refuse:
            raise ValidationFailed(400, 1000, "Webhook 1: url must be an http(s) URL")
        self.saved[product].extend(hooks)

    async def send_sms(self, message: SmsMessage) -> SmsAccepted:
        self.sent.append(message)
        status = "REJECTED" if self.reject else "QUEUED"
        return SmsAccepted.from_json(
            {
                "umid": "u-1",
                "destination": "6531580000",
                "encoding": "GSM7",
                "status": {"code": status, "description": "why"},
            }
        )


async def run(
    api: FakeApi,
    *,
    reachable: str | None = None,
    following: bool = True,
    arrives: bool = True,
    test_number: str | None = "+6531580000",
):  # type: ignore[no-untyped-def]
    waited: list[str | None] = []

    async def probe(url: str) -> str | None:
        return reachable

    async def receipt(umid: str | None) -> bool:
        waited.append(umid)
        return arrives

    result = await point_at_relay(
        api,
        account_id="acc",
        subaccount="sub",
        relay_url="https://relay.example.com/",
        secret="S",
        reachable=probe,
        following=lambda: following,
        receipt=receipt,
        test_number=test_number,
    )
    return result, waited


def test_inputs_and_the_webhooks_made() -> None:
    assert check_relay_input("https://relay.example.com", "S") == {}
    assert set(check_relay_input("relay.example.com", "")) == {"relay-url", "relay-secret"}
    assert "relay-secret" in check_relay_input("https://r", "bad\nsecret")
    # 100,000 characters pasted: refused at the field, and the message says why
    long = check_relay_input("https://" + "a" * 100_000, "a" * 100_000)
    assert long["relay-url"] == "The URL is 100,008 characters: at most 2,048"
    assert long["relay-secret"] == "The secret is 100,000 characters: at most 1,024"
    assert relay_base("https://r.example.com/webhooks/sms/") == "https://r.example.com"
    hooks = relay_webhooks("chatapps", "https://r.example.com", "S", "sub")
    assert [(h.type, h.url, h.authorization) for h in hooks] == [
        ("DR", "https://r.example.com/webhooks/chatapps", "S"),
        ("MSG", "https://r.example.com/webhooks/chatapps", "S"),
    ]


async def test_every_hop_passes_and_the_test_sms_receipt_is_awaited() -> None:
    api = FakeApi()
    result, waited = await run(api)
    assert result.ok and len(result.hops) == 5 and waited == ["u-1"]
    assert {h.type for h in api.saved["sms"]} == {"DR", "MO"}
    assert api.sent[0].destination == "+6531580000"


async def test_live_mode_sends_nothing_and_waits_for_the_next_receipt() -> None:
    api = FakeApi()
    result, waited = await run(api, test_number=None)
    assert result.ok and api.sent == [] and waited == [None]
    assert result.hops[-1].name == "a receipt came through"


@pytest.mark.parametrize(
    ("options", "failed"),
    [
        ({"reachable": "no answer"}, "the relay answers at its public URL"),
        ({"api": FakeApi(refuse=True)}, "8x8 saved the webhooks"),
        ({"api": FakeApi(drop=True)}, "8x8 saved the webhooks"),
        ({"following": False}, "this console follows the relay's events"),
        ({"api": FakeApi(reject=True)}, "a test SMS was accepted"),
        ({"arrives": False}, "its receipt came back through the relay"),
    ],
)
async def test_the_failed_hop_is_named_and_nothing_after_it_runs(options, failed) -> None:  # type: ignore[no-untyped-def]
    api = options.pop("api", FakeApi())
    result, _ = await run(api, **options)
    assert not result.ok and result.failed is not None and result.failed.name == failed
    assert result.hops[-1] is result.failed and result.failed.detail


async def test_an_url_httpx_cannot_even_build_is_a_failed_hop_not_a_silent_stop() -> None:
    from console.api.relay_setup import probe_url

    problem = await probe_url("https://" + "a" * 100_000)
    assert problem is not None and problem.startswith("no answer from https://aaa")


def test_what_stops_names_the_loss_only_for_webhooks_the_followed_relay_depends_on() -> None:
    from console.api.account import WebhookConfig
    from console.api.relay_setup import what_stops

    followed = "wss://relay.example.com/events"
    dr = WebhookConfig("sms", "*", "DR", "https://relay.example.com/webhooks/sms", True, "s")
    assert what_stops(dr, followed) is not None and "SMS delivery receipts" in what_stops(
        dr, followed
    )  # type: ignore[operator]
    mo = WebhookConfig("sms", "*", "MO", "https://relay.example.com/webhooks/sms/", True, "s")
    assert "customers' SMS" in (what_stops(mo, followed) or "")
    elsewhere = WebhookConfig("sms", "*", "DR", "https://hooks.example.com/dr", True, None)
    assert what_stops(elsewhere, followed) is None
    off = WebhookConfig("sms", "*", "DR", "https://relay.example.com/webhooks/sms", False, "s")
    assert what_stops(off, followed) is None, "a disabled webhook stops nothing more"
    assert what_stops(dr, None) is None, "no relay followed: nothing depends on it"
    plain = WebhookConfig("chatapps", "*", "MSG", "http://127.0.0.1:8800/webhooks/chatapps",
                          True, "s")  # fmt: skip
    assert "stop reaching the Inbox" in (what_stops(plain, "ws://127.0.0.1:8800/events") or "")
