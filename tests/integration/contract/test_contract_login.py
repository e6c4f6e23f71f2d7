"""Logging in (`console.api.session.connect`) against the real sandbox: what was refused, by
which 8x8 code, and a service that cannot be reached, each said plainly."""

from __future__ import annotations

import socket

import pytest

from console.api.session import ConnectError, connect
from console.config import Settings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_the_right_key_logs_in_to_a_sandbox_and_says_it_is_one(sandbox):
    session = await connect(
        Settings(api_key=sandbox.key, subaccount=sandbox.subaccount, server=sandbox.url)
    )
    try:
        assert session.demo and session.key_tail == sandbox.key[-6:]
        assert sandbox.key not in repr(session)
    finally:
        await session.close()


async def test_a_refused_key_names_the_key_and_code_1200(sandbox):
    settings = Settings(
        api_key="not-the-key-000000", subaccount=sandbox.subaccount, server=sandbox.url
    )
    with pytest.raises(ConnectError) as refused:
        await connect(settings)
    assert refused.value.refused == "key" and not refused.value.unreachable
    assert "API key was refused (8x8 code 1200)" in str(refused.value)
    assert "not-the-key" not in str(refused.value)


async def test_a_refused_subaccount_names_the_subaccount_and_code_1001(sandbox):
    settings = Settings(api_key=sandbox.key, subaccount="someone-else", server=sandbox.url)
    with pytest.raises(ConnectError) as refused:
        await connect(settings)
    assert refused.value.refused == "subaccount"
    assert "'someone-else' was refused (8x8 code 1001)" in str(refused.value)


async def test_a_key_no_header_can_carry_is_refused_before_any_request(sandbox):
    settings = Settings(
        api_key="two words-key-0000", subaccount=sandbox.subaccount, server=sandbox.url
    )
    with pytest.raises(ConnectError) as refused:
        await connect(settings)
    assert refused.value.refused == "key" and "two words" not in str(refused.value)


async def test_a_service_that_is_down_is_unreachable_and_worth_a_retry():
    settings = Settings(
        api_key="k" * 24, subaccount="acme", server=f"http://127.0.0.1:{_closed_port()}"
    )
    with pytest.raises(ConnectError) as down:
        await connect(settings)
    assert down.value.unreachable and not down.value.refused
    assert str(down.value).startswith("The service could not be reached: No network")


async def test_a_local_sandbox_given_without_a_key_shares_its_demo_key(sandbox):
    """`agent-console --server URL` with no key: the console reads the key the sandbox on this
    machine shared; the API layer alone has no such lookup and says a key is missing."""
    from console import connecting
    from console.sandbox.keyfile import remove_shared_key, write_shared_key

    settings = Settings(subaccount=sandbox.subaccount, server=sandbox.url)
    with pytest.raises(ConnectError, match="No API key for"):
        await connect(settings)
    path = write_shared_key(sandbox.url, sandbox.subaccount, sandbox.key)
    try:
        session = await connecting.connect(settings)
        try:
            assert session.demo and session.key_tail == sandbox.key[-6:]
        finally:
            await session.close()
    finally:
        remove_shared_key(path)
