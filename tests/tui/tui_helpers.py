"""Helpers shared by the TUI tests and scripts/screenshots.py: a console wired to a known
sandbox, and waiting for conditions instead of sleeping."""

from __future__ import annotations

import dataclasses
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from textual.app import App
from textual.pilot import Pilot

from console.api.session import Session, connect
from console.app import AgentConsole
from console.config import Endpoints, Settings
from console.core.service import Clock
from console.sandbox.app import SandboxConfig
from console.sandbox.server import SandboxServer
from console.ui.browser import Browser
from console.ui.state import EventsState, LoginState

WEBHOOK_SECRET = "tui-webhook-secret"  # the test sandbox's webhook Authorization
DEMO_KEY = "demo-key-for-screenshots-4f2a9c"
DEMO_SUBACCOUNT = "sandbox"


S = TypeVar("S")

NO_BROWSER = Browser(lambda url: False, environ={}, platform="linux")

# The last console made on each data folder: the next one on it waits until that one has
# closed its history (let go of the folder), as a restarted console's process starts after
# the old one's exited. Without it, a loaded machine's close thread could still hold the
# folder when the new console opened it (HistoryLocked: the history never opened).
_LAST_ON: weakref.WeakValueDictionary[Path, AgentConsole] = weakref.WeakValueDictionary()


def after_the_last_on(data_dir: Path | None, app: AgentConsole) -> AgentConsole:
    """`app`, once the console made before it on `data_dir` has closed (see _LAST_ON)."""
    if data_dir is not None:
        previous = _LAST_ON.get(data_dir)
        if previous is not None:
            assert previous.wait_closed(30), "the console before did not close its history"
        _LAST_ON[data_dir] = app
    return app


def console_for(
    server_url: str,
    data_dir: Path | None = None,
    *,
    keymap: dict[str, str] | None = None,
    agent: str = "ana",
    clock: Clock | None = None,
    browser: Browser | None = None,
) -> AgentConsole:
    """An AgentConsole on a sandbox at `server_url`, labelled plain "sandbox" so screenshots
    and snapshots do not depend on the random port; the agent is `agent`."""
    settings = Settings(
        api_key=DEMO_KEY,
        subaccount=DEMO_SUBACCOUNT,
        server=server_url,
        data_dir=data_dir,
        keymap=keymap or {},
        agent=agent,
    )

    async def labelled_connect(settings: Settings) -> Session:
        session = await connect(settings)
        return dataclasses.replace(session, target="sandbox", server_url=None)

    app = AgentConsole(
        settings,
        connector=labelled_connect,
        clock=clock or time.time,
        browser=browser or NO_BROWSER,
    )
    return after_the_last_on(data_dir, app)


def login_console(
    server_url: str,
    data_dir: Path | None = None,
    *,
    clock: Clock | None = None,
    attempts: list[Settings] | None = None,
    **settings: object,
) -> AgentConsole:
    """A console that starts on the login screen (``start = "login"``, no key configured) as
    if it talked to 8x8 itself: a key the agent types is checked by the sandbox at
    `server_url`, and the session is labelled with the form's region, as 8x8 logins are.
    "Sandbox (demo)" logs in with the sandbox's demo key, as the embedded sandbox would. Each
    login's settings are appended to `attempts`."""
    base = Settings(data_dir=data_dir, start="login")
    base = dataclasses.replace(base, **settings)  # type: ignore[arg-type]

    async def routed_connect(settings: Settings) -> Session:
        if attempts is not None:
            attempts.append(settings)
        if settings.api_key:
            routed = dataclasses.replace(settings, server=server_url)
            target = Endpoints.for_region(settings.region).label
        else:
            routed = dataclasses.replace(
                settings, server=server_url, api_key=DEMO_KEY, subaccount=DEMO_SUBACCOUNT
            )
            target = "sandbox"
        session = await connect(routed)
        return dataclasses.replace(session, target=target, server_url=None, demo=True)

    app = AgentConsole(base, connector=routed_connect, clock=clock or time.time, browser=NO_BROWSER)
    return after_the_last_on(data_dir, app)


async def wait_for(pilot: Pilot, predicate: Callable[[], object], timeout: float = 15.0) -> None:
    """Let the app run until `predicate()` holds, or fail with the timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)


def shows(app: App[object], *texts: str) -> Callable[[], bool]:
    """A condition for `wait_for`: the terminal shows every one of `texts`."""
    return lambda: all(text in screen_text(app) for text in texts)


def palette_offers(app: App[object], command: str) -> Callable[[], bool]:
    """A condition for `wait_for`: the open command palette highlights `command`."""
    from textual.command import CommandList, CommandPalette

    def offered() -> bool:
        if not isinstance(app.screen, CommandPalette):
            return False
        commands = app.screen.query_one(CommandList)
        index = commands.highlighted
        if index is None:
            return False
        return command in str(commands.get_option_at_index(index).prompt)

    return offered


def on_mode(app: AgentConsole, mode: str) -> Callable[[], bool]:
    return lambda: app.current_mode == mode and app.screen.is_mounted


def press(app, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Press a dialog's button (as Enter on it would), wherever the layout put it."""
    from textual.widgets import Button

    app.screen.query_one(selector, Button).press()


def connected(app: AgentConsole) -> bool:
    return app.connection.state is LoginState.CONNECTED


def events_live(app: AgentConsole) -> bool:
    return app.connection.events.state is EventsState.LIVE


def screen_text(app: App[object]) -> str:
    """Everything the terminal shows right now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def open_compose(app: AgentConsole, pilot: Pilot):  # type: ignore[no-untyped-def]
    """Wait for the login, open the composer (F5) and return its screen."""
    from console.screens.compose import ComposeScreen

    await wait_for(pilot, lambda: connected(app))
    await pilot.press("f5")
    await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
    screen = app.screen
    assert isinstance(screen, ComposeScreen)
    return screen


async def send_from_compose(pilot: Pilot, screen, number: str, text: str) -> str:  # type: ignore[no-untyped-def]
    """Type a number and a text into the open composer, send, and return the new row's umid."""
    from console.widgets.message_editor import MessageEditor
    from console.widgets.sent_table import SentTable

    table = screen.query_one(SentTable)
    before = table.row_count
    await pilot.click("#to")
    await pilot.press(*number)
    screen.query_one(MessageEditor).insert(text)
    await pilot.press("ctrl+j")
    await wait_for(pilot, lambda: table.row_count == before + 1)
    return str(table.get_row_at(table.row_count - 1)[1])


async def confirm_send(pilot: Pilot, app: AgentConsole) -> list[str]:
    """Wait for the guard's question before a batch, press Send; return the dialog's lines."""
    from textual.widgets import Static

    from console.screens.confirm_send_dialog import ConfirmSendDialog

    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmSendDialog))
    dialog = app.screen
    lines = str(dialog.query_one("#confirm-lines", Static).render()).splitlines()
    await pilot.click("#send")
    await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmSendDialog))
    return lines


def quiet_sandbox(seed: int, undelivered_share: float = 0.0, **overrides: Any) -> Iterator[str]:
    """A quiet sandbox (no scripted customers) with fast receipts, while iterated; other
    SandboxConfig settings as keywords (speed, webhook_url, …)."""
    settings: dict[str, Any] = {
        "speed": 5.0,
        "customers": False,
        "undelivered_share": undelivered_share,
        "webhook_secret": WEBHOOK_SECRET,
    }
    config = SandboxConfig(
        api_keys=(DEMO_KEY,), subaccount=DEMO_SUBACCOUNT, seed=seed, **(settings | overrides)
    )
    server = SandboxServer(config)
    url = server.start()
    yield url
    server.stop()


async def open_section(app: AgentConsole, pilot: Pilot, key: str, screen_type: type[S]) -> S:
    """Wait for the login, press a section's key and return its screen."""
    await wait_for(pilot, lambda: connected(app))
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, screen_type))
    screen = app.screen
    assert isinstance(screen, screen_type)
    return screen
