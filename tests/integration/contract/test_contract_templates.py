"""Contract: WhatsApp templates between the real client and the real sandbox, and against
8x8's OpenAPI file. The client's template message (built by the core from a listed template)
is a valid request for 8x8's schema; the sandbox's templates list is a valid 8x8 answer the
client reads; a template send is accepted, an unknown one refused with 8x8's 3038, parameters
that do not fit with 1000; an unknown channel is 404 and another account's templates 401."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from oas_files import load_spec
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from console.api import ChatChannel, ChatMessage, CpaasClient, NotFound, Unauthenticated
from console.api.errors import ApiError
from console.core.templates import content, values_problem
from console.sandbox import SandboxConfig
from console.sandbox.world import CHANNEL_IDS

WHATSAPP = CHANNEL_IDS["whatsapp"]
SPEC = OpenAPI.from_dict(
    load_spec("business_messaging_api.json"), config=Config(spec_validator_cls=None)
)


@pytest.fixture
async def api(sandbox):
    async with CpaasClient(sandbox.endpoints, sandbox.key, sandbox.subaccount, timeout=30) as c:
        yield c


@pytest.fixture
def account(sandbox) -> str:
    return SandboxConfig(api_keys=("k",), subaccount=sandbox.subaccount).account


def _mock_request(path: str, method: str = "get", body: dict | None = None) -> MockRequest:
    return MockRequest(
        "https://chatapps.8x8.com",
        method,
        path,
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


async def test_the_list_is_8x8s_shape_and_the_client_reads_it(api, account, sandbox) -> None:
    path = f"/api/v1/accounts/{account}/channels/{WHATSAPP}/templates"
    raw = httpx.get(
        f"{sandbox.url}/chatapps{path}",
        headers={"Authorization": f"Bearer {sandbox.key}"},
        trust_env=False,
    )
    SPEC.validate_response(
        _mock_request(path), MockResponse(raw.content, status_code=raw.status_code)
    )
    templates = await api.list_templates(account, WHATSAPP)
    assert [t.name for t in templates] == [t["templateName"] for t in raw.json()["templates"]]
    ticket = next(t for t in templates if t.name == "ticket_update")
    assert ticket.approved and ticket.language == "en" and ticket.channel_id == WHATSAPP
    assert ticket.component("BODY") is not None
    assert ticket.component("FOOTER").text == "Sandbox Support"  # type: ignore[union-attr]
    pending = next(t for t in templates if t.name == "spring_offer")
    assert not pending.approved and pending.category == "MARKETING"


async def test_the_client_sends_a_template_8x8s_schema_takes(api, account) -> None:
    templates = {t.name: t for t in await api.list_templates(account, WHATSAPP)}
    ticket = templates["ticket_update"]
    values = ["Jane", "T-1042"]
    assert values_problem(ticket, values) is None
    message = ChatMessage(
        msisdn="+6591234567",
        type="template",
        template=content(ticket, values),
        client_message_id=uuid.uuid4().hex,
        channels=(ChatChannel("WhatsApp"),),
    )
    body = message.to_json()
    assert body["content"] == {
        "template": {
            "name": "ticket_update",
            "language": "en",
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Jane"},
                        {"type": "text", "text": "T-1042"},
                    ],
                }
            ],
        }
    }
    SPEC.validate_request(_mock_request("/api/v1/subaccounts/contract-sub/messages", "post", body))
    accepted = await api.send_chat(message)
    assert accepted.state == "queued" and accepted.client_message_id == message.client_message_id


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ({"name": "no_such_template", "language": "en"}, 3038),
        ({"name": "ticket_update", "language": "de"}, 3038),
        ({"name": "ticket_update", "language": "en"}, 1000),  # it takes two values
    ],
)
async def test_a_template_8x8_refuses_is_a_readable_error(api, template, code) -> None:
    message = ChatMessage(msisdn="+6591234567", type="template", template=template)
    with pytest.raises(ApiError) as caught:
        await api.send_chat(message)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert str(code) in caught.value.readable


async def test_unknown_channel_and_another_account(api, account) -> None:
    with pytest.raises(NotFound):
        await api.list_templates(account, str(uuid.uuid4()))
    with pytest.raises(Unauthenticated):
        await api.list_templates(str(uuid.uuid4()), WHATSAPP)
    assert await api.list_templates(account, CHANNEL_IDS["viber"]) == []
