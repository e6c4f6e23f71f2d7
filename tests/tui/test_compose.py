"""The SMS composer as an agent uses it: live meter, refusals at the field, real sends."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Label
from tui_helpers import confirm_send, console_for, open_compose, screen_text, wait_for

from console.screens.compose import ComposeScreen
from console.widgets.message_editor import MessageEditor
from console.widgets.sent_table import SentTable

GSM_306 = ("Your parcel is on its way. " * 12)[:292] + " Track: t/1182"
UCS2_TEXT = "Hi Jane — your parcel “A-1182” arrives today"


def type_message(screen: ComposeScreen, text: str) -> None:
    screen.query_one("#message", MessageEditor).insert(text)


def hint(screen: ComposeScreen, name: str) -> str:
    return str(screen.query_one(f"#{name}", Label).render())


async def test_meter_follows_the_text_as_it_is_typed(sandbox_url: str, tmp_path: Path) -> None:
    assert len(GSM_306) == 306
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await open_compose(app, pilot)
        assert "GSM-7 · 0 segments" in screen_text(app) or "GSM-7 · 1 segment" in screen_text(app)
        type_message(screen, GSM_306)
        await pilot.pause()
        assert "GSM-7 · 2 segments · 306/306 · 0 left" in screen_text(app)
        await pilot.click("#message")
        await pilot.press("x")
        await pilot.pause()
        assert "GSM-7 · 3 segments" in screen_text(app)


async def test_ucs2_culprits_are_marked_and_named(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await open_compose(app, pilot)
        type_message(screen, UCS2_TEXT)
        await pilot.pause()
        text = screen_text(app)
        assert "UCS-2 · 1 segment" in text
        assert "UCS-2 because of: — “ ”" in text
        editor = screen.query_one("#message", MessageEditor)
        assert editor._culprit_indexes == tuple(i for i, c in enumerate(UCS2_TEXT) if c in "—“”")


async def test_lookalikes_preview_before_changing_anything(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await open_compose(app, pilot)
        type_message(screen, UCS2_TEXT)
        await pilot.press("ctrl+l")
        await pilot.pause()
        preview = screen_text(app)
        assert "before  UCS-2 · 1 segment" in preview
        assert "after   GSM-7 · 1 segment" in preview
        await pilot.press("escape")
        await pilot.pause()
        editor = screen.query_one("#message", MessageEditor)
        assert editor.text == UCS2_TEXT, "cancel changes nothing"
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert editor.text == 'Hi Jane - your parcel "A-1182" arrives today'
        assert "GSM-7 · 1 segment" in screen_text(app)


async def test_bad_number_is_refused_at_the_field_and_nothing_is_sent(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await open_compose(app, pilot)
        await pilot.press(*"+65 12")
        type_message(screen, "Hello")
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert hint(screen, "to-hint").startswith("✗")
        assert screen.focused is screen.query_one("#to", Input)
        assert screen.query_one("#sent", SentTable).row_count == 0
        assert not screen.sending


async def test_empty_and_overlong_texts_are_refused(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await open_compose(app, pilot)
        await pilot.press(*"+6591234567")
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert "Write a message first." in screen_text(app)
        type_message(screen, "x" * 1531)
        await pilot.pause()
        assert "an SMS has at most 10" in screen_text(app)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert "11 segments: at most 10." in screen_text(app)
        assert screen.query_one("#sent", SentTable).row_count == 0


async def test_bad_sender_id_is_explained(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await open_compose(app, pilot)
        await pilot.click("#from")
        await pilot.press(*"ACME Customer Care")
        await pilot.pause()
        assert hint(screen, "from-hint").startswith("✗")
        assert "11" in hint(screen, "from-hint")
        screen.query_one("#from", Input).value = "ACME Care"
        await pilot.pause()
        assert hint(screen, "from-hint").startswith("✓ alphanumeric")


async def test_single_send_shows_umid_and_status_moving_forward(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_compose(app, pilot)
        await pilot.press(*"+6591234567")
        type_message(screen, "Your agent will call you in 5 minutes.")
        await pilot.press("ctrl+j")
        table = screen.query_one("#sent", SentTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        umid = str(table.get_row_at(0)[1])
        assert len(umid) >= 16
        assert app.core.timeline(umid) is not None
        await wait_for(pilot, lambda: "delivered" in str(table.get_row_at(0)[2]), timeout=30)


async def test_several_numbers_go_out_as_one_batch(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_compose(app, pilot)
        await pilot.press(*"+6591234567, +6591234568; +6591234569")
        await pilot.pause()
        assert "3 numbers (batch)" in hint(screen, "to-hint")
        type_message(screen, "Store closes early today.")
        await pilot.press("ctrl+j")
        lines = await confirm_send(pilot, app)
        assert lines[0] == "Recipients: 3 numbers × 1 part = 3 SMS parts"
        assert lines[1] == "Cost: ≈ 0.11 EUR"
        table = screen.query_one("#sent", SentTable)
        await wait_for(pilot, lambda: table.row_count == 3)
        destinations = sorted(str(table.get_row_at(i)[0]) for i in range(3))
        assert destinations == ["+65••••4567", "+65••••4568", "+65••••4569"], "masked, as the Feed"
        table.focus()
        await pilot.press("v")  # in full
        destinations = sorted(str(table.get_row_at(i)[0]) for i in range(3))
        assert destinations == ["+6591234567", "+6591234568", "+6591234569"]
        assert "Sent 3 messages" in screen_text(app)


async def test_batch_statuses_arrive_for_every_number(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_compose(app, pilot)
        await pilot.press(*"+6591230001, +6591230002")
        type_message(screen, "Your order is ready for pickup.")
        await pilot.press("ctrl+j")
        await confirm_send(pilot, app)
        table = screen.query_one("#sent", SentTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        await wait_for(
            pilot,
            lambda: all("delivered" in str(table.get_row_at(i)[2]) for i in range(2)),
            timeout=30,
        )


async def test_big_sends_are_split_into_batches_with_progress(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    progress: list[tuple[int, int]] = []
    async with app.run_test(
        size=(120, 32),
        message_hook=lambda m: (
            progress.append((m.done, m.total)) if isinstance(m, ComposeScreen.Progressed) else None
        ),
    ) as pilot:
        screen = await open_compose(app, pilot)
        assert app.sender is not None
        app.sender.batch_limit = 2  # the sending service chunks at BATCH_LIMIT; 2 for the test
        numbers = ", ".join(f"+659123400{i}" for i in range(5))
        screen.query_one("#to", Input).value = numbers
        type_message(screen, "Five numbers, three requests.")
        await pilot.press("ctrl+j")
        await confirm_send(pilot, app)
        table = screen.query_one("#sent", SentTable)
        await wait_for(pilot, lambda: table.row_count == 5)
        await wait_for(pilot, lambda: not screen.sending)
    assert list(dict.fromkeys(progress)) == [(2, 5), (4, 5), (5, 5)]


async def test_omni_shield_rejection_shows_its_meaning(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(140, 32)) as pilot:
        screen = await open_compose(app, pilot)
        await pilot.press(*"+12025550123")
        type_message(screen, "Claim your prize now")
        await pilot.press("ctrl+j")
        table = screen.query_one("#sent", SentTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        await wait_for(pilot, lambda: "rejected" in str(table.get_row_at(0)[2]), timeout=30)
        assert "99 Omni Shield: likely fraud" in str(table.get_row_at(0)[2])


async def test_a_pasted_list_becomes_one_number_per_line_once(
    sandbox_url: str, tmp_path: Path
) -> None:
    from textual import events

    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_compose(app, pilot)
        field = screen.query_one("#to", Input)
        field.post_message(events.Paste("+6591234567\n\n +6591234568 \n"))
        await pilot.pause()
        assert field.value == "+6591234567, +6591234568"
        assert "2 numbers (batch)" in hint(screen, "to-hint")


async def test_an_unexpected_send_error_is_one_notice(sandbox_url: str, tmp_path: Path) -> None:
    from console.api.models import SmsAccepted, SmsMessage
    from console.core.sending import SmsSender

    class Broken:
        async def send_sms(self, message: SmsMessage) -> SmsAccepted:
            raise RuntimeError("the client broke")

        async def send_sms_batch(self, *args: object, **kwargs: object) -> object:
            raise AssertionError("not a batch")

    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(120, 32), notifications=True) as pilot:
        screen = await open_compose(app, pilot)
        app.sender = SmsSender(Broken(), app.core)  # type: ignore[arg-type]
        await pilot.press(*"+6591234567")
        type_message(screen, "Hello")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: not screen.sending and bool(app._notifications))
        await wait_for(
            pilot, lambda: all(w.is_finished for w in app.workers if w.group == "send-sms")
        )
        await pilot.pause()  # the App's worker handler would have spoken by now
        assert [n.title for n in app._notifications] == ["SMS not sent"]
        assert "RuntimeError: the client broke" in screen_text(app)
        assert screen.query_one("#to", Input).value == "+6591234567", "nothing was sent"


async def test_c_on_a_sent_row_copies_its_umid(sandbox_url: str, tmp_path: Path) -> None:
    from tui_helpers import send_from_compose

    app = console_for(sandbox_url, data_dir=tmp_path)
    app.copier.local = None  # never the developer's own clipboard
    async with app.run_test(size=(120, 32), notifications=True) as pilot:
        screen = await open_compose(app, pilot)
        umid = await send_from_compose(pilot, screen, "+6591234567", "Copy me")
        screen.query_one(SentTable).focus()
        await pilot.press("c")
        await wait_for(pilot, lambda: bool(app._notifications))
        assert app.clipboard == umid, "sent to the terminal's clipboard (OSC 52)"
        assert [n.message for n in app._notifications] == [f"Copied the umid {umid}."]


async def test_a_huge_paste_into_to_shows_its_reason_not_only_itself(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_compose(app, pilot)
        screen.query_one("#to", Input).value = "x" * 100_000
        await wait_for(pilot, lambda: hint(screen, "to-hint").startswith("✗"))
        said = hint(screen, "to-hint")
        quoted, reason = said.split(": ", 1)
        assert quoted == "✗ " + "x" * 11 + "…" + "x" * 10, "the number quoted in 22 characters"
        assert reason == "Letters in the number ('x'): use digits only"
        assert reason in screen_text(app), "the reason is on screen at 80 columns"
