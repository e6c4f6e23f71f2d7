"""How the console logs in: :func:`console.api.session.connect`, told where the sandboxes on
this machine share their demo keys (:mod:`console.sandbox.keyfile`).

The API layer knows nothing of the sandbox; this module, above both, hands the key lookup to
it as configuration, so ``agent-console --server http://127.0.0.1:PORT`` logs into a local
sandbox with no key typed. No Textual here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.api.session import connect as connect_to
from console.sandbox.keyfile import shared_demo_key

if TYPE_CHECKING:
    from console.api.session import Session
    from console.config import Settings


async def connect(settings: Settings) -> Session:
    """Log in as the settings say; a local sandbox given without a key shares its demo key."""
    return await connect_to(settings, demo_keys=shared_demo_key)
