"""Contract: the real CpaasClient against the real sandbox for the account's endpoints:
webhooks (configuration API, SMS and Chat Apps), balance, prices, SMS feedback."""

from __future__ import annotations

import pytest

from console.api import CpaasClient, NotFound, SmsMessage, ValidationFailed
from console.api.account import WebhookConfig
from console.sandbox import SandboxConfig


@pytest.fixture
async def api(sandbox):
    async with CpaasClient(sandbox.endpoints, sandbox.key, sandbox.subaccount, timeout=30) as c:
        yield c


@pytest.fixture
def account(sandbox) -> str:
    return SandboxConfig(api_keys=("k",), subaccount=sandbox.subaccount).account


@pytest.mark.parametrize("product", ["sms", "chatapps"])
async def test_webhooks_listed_created_toggled_and_deleted(api, account, sandbox, product):
    listed = await api.webhooks(product, account)
    assert {hook.type for hook in listed} >= {"DR"}
    assert all(hook.has_authorization for hook in listed)
    assert "Authorization" not in repr(listed) and "authorization=" not in repr(listed)

    mine = WebhookConfig(
        product, sandbox.subaccount, "DR", "https://relay.example.com/w", True, "S"
    )
    await api.put_webhooks(product, account, [mine])
    found = [h for h in await api.webhooks(product, account) if h.subaccount == sandbox.subaccount]
    assert found == [mine] and found[0].authorization == "S"

    off = WebhookConfig(product, mine.subaccount, "DR", mine.url, False, found[0].authorization)
    await api.put_webhooks(product, account, [off])
    (now,) = [h for h in await api.webhooks(product, account) if h.subaccount == mine.subaccount]
    assert now.enabled is False and now.authorization == "S"  # toggling keeps the secret

    await api.delete_webhooks(product, account, [mine])
    assert mine not in await api.webhooks(product, account)
    with pytest.raises(NotFound):
        await api.delete_webhooks(product, account, [mine])


async def test_a_bad_webhook_is_a_validation_error(api, account):
    with pytest.raises(ValidationFailed):
        await api.put_webhooks("sms", account, [WebhookConfig("sms", "*", "DR", "not a url")])


async def test_balance_and_prices(api, account):
    balance = await api.balance(account)
    assert balance.currency == "EUR" and 0 < balance.amount <= 500
    prices = await api.prices(account, "id")
    assert {p.operator for p in prices.prices} == {"Telkomsel", "Indosat Ooredoo Hutchison", "XL"}
    telkomsel = prices.sms_price("ID", "telkomsel")
    assert telkomsel is not None and telkomsel.amount == pytest.approx(0.029)
    assert prices.sms_price("ID") is not None and prices.sms_price("FR") is None


async def test_feedback_for_a_sent_sms(api):
    accepted = await api.send_sms(SmsMessage("+6591234567", "Your code is 123456"))
    await api.send_feedback(accepted.umid, "success")
    with pytest.raises(NotFound):
        await api.send_feedback("00000000-0000-0000-0000-000000000000", "failure")
    with pytest.raises(ValueError):
        await api.send_feedback(accepted.umid, "maybe")
