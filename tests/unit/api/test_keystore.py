"""The OS keyring, through the `keyring` package's own backends API: saved only where a real
backend exists, never a plain file, and the agent is told about CPAAS_API_KEY otherwise."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytest.importorskip("keyring", reason="the optional keyring package is not installed")

from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring_helpers import MemoryKeyring, PlaintextKeyring

from console.api import keystore
from console.api.keystore import KeyStoreError, forget_key, keyring_status, load_key, save_key

KEY = "k3y-0f-thirty-two-characters-x9"


Use = Callable[..., object]


def test_a_working_backend_keeps_the_key_per_subaccount_and_region(use_keyring: Use) -> None:
    memory = MemoryKeyring()
    use_keyring(memory)
    assert keyring_status().available
    save_key("acme", "europe", KEY)
    assert memory.saved == {("agent-console", "acme@europe"): KEY}
    assert load_key("acme", "europe") == KEY
    assert load_key("acme", "asia") is None
    assert forget_key("acme", "europe") and load_key("acme", "europe") is None
    assert not forget_key("acme", "europe")


@pytest.mark.parametrize("backend", [fail.Keyring(), PlaintextKeyring()])
def test_no_usable_backend_saves_nothing_and_names_the_environment_variable(
    backend: KeyringBackend, use_keyring: Use
) -> None:
    use_keyring(backend)
    status = keyring_status()
    assert not status.available
    assert "CPAAS_API_KEY" in status.message and "nothing is saved" in status.message
    with pytest.raises(KeyStoreError) as refused:
        save_key("acme", "europe", KEY)
    assert "CPAAS_API_KEY" in str(refused.value) and KEY not in str(refused.value)
    assert load_key("acme", "europe") is None
    if isinstance(backend, PlaintextKeyring):
        assert backend.saved == {}, "never a plain file"


def test_a_backend_that_refuses_is_a_readable_error_without_the_key(use_keyring: Use) -> None:
    class Locked(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError(f"locked wallet, cannot store {password}")

    use_keyring(Locked())
    with pytest.raises(KeyStoreError) as refused:
        save_key("acme", "europe", KEY)
    assert KEY not in str(refused.value) and refused.value.__cause__ is None
    assert "RuntimeError" in str(refused.value)


def test_without_the_keyring_package_the_screen_says_so(
    monkeypatch: pytest.MonkeyPatch, use_keyring: Use
) -> None:
    def missing() -> object:
        raise ImportError("No module named 'keyring'")

    monkeypatch.setattr(keystore, "_backend", missing)
    status = keyring_status()
    assert not status.available and "not installed" in status.message


async def test_the_agents_relay_token_comes_from_the_environment_or_the_keyring_never_the_key(
    use_keyring: Use,
) -> None:
    import dataclasses

    from console.api.keystore import forget_events_token, save_events_token
    from console.api.session import relay_token
    from console.config import Settings

    memory = MemoryKeyring()
    use_keyring(memory)
    live = Settings(api_key=KEY, subaccount="acme", relay="https://relay.example.com")
    assert await relay_token(live, KEY) is None, "a real relay is never sent the 8x8 key"
    save_events_token("https://relay.example.com/", "agent-token-1")
    assert memory.saved == {("agent-console", "events@https://relay.example.com"): "agent-token-1"}
    assert await relay_token(live, KEY) == "agent-token-1"
    from_env = dataclasses.replace(live, events_token="agent-token-2")
    assert await relay_token(from_env, KEY) == "agent-token-2"
    assert forget_events_token("https://relay.example.com")
    demo = dataclasses.replace(live, server="http://127.0.0.1:8800")
    assert await relay_token(demo, KEY) == KEY  # the sandbox's demo relay takes the demo key
