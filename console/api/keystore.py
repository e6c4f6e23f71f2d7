"""Saving the API key in the OS keyring, only when the agent asks for it (an I/O edge).

The key goes to the operating system's keyring (macOS Keychain, Windows Credential Locker,
Secret Service / KWallet on Linux) through the optional `keyring` package, under the service
"agent-console" and the user "<sub-account>@<region>". Where no keyring backend works (a
headless jump host, the package not installed), nothing is saved and the agent is told to use
``CPAAS_API_KEY``: the key never falls back to a plain file. Backends that keyring itself ranks
below 1 (its fail backend, keyrings.alt's plain-text file) count as none.

Keyring calls may block (D-Bus, a locked wallet asking for a password): run them in a worker
thread, never on the UI loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SERVICE = "agent-console"
ENV_HINT = "set CPAAS_API_KEY in the environment instead (never a file)"


NO_BACKEND = "no keyring backend is available"


class KeyStoreError(Exception):
    """The keyring refused or failed; the message is for the agent (never holds the key)."""


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    """Whether the key can be saved here, and why not."""

    available: bool
    backend: str = ""
    reason: str = ""

    @property
    def message(self) -> str:
        """What the login screen says about saving the key."""
        if self.available:
            return f"The key goes to the OS keyring ({self.backend}), only if ticked."
        why = "" if self.reason == NO_BACKEND else f" ({self.reason})"
        return f"No OS keyring on this machine{why}: nothing is saved; {ENV_HINT}."


def account(subaccount: str, region: str) -> str:
    """The keyring user name for a sub-account in a region (or at a server)."""
    return f"{subaccount}@{region}"


def _backend() -> Any:
    import keyring

    return keyring.get_keyring()


def _usable(backend: Any) -> bool:
    """keyring ranks its backends: below 1 is its fail backend or a plain-text file."""
    try:
        priority = float(backend.priority)
    except Exception:
        return False
    if priority < 1:
        return False
    nested = getattr(backend, "backends", None)  # the chainer: usable if one of its own is
    if nested is not None:
        return any(_usable(inner) for inner in nested)
    return True


def keyring_status() -> KeyringStatus:
    """Is there a keyring backend worth saving to? (Blocking: a worker thread.)"""
    try:
        backend = _backend()
    except ImportError:
        return KeyringStatus(False, reason="the keyring package is not installed")
    except Exception as error:  # a backend that fails to load
        return KeyringStatus(False, reason=f"the keyring failed: {type(error).__name__}")
    name = getattr(backend, "name", None) or type(backend).__name__
    if not _usable(backend):
        return KeyringStatus(False, backend=str(name), reason=NO_BACKEND)
    return KeyringStatus(True, backend=str(name))


def save_key(subaccount: str, region: str, key: str) -> None:
    """Save the key for this sub-account and region; KeyStoreError when that is impossible."""
    status = keyring_status()
    if not status.available:
        raise KeyStoreError(status.message)
    try:
        _backend().set_password(SERVICE, account(subaccount, region), key)
    except Exception as error:
        raise KeyStoreError(
            f"The OS keyring refused the key ({type(error).__name__}): {ENV_HINT}."
        ) from None


def load_key(subaccount: str, region: str) -> str | None:
    """The key saved for this sub-account and region, or None (none saved, or no keyring)."""
    if not keyring_status().available:
        return None
    try:
        key = _backend().get_password(SERVICE, account(subaccount, region))
    except Exception:
        return None
    return key or None


def forget_key(subaccount: str, region: str) -> bool:
    """Remove a saved key; False when there was none (or no keyring)."""
    if not keyring_status().available:
        return False
    try:
        _backend().delete_password(SERVICE, account(subaccount, region))
    except Exception:
        return False
    return True


# -- the relay's agent token ------------------------------------------------------------------
#
# An agent's own token for the relay (``agent-console relay add-agent`` prints it) is kept like
# the API key: in the environment (``CPAAS_EVENTS_TOKEN``), or in the OS keyring when the agent
# asks (``agent-console events-token --relay URL``), under the user "events@<relay URL>".
# Never in config.toml or any other plain file.

EVENTS_ENV_HINT = "set CPAAS_EVENTS_TOKEN in the environment instead (never a file)"


def events_account(relay_url: str) -> str:
    """The keyring user name for the agent's token on one relay (its URL, as configured)."""
    return f"events@{relay_url.rstrip('/')}"


def save_events_token(relay_url: str, token: str) -> None:
    """Keep the agent's relay token in the OS keyring; KeyStoreError when that is impossible."""
    status = keyring_status()
    if not status.available:
        raise KeyStoreError(status.message.replace(ENV_HINT, EVENTS_ENV_HINT))
    try:
        _backend().set_password(SERVICE, events_account(relay_url), token)
    except Exception as error:
        raise KeyStoreError(
            f"The OS keyring refused the token ({type(error).__name__}): {EVENTS_ENV_HINT}."
        ) from None


def load_events_token(relay_url: str) -> str | None:
    """The agent's token for this relay from the keyring, or None (none kept, no keyring)."""
    if not keyring_status().available:
        return None
    try:
        token = _backend().get_password(SERVICE, events_account(relay_url))
    except Exception:
        return None
    return token or None


def forget_events_token(relay_url: str) -> bool:
    """Remove the agent's token for this relay from the keyring; False when there was none."""
    if not keyring_status().available:
        return False
    try:
        _backend().delete_password(SERVICE, events_account(relay_url))
    except Exception:
        return False
    return True
