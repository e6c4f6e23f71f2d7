"""Keyring backends for tests, through keyring's own backend API (importable from every test
folder: pytest puts this folder on sys.path for its conftest)."""

from __future__ import annotations

try:
    from keyring.backend import KeyringBackend
except ImportError:  # the optional extra is not installed: tests that need a backend skip
    KeyringBackend = object  # type: ignore[assignment,misc]


class MemoryKeyring(KeyringBackend):
    """A working backend that keeps passwords in a dict, as an OS keyring would."""

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
    """Like keyrings.alt's file backend: keyring itself ranks it below 1."""

    priority = 0.5  # type: ignore[assignment]
