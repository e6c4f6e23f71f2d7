"""LoginScreen: log in with an 8x8 API key, sub-account and region, or use the sandbox.

The key is checked by 8x8 in the App's login worker (`verify`); this screen only checks what
needs no server, shows 8x8's verdict at the field it concerns (1200: the key, 1001: the
sub-account) and keeps everything typed. Recent logins come from the history, never the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select

from console.api.keystore import KeyringStatus
from console.config import DEFAULT_REGION, REGIONS, mask_key
from console.core.login import RecentLogin, ago, check_login_form, recent_logins
from console.paths import styles_path
from console.screens.resume import SectionScreen
from console.ui.app_access import console_app
from console.ui.state import ConnectionInfo, LoginState
from console.ui.text import plain, plain_text
from console.widgets.key_bar import KeyBar
from console.widgets.secret_input import REVEAL_SECONDS, SecretInput
from console.widgets.session_bar import SessionBar
from console.widgets.text_input import TextInput

if TYPE_CHECKING:
    from console.store import History

REGION_CHOICES = [(region.label, name) for name, region in REGIONS.items()]
RECENT_LIMIT = 10
KEY_HINT = f"shows its last 6 characters; ctrl+t shows it all for {REVEAL_SECONDS:.0f} s"


class LoginScreen(SectionScreen):
    """The API key form, the sandbox choice, and the recent logins."""

    CSS_PATH = styles_path("login.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+j,alt+enter",
            "log_in",
            "Log in",
            id="login.submit",
            priority=True,
            tooltip="Check the key with 8x8 and log in (Enter in a field does too).",
        ),
    ]

    app = console_app()
    key_input = getters.query_one("#key", SecretInput)
    subaccount_input = getters.query_one("#subaccount", Input)
    region_select = getters.query_one("#region", Select)
    save_box = getters.query_one("#save-key", Checkbox)
    recent_table = getters.query_one("#recent", DataTable)

    def __init__(self) -> None:
        super().__init__()
        self._recent: list[RecentLogin] = []
        self._shown: ConnectionInfo | None = None
        self._key_error: tuple[str, str] | None = None  # (the field's value, the problem)

    def compose(self) -> ComposeResult:
        yield SessionBar("Log in")
        with Vertical(id="login-form"):
            with Horizontal(classes="form-row"):
                yield Label("API key", classes="field-label")
                yield SecretInput(placeholder="paste the key", id="key", compact=True)
            with Horizontal(classes="hint-row"):
                yield Label("", classes="field-label")
                yield Label(KEY_HINT, id="key-hint", classes="hint", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Sub-account", classes="field-label")
                yield TextInput(
                    placeholder="e.g. acme_support",
                    id="subaccount",
                    compact=True,
                    max_length=50,
                    what="The sub-account",
                )
            with Horizontal(classes="hint-row"):
                yield Label("", classes="field-label")
                yield Label("", id="subaccount-hint", classes="hint", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Region", classes="field-label")
                yield Select(
                    REGION_CHOICES,
                    value=DEFAULT_REGION,
                    allow_blank=False,
                    id="region",
                    compact=True,
                )
                yield Label("", id="server", classes="hint", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("", classes="field-label")
                yield Checkbox("Save the key in the OS keyring", id="save-key", compact=True)
            with Horizontal(classes="hint-row"):
                yield Label("", classes="field-label")
                yield Label("checking for a keyring…", id="keyring-hint", classes="hint")
            with Horizontal(id="login-buttons"):
                yield Label("", classes="field-label")
                yield Button("Log in", id="login", variant="primary", compact=True)
                yield Button("Sandbox (demo, no account)", id="sandbox", compact=True)
            yield Label("", id="login-status", markup=False)
        yield DataTable(id="recent", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#login-form").border_title = "Log in to 8x8"
        table = self.recent_table
        table.border_title = "Recent logins · Enter fills the form (never the key)"
        table.add_columns("Sub-account", "Region", "Key", "When")
        settings = self.app.settings
        if settings.subaccount:
            self.subaccount_input.value = settings.subaccount
        self.region_select.value = settings.region
        server = self.query_one("#server", Label)
        if settings.server:
            server.update(plain(f"region not used: the server is {settings.server}"))
        self._show_key_hint()
        self.key_input.focus()
        self.watch(self.app, "connection", self._connection_changed, init=True)
        self.watch(self.app, "keyring", self._keyring_changed, init=True)
        self.watch(self.app, "saved_key", self._saved_key_changed, init=False)
        self.app.history_ready.subscribe(self, self._show_recent)
        if self.app.history is not None:
            self._show_recent(self.app.history)
        self.app.session_flow.check_keyring()
        self._look_for_saved_key()

    # -- what the App tells us ---------------------------------------------------------

    def _connection_changed(self, info: ConnectionInfo) -> None:
        previous, self._shown = self._shown, info
        status = self.query_one("#login-status", Label)
        login = self.query_one("#login", Button)
        login.label = "Retry" if info.unreachable else "Log in"
        if info.state is LoginState.CONNECTING:
            self._set(status, f"◌ {info.detail or 'logging in…'}", error=False)
        elif info.state is LoginState.CONNECTED:
            self.key_input.value = ""  # the key lives in the App's session, not in a field
            self._set(status, "", error=False)
        elif info.state is LoginState.FAILED and info != previous:
            self._show_failure(info)
        elif info.state is LoginState.LOGGED_OUT:
            self._set(status, info.detail, error=False)
            self._look_for_saved_key()
            self._show_key_hint()
            if self.app.history is not None:  # the login just ended is a recent one now
                self._show_recent(self.app.history)

    def _show_failure(self, info: ConnectionInfo) -> None:
        status = self.query_one("#login-status", Label)
        if info.refused == "key":
            self._key_problem(info.detail)
            self._set(status, "✗ The API key was refused.", error=True)
            self._focus_end(self.key_input)
        elif info.refused == "subaccount":
            hint = self.query_one("#subaccount-hint", Label)
            self._set(hint, f"✗ {info.detail}", error=True)
            self._set(status, "✗ The sub-account was refused.", error=True)
            self._focus_end(self.subaccount_input)
        elif info.unreachable:
            self._set(status, f"✗ {info.detail} Enter retries.", error=True)
            self.query_one("#login", Button).focus()
        else:
            self._set(status, f"✗ {info.detail}", error=True)

    def _keyring_changed(self, status: KeyringStatus | None) -> None:
        hint = self.query_one("#keyring-hint", Label)
        box = self.save_box
        if status is None:
            return
        box.disabled = not status.available
        if not status.available:
            box.value = False
        self._set(hint, status.message, error=False)
        hint.set_class(not status.available, "-warning")

    def _saved_key_changed(self, _found: tuple[str, str, str] | None) -> None:
        self._show_key_hint()

    def _show_recent(self, history: History) -> None:
        self._recent = recent_logins(history.recent_logins(RECENT_LIMIT * 3))[:RECENT_LIMIT]
        table = self.recent_table
        table.clear()
        now = self.app.core.now()
        for row in self._recent:
            table.add_row(
                plain_text(row.subaccount),
                plain_text(row.target),
                plain_text(row.masked_key),
                plain_text(ago(row.at, now)),
            )
        table.display = bool(self._recent)

    # -- hints -------------------------------------------------------------------------

    def _form_region(self) -> str:
        value = self.region_select.value
        return value if isinstance(value, str) else DEFAULT_REGION

    def _fallback_key(self) -> tuple[str, str]:
        """(the key an empty field stands for, how the hint names it) or ("", "")."""
        saved = self.app.session_flow.saved_key_for(
            self.subaccount_input.value.strip(), self._form_region()
        )
        if saved:
            return saved, f"empty: the key saved in the keyring ({mask_key(saved)})"
        source = self.app.session_flow.key_source()
        configured = self.app.session_flow.configured_key
        if source and configured:
            return configured, f"empty: {source} ({mask_key(configured)})"
        return "", ""

    def _key_problem(self, problem: str) -> None:
        """Say what is wrong with the key until the key changes."""
        self._key_error = (self.key_input.value, problem)
        self._show_key_hint()

    def _show_key_hint(self) -> None:
        label = self.query_one("#key-hint", Label)
        if self._key_error is not None:
            self._set(label, f"✗ {self._key_error[1]}", error=True)
            return
        _key, described = self._fallback_key()
        self._set(label, described or KEY_HINT, error=False)

    def _look_for_saved_key(self) -> None:
        subaccount = self.subaccount_input.value.strip()
        keyring = self.app.keyring
        if subaccount and (keyring is None or keyring.available):
            self.app.session_flow.find_saved_key(subaccount, self._form_region())

    @on(Input.Changed, "#key")
    def _key_changed(self) -> None:
        if self._key_error is not None and self.key_input.value != self._key_error[0]:
            self._key_error = None
        self._show_key_hint()

    @on(Input.Changed, "#subaccount")
    def _subaccount_changed(self) -> None:
        self._set(self.query_one("#subaccount-hint", Label), "", error=False)
        self._show_key_hint()

    @on(Input.Blurred, "#subaccount")
    @on(Select.Changed, "#region")
    def _where_changed(self) -> None:
        self._look_for_saved_key()
        self._show_key_hint()

    @staticmethod
    def _set(label: Label, text: str, *, error: bool) -> None:
        label.update(plain(text))
        label.set_class(error, "-error")

    @staticmethod
    def _focus_end(field: Input) -> None:
        field.focus()
        field.cursor_position = len(field.value)

    # -- actions -----------------------------------------------------------------------

    @on(Input.Submitted, "#key")
    @on(Input.Submitted, "#subaccount")
    @on(Button.Pressed, "#login")
    async def action_log_in(self) -> None:
        if self.app.connection.state is LoginState.CONNECTING and self.app.connection.detail:
            return
        fallback, _described = self._fallback_key()
        form = check_login_form(
            self.key_input.value,
            self.subaccount_input.value,
            self._form_region(),
            save_key=self.save_box.value and not self.save_box.disabled,
            fallback_key=fallback,
        )
        if "key" in form.problems:
            self._key_problem(form.problems["key"])
        if "subaccount" in form.problems:
            hint = self.query_one("#subaccount-hint", Label)
            self._set(hint, f"✗ {form.problems['subaccount']}", error=True)
        if form.request is None:
            first = next(iter(form.problems))
            self.query_one(f"#{first}").focus()
            self._set(self.query_one("#login-status", Label), "", error=False)
            return
        await self.app.session_flow.log_in(form.request)

    @on(Button.Pressed, "#sandbox")
    async def action_sandbox(self) -> None:
        await self.app.session_flow.use_sandbox()

    @on(DataTable.RowSelected, "#recent")
    def _recent_chosen(self, event: DataTable.RowSelected) -> None:
        """One key fills the form with a recent login: everything but the key."""
        index = event.cursor_row
        if not 0 <= index < len(self._recent):
            return
        row = self._recent[index]
        self.subaccount_input.value = row.subaccount
        if row.region is not None:
            self.region_select.value = row.region
        self.key_input.value = ""
        self._look_for_saved_key()
        self._show_key_hint()
        self.key_input.focus()
