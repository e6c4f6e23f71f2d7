"""A standalone sandbox's generated demo key, shared with its user's consoles only.

``agent-console sandbox`` without ``--api-key`` generates a key. It writes the key to a file
that only its user can read (0600, in a 0700 folder): ``$XDG_RUNTIME_DIR/agent-console`` when
the session has a runtime folder (on macOS and Windows platformdirs' runtime folder), else the
config folder. A console started with ``--server URL`` by the same user on the same machine
reads it from there; other users of a shared jump host cannot, and nothing on the network
hands it out. The file is removed when the sandbox stops. The embedded sandbox writes no file:
it gives its key to its console through the pipe.

Pure file work, no server imports: the console side calls :func:`shared_demo_key`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from console.net import is_loopback_host

APP_NAME = "agent-console"


def shared_key_dir() -> Path:
    """The folder of the key files (created 0700 when written, not here)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / APP_NAME
    if sys.platform in ("darwin", "win32"):
        from platformdirs import user_runtime_path

        return user_runtime_path(APP_NAME, appauthor=False)
    # No per-session runtime folder (platformdirs would fall back to a guessable /tmp path
    # another user could create first): the user's own config folder instead.
    from console.paths import config_dir

    return config_dir()


def key_file(port: int) -> Path:
    """The key file of the sandbox listening on ``port`` of this machine."""
    return shared_key_dir() / f"sandbox-{port}.key.json"


def write_shared_key(url: str, subaccount: str, api_key: str) -> Path:
    """Write the key of the sandbox at ``url`` for its user's consoles; returns the file."""
    port = urlsplit(url).port
    if port is None:
        raise ValueError(f"{url} names no port")
    path = key_file(port)
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(folder, 0o700)  # ours (mkdir or an earlier run): nobody else may list it
    data = json.dumps(
        {"url": url, "subaccount": subaccount, "apiKey": api_key, "pid": os.getpid()}
    ).encode()
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(temp, path)
    return path


def remove_shared_key(path: Path) -> None:
    """Remove the key file if it is still this process's (a later sandbox may own it)."""
    if _read(path).get("pid") == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()


def shared_demo_key(server_url: str) -> str | None:
    """The demo key a sandbox of this user shares for ``server_url``, or None.

    Only for a loopback URL (the file describes this machine's sandboxes), only from a file
    that is this user's and unreadable by others, and only while that sandbox runs."""
    parts = urlsplit(server_url)
    if not is_loopback_host(parts.hostname):
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    path = key_file(port)
    try:
        status = path.stat()
    except OSError:
        return None
    if os.name == "posix" and (status.st_uid != os.getuid() or status.st_mode & 0o077):
        return None
    found = _read(path)
    key, pid = found.get("apiKey"), found.get("pid")
    if not isinstance(key, str) or not key or not isinstance(pid, int) or pid <= 0:
        return None
    if not _alive(pid):
        return None
    return key


def _read(path: Path) -> dict[str, object]:
    try:
        found = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap check: a stale key is refused by the server with a clear 401
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
