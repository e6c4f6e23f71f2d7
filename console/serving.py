"""How the sandbox and the relay run under uvicorn: on uvloop with httptools when their wheels
are installed, on asyncio with h11 (pure Python) where one is missing.

uvicorn picks uvloop only through its own loop set-up (``Server.run``), and its ``auto``
HTTP choice is made once, when uvicorn is first imported. Our servers start their own
coroutine (a listening socket of their own, a banner, a thread for the embedded sandbox), so
they ask :func:`server_stack` what is installed, build the ``uvicorn.Config`` with
:func:`uvicorn_config` and run their coroutine on :func:`run`'s loop.

Measured on loopback (2 cores, bench/sandbox.py and bench/relay.py): httptools alone takes
the sandbox from ~1,100 to ~2,300 single sends/s; uvloop adds the rest (figures in the
commit that made this the default).

``AGENT_CONSOLE_SERVER_STACK`` overrides the choice: ``pure`` (asyncio + h11, what runs where
no wheel exists), ``httptools`` (asyncio + httptools) or ``auto`` (the default).
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    import uvicorn

STACK_ENV = "AGENT_CONSOLE_SERVER_STACK"
T = TypeVar("T")

Loop = Literal["uvloop", "asyncio"]
Http = Literal["httptools", "h11"]


@dataclass(frozen=True)
class Stack:
    """The event loop and the HTTP parser a server runs on."""

    loop: Loop
    http: Http

    def describe(self) -> str:
        return f"{self.loop} + {self.http}"

    def loop_factory(self) -> Callable[[], asyncio.AbstractEventLoop] | None:
        """What ``asyncio.Runner`` makes its loop with (None: asyncio's own)."""
        if self.loop == "uvloop":
            import uvloop

            return uvloop.new_event_loop
        return None


PURE = Stack("asyncio", "h11")


def _installed(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:  # no wheel for this platform, or not installed
        return False
    return True


def server_stack(choice: str | None = None) -> Stack:
    """The fastest stack installed, or the one ``choice`` (or the environment) asks for.

    A choice that names something not installed falls back to what is; an unknown choice
    is a ValueError.
    """
    choice = (choice or os.environ.get(STACK_ENV) or "auto").strip().lower()
    if choice not in ("auto", "pure", "httptools"):
        raise ValueError(f"{STACK_ENV} must be auto, pure or httptools, not {choice!r}")
    if choice == "pure":
        return PURE
    http: Http = "httptools" if _installed("httptools") else "h11"
    loop: Loop = "uvloop" if choice == "auto" and _installed("uvloop") else "asyncio"
    return Stack(loop, http)


def uvicorn_config(app: Any, stack: Stack, **options: Any) -> uvicorn.Config:
    """A uvicorn Config serving ``app`` with ``stack``'s HTTP parser (and its loop named)."""
    import uvicorn

    return uvicorn.Config(app, loop=stack.loop, http=stack.http, **options)


def run(main: Coroutine[Any, Any, T], stack: Stack) -> T:
    """``asyncio.run(main)`` on ``stack``'s event loop (in any thread)."""
    with asyncio.Runner(loop_factory=stack.loop_factory()) as runner:
        return runner.run(main)


def running_loop_kind() -> Loop:
    """Which kind of loop the caller runs on: "uvloop" or "asyncio"."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.split(".")[0] == "uvloop" else "asyncio"
