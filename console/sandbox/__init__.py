"""The sandbox: an ASGI app that imitates 8x8's SMS, Chat Apps and Video Interaction APIs.

Exports load lazily (PEP 562) so importing ``console.sandbox.command`` for ``--help`` stays
cheap: Starlette and uvicorn are imported only when the sandbox is built or served.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_sandbox_app
    from .server import SandboxServer
    from .settings import SandboxConfig, generate_demo_key

__all__ = ["SandboxConfig", "SandboxServer", "create_sandbox_app", "generate_demo_key"]

_HOMES = {
    "SandboxConfig": "settings",
    "generate_demo_key": "settings",
    "create_sandbox_app": "app",
    "SandboxServer": "server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{home}"), name)
