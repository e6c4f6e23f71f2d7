"""ComposeScreen: write an SMS with its encoding and segment count live, then send it to
one number (single send) or many (batches: the sending service) and watch the statuses."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, ProgressBar, Select, TextArea

from console.core.drafts import ComposeDraft, Drafts
from console.core.model import Changes
from console.core.sending import SendFailed, SmsDraft
from console.core.spend import Spend, Verdict, judge, refusal, summary
from console.messages import ComposeDrafted
from console.paths import styles_path
from console.screens.resume import SectionScreen
from console.sms import (
    LOOKALIKES,
    DestinationCheck,
    SmsAnalysis,
    analyze,
    check_destination,
    classify_sender,
    suggest_gsm7,
)
from console.sms import split_destinations as split_numbers
from console.ui.app_access import console_app
from console.ui.callbacks import subscribe
from console.ui.pricing import countries_of, estimate
from console.ui.state import BalanceStatus
from console.ui.text import middle, plain
from console.widgets.destination_input import DestinationInput
from console.widgets.key_bar import KeyBar
from console.widgets.message_editor import MessageEditor
from console.widgets.segment_meter import SegmentMeter
from console.widgets.sent_table import SentTable
from console.widgets.session_bar import SessionBar
from console.widgets.text_input import TextInput

if TYPE_CHECKING:
    from console.api.account import PriceList
    from console.store import History

QUOTED = 22  # a refused number is quoted in at most this many characters (its reason follows)
PRICED_NUMBERS = 2_000  # a longer list shows no estimate (phonenumbers per number adds up)
ENCODING_CHOICES = [("Auto", "AUTO"), ("GSM-7", "GSM7"), ("UCS-2", "UCS2")]


@lru_cache(maxsize=65_536)
def _checked(number: str, country: str | None) -> DestinationCheck:
    """phonenumbers is ~30 µs a number: a 10,000-number list is checked once, not per key."""
    return check_destination(number, country)


def new_reference() -> str:
    """A fresh clientMessageId, short enough to double as a clientBatchId (≤ 20)."""
    return f"ac-{uuid.uuid4().hex[:12]}"


@dataclass
class FieldProblems:
    """Field id → message, in form order (the first one gets the focus)."""

    problems: dict[str, str] = field(default_factory=dict)

    def add(self, field_id: str, message: str) -> None:
        self.problems.setdefault(field_id, message)


class ComposeScreen(SectionScreen):
    """The SMS composer."""

    CSS_PATH = styles_path("compose.tcss")
    BINDINGS = [
        Binding(
            "ctrl+j,alt+enter",
            "send",
            "Send",
            id="compose.send",
            priority=True,
            tooltip="Send the message to every number in To.",
        ),
        Binding(
            "ctrl+l",
            "lookalikes",
            "GSM-7 lookalikes",
            id="compose.lookalikes",
            tooltip="Preview replacing UCS-2 characters with GSM-7 lookalikes, then apply.",
        ),
        Binding(
            "ctrl+n",
            "new_reference",
            "New ref",
            id="compose.new_reference",
            tooltip="A new reference (clientMessageId): the next send is a new message.",
        ),
    ]

    app = console_app()

    @dataclass
    class Progressed(Message):
        """A request was answered: `done` of `total` numbers sent."""

        done: int
        total: int

    @dataclass
    class Priced(Message):
        """What `draft` costs and what the account holds, as far as 8x8 said."""

        draft: SmsDraft
        spend: Spend

    @dataclass
    class Failed(Message):
        """Sending stopped: `reason` is readable; `unsent` numbers were not sent."""

        reason: str
        unsent: list[str]
        sent: int

    def __init__(self) -> None:
        super().__init__()
        self.analysis: SmsAnalysis = analyze("")
        self.sending = False
        self._priced_numbers: list[str] = []
        self._price_lists: dict[str, PriceList | None] = {}  # country -> list (None: asked)
        self._sent: ComposeDraft | None = None  # the fields last sent (no longer a draft)

    def compose(self) -> ComposeResult:
        yield SessionBar("Compose")
        with Vertical(id="compose-form"):
            with Horizontal(classes="form-row"):
                yield Label("From", classes="field-label")
                yield TextInput(placeholder="sender ID (optional)", id="from", compact=True)
                yield Label("", id="from-hint", classes="hint", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("To", classes="field-label")
                yield DestinationInput(
                    placeholder="+6591234567, or many separated by commas", id="to", compact=True
                )
                yield Label("Country", classes="field-label-inline")
                yield TextInput(
                    placeholder="cc", id="country", compact=True, max_length=2, what="Country"
                )
            with Horizontal(classes="form-row"):
                yield Label("", classes="field-label")
                yield Label("", id="to-hint", classes="hint", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Ref", classes="field-label")
                yield TextInput(
                    new_reference(), id="reference", compact=True, max_length=350, what="Ref"
                )
                yield Label("Encoding", classes="field-label-inline")
                yield Select(
                    ENCODING_CHOICES,
                    value="AUTO",
                    allow_blank=False,
                    id="encoding",
                    compact=True,
                )
            yield MessageEditor(id="message")
            yield SegmentMeter(id="meter")
            with Horizontal(id="send-status-row"):
                yield Label("", id="send-status", markup=False)
                yield ProgressBar(id="send-progress", show_eta=False)
            yield SentTable(id="sent")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#message", MessageEditor).border_title = "Message"
        subscribe(self.app.core_changed, self, self._core_changed)
        self.app.history_ready.subscribe(self, self._show_recent)
        self.app.drafts_restored.subscribe(self, self._restore_draft)
        if self.app.history is not None:
            self._show_recent(self.app.history)
        self._restore_draft(self.app.drafts)
        self.query_one("#to", Input).focus()
        self.query_one("#send-progress", ProgressBar).display = False
        self._refresh_meter()
        self._check_sender()
        self._check_destinations(final=False)

    # -- the draft: kept as typed, restored after a dropped session ----------------------

    def _fields(self) -> ComposeDraft:
        return ComposeDraft(
            source=self.query_one("#from", Input).value,
            to=self.query_one("#to", Input).value,
            country=self.query_one("#country", Input).value,
            reference=self.query_one("#reference", Input).value,
            text=self.query_one("#message", MessageEditor).text,
            encoding=self.encoding,
        )

    def _restore_draft(self, drafts: Drafts) -> None:
        """Put a saved draft back, unless the agent already typed something here."""
        draft = drafts.compose
        if draft is None or not self._fields().empty:
            return
        self.query_one("#from", Input).value = draft.source
        self.query_one("#to", Input).value = draft.to
        self.query_one("#country", Input).value = draft.country
        if draft.reference:
            self.query_one("#reference", Input).value = draft.reference
        self.query_one("#message", MessageEditor).load_text(draft.text)
        self.query_one("#encoding", Select).value = draft.encoding

    @on(Input.Changed, "#from, #to, #country, #reference")
    @on(TextArea.Changed, "#message")
    @on(Select.Changed, "#encoding")
    def _drafted(self) -> None:
        draft: ComposeDraft | None = self._fields()
        if self._sent is not None and draft == dataclasses.replace(
            self._sent, reference=draft.reference
        ):
            draft = None  # what was just sent is not a draft (only its new reference moved)
        self.post_message(ComposeDrafted(draft))

    # -- live feedback -----------------------------------------------------------------

    @property
    def encoding(self) -> str:
        value = self.query_one("#encoding", Select).value
        return value if isinstance(value, str) else "AUTO"

    @on(TextArea.Changed, "#message")
    @on(Select.Changed, "#encoding")
    def _refresh_meter(self) -> None:
        text = self.query_one("#message", MessageEditor).text
        self.analysis = analyze(text, self.encoding)
        lookalike = self.analysis.suggestion_analysis if self.analysis.culprits else None
        self.query_one("#meter", SegmentMeter).show(self.analysis, lookalike, self._cost())
        self.query_one("#message", MessageEditor).mark(c.index for c in self.analysis.culprits)
        self.query_one("#message", MessageEditor).set_class(self.analysis.too_long, "-error")

    @on(Input.Changed, "#from")
    def _check_sender(self) -> bool:
        value = self.query_one("#from", Input).value.strip()
        hint = self.query_one("#from-hint", Label)
        if not value:
            self._hint(hint, "default sender of the sub-account", error=False)
            return True
        check = classify_sender(value)
        if check.ok:
            self._hint(hint, f"✓ {check.kind}", error=False)
        else:
            self._hint(hint, f"✗ {check.message}", error=True)
        return check.ok

    @on(Input.Changed, "#to")
    @on(Input.Changed, "#country")
    def _on_destinations_changed(self) -> None:
        self._check_destinations(final=False)
        self._refresh_meter()  # the price follows the numbers

    def _check_destinations(self, *, final: bool) -> list[str] | None:
        """Check every number; return them in E.164, or None (with the hint saying why)."""
        raw = self.query_one("#to", Input).value
        country = self.query_one("#country", Input).value.strip().upper() or None
        hint = self.query_one("#to-hint", Label)
        numbers = split_numbers(raw)
        self._priced_numbers = []
        if not numbers:
            if final:
                self._hint(hint, "✗ Enter at least one destination number.", error=True)
            else:
                self._hint(hint, "E.164 (+65…) or national with a country", error=False)
            return None
        good: list[str] = []
        bad: list[str] = []
        for number in numbers:
            check = _checked(number, country)
            if check.ok and check.e164:
                good.append(check.e164)
            else:
                bad.append(f"{middle(number, QUOTED)}: {check.message}")
        if bad:
            more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
            self._hint(hint, f"✗ {bad[0]}{more}", error=True)
            return None
        unique = list(dict.fromkeys(good))
        if len(unique) <= PRICED_NUMBERS:  # a longer list is checked when it is sent
            refused = self.app.core.refusal(unique)  # a Shield suspension blocks them
            if refused is not None:
                self._hint(hint, f"✗ {refused}", error=True)
                return None
        self._priced_numbers = unique
        self._ask_prices(unique)
        dupes = len(good) - len(unique)
        label = "1 number" if len(unique) == 1 else f"{len(unique):,} numbers (batch)"
        self._hint(
            hint, f"✓ {label}" + (f", {dupes} duplicate(s) dropped" if dupes else ""), error=False
        )
        return unique

    # -- price (segments × the price list's price per part) ------------------------------

    def _cost(self) -> str:
        numbers = self._priced_numbers
        if not numbers or self.analysis.too_long:
            return ""
        found = estimate(numbers, self.analysis.segments, self._price_lists)
        return found.label if found is not None else ""

    def _ask_prices(self, numbers: list[str]) -> None:
        session = self.app.session
        if session is None or session.account_id is None or len(numbers) > PRICED_NUMBERS:
            return
        missing = countries_of(numbers) - set(self._price_lists)
        for country in missing:
            self._price_lists[country] = None  # asked once
            self._fetch_prices(session.account_id, country)

    @work(group="compose-prices", exit_on_error=False)
    async def _fetch_prices(self, account_id: str, country: str) -> None:
        session = self.app.session
        if session is None:
            return
        try:
            prices = await session.client.prices(account_id, country)
        except Exception:  # no price shown; sending is unaffected
            return
        self.post_message(self.PricesKnown(country, prices))

    class PricesKnown(Message):
        def __init__(self, country: str, prices: PriceList) -> None:
            super().__init__()
            self.country = country
            self.prices = prices

    @on(PricesKnown)
    def _prices_known(self, message: PricesKnown) -> None:
        self._price_lists[message.country] = message.prices
        self._refresh_meter()

    @staticmethod
    def _hint(label: Label, text: str, *, error: bool) -> None:
        label.update(plain(text))
        label.set_class(error, "-error")

    # -- actions ---------------------------------------------------------------------

    def action_new_reference(self) -> None:
        self.query_one("#reference", Input).value = new_reference()

    def action_lookalikes(self) -> None:
        before = self.analysis
        suggestion, after = before.suggestion, before.suggestion_analysis
        if suggestion is None or after is None:
            if suggest_gsm7(before.text) != before.text:
                self.notify("GSM-7 lookalikes would not save anything in this text.")
            else:
                self.notify("Nothing to replace: no lookalike characters in the text.")
            return
        changes = Counter((char, LOOKALIKES[char]) for char in before.text if char in LOOKALIKES)
        rows = [(old, new, count) for (old, new), count in changes.items()]

        def apply(confirmed: bool | None) -> None:
            if confirmed:
                editor = self.query_one("#message", MessageEditor)
                editor.replace(suggestion, (0, 0), editor.document.end)
                self.notify(f"Now {after.summary}.")

        from console.screens.lookalike_dialog import LookalikeDialog

        self.app.push_screen(LookalikeDialog(rows, before, after), apply)

    def action_send(self) -> None:
        """Check every field, then what the send costs against the balance: above it nothing
        is sent; a batch (or a dear single SMS) asks once; then it goes."""
        if self.sending:
            self.notify("Still sending the previous message.", severity="warning")
            return
        draft = self._draft()
        if draft is None:
            return
        if self.app.sender is None:
            self.notify("Not connected yet: nothing was sent.", severity="error")
            return
        self.sending = True  # a second ctrl+j while the cost is worked out sends nothing
        if len(draft.destinations) > 1:
            self._set_status(f"Working out what {len(draft.destinations):,} numbers cost…")
        self.price_draft(draft, self.analysis.segments)

    @work(group="send-price", exit_on_error=False, description="Pricing the send")
    async def price_draft(self, draft: SmsDraft, segments: int) -> None:
        """The send's figures: each number's price (8x8's price lists, fetched for countries
        not asked yet; the numbers are read in a thread) and the balance (asked now for a
        batch, the last known one for a single SMS)."""
        session = self.app.session
        numbers = list(draft.destinations)
        balance = self.app.balance
        spend = Spend(len(numbers), segments, None, None, balance.amount, balance.currency)
        if session is None or not session.account_id:
            self.post_message(self.Priced(draft, spend))
            return
        account_id, client = session.account_id, session.client
        try:
            countries = await asyncio.to_thread(countries_of, numbers)
            for country in countries - {c for c, v in self._price_lists.items() if v}:
                self._price_lists[country] = await client.prices(account_id, country)
            found = await asyncio.to_thread(estimate, numbers, segments, dict(self._price_lists))
            if len(numbers) > 1 or balance.amount is None:
                asked = await client.balance(account_id)
                balance = BalanceStatus(asked.amount, asked.currency)
        except Exception:  # no figure is no reason to send nothing: the agent still confirms
            found = None
        spend = Spend(
            len(numbers),
            segments,
            found.total if found is not None else None,
            found.currency if found is not None else None,
            balance.amount,
            balance.currency,
        )
        self.post_message(self.Priced(draft, spend))

    @on(Priced)
    def _priced(self, message: Priced) -> None:
        spend, draft = message.spend, message.draft
        verdict = judge(spend, self.app.settings.confirm_above)
        if verdict is Verdict.REFUSE:
            self.sending = False
            self._set_status("✗ " + refusal(spend), error=True)
            return
        if verdict is Verdict.SEND:
            self._start_sending(draft)
            return
        noun = "number" if spend.numbers == 1 else "numbers"

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._start_sending(draft)
            else:
                self.sending = False
                self._set_status("Not sent: cancelled. Nothing left the account.")

        from console.screens.confirm_send_dialog import ConfirmSendDialog

        dialog = ConfirmSendDialog(
            f"Send to {spend.numbers:,} {noun}?",
            summary(spend),
            send_label=f"Send {spend.parts:,} parts",
        )
        self.app.push_screen(dialog, answered)

    def _start_sending(self, draft: SmsDraft) -> None:
        self._set_status(f"Sending to {len(draft.destinations):,}…")
        progress = self.query_one("#send-progress", ProgressBar)
        progress.display = len(draft.destinations) > 1
        progress.update(total=len(draft.destinations), progress=0)
        self.send_draft(draft)

    def _draft(self) -> SmsDraft | None:
        """Validate every field; show each problem at its field; None if anything is wrong."""
        problems = FieldProblems()
        if not self._check_sender():
            problems.add("from", "sender")
        destinations = self._check_destinations(final=True)
        if destinations is None:
            problems.add("to", "destinations")
        reference = self.query_one("#reference", Input).value.strip()
        if not reference:
            problems.add("reference", "Enter a reference (clientMessageId).")
        elif destinations and len(destinations) > 1 and len(reference) > 20:
            problems.add("reference", "A batch reference is at most 20 characters.")
        text = self.query_one("#message", MessageEditor).text
        if not text.strip():
            problems.add("message", "Write a message first.")
        elif self.analysis.too_long:
            problems.add("message", f"{self.analysis.segments} segments: at most 10.")
        elif self.encoding == "GSM7" and self.analysis.culprits:
            problems.add("message", "Some characters cannot be sent in GSM-7.")
        if problems.problems:
            first = next(iter(problems.problems))
            self.query_one(f"#{first}").focus()
            messages = [m for f, m in problems.problems.items() if f in {"reference", "message"}]
            if messages:
                self._set_status("✗ " + " ".join(messages), error=True)
            return None
        raw_sender = self.query_one("#from", Input).value.strip()
        sender = classify_sender(raw_sender).value if raw_sender else None
        assert destinations is not None
        return SmsDraft(tuple(destinations), text, reference, sender, self.encoding)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        label = self.query_one("#send-status", Label)
        label.update(plain(text))
        label.set_class(error, "-error")

    # -- sending (worker: network only, results as messages) ----------------------------

    @work(group="send-sms", exit_on_error=False, description="Sending SMS")
    async def send_draft(self, draft: SmsDraft) -> None:
        """The sending service records every answer in the core (rows arrive through the
        core's Signal); this worker only reports progress, or the one failure."""
        sender = self.app.sender
        if sender is None:
            self.post_message(self.Failed("not connected", list(draft.destinations), 0))
            return
        try:
            async for progress in sender.send(draft):
                self.post_message(self.Progressed(progress.done, progress.total))
        except SendFailed as failure:
            self.post_message(self.Failed(failure.reason, list(failure.unsent), failure.sent))

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        progress = self.query_one("#send-progress", ProgressBar)
        progress.update(progress=message.done)
        if message.done >= message.total:
            progress.display = False
            self.sending = False
            noun = "message" if message.total == 1 else "messages"
            session = self.app.session
            if session is not None and session.events_url:
                follow = "statuses update below."
            else:
                follow = "live statuses are off (no relay: see --relay)."
            self._set_status(f"✓ Sent {message.total:,} {noun}; {follow}")
            self.app.balance_watch.refresh()
            self._sent = self._fields()
            self.post_message(ComposeDrafted(None))  # sent: no draft left
            self.query_one("#reference", Input).value = new_reference()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.sending = False
        self.app.balance_watch.refresh()  # some of it may have gone
        self.query_one("#send-progress", ProgressBar).display = False
        if message.sent:
            # Leave only the numbers not yet sent, so ctrl+j resumes instead of resending.
            self.query_one("#to", Input).value = ", ".join(message.unsent)
            self.query_one("#reference", Input).value = new_reference()
            total = message.sent + len(message.unsent)
            self._set_status(
                f"✗ {message.sent:,} of {total:,} sent; the {len(message.unsent):,} not sent "
                f"are left in To: {message.reason}",
                error=True,
            )
        else:
            self._set_status(f"✗ Not sent: {message.reason}", error=True)
        self.notify(message.reason, title="SMS not sent", severity="error")

    @on(SentTable.CopyRequested, "#sent")
    def _copy_umid(self, message: SentTable.CopyRequested) -> None:
        self.app.copy_text(message.umid, f"the umid {message.umid}")

    def _show_recent(self, _history: History) -> None:
        """Recent sends from the history: the console opens where the agent left off."""
        self.query_one("#sent", SentTable).add_sent(self.app.core.recent_sent(SentTable.MAX_ROWS))

    def _core_changed(self, changes: Changes) -> None:
        """Messages sent (from here or elsewhere) and deliveries that moved (the core's
        Signal): one batch of rows and status updates per change."""
        table = self.query_one("#sent", SentTable)
        if changes.sent:
            table.add_sent(row for row in changes.sent if row.channel == "sms")
        if changes.deliveries:
            table.show_deliveries(changes.deliveries)
