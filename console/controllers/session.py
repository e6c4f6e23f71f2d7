"""The login and the session: connect (a worker; the header shows progress), set up the
session's services, tear them down on failure or log-out, and what the login screen needs
(the key in memory, the OS keyring, the start choice written to config.toml).

The states are those of `app.connection` (console/ui/state.py): logged out → connecting →
connected, or failed (ctrl+r or the login screen tries again).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from console.config import START_LOGIN, START_SANDBOX
from console.messages import (
    ConnectFailed,
    KeyringChecked,
    KeyringSaved,
    SavedKeyFound,
    SessionStarted,
)
from console.ui.state import BalanceStatus, ConnectionInfo, EventsState, EventsStatus, LoginState

if TYPE_CHECKING:
    from console.app import AgentConsole
    from console.core.login import LoginRequest

ROOM_WATCH_SECONDS = 5.0  # how often open rooms ask the call reports whether the guest joined
log = logging.getLogger(__name__)


class SessionFlow:
    def __init__(self, app: AgentConsole) -> None:
        self.app = app
        self._pending_login: LoginRequest | None = None
        self._pending_start: str | None = None
        self._saved_key_value: str | None = None
        self.restore_section: str | None = None  # where the agent was, before a dropped session

    def secrets(self) -> Iterable[str]:
        """Every secret in memory: never copied, never saved with the drafts."""
        app = self.app
        if app.settings.api_key:
            yield app.settings.api_key
        if self._saved_key_value:
            yield self._saved_key_value
        if app.session is not None and app.session.sandbox is not None:
            yield app.session.sandbox.api_key
            if app.session.sandbox.webhook_secret:
                yield app.session.sandbox.webhook_secret

    # -- the states ------------------------------------------------------------------------

    async def tear_down(self) -> None:
        """Drop the session and its event stream (before logging in again)."""
        app = self.app
        for group in ("events", "sandbox-watch", "rooms-watch", "team"):
            app.workers.cancel_group(app, group)
        app.sender = None
        app.room_service = None
        app.replier = None
        await app.team_wiring.stop()
        if app.stream is not None:
            stream, app.stream = app.stream, None
            await stream.close()
        if app.session is not None:
            session, app.session = app.session, None
            await session.close()

    async def reconnect(self) -> None:
        """(Re)start the login; the header shows progress instead of a frozen state."""
        connection = self.app.connection
        if connection.state is LoginState.CONNECTING and connection.detail:
            return  # a login is under way: a second one would start a second sandbox
        if connection.connected and self.app.session is not None:
            return
        if connection.state is LoginState.LOGGED_OUT:
            await self.app.switch_mode("login")  # logged out: only the agent chooses what next
            return
        await self._start_login()

    async def _start_login(self) -> None:
        app = self.app
        await self.tear_down()
        settings = app.settings
        detail = (
            "starting the embedded sandbox…"
            if settings.embedded_sandbox
            else f"connecting to {settings.mode_label}…"
        )
        app.connection = ConnectionInfo(
            LoginState.CONNECTING, detail=detail, demo=settings.is_sandbox
        )
        app.run_worker(
            self._connect(),
            group="session",
            exclusive=True,
            exit_on_error=False,
            description="Logging in",
        )

    async def _connect(self) -> None:
        from console.api.session import ConnectError  # with the login, after the first frame

        try:
            session = await self.app.connector(self.app.settings)
        except ConnectError as error:
            self.app.post_message(ConnectFailed(str(error), error.refused, error.unreachable))
            return
        self.app.post_message(SessionStarted(session))

    async def log_in(self, request: LoginRequest) -> None:
        """Log in with what the agent typed on the login screen (checked by 8x8 in a worker)."""
        self._pending_login = request
        self._pending_start = START_LOGIN
        self.app.settings = dataclasses.replace(
            self.app.settings,
            api_key=request.api_key,
            subaccount=request.subaccount,
            region=request.region,
        )
        await self._restart_login()

    async def use_sandbox(self) -> None:
        """ "Sandbox (demo, no account)": the embedded sandbox (or the --server's demo key)."""
        self._pending_login = None
        self._pending_start = START_SANDBOX
        self.app.settings = dataclasses.replace(self.app.settings, api_key=None)
        await self._restart_login()

    async def _restart_login(self) -> None:
        """Another login asked for by the agent: whatever was under way gives way to it."""
        self.app.workers.cancel_group(self.app, "session")
        await self._start_login()

    async def log_out(self) -> None:
        """Close the session, stop the event stream, forget the key; the login screen opens."""
        app = self.app
        await self.tear_down()
        app.workers.cancel_group(app, "session")
        app.settings = dataclasses.replace(app.settings, api_key=None)
        self._pending_login = None
        self._forget_saved_key()
        app.core.logged_out()
        app.balance = BalanceStatus()
        app.connection = ConnectionInfo(
            LoginState.LOGGED_OUT, detail="Logged out: the session is closed, the key forgotten."
        )
        await app.switch_mode("login")

    async def started(self, message: SessionStarted) -> None:
        from console.core.replying import ReplySender
        from console.core.roomservice import RoomService
        from console.core.sending import SmsSender
        from console.live.team_client import TeamPoster, team_url

        app = self.app
        if app.session is not None:
            await app.session.close()
        session = app.session = message.session
        if app.history_keeper.closing is not None:  # logged in while quitting
            await session.close(wait=False)
            return
        app.sender = SmsSender(session.client, app.core)
        app.room_service = RoomService(session.client, app.core, agent_name=app.settings.agent)
        app.replier = ReplySender(
            session.client,
            app.sender,
            app.core,
            account_id=session.account_id,
            channel_ids=session.channel_ids,
        )
        if session.events_url and session.events_token:
            app.team_wiring.start(TeamPoster(team_url(session.events_url), session.events_token))
        app.core.follow(session.resume_key)
        app.core.logged_in(session.subaccount, session.target, session.key_tail)
        app.connection = ConnectionInfo(
            LoginState.CONNECTED,
            target=session.target,
            subaccount=session.subaccount,
            masked_key=session.masked_key,
            server_url=session.server_url or "",
            events=(
                EventsStatus(EventsState.CONNECTING)
                if session.events_url
                else EventsStatus(EventsState.OFF, note=session.events_note)
            ),
            demo=session.demo,
        )
        app.live.maybe_follow()
        if session.sandbox is not None:
            self._watch_sandbox(session.sandbox.process)
        self.watch_rooms()
        app.balance_watch.refresh()
        self._after_login()

    def _after_login(self) -> None:
        """A login chosen on the login screen: remember the choice, save the key if asked,
        forget the keyring's copy in memory, and open Home."""
        app = self.app
        request, self._pending_login = self._pending_login, None
        start, self._pending_start = self._pending_start, None
        self._forget_saved_key()
        if start is not None and start != app.settings.start and not app.settings.demo:
            app.settings = dataclasses.replace(app.settings, start=start)
            self._remember_start(start)
        if request is not None and request.save_key:
            self._save_key(request)
        if app.current_mode == "login":
            section, self.restore_section = self.restore_section, None
            app.switch_mode(section or "home")  # where the agent was, after a dropped session

    async def failed(self, message: ConnectFailed) -> None:
        app = self.app
        if app.history_keeper.closing is not None:
            return
        await self.tear_down()
        failed = ConnectionInfo(
            LoginState.FAILED,
            detail=message.reason,
            demo=app.settings.is_sandbox,
            refused=message.refused,
            unreachable=message.unreachable,
        )
        if not app.settings.embedded_sandbox and app.current_mode != "login":
            # A key was refused, not checked, or there is none for --server: fix it there.
            await app.switch_mode("login")
        app.connection = failed
        if app.current_mode != "login":
            app.notify(message.reason, title="Not connected", severity="error", timeout=10)

    # -- what runs beside a session ----------------------------------------------------------

    def _watch_sandbox(self, process: asyncio.subprocess.Process) -> None:
        async def watch() -> None:
            """The embedded sandbox should live as long as the console; say so if it dies."""
            code = await process.wait()
            self.app.post_message(
                ConnectFailed(f"The embedded sandbox stopped (exit code {code}). Press ctrl+r.")
            )

        self.app.run_worker(
            watch(), group="sandbox-watch", exclusive=True, exit_on_error=False,
            description="Sandbox",
        )  # fmt: skip

    def watch_rooms(self) -> None:
        """While rooms wait for their guest, ask the call reports every few seconds."""
        self.app.run_worker(
            self._watch_rooms(), group="rooms-watch", exclusive=True, exit_on_error=False,
            description="Rooms",
        )  # fmt: skip

    async def _watch_rooms(self) -> None:
        from console.api.errors import ApiError

        while True:
            await asyncio.sleep(ROOM_WATCH_SECONDS)
            service = self.app.room_service
            if service is None:
                return
            try:
                await service.refresh()
            except ApiError as error:  # the next round tries again; the screen says nothing
                log.info("rooms: call reports failed: %s", error.readable)

    # -- the login screen's services: the key in memory, the keyring, config.toml ---------

    def key_source(self) -> str | None:
        """Where the key in memory came from, for the login screen's key field ("the key from
        CPAAS_API_KEY"), when a failed login may be retried with it; None when there is none."""
        if not self.app.settings.api_key or self._pending_login is not None:
            return None
        return "the configured key"

    @property
    def configured_key(self) -> str:
        """The key in memory that an empty key field stands for (never shown)."""
        return (self.app.settings.api_key if self.key_source() else None) or (
            self._saved_key_value or ""
        )

    def _thread(self, work: object, group: str, description: str = "", **kw: bool) -> None:
        self.app.run_worker(
            work, group=group, thread=True, exit_on_error=False, description=description, **kw
        )

    def check_keyring(self) -> None:
        def check() -> None:
            from console.api.keystore import keyring_status  # the keyring loads off the loop

            self.app.post_message(KeyringChecked(keyring_status()))

        self._thread(check, "keyring", "Keyring")

    def find_saved_key(self, subaccount: str, region: str) -> None:
        """Look for a key saved for this sub-account and region (the keyring may block)."""

        def find() -> None:
            from console.api.keystore import load_key

            key = load_key(subaccount, region)
            self.app.post_message(SavedKeyFound(subaccount, region, key))

        self._thread(find, "keyring-find", exclusive=True)

    def saved_key_found(self, message: SavedKeyFound) -> None:
        from console.config import mask_key

        if message.key is None or self.app.connection.connected:
            self._forget_saved_key()
            return
        self._saved_key_value = message.key
        self.app.saved_key = (message.subaccount, message.region, mask_key(message.key))

    def _forget_saved_key(self) -> None:
        self._saved_key_value = None
        self.app.saved_key = None

    def saved_key_for(self, subaccount: str, region: str) -> str:
        """The keyring's key when it was found for exactly this sub-account and region."""
        found = self.app.saved_key
        if found is None or (found[0], found[1]) != (subaccount, region):
            return ""
        return self._saved_key_value or ""

    def _save_key(self, request: LoginRequest) -> None:
        def save() -> None:
            from console.api.keystore import KeyStoreError, save_key

            try:
                save_key(request.subaccount, request.region, request.api_key)
            except KeyStoreError as error:
                self.app.post_message(KeyringSaved(str(error)))
                return
            self.app.post_message(KeyringSaved())

        self._thread(save, "keyring", "Saving the key")

    def key_saved(self, message: KeyringSaved) -> None:
        if message.error:
            self.app.notify(message.error, title="Key not saved", severity="warning", timeout=20)
        else:
            self.app.notify("The key is saved in the OS keyring.", title="Key saved")

    def _remember_start(self, start: str) -> None:
        """Write the agent's start choice to config.toml (kept: comments and other settings)."""
        from console.config import SettingsError
        from console.configfile import update_config_file
        from console.messages import ConfigNotSaved
        from console.paths import config_file

        def remember() -> None:
            path = config_file()
            try:
                update_config_file(path, {"start": start})
            except (SettingsError, OSError) as error:
                reason = f"The choice was not saved in {path}: {error}"
                self.app.post_message(ConfigNotSaved(reason))

        self._thread(remember, "config", "Saving the choice")
