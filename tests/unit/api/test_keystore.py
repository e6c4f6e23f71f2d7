"""The OS keyring, through the `keyring` package's own backends API: saved only where a real
backend exists, never a plain file, and the agent is told about CPAAS_API_KEY otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from console.api import keystore
from console.api.keystore import KeyStoreError, forget_key, keyring_status, load_key, save_key

KEY = "k3y-0f-thirty-two-characters-x9"


class MemoryKeyring(KeyringBackend):
    """A working backend that keeps passwords in a dict (what a real OS keyring does)."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.saved[(service, username)]


class PlaintextKeyring(MemoryKeyring):
    """Like keyrings.alt's file backend: ranked below 1 by keyring itself."""

    priority = 0.5  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _restore_keyring() -> Iterator[None]:
    original = keyring.get_keyring()
    yield
    keyring.set_keyring(original)


def test_a_working_backend_keeps_the_key_per_subaccount_and_region() -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    assert keyring_status().available
    save_key("acme", "europe", KEY)
    assert memory.saved == {("agent-console", "acme@europe"): KEY}
    assert load_key("acme", "europe") == KEY
    assert load_key("acme", "asia") is None
    assert forget_key("acme", "europe") and load_key("acme", "europe") is None
    assert not forget_key("acme", "europe")


@pytest.mark.parametrize("backend", [fail.Keyring(), PlaintextKeyring()])
def test_no_usable_backend_saves_nothing_and_names_the_environment_variable(
    backend: KeyringBackend,
) -> None:
    keyring.set_keyring(backend)
    status = keyring_status()
    assert not status.available
    assert "CPAAS_API_KEY" in status.message and "nothing is saved" in status.message
    with pytest.raises(KeyStoreError) as refused:
        save_key("acme", "europe", KEY)
    assert "CPAAS_API_KEY" in str(refused.value) and KEY not in str(refused.value)
    assert load_key("acme", "europe") is None
    if isinstance(backend, PlaintextKeyring):
        assert backend.saved == {}, "never a plain file"


def test_a_backend_that_refuses_is_a_readable_error_without_the_key() -> None:
    class Locked(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError(f"locked wallet, cannot store {password}")

    keyring.set_keyring(Locked())
    with pytest.raises(KeyStoreError) as refused:
        save_key("acme", "europe", KEY)
    assert KEY not in str(refused.value) and refused.value.__cause__ is None
    assert "RuntimeError" in str(refused.value)


def test_without_the_keyring_package_the_screen_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> object:
        raise ImportError("No module named 'keyring'")

    monkeypatch.setattr(keystore, "_backend", missing)
    status = keyring_status()
    assert not status.available and "not installed" in status.message
