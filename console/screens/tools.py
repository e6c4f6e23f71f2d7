"""ToolsScreen: what 8x8 Connect's Developer Tools page offers an agent setting up live
receipts — the account's webhooks (8x8's configuration API: list, create, delete,
enable/disable, for SMS and Chat Apps), "point 8x8's webhooks at my relay" with its proof,
the balance and SMS prices. Every call runs in a worker; results arrive as messages.

A webhook's Authorization is never shown: only whether one is set.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Label, Static

from console.api.account import Balance, PriceList, WebhookConfig
from console.api.relay_setup import Hop, point_at_relay, probe_url, what_stops
from console.paths import styles_path
from console.screens.resume import SectionScreen
from console.screens.tools_dialogs import RelayDialog, RelayRequest, WebhookDialog
from console.ui.app_access import console_app
from console.ui.callbacks import subscribe
from console.ui.columns import ColumnNeed, fit_columns
from console.ui.state import BalanceStatus, EventsState
from console.ui.text import clean, middle, plain_text
from console.widgets.key_bar import KeyBar
from console.widgets.session_bar import SessionBar
from console.widgets.tables import reselect, selected_key
from console.widgets.text_input import TextInput

SANDBOX_TEST_NUMBER = "+6531580000"  # the sandbox's own virtual number
PROOF_TIMEOUT = 20.0  # seconds for the test SMS's receipt (sandbox)
LIVE_PROOF_TIMEOUT = 120.0  # seconds to wait for the next receipt (live)
URL_MIN = 16  # the webhooks' URL column never narrower than this (cut in the middle)
URL_LEAST = 32  # below this the URL is cut only once the less important columns have gone
# The webhooks' columns in display order, with how much each matters (0 most): at 80
# columns the sub-account (mostly "*") and the authorization go first (console/ui/columns.py).
HOOK_COLUMNS = (
    ("product", "Product", 1),
    ("subaccount", "Sub-account", 5),
    ("events", "Events", 2),
    ("auth", "Auth", 4),
    ("state", "State", 3),
    ("url", "URL", 0),
)


def _hook_needs(
    rows: Sequence[tuple[str, ...]], urls: Sequence[str], url_least: int = URL_LEAST
) -> list[ColumnNeed]:
    """What each webhook column needs: its widest cell; the URL whole down to `url_least`."""
    needs = []
    for index, (name, title, rank) in enumerate(HOOK_COLUMNS):
        if name == "url":
            longest = max([len(title), *(len(url) for url in urls)])
            least = max(URL_MIN, min(longest, url_least))
            needs.append(ColumnNeed(name, least, max(least, longest), rank))
        else:
            width = max([len(title), *(len(row[index]) for row in rows)])
            needs.append(ColumnNeed(name, width, width, rank))
    return needs


def _reason(error: BaseException) -> str:
    return clean(getattr(error, "readable", None) or str(error) or type(error).__name__)


class ToolsScreen(SectionScreen):
    """The Tools section."""

    CSS_PATH = styles_path("tools.tcss")
    BINDINGS = [
        Binding(
            "n",
            "new_webhook",
            "New webhook",
            id="tools.new",
            tooltip="Add an SMS or Chat Apps webhook",
        ),
        Binding(
            "d",
            "delete_webhook",
            "Delete",
            id="tools.delete",
            tooltip="Delete the selected webhook (press twice)",
        ),
        Binding(
            "e",
            "toggle_webhook",
            "Enable/disable",
            id="tools.toggle",
            tooltip="Enable or disable the selected webhook",
        ),
        Binding(
            "p",
            "point_at_relay",
            "Point at my relay",
            id="tools.relay",
            tooltip="Point 8x8's webhooks at your relay and prove that receipts arrive",
        ),
        Binding(
            "r", "reload", "Refresh", id="tools.refresh", tooltip="Ask 8x8 for webhooks and balance"
        ),
    ]

    app = console_app()

    class Loaded(Message):
        def __init__(
            self,
            hooks: list[WebhookConfig] | None,
            balance: Balance | None,
            errors: list[str],
        ) -> None:
            super().__init__()
            self.hooks = hooks
            self.balance = balance
            self.errors = errors

    class Done(Message):
        def __init__(self, text: str, error: bool = False) -> None:
            super().__init__()
            self.text = text
            self.error = error

    class HopReported(Message):
        def __init__(self, hop: Hop) -> None:
            super().__init__()
            self.hop = hop

    class PricesLoaded(Message):
        def __init__(self, asked: str, prices: PriceList | None, error: str | None) -> None:
            super().__init__()
            self.asked = asked
            self.prices = prices
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.hooks: list[WebhookConfig] = []
        self._hook_layout: tuple[tuple[str, int], ...] = ()  # the webhooks' columns shown
        self.hops: list[Hop] = []

        self._receipts = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield SessionBar("Tools")
        with VerticalScroll(id="tools-body"):
            yield Static(id="account", markup=False)
            # above the webhooks: the proof is what the agent waits for once p is pressed
            yield Static(id="relay-proof", markup=False)
            yield DataTable(id="webhooks", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="price-row"):
                yield Label("SMS price for a country or number ")
                yield TextInput(placeholder="SG or +6591234567", id="price-for")
            yield Static(id="prices", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#webhooks", DataTable)
        table.border_title = "Webhooks (n new · d delete · e enable/disable · p point at my relay)"
        for name, title, _rank in HOOK_COLUMNS:
            table.add_column(plain_text(title), key=name)
        proof = self.query_one("#relay-proof", Static)
        proof.border_title = "Point 8x8's webhooks at my relay"
        proof.display = False
        subscribe(self.app.core_changed, self, self._core_changed)
        self.watch(self.app, "connection", lambda _info: self.action_reload(), init=False)
        self.action_reload()

    def _core_changed(self, changes: Any) -> None:
        if changes.deliveries:
            self._receipts.set()

    # -- loading ---------------------------------------------------------------------------

    def _account_id(self) -> str | None:
        session = self.app.session
        return None if session is None else session.account_id

    def action_reload(self) -> None:
        session = self.app.session
        account = self.query_one("#account", Static)
        if session is None:
            account.update("Not connected yet: the account's tools show once logged in.")
            return
        if session.account_id is None:
            account.update(
                "No account id: set CPAAS_ACCOUNT_ID (or --account-id) to manage webhooks and "
                "see the balance and prices (8x8 Connect shows it under Account)."
            )
            return
        account.update(f"Account {session.account_id} · loading…")
        self._load(session.account_id)

    @work(group="tools-load", exclusive=True, exit_on_error=False)
    async def _load(self, account_id: str) -> None:
        session = self.app.session
        if session is None:
            return
        client = session.client
        errors: list[str] = []
        hooks: list[WebhookConfig] | None = []
        for product in ("sms", "chatapps"):
            try:
                found = await client.webhooks(product, account_id)
            except Exception as error:
                errors.append(f"{product} webhooks: {_reason(error)}")
                hooks = None
                break
            hooks.extend(found)
        balance = None
        try:
            balance = await client.balance(account_id)
        except Exception as error:
            errors.append(f"balance: {_reason(error)}")
        self.post_message(self.Loaded(hooks, balance, errors))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        account_id = self._account_id() or "—"
        text = Text()
        text.append("Account ", style="bold")
        text.append(account_id)
        text.append("   Balance ", style="bold")
        if message.balance is not None:
            text.append(f"{message.balance.amount:,.2f} {clean(message.balance.currency)}")
            # One figure everywhere: Home and the composer's guard read the app's balance.
            self.app.balance = BalanceStatus(message.balance.amount, message.balance.currency)
        else:
            text.append("unavailable")
        for error in message.errors:
            text.append(f"\n✗ {clean(error)}")
        self.query_one("#account", Static).update(text)
        if message.hooks is not None:
            self.hooks = message.hooks
            self._show_hooks()

    def on_resize(self) -> None:
        if self.hooks:
            self._show_hooks()  # the URL column takes what the others leave

    def _show_hooks(self) -> None:
        table = self.query_one("#webhooks", DataTable)
        selected = selected_key(table)
        table.clear()
        rows = [
            (
                "SMS" if hook.product == "sms" else "Chat Apps",
                clean(hook.subaccount),
                clean(f"{hook.type} · {hook.type_label}"),
                "set" if hook.has_authorization else "not set",
                "● on" if hook.enabled else "○ off",
            )
            for hook in self.hooks
        ]
        urls = [clean(hook.url) for hook in self.hooks]
        url_least = URL_LEAST
        if not self.hooks:  # said in full, where the URL would be
            rows = [("—", "", "", "", "")]
            urls = ["no webhook: 8x8 sends this account's events nowhere"]
            url_least = len(urls[0])
        # the table's border, and each column's padding of 1 on both sides
        width = table.size.width or self.size.width - 2  # before its first layout: the screen's
        widths = fit_columns(_hook_needs(rows, urls, url_least), width - 2)
        layout = tuple(widths.items())
        if layout != self._hook_layout:  # columns dropped or back: the header changes
            self._hook_layout = layout
            table.clear(columns=True)
            titles = {name: title for name, title, _ in HOOK_COLUMNS}
            for name, room in layout:
                table.add_column(plain_text(titles[name]), key=name, width=room)
        keys = [_key(hook) for hook in self.hooks] or ["-"]
        for key, row, url in zip(keys, rows, urls, strict=True):
            cells = dict(zip((name for name, _, _ in HOOK_COLUMNS), row, strict=False))
            cells["url"] = middle(url, widths.get("url", len(url)))
            table.add_row(*(plain_text(cells[name]) for name in widths), key=key)
        reselect(table, selected)

    def _selected(self) -> WebhookConfig | None:
        key = selected_key(self.query_one("#webhooks", DataTable))
        return next((hook for hook in self.hooks if _key(hook) == key), None)

    # -- webhooks --------------------------------------------------------------------------

    def _ready(self) -> str | None:
        account_id = self._account_id()
        if account_id is None:
            self.app.notify("No account id: set CPAAS_ACCOUNT_ID or pass --account-id.")
        return account_id

    def action_new_webhook(self) -> None:
        session = self.app.session
        if self._ready() is None or session is None:
            return
        self.app.push_screen(WebhookDialog(session.subaccount), self._create)

    def _create(self, hook: WebhookConfig | None) -> None:
        account_id = self._account_id()
        if hook is not None and account_id is not None:
            self._change("put", account_id, hook, f"Webhook created: {hook.type} → {hook.url}")

    def action_delete_webhook(self) -> None:
        """Delete the selected webhook, after one question (saying what stops when the relay
        the console follows depends on it)."""
        hook = self._selected()
        account_id = self._ready()
        if hook is None or account_id is None:
            return
        lines = [f"{hook.type} · {hook.type_label} → {hook.url}"]
        stops = self._what_stops(hook)
        if stops is not None:
            lines += ["", f"Your relay depends on it. What stops: {stops}."]
        self._ask(
            f"Delete this {'SMS' if hook.product == 'sms' else 'Chat Apps'} webhook?",
            lines,
            "Delete",
            lambda: self._change(
                "delete", account_id, hook, f"Webhook deleted: {hook.type} → {hook.url}"
            ),
        )

    def action_toggle_webhook(self) -> None:
        """Enable or disable the selected webhook; disabling one the relay depends on asks
        first and says what stops."""
        hook = self._selected()
        account_id = self._ready()
        if hook is None or account_id is None:
            return
        flipped = WebhookConfig(
            hook.product, hook.subaccount, hook.type, hook.url, not hook.enabled, hook.authorization
        )
        state = "enabled" if flipped.enabled else "disabled"

        def change() -> None:
            self._change("put", account_id, flipped, f"Webhook {state}: {hook.type} → {hook.url}")

        stops = self._what_stops(hook)
        if stops is None:
            change()
            return
        self._ask(
            "Disable a webhook your relay depends on?",
            [f"{hook.type} · {hook.type_label} → {hook.url}", "", f"What stops: {stops}."],
            "Disable",
            change,
        )

    def _what_stops(self, hook: WebhookConfig) -> str | None:
        session = self.app.session
        return what_stops(hook, session.events_url if session is not None else None)

    def _ask(self, title: str, lines: list[str], label: str, then: Callable[[], None]) -> None:
        from console.screens.confirm_send_dialog import ConfirmSendDialog

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmSendDialog(title, lines, send_label=label), answered)

    @work(group="tools-change", exit_on_error=False)
    async def _change(self, how: str, account_id: str, hook: WebhookConfig, done: str) -> None:
        session = self.app.session
        if session is None:
            return
        client = session.client
        try:
            if how == "put":
                await client.put_webhooks(hook.product, account_id, [hook])  # type: ignore[arg-type]
            else:
                await client.delete_webhooks(hook.product, account_id, [hook])  # type: ignore[arg-type]
        except Exception as error:
            self.post_message(self.Done(f"8x8 refused it: {_reason(error)}", error=True))
            return
        self.post_message(self.Done(done))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.app.notify(message.text, severity="error" if message.error else "information")
        self.action_reload()

    # -- point at my relay -----------------------------------------------------------------

    def action_point_at_relay(self) -> None:
        if self._ready() is None:
            return
        session = self.app.session
        suggested = ""
        if session is not None and session.events_url:
            suggested = session.events_url.replace("wss://", "https://").replace("ws://", "http://")
            suggested = suggested.removesuffix("/events")
        # The embedded sandbox told the console its relay's secret (over its pipe, never on
        # disk): in the demo, "point at my relay" completes without a secret to find.
        embedded = session.sandbox if session is not None else None
        secret = (embedded.webhook_secret or "") if embedded is not None else ""
        self.app.push_screen(RelayDialog(suggested, secret), self._point)

    def _point(self, request: RelayRequest | None) -> None:
        account_id = self._account_id()
        if request is None or account_id is None:
            return
        self.hops = []
        proof = self.query_one("#relay-proof", Static)
        proof.display = True
        proof.update("Pointing 8x8's webhooks at the relay…")
        self._prove(account_id, request)

    @work(group="tools-relay", exclusive=True, exit_on_error=False)
    async def _prove(self, account_id: str, request: RelayRequest) -> None:
        session = self.app.session
        if session is None:
            return
        sandbox = self.app.settings.server is not None or self.app.settings.embedded_sandbox
        core = self.app.core

        def following() -> bool:
            return self.app.connection.events.state is EventsState.LIVE

        async def receipt(umid: str | None) -> bool:
            deadline = time.monotonic() + (PROOF_TIMEOUT if umid else LIVE_PROOF_TIMEOUT)
            self._receipts.clear()
            while time.monotonic() < deadline:
                if umid is not None:
                    timeline = core.timeline(umid)
                    if timeline is not None and any(
                        r.source == "webhook" for r in timeline.receipts
                    ):
                        return True
                    await asyncio.sleep(0.1)
                else:
                    try:
                        await asyncio.wait_for(self._receipts.wait(), deadline - time.monotonic())
                    except TimeoutError:
                        return False
                    return True
            return False

        result = await point_at_relay(
            session.client,
            account_id=account_id,
            subaccount=session.subaccount,
            relay_url=request.url,
            secret=request.secret,
            reachable=probe_url,
            following=following,
            receipt=receipt,
            test_number=SANDBOX_TEST_NUMBER if sandbox else None,
            on_hop=lambda hop: self.post_message(self.HopReported(hop)),
        )
        if result.ok:
            self.post_message(self.Done("8x8's webhooks reach the relay: receipts arrive live"))
        else:
            failed = result.failed
            what = failed.name if failed else "the check"
            self.post_message(self.Done(f"Failed at: {what}", error=True))

    @on(HopReported)
    def _hop(self, message: HopReported) -> None:
        self.hops.append(message.hop)
        text = Text("\n").join(
            Text(clean(hop.line), style="" if hop.ok else "bold") for hop in self.hops
        )
        self.query_one("#relay-proof", Static).update(text)

    # -- prices ----------------------------------------------------------------------------

    @on(TextInput.Submitted, "#price-for")
    def _price_for(self, event: TextInput.Submitted) -> None:
        account_id = self._ready()
        asked = event.value.strip()
        if account_id is None or not asked:
            return
        country = _country_of(asked)
        if country is None:
            self.query_one("#prices", Static).update(
                "Give a country code (SG) or an international number (+6591234567)."
            )
            return
        self._prices(account_id, asked, country)

    @work(group="tools-prices", exclusive=True, exit_on_error=False)
    async def _prices(self, account_id: str, asked: str, country: str) -> None:
        session = self.app.session
        if session is None:
            return
        try:
            prices = await session.client.prices(account_id, country)
        except Exception as error:
            self.post_message(self.PricesLoaded(asked, None, _reason(error)))
            return
        self.post_message(self.PricesLoaded(asked, prices, None))

    @on(PricesLoaded)
    def _prices_loaded(self, message: PricesLoaded) -> None:
        target = self.query_one("#prices", Static)
        if message.prices is None:
            target.update(f"✗ prices: {clean(message.error)}")
            return
        if not message.prices.prices:
            target.update(f"No price for {clean(message.asked)} in this account's price list.")
            return
        text = Text()
        for price in message.prices.prices:
            text.append(clean(f"{price.country_name} · {price.operator}: "))
            text.append(f"{price.amount:.4f} {clean(price.currency)}", style="bold")
            text.append(" per SMS part\n")
        target.update(text)

    # -- the palette -----------------------------------------------------------------------

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Tools: Point 8x8's webhooks at my relay",
            "Create or update the SMS and Chat Apps webhooks, then prove receipts arrive",
            self.action_point_at_relay,
        )
        yield SystemCommand("Tools: New webhook", "SMS or Chat Apps", self.action_new_webhook)
        yield SystemCommand(
            "Tools: Delete the selected webhook", "Asks once more", self.action_delete_webhook
        )
        yield SystemCommand(
            "Tools: Enable or disable the selected webhook", "", self.action_toggle_webhook
        )
        yield SystemCommand(
            "Tools: Refresh webhooks and balance", "Ask 8x8 again", self.action_reload
        )


def _key(hook: WebhookConfig) -> str:
    return f"{hook.product}|{hook.subaccount}|{hook.type}"


def _country_of(asked: str) -> str | None:
    if len(asked) == 2 and asked.isascii() and asked.isalpha():
        return asked.upper()
    if asked.startswith("+"):
        from console.core.networks import UNKNOWN, network_of

        country = network_of(asked.replace(" ", "")).country
        return None if country == UNKNOWN else country
    return None
