"""Connecting the console to 8x8, a remote sandbox, or the embedded sandbox (an I/O edge:
it spawns the sandbox and calls HTTP; no Textual here)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from console.config import DEFAULT_SANDBOX_SUBACCOUNT, Settings, mask_key

if TYPE_CHECKING:
    from console.api.client import CpaasClient
    from console.config import Endpoints


class ConnectError(Exception):
    """Connecting failed; the message is for the agent.

    `refused` names the field 8x8 refused ("key": code 1200, or the key cannot be sent;
    "subaccount": code 1001, the key does not own it), so the login screen puts the cursor
    there; `unreachable` says the server could not be reached (worth a retry)."""

    def __init__(self, message: str, *, refused: str = "", unreachable: bool = False) -> None:
        super().__init__(message)
        self.refused = refused
        self.unreachable = unreachable

    @classmethod
    def from_error(cls, error: BaseException, subaccount: str) -> ConnectError:
        """What a failed login says to the agent, by what failed."""
        from console.api.errors import (
            CODE_SUBACCOUNT_NOT_OWNED,
            NetworkError,
            ServerError,
            Unauthenticated,
        )

        if isinstance(error, Unauthenticated):
            if error.code == CODE_SUBACCOUNT_NOT_OWNED:
                return cls(
                    f"The sub-account {subaccount!r} was refused (8x8 code 1001): this API key "
                    "does not own it. Check the sub-account.",
                    refused="subaccount",
                )
            code = f" (8x8 code {error.code})" if error.code else ""
            return cls(
                f"The API key was refused{code}. Check the key: copy it again from the 8x8 "
                "Connect portal.",
                refused="key",
            )
        if isinstance(error, NetworkError | ServerError):
            return cls(f"The service could not be reached: {error.readable}", unreachable=True)
        readable = getattr(error, "readable", None) or str(error) or type(error).__name__
        return cls(readable)


SANDBOX_NICE = 5  # the embedded sandbox's CPU priority below the console's


@dataclass
class EmbeddedSandbox:
    """The sandbox running in a child process, so it never shares the UI's event loop.

    The child watches its stdin: when the console dies, the pipe closes and the child exits.
    """

    url: str
    api_key: str = field(repr=False)
    subaccount: str
    process: asyncio.subprocess.Process
    account_id: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)  # its relay's, for Tools
    channels: dict[str, str] = field(default_factory=dict)  # channel → its id
    last_errors: deque[str] = field(default_factory=lambda: deque(maxlen=20), repr=False)
    _drain: asyncio.Task[None] | None = field(default=None, repr=False)

    @staticmethod
    async def spawn(seed: int | None = None, speed: float = 1.0) -> asyncio.subprocess.Process:
        """Start the child and return at once (it takes a few hundred ms to be ready): the
        console starts it before its own UI, so both start up side by side."""
        args = [
            sys.executable,
            "-P",  # never import a console.py or console/ from the current folder
            "-m",
            "console",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--ready-json",
            "--exit-with-stdin",
            # The agent's screen first: when both cores are busy, the sandbox waits.
            "--nice",
            str(SANDBOX_NICE),
            "--speed",
            str(speed),
        ]
        if seed is not None:
            args += ["--seed", str(seed)]
        env = dict(os.environ)
        env.pop("CPAAS_API_KEY", None)
        return await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )

    @classmethod
    async def start(
        cls,
        seed: int | None = None,
        speed: float = 1.0,
        timeout: float = 20.0,
        *,
        process: asyncio.subprocess.Process | None = None,
    ) -> EmbeddedSandbox:
        """The sandbox once it is ready: `process` when it was spawned already (`spawn`)."""
        if process is None:
            process = await cls.spawn(seed, speed)
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
            ready = json.loads(line)
            sandbox = cls(
                url=ready["url"],
                api_key=ready["api_key"],
                subaccount=ready["subaccount"],
                process=process,
                account_id=ready.get("account_id"),
                webhook_secret=ready.get("webhook_secret"),
                channels=_channels(ready.get("channels")),
            )
        except BaseException as error:
            if not isinstance(error, TimeoutError | ValueError | KeyError | TypeError):
                # Cancelled (the agent pressed ctrl+r, or quit): never leave the child behind.
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                raise
            stderr = b""
            with contextlib.suppress(Exception):
                process.kill()
                if process.stderr is not None:
                    stderr = await asyncio.wait_for(process.stderr.read(), 2)
            tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [str(error)]
            raise ConnectError(f"The embedded sandbox did not start: {tail[0]}") from error
        # Keep reading its stderr (tracebacks, warnings) so a full pipe never blocks it.
        sandbox._drain = asyncio.create_task(sandbox._drain_stderr())
        return sandbox

    async def _drain_stderr(self) -> None:
        stream = self.process.stderr
        if stream is None:
            return
        while line := await stream.readline():
            self.last_errors.append(line.decode(errors="replace").rstrip())

    def terminate(self) -> None:
        """Tell the child to stop, without waiting (quitting): SIGTERM, and its stdin closed,
        which it also obeys (``--exit-with-stdin``)."""
        if self._drain is not None:
            self._drain.cancel()
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        if self.process.stdin is not None:
            with contextlib.suppress(Exception):
                self.process.stdin.close()

    async def stop(self) -> None:
        """Stop the child and wait until it is gone (before starting another one)."""
        self.terminate()
        if self.process.returncode is not None:
            return
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


@dataclass
class Session:
    """A logged-in connection: the API client and what the header shows about it."""

    client: CpaasClient
    target: str
    subaccount: str
    masked_key: str
    key_tail: str
    server_url: str | None = None
    events_url: str | None = None
    events_token: str | None = field(default=None, repr=False)
    events_note: str = ""  # why there is no event stream, when there is none
    sandbox: EmbeddedSandbox | None = None
    demo: bool = False  # a sandbox (embedded or at --server), not 8x8: every header says so
    account_id: str | None = None  # the configuration API's, balance's and prices' account
    channel_ids: dict[str, str] = field(default_factory=dict)  # e.g. WhatsApp's (templates)

    @property
    def resume_key(self) -> str | None:
        """Where this session's events keep their resume point: the relay's URL. None for
        the embedded sandbox, a new world each run (its stream starts from its beginning)."""
        return None if self.sandbox is not None else self.events_url

    async def close(self, *, wait: bool = True) -> None:
        """Close the API client and stop the embedded sandbox; `wait=False` (quitting) does
        not wait for the sandbox to exit."""
        with contextlib.suppress(Exception):
            await self.client.aclose()
        if self.sandbox is not None:
            if wait:
                await self.sandbox.stop()
            else:
                self.sandbox.terminate()


async def relay_token(settings: Settings, api_key: str) -> str | None:
    """The token this console shows the relay (``settings.relay``): the agent's own, from
    the environment (``CPAAS_EVENTS_TOKEN``) or else the OS keyring when the agent kept it
    there; None when there is none. The API key stands in only for a sandbox's demo relay: a
    relay in front of 8x8 is never sent the 8x8 key."""
    if settings.events_token:
        return settings.events_token
    if settings.relay is not None:
        from console.api.keystore import load_events_token

        saved = await asyncio.to_thread(load_events_token, settings.relay)
        if saved:
            return saved
    return api_key if settings.is_sandbox else None


def _events_url(base: str) -> str:
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://") + "/events"
    return "ws://" + base.removeprefix("http://") + "/events"


DemoKeys = Callable[[str], str | None]
"""Where a server's demo key is found when the settings give none: the server's URL to its
key, or None (console.connecting passes the local sandboxes' shared key files)."""


def no_demo_keys(server_url: str) -> str | None:
    return None


async def connect(
    settings: Settings,
    *,
    demo_keys: DemoKeys = no_demo_keys,
    sandbox_process: asyncio.subprocess.Process | None = None,
) -> Session:
    """Start or reach the server named by the settings, log in, and prove the key works.

    A server given without a key (``--server URL``) is logged into with ``demo_keys(URL)``:
    the caller's configuration, since this layer knows nothing of how sandboxes share keys.
    `sandbox_process`: the embedded sandbox, spawned already (`EmbeddedSandbox.spawn`)."""
    from console.config import Endpoints

    sandbox: EmbeddedSandbox | None = None
    info: dict[str, object] = {}
    if settings.embedded_sandbox:
        # The API client's modules (httpx: ~150 ms) load on a thread while the sandbox boots.
        asyncio.get_running_loop().run_in_executor(None, _load_client_module)
        sandbox = await EmbeddedSandbox.start(
            settings.sandbox_seed, settings.sandbox_speed, process=sandbox_process
        )
        base = sandbox.url
        api_key, subaccount = sandbox.api_key, sandbox.subaccount
        info = {"accountId": sandbox.account_id, "channels": sandbox.channels}
        endpoints = Endpoints.for_server(base, label="sandbox")
        target = "sandbox"
    elif settings.server is not None:
        base = settings.server
        api_key = settings.api_key or demo_keys(base) or _no_key(base)
        info = await _sandbox_info(base)
        subaccount = settings.subaccount or DEFAULT_SANDBOX_SUBACCOUNT
        endpoints = settings.endpoints()
        target = f"sandbox {base.removeprefix('http://').removeprefix('https://')}"
    else:
        base = None
        assert settings.api_key and settings.subaccount
        api_key, subaccount = settings.api_key, settings.subaccount
        endpoints = settings.endpoints()
        target = endpoints.label
    events_url = _events_url(base) if base else None
    events_token = api_key if base else None
    events_note = ""
    if settings.server is not None and info.get("events", "/events") is None:
        events_url = None  # this sandbox posts its webhooks elsewhere: no relay to follow
        events_note = "this sandbox sends its webhooks elsewhere: pass --relay URL"
    if settings.relay is not None:
        relay = settings.relay.replace("ws://", "http://").replace("wss://", "https://")
        events_url = _events_url(relay.removesuffix("/events"))
        events_token = await relay_token(settings, api_key)
        events_note = ""
        if events_token is None:
            events_url = None
            events_note = (
                "no token for the relay: set CPAAS_EVENTS_TOKEN, or `agent-console "
                "events-token --relay URL` to keep it in the keyring"
            )
    if events_url is None and not events_note:
        events_note = "no relay configured: set CPAAS_RELAY_URL for live receipts"
    # Importing httpx and building its SSL context takes ~150 ms: keep it off the UI loop.
    try:
        client = await asyncio.to_thread(_build_client, endpoints, api_key, subaccount)
    except BaseException as error:
        if sandbox is not None:
            await asyncio.shield(sandbox.stop())
        if isinstance(error, ValueError):  # a key a header cannot carry: said without the key
            raise ConnectError(str(error), refused="key") from None
        raise
    session = Session(
        client=client,
        target=target,
        subaccount=subaccount,
        masked_key=mask_key(api_key),
        key_tail=api_key[-6:],
        server_url=base,
        events_url=events_url,
        events_token=events_token,
        events_note=events_note,
        sandbox=sandbox,
        demo=settings.is_sandbox,
        account_id=settings.account_id or _str(info.get("accountId")),
        channel_ids=_channels(info.get("channels")),
    )
    try:
        await client.verify()
    except asyncio.CancelledError:
        await asyncio.shield(session.close())
        raise
    except Exception as error:
        await session.close()
        raise ConnectError.from_error(error, subaccount) from error
    return session


def _channels(value: object) -> dict[str, str]:
    """A sandbox's channel ids ({"whatsapp": id, …}); nothing else is kept."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str) and v}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _load_client_module() -> None:
    """Import the API client ahead of its first use (a failure is the build's to report)."""
    with contextlib.suppress(Exception):
        import console.api.client  # noqa: F401


def _build_client(endpoints: Endpoints, api_key: str, subaccount: str) -> CpaasClient:
    from console.api.client import CpaasClient

    return CpaasClient(endpoints, api_key, subaccount)


async def _sandbox_info(base: str) -> dict[str, object]:
    """What a sandbox says about itself; {} from a server that is not one (a relay behind a
    proxy): the login that follows tells whether the key works there."""
    import httpx

    try:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(f"{base}/sandbox/info")
            response.raise_for_status()
            info = response.json()
    except (httpx.HTTPError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _no_key(base: str) -> NoReturn:
    raise ConnectError(
        f"No API key for {base}: type it below, or pass it in CPAAS_API_KEY (a sandbox you "
        "started on this machine without --api-key shares its own)."
    )
