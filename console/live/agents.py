"""The relay's agents: each agent's own token, kept only as a salted hash in a TOML file.

``agent-console relay add-agent NAME --agents FILE`` makes a token (256 random bits),
prints it once and writes only ``sha256(salt + token)`` with a fresh salt; ``agent-console
relay --agents FILE`` serves those agents. The file (0600, replaced atomically, never holds a
token)::

    # agent-console relay agents: tokens are kept only as salted SHA-256 hashes.
    [[agent]]
    name = "ana"
    salt = "5f0c…"          # 16 random bytes, hex
    sha256 = "9b1d…"        # sha256(salt bytes + token UTF-8), hex
    added = "2026-12-06T09:30:00Z"

A token is random, so a fast hash is as good as a slow one here (nothing to guess) and
keeps each request cheap; a lookup compares against every agent's hash in constant time,
without stopping at the first match. Adding a name that is already there is refused unless
``rotate`` is asked for: the old token then stops working (on every relay reading the file,
within a second). Names are compared exactly; one that differs from another only in case
is refused, so that two agents never look alike in the inbox. ``FILE.lock`` beside the file
keeps two ``add-agent`` runs from losing one another's agent.

:class:`AgentDirectory` is the relay's view: it re-reads the file when it changes (checked
at most once a second, so several relays reading one file, on a shared disk for instance,
follow an ``add-agent`` on their own) or when told to (``SIGHUP``). A file that cannot be
read or parsed keeps the agents last read, and the relay says so once.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from console.live.team import TeamError, agent_name

logger = logging.getLogger(__name__)

HEADER = "# agent-console relay agents: tokens are kept only as salted SHA-256 hashes.\n"
TOKEN_BYTES = 32


class AgentsError(ValueError):
    """The agents file cannot be used, or an agent cannot be added; the message says why."""


@dataclass(frozen=True, slots=True)
class AgentEntry:
    """One agent as the file keeps them: a name and their token's salted hash."""

    name: str
    salt: bytes
    digest: bytes
    added: str = ""

    def matches(self, token: bytes) -> bool:
        """Is ``token`` this agent's? (Constant time in the token.)"""
        return hmac.compare_digest(_digest(self.salt, token), self.digest)


def _digest(salt: bytes, token: bytes) -> bytes:
    return hashlib.sha256(salt + token).digest()


def new_token() -> str:
    """A fresh agent token: 256 random bits, URL-safe (it goes in a bearer header)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def read_agents(path: Path) -> tuple[AgentEntry, ...]:
    """The agents in ``path`` (none when it does not exist); AgentsError when unusable."""
    try:
        with path.open("rb") as handle:
            if os.name == "posix" and os.fstat(handle.fileno()).st_mode & 0o022:
                raise AgentsError(f"{path}: others may write to it (chmod 600 it)")
            data = tomllib.load(handle)
    except FileNotFoundError:
        return ()
    except tomllib.TOMLDecodeError as error:
        raise AgentsError(f"{path}: not valid TOML ({error})") from None
    except OSError as error:
        raise AgentsError(f"{path}: {error.strerror or error}") from None
    unknown = sorted(set(data) - {"agent"})
    if unknown:
        raise AgentsError(f"{path}: unknown table or key {unknown[0]!r}")
    items = data.get("agent", [])
    if not isinstance(items, list):
        raise AgentsError(f"{path}: 'agent' must be an array of tables ([[agent]])")
    entries: list[AgentEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(items, 1):
        where = f"{path}: agent {index}"
        if not isinstance(item, dict):
            raise AgentsError(f"{where} is not a table")
        try:
            name = agent_name(item.get("name"), "name")
            salt = bytes.fromhex(str(item["salt"]))
            digest = bytes.fromhex(str(item["sha256"]))
        except TeamError as error:
            raise AgentsError(f"{where}: {error}") from None
        except (KeyError, ValueError):
            raise AgentsError(f"{where}: needs a hex 'salt' and 'sha256'") from None
        if len(digest) != hashlib.sha256().digest_size or not salt:
            raise AgentsError(f"{where}: 'sha256' must be 32 bytes and 'salt' not empty")
        if name.casefold() in seen:
            raise AgentsError(f"{where}: {name!r} is named twice")
        seen.add(name.casefold())
        entries.append(AgentEntry(name, salt, digest, str(item.get("added", ""))))
    return tuple(entries)


def _toml_string(value: str) -> str:
    # JSON's escaping of a printable string is TOML's (only \" and \\ can occur)
    return json.dumps(value, ensure_ascii=False)


def render_agents(entries: tuple[AgentEntry, ...]) -> str:
    """The file's text for ``entries``."""
    parts = [HEADER]
    for entry in entries:
        parts.append(
            "\n[[agent]]\n"
            f"name = {_toml_string(entry.name)}\n"
            f'salt = "{entry.salt.hex()}"\n'
            f'sha256 = "{entry.digest.hex()}"\n'
            f"added = {_toml_string(entry.added)}\n"
        )
    return "".join(parts)


def write_agents(path: Path, entries: tuple[AgentEntry, ...]) -> None:
    """Replace the file atomically (a 0600 temporary file, fsynced, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(render_agents(entries))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    if os.name == "posix":
        with contextlib.suppress(OSError):
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold ``FILE.lock`` while reading and rewriting, so two add-agent runs lose nothing."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = path.with_name(path.name + ".lock")
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # Windows: one add-agent at a time is up to the admin
            yield
            return
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def add_agent(
    path: Path,
    name: str,
    *,
    rotate: bool = False,
    token: Callable[[], str] = new_token,
    now: Callable[[], float] = time.time,
) -> str:
    """Add ``name`` (or, with ``rotate``, give them a new token) and return the token, which
    is kept nowhere: the caller prints it once."""
    try:
        name = agent_name(name, "name")
    except TeamError as error:
        raise AgentsError(f"Agent name {name!r}: {error}") from None
    with _locked(path):
        entries = read_agents(path)
        same = [entry for entry in entries if entry.name == name]
        alike = [e for e in entries if e.name != name and e.name.casefold() == name.casefold()]
        if alike:
            raise AgentsError(f"{path}: {alike[0].name!r} is already there (names differ in case)")
        if same and not rotate:
            raise AgentsError(
                f"{path}: {name!r} already has a token; --rotate gives them a new one "
                "(the old one stops working)"
            )
        secret = token()
        salt = secrets.token_bytes(16)
        added = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now()))
        entry = AgentEntry(name, salt, _digest(salt, secret.encode()), added)
        kept = tuple(e for e in entries if e.name != name)
        write_agents(path, (*kept, entry))
    return secret


def remove_agent(path: Path, name: str) -> bool:
    """Remove ``name``; False when they were not there. Their token stops working."""
    with _locked(path):
        entries = read_agents(path)
        kept = tuple(entry for entry in entries if entry.name != name.strip())
        if len(kept) == len(entries):
            return False
        write_agents(path, kept)
    return True


class AgentDirectory:
    """The agents file as a relay serves it: who a token belongs to, re-read on change."""

    def __init__(
        self,
        path: Path,
        *,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.check_interval = check_interval
        self._clock = clock
        self._entries: tuple[AgentEntry, ...] = ()
        self._stamp: tuple[int, int, int] | None = None
        self._checked = float("-inf")
        self._failing = False
        self.reload(strict=True)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(entry.name for entry in self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    def reload(self, *, strict: bool = False) -> None:
        """Read the file again now. ``strict``: raise AgentsError when it is unusable (at
        start); otherwise keep the agents last read and log once until it is usable again."""
        stamp = self._file_stamp()
        try:
            entries = read_agents(self.path)
        except AgentsError as error:
            if strict:
                raise
            if not self._failing:
                logger.warning("relay: keeping the agents last read: %s", error)
            self._failing = True
            return
        if self._failing:
            logger.warning("relay: the agents file reads again (%d agents)", len(entries))
        self._failing = False
        self._entries = entries
        self._stamp = stamp
        self._checked = self._clock()

    def _maybe_reload(self) -> None:
        now = self._clock()
        if now - self._checked < self.check_interval:
            return
        self._checked = now
        if self._file_stamp() != self._stamp:
            self.reload()

    def agent_for(self, token: bytes | None) -> str | None:
        """The name of the agent whose token this is, or None."""
        self._maybe_reload()
        if not token:
            return None
        found: str | None = None
        for entry in self._entries:  # every entry, no early exit
            if entry.matches(token):
                found = entry.name
        return found
