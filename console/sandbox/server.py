"""Run the sandbox under uvicorn in a background thread with its own event loop."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from console.serving import Stack, server_stack

from .settings import SandboxConfig

if TYPE_CHECKING:
    import uvicorn
    from starlette.routing import BaseRoute

    from .world import Clock


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound to host:port (port 0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
    # proto says TCP, and accepted sockets inherit it. Without it every response stalls.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def public_base_url(host: str, port: int) -> str | None:
    """The base URL others can use; None for wildcard hosts (learned from requests then)."""
    if host in ("0.0.0.0", "::", ""):
        return None
    return url_for(host, port)


class SandboxServer:
    """``start()`` binds, serves in a thread and returns the URL; ``stop()`` shuts down.

    The sandbox never shares the caller's event loop (a 10,000-message batch emits tens of
    thousands of webhooks). It runs on ``stack`` (default: the fastest installed, see
    console.serving). Usable as a context manager: ``with SandboxServer(cfg) as url:``.
    """

    def __init__(
        self,
        config: SandboxConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        routes: Sequence[BaseRoute] = (),
        clock: Clock | None = None,
        stack: Stack | None = None,
    ) -> None:
        self.config = config
        self.stack = stack or server_stack()
        self.routes = tuple(routes)
        self.clock = clock
        self.host = host
        self.port = port
        self.url: str | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> str:
        import uvicorn

        from console.serving import run, uvicorn_config

        from .app import create_sandbox_app

        if self._thread is not None:
            raise RuntimeError("sandbox server already started")
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self.url = url_for(self.host, self.port)
        config = self.config
        if config.base_url is None:
            config = dataclasses.replace(config, base_url=public_base_url(self.host, self.port))
        self.config = config
        self.app = create_sandbox_app(config, routes=self.routes, clock=self.clock)
        self.app.state.world.http_parser = self.stack.http
        server = uvicorn.Server(
            uvicorn_config(
                self.app,
                self.stack,
                log_level="warning",
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=2,
            )
        )
        self._server = server

        def serve() -> None:
            try:
                run(server.serve(sockets=[sock]), self.stack)
            except BaseException as error:  # reported by start() or stop()
                self._error = error
            finally:
                sock.close()

        self._thread = threading.Thread(target=serve, name="sandbox-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sandbox server did not start: {self._error!r}")
            time.sleep(0.01)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        server = self._server
        if server is not None:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and server is not None:
                server.force_exit = True
                self._thread.join(timeout)
        self._thread = None
        self._server = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
