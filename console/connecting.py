"""How the console logs in: :func:`console.api.session.connect`, told where the sandboxes on
this machine share their demo keys (:mod:`console.sandbox.keyfile`).

The API layer knows nothing of the sandbox; this module, above both, hands the key lookup to
it as configuration, so ``agent-console --server http://127.0.0.1:PORT`` logs into a local
sandbox with no key typed. No Textual here.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from console.api.session import EmbeddedSandbox
from console.api.session import connect as connect_to
from console.sandbox.keyfile import shared_demo_key

if TYPE_CHECKING:
    from console.api.session import Session
    from console.config import Settings


async def connect(settings: Settings) -> Session:
    """Log in as the settings say; a local sandbox given without a key shares its demo key."""
    return await connect_to(settings, demo_keys=shared_demo_key)


class EarlySandbox:
    """The embedded sandbox spawned before the UI (``agent-console`` with no key): its
    start-up (~0.3-0.5 s) runs on the other core while the console imports and draws Home,
    instead of after the first frame. The first login uses it; any later one (ctrl+r after
    it stopped, "Sandbox" on the login screen) starts a new one as before."""

    def __init__(self, settings: Settings, process: asyncio.subprocess.Process) -> None:
        self._settings = settings
        self._process: asyncio.subprocess.Process | None = process

    @classmethod
    async def spawn(cls, settings: Settings) -> EarlySandbox:
        process = await EmbeddedSandbox.spawn(settings.sandbox_seed, settings.sandbox_speed)
        return cls(settings, process)

    def take(self, settings: Settings) -> asyncio.subprocess.Process | None:
        """The early process, once, for a login that wants that same sandbox."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return None
        same = (settings.sandbox_seed, settings.sandbox_speed) == (
            self._settings.sandbox_seed,
            self._settings.sandbox_speed,
        )
        if not (settings.embedded_sandbox and same):
            process.kill()  # not the sandbox this login asks for: it must not linger
            return None
        return process

    async def connect(self, settings: Settings) -> Session:
        """The console's connector: :func:`connect`, with the early sandbox the first time."""
        return await connect_to(
            settings, demo_keys=shared_demo_key, sandbox_process=self.take(settings)
        )
