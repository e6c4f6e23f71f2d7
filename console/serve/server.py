"""The web server behind ``agent-console serve``: textual-serve, one console process per tab.

What it changes from textual-serve's own server, and why:

- The page is our template: the font that textual-serve ships instead of a web-font link
  (demos work offline), a title and an icon, the websocket address taken from the page's
  own address, and a Content-Security-Policy that lets the page reach only this server.
- Each console runs from an argument list (no shell) in its own process group; the API key
  reaches it through its environment, never its command line.
- Closing the tab ends the console: asked to quit, then SIGTERM to its process group, then
  SIGKILL; whatever it started (the embedded sandbox) goes with the group. textual-serve
  itself only asks the app to quit and waits for it, forever if need be. If this server
  is killed outright, each console ends its own group (`console.serve.tab`).
- Only whoever has the link gets a console: the page and its websocket live under a path
  made of a secret drawn for this run (``/<secret>/``, ``/<secret>/ws``), compared in
  constant time; any other request but the static files (fonts, scripts, the icon, which
  start and reach nothing) is refused with 403, whatever its headers. Another local
  user, who can reach any loopback port, cannot open a console without it. There is no
  access log to keep the path, and every response says ``Referrer-Policy: no-referrer``.
  textual-serve's ``/download/{key}`` route is not served: the console delivers no files,
  and textual.js would ask for it without the secret.
- Bound to loopback, it answers only requests addressed to a loopback name (no DNS
  rebinding); its websocket answers only its own page (no other site's script drives
  it), for at most ``max_consoles`` tabs at once.
- Keys the console cannot take (half of a surrogate pair, a key sequence its input parser
  would choke on) are joined to their other half, replaced or dropped, never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import secrets
import shlex
import signal
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from console.net import is_loopback_host

from .protocol import (
    Focus,
    KeyEncoder,
    Keys,
    Ping,
    Resize,
    font_size,
    parse_client_message,
    terminal_size,
)
from .tab import PARENT_VARIABLE

log = logging.getLogger("agent-console.serve")

HERE = Path(__file__).resolve().parent
TITLE = "agent-console"
MAX_CONSOLES = 8  # each tab runs a console and its sandbox: about 100 MB together
QUIT_GRACE = 5.0  # the console's own quit: history flushed, embedded sandbox stopped
TERM_GRACE = 3.0
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
OPEN_ROUTES = frozenset({"static", "favicon", "stylesheet"})  # they start and reach no console
REFUSED = "Open the link that agent-console serve printed: it carries this run's secret.\n"


def new_secret() -> str:
    """The secret of one run's link: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def holds_secret(given: str, secret: str) -> bool:
    """Whether ``given`` is the secret, in time that does not depend on where they differ."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), secret.encode("utf-8"))


def signal_group(pgid: int, signum: int) -> bool:
    """Send ``signum`` to a process group; False when no process is left in it."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a group we never started
        return False
    return True


async def _exited(process: asyncio.subprocess.Process, timeout: float) -> bool:
    try:
        await asyncio.wait_for(asyncio.shield(process.wait()), timeout)
    except TimeoutError:
        return False
    return True


class ConsoleProcess(AppService):
    """One browser tab's console, in a process group of its own."""

    def __init__(
        self,
        argv: Sequence[str],
        environment: Mapping[str, str],
        *,
        quit_grace: float = QUIT_GRACE,
        term_grace: float = TERM_GRACE,
        **kwargs: Any,
    ) -> None:
        super().__init__(shlex.join(argv), **kwargs)
        self.argv = list(argv)
        self.environment = dict(environment)
        self.quit_grace = quit_grace
        self.term_grace = term_grace
        self._stopping: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def _open_app_process(
        self, width: int = 80, height: int = 24
    ) -> asyncio.subprocess.Process:
        environment = self._build_environment(width=width, height=height)
        environment.update(self.environment)
        environment[PARENT_VARIABLE] = str(os.getpid())  # the tab ends if this server dies
        process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,  # its own process group: ended with all it started
        )
        assert process.stdin is not None
        self._process = process
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """Relay the console's output; when it ends (ctrl+q, a crash), close the page's socket
        so the page says the session ended instead of waiting for ever."""
        try:
            await super().run()
        finally:
            with contextlib.suppress(Exception):
                await self.remote_close()

    async def stop(self) -> None:
        """End the console and everything it started. Safe to call more than once; it
        finishes even when the caller is cancelled."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        process = self._process
        with contextlib.suppress(Exception):
            # Ask the console to quit, and wait for its output to end.
            await asyncio.wait_for(super().stop(), self.quit_grace)
        if process is None:
            return
        if not await _exited(process, self.quit_grace):
            log.warning("console %s did not quit: terminating it", process.pid)
            signal_group(process.pid, signal.SIGTERM)
            if not await _exited(process, self.term_grace):
                log.warning("console %s did not terminate: killing it", process.pid)
                signal_group(process.pid, signal.SIGKILL)
                await process.wait()
        # Whatever is left of the group (an embedded sandbox the console could not stop).
        signal_group(process.pid, signal.SIGKILL)


class ConsoleServer(Server):
    """Serves the console to browsers; see the module docstring for what differs."""

    def __init__(
        self,
        argv: Sequence[str],
        environment: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        max_consoles: int = MAX_CONSOLES,
        secret: str | None = None,
    ) -> None:
        super().__init__(
            shlex.join(argv), host=host, port=port, title=TITLE, templates_path=HERE / "templates"
        )
        self.secret = secret or new_secret()
        self.argv = list(argv)
        self.environment = dict(environment)
        self.max_consoles = max_consoles
        self.consoles: set[ConsoleProcess] = set()

    # -- the web application ------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._only_our_hosts, self._only_with_the_secret])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/favicon.svg", self.handle_favicon, name="favicon"),
                web.get("/page.css", self.handle_stylesheet, name="stylesheet"),
                web.static("/static", self.statics_path, name="static"),
                web.get("/{secret}", self.handle_no_slash, name="no-slash"),
                web.get("/{secret}/", self.handle_index, name="index"),
                web.get("/{secret}/ws", self.handle_websocket, name="websocket"),
            ]
        )
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def _only_our_hosts(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """On loopback, a request addressed to any other name is a DNS-rebinding attempt: a
        page elsewhere that made its own name point at this machine."""
        if is_loopback_host(self.host) and not is_loopback_host(
            urlsplit("//" + request.host).hostname
        ):
            raise web.HTTPMisdirectedRequest(text="This console is served on loopback only.\n")
        response: web.StreamResponse = await handler(request)
        if not response.prepared:
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @web.middleware
    async def _only_with_the_secret(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """Every request but the static files carries this run's secret, or gets 403: ``/``,
        ``/ws`` and any path that is not ours too, so a wrong guess learns nothing."""
        route = request.match_info.route.name
        if route not in OPEN_ROUTES and not holds_secret(
            request.match_info.get("secret", ""), self.secret
        ):
            raise web.HTTPForbidden(text=REFUSED, headers={"Referrer-Policy": "no-referrer"})
        response: web.StreamResponse = await handler(request)
        return response

    async def handle_no_slash(self, request: web.Request) -> web.Response:
        """The link typed without its last slash: the page's relative addresses need it."""
        query = f"?{request.query_string}" if request.query_string else ""
        raise web.HTTPFound(f"{request.path}/{query}")

    async def handle_index(self, request: web.Request) -> web.Response:  # type: ignore[override]
        context = {
            "title": self.title,
            "font_size": font_size(request.query.get("fontsize")),
        }
        response = aiohttp_jinja2.render_template("index.html", request, context)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def handle_favicon(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(HERE / "favicon.svg", headers={"Content-Type": "image/svg+xml"})

    async def handle_stylesheet(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(HERE / "page.css", headers={"Content-Type": "text/css"})

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
            # Browsers let any site open a websocket anywhere: only our own page may drive it.
            raise web.HTTPForbidden(text="Only this console's own page can connect.\n")
        if len(self.consoles) >= self.max_consoles:
            log.warning("a tab was refused: %d consoles are open", len(self.consoles))
            raise web.HTTPServiceUnavailable(
                text=f"{len(self.consoles)} consoles are open here: close a tab first.\n"
            )
        websocket = web.WebSocketResponse(heartbeat=15)
        width = terminal_size(request.query.get("width", "80"), 80)
        height = terminal_size(request.query.get("height", "24"), 24)
        console = ConsoleProcess(
            self.argv,
            self.environment,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        self.consoles.add(console)  # counted from here: no await since the limit's check
        try:
            await websocket.prepare(request)
            await console.start(width, height)
            log.info("a tab opened: console %s started", console.pid)
            await self._relay_input(websocket, console)
        except (ConnectionError, OSError) as error:
            log.warning("console session ended: %s", error)
        finally:
            try:
                await console.stop()
            finally:
                self.consoles.discard(console)
                log.info("a tab closed: console %s ended", console.pid)
        return websocket

    async def _relay_input(self, websocket: web.WebSocketResponse, console: ConsoleProcess) -> None:
        """What the page sends, checked, to the console; until the page goes away."""
        keys = KeyEncoder()
        async for frame in websocket:
            if frame.type != WSMsgType.TEXT:
                continue
            match parse_client_message(frame.data):
                case Keys(text):
                    # Nothing to send when half an emoji waits for its other half: an empty
                    # packet would stall the console's input.
                    if data := keys.encode(text):
                        await console.send_bytes(data)
                case Resize(width, height):
                    await console.set_terminal_size(width, height)
                case Ping(token):
                    await websocket.send_json(["pong", token])
                case Focus(True):
                    await console.focus()
                case Focus(False):
                    await console.blur()
                case None:
                    pass

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its own banner here; ours comes from the command."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl-C or SIGTERM: end every console (and its sandbox) before the server goes."""
        await asyncio.gather(
            *(console.stop() for console in list(self.consoles)), return_exceptions=True
        )

    # -- running --------------------------------------------------------------------------

    def run(self, ready: Callable[[int], None]) -> None:
        """Serve until SIGINT or SIGTERM; ``ready(port)`` is called once listening."""
        logging.basicConfig(level=logging.WARNING, format="agent-console serve: %(message)s")
        log.setLevel(logging.INFO)  # one line per tab opened and closed
        asyncio.run(self._serve(ready))

    async def _serve(self, ready: Callable[[int], None]) -> None:
        runner = web.AppRunner(self.build_app(), handle_signals=False, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            port = runner.addresses[0][1]
            ready(port)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()
