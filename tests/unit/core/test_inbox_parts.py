"""The inbox's pure parts: canned responses, snoozes, the thread model, a row's lines."""

from __future__ import annotations

import time

import pytest

from console.core.canned import (
    DEFAULT,
    CannedError,
    expand,
    parse,
    shortcode_before,
    variables,
)
from console.core.inbound import InboundMessage
from console.core.inbox import Conversation, Note
from console.core.inbox_rules import label_changes
from console.core.model import Changes, Delivery, Outbound, TeamChange
from console.core.snooze import parse_snooze, snooze_options
from console.core.thread import Thread
from console.live.team import TeamAction
from console.widgets.conversation_list import row_lines

NOW = 1_795_771_800.0  # 2026-11-27 09:30 UTC (a Friday); the tests run in UTC
JANE = "whatsapp:+6591234567"


def test_a_canned_response_fills_its_variables_and_names_unknown_ones() -> None:
    values = variables(name="Jane Tan", agent="ana", channel="WhatsApp", number="+6591")
    text, unknown = expand("Hi {{ first_name }} ({{name}}), {{agent}} on {{channel}} {{x}}", values)
    assert text == "Hi Jane (Jane Tan), ana on WhatsApp {{x}}"
    assert unknown == ["x"]
    assert variables(name=None, agent="a", channel="SMS", number="1")["first_name"] == "there"


@pytest.mark.parametrize(
    ("line", "column", "found"),
    [("/hi", 3, (0, "hi")), ("Sure. /th", 9, (6, "th")), ("/", 1, (0, "")),
     ("a/b", 3, None), ("/hi there", 9, None), ("http://x", 8, None)],
)  # fmt: skip
def test_a_shortcode_is_found_only_right_before_the_cursor(
    line: str, column: int, found: tuple[int, str] | None
) -> None:
    assert shortcode_before(line, column) == found


@pytest.mark.parametrize(
    ("text", "says"),
    [("[responses]\nhi = 3", "non-empty string"), ("[responses]\nHi = 'x'", "lower-case"),
     ("[other]\nhi = 'x'", "unknown table or key 'other'"), ("hi = ", "not valid TOML"),
     ("responses = 3", "must be a table")],
)  # fmt: skip
def test_a_bad_canned_file_is_refused_naming_the_problem(text: str, says: str) -> None:
    with pytest.raises(CannedError, match=says):
        parse(text)


def test_the_built_in_responses_match_by_prefix_exact_first() -> None:
    assert [r.shortcode for r in DEFAULT.matching("")][:2] == ["hi", "wait"]
    assert [r.shortcode for r in DEFAULT.matching("b")] == ["bye"]
    assert DEFAULT.get("nope") is None


def test_snoozes_read_spans_and_times_of_day() -> None:
    assert parse_snooze("45m", NOW) == NOW + 45 * 60
    assert parse_snooze(" 2H ", NOW) == NOW + 7200
    assert parse_snooze("10:00", NOW) == NOW + 30 * 60  # later today
    assert parse_snooze("09:00", NOW) == NOW + 23.5 * 3600  # tomorrow
    for bad, says in (("0m", "at least"), ("200d", "at most"), ("25:00", "not a time"),
                      ("soon", "45m, 2h")):  # fmt: skip
        with pytest.raises(ValueError, match=says):
            parse_snooze(bad, NOW)
    labels = [label for label, _ in snooze_options(NOW)]  # a Friday: every choice, dated
    assert labels == ["1 hour (10:30)", "3 hours (12:30)", "tomorrow (Sat 28 Nov 09:00)",
                      "next week (Mon 30 Nov 09:00)"]  # fmt: skip


def test_labels_typed_in_the_dialog_become_additions_and_removals() -> None:
    assert label_changes("VIP, billing -old") == (("vip", "billing"), ("old",))
    with pytest.raises(ValueError, match="at least one"):
        label_changes(" , ")


def test_the_thread_merges_history_live_messages_notes_and_receipts() -> None:
    thread = Thread(JANE)
    inbound = InboundMessage("in-1", "whatsapp", "+6591234567", "Jane", "Hi", None)
    sent = Outbound("out-1", "+6591234567", "Hello", NOW + 1, Delivery("out-1", "queued"),
                    "whatsapp", conversation_id=JANE)  # fmt: skip
    other = TeamAction("replied", JANE, "bob", umid="out-2", channel="whatsapp", text="Bob here")
    assert thread.apply(
        Changes(inbound=(inbound,), sent=(sent,), team=(TeamChange(other, 9, NOW + 2),)), NOW
    )
    assert thread.set_notes([Note("cleo", "VIP", NOW + 3, 10)])
    assert not thread.set_notes([Note("cleo", "VIP", NOW + 3, 10)])
    assert thread.apply(Changes(deliveries={"out-1": Delivery("out-1", "read")}), NOW)
    assert not thread.apply(Changes(deliveries={"out-1": Delivery("out-1", "delivered")}), NOW)
    entries = thread.entries()
    assert [(e.kind, e.text, e.agent) for e in entries] == [
        ("in", "Hi", None),
        ("out", "Hello", None),
        ("out", "Bob here", "bob"),
        ("note", "VIP", "cleo"),
    ]
    assert entries[1].delivery is not None and entries[1].delivery.state == "read"


def test_a_row_fits_its_width_with_the_customers_text_made_harmless() -> None:
    conversation = Conversation(
        JANE, "whatsapp", "+6591234567", "Eve\x1b]0;x\x07", NOW - 180, "pay [b]now[/b]\nsecond",
        "in", 2, "ana", "snoozed", NOW + 3600, ("vip",),
    )  # fmt: skip
    first, second = row_lines(conversation, 60, NOW)
    assert first.cell_len == 60 and second.cell_len == 60
    assert "Eve␛]0;x␇" in first.plain and "WhatsApp" in first.plain and "3m" in first.plain
    assert "pay [b]now[/b]" in second.plain and "second" not in second.plain
    until = time.strftime("%H:%M", time.localtime(NOW + 3600))
    assert f"[snoozed until {until}] @ana #vip" in second.plain
    narrow_first, _ = row_lines(conversation, 30, NOW)
    assert narrow_first.cell_len == 30 and narrow_first.plain.rstrip().endswith("2")


def test_a_row_says_how_long_the_customer_has_waited_for_a_reply() -> None:
    from console.core.inbox import Inbox
    from console.live.team import REPLIED

    inbox = Inbox("ana")
    first = InboundMessage("in-1", "whatsapp", "+6591234567", "Jane Tan", "Hi", None)
    again = InboundMessage("in-2", "whatsapp", "+6591234567", "Jane Tan", "Hello??", None)
    inbox.apply_inbound(first, None, NOW)
    inbox.apply_inbound(again, None, NOW + 600)
    waiting = inbox.get(JANE)
    assert waiting is not None and waiting.waiting_since == NOW, "since the first unanswered"
    text = " ".join(str(line) for line in row_lines(waiting, 80, NOW + 10 * 60))
    assert "⏳ 10m" in text and "⚠" not in text
    late = " ".join(str(line) for line in row_lines(waiting, 80, NOW + 20 * 60, 15 * 60))
    assert "⚠ 20m" in late
    reply = TeamAction(REPLIED, JANE, "ana", umid="u1", channel="whatsapp", text="On it")
    answered = inbox.apply_action(reply, 5, NOW + 1300)
    assert answered is not None and answered.waiting_since is None
    assert "⏳" not in " ".join(str(line) for line in row_lines(answered, 80, NOW + 1400))
    inbox.apply_inbound(InboundMessage("in-3", "whatsapp", "+6591234567", None, "Thanks", None),
                        None, NOW + 2000)  # fmt: skip
    assert inbox.get(JANE).waiting_since == NOW + 2000  # type: ignore[union-attr]


def test_the_agents_own_reply_stops_the_waiting_timer_at_once() -> None:
    """Without waiting for the relay's echo: an agent with no relay (or a slow one) must not
    see the customer still 'waiting' after answering."""
    from console.core.inbox import Inbox

    inbox = Inbox("ana")
    inbox.apply_inbound(
        InboundMessage("in-1", "whatsapp", "+6591234567", "Jane Tan", "Hi", None), None, NOW
    )
    answered = inbox.record_reply(JANE, "On it", NOW + 60)
    assert answered.waiting_since is None
    assert answered.last_text == "On it" and answered.last_direction == "out"
    assert "⏳" not in " ".join(str(line) for line in row_lines(answered, 80, NOW + 120))
