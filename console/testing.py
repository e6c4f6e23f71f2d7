"""Helpers for tests and screenshots: a console wired to a known sandbox (no Textual import
until the app is built)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from console.config import Settings
from console.session import Session, connect

if TYPE_CHECKING:
    from console.app import AgentConsole

DEMO_KEY = "demo-key-for-screenshots-4f2a9c"
DEMO_SUBACCOUNT = "sandbox"


def console_for(server_url: str, data_dir: Path | None = None, **kwargs: object) -> AgentConsole:
    """An AgentConsole on a sandbox at `server_url`, labelled plain "sandbox" so screenshots
    and snapshots do not depend on the random port."""
    from console.app import AgentConsole

    settings = Settings(
        api_key=DEMO_KEY, subaccount=DEMO_SUBACCOUNT, server=server_url, data_dir=data_dir
    )

    async def labelled_connect(settings: Settings) -> Session:
        session = await connect(settings)
        return dataclasses.replace(session, target="sandbox", server_url=None)

    return AgentConsole(settings, connector=labelled_connect, **kwargs)  # type: ignore[arg-type]
