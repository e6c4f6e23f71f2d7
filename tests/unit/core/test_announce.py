"""The notification policy (core/announce.py): what a customer's message, an assignment
and a snooze that ran out say, and when the agent is at work (the hotlist, not a toast)."""

from __future__ import annotations

from console.core.announce import (
    Notice,
    at_work,
    inbound_text,
    snooze_notice,
    team_notices,
    woken,
)
from console.core.inbound import InboundMessage
from console.core.inbox import SNOOZED, Inbox
from console.core.model import Changes, TeamChange
from console.live.team import ASSIGNED, STATUS_CHANGED, TeamAction

NOW = 1_795_771_800.0
JANE = InboundMessage("in-1", "whatsapp", "+6591234567", "Jane Tan", "Hello?\nsecond", None)
BOB = InboundMessage("in-2", "sms", "+6598765432", "Bob", "Hi", None)


def inbox_with(*messages: InboundMessage) -> Inbox:
    inbox = Inbox(me="ana")
    for seq, message in enumerate(messages, 1):
        inbox.apply_inbound(message, seq, NOW)
    return inbox


def test_one_message_names_the_customer_channel_and_first_line() -> None:
    inbox = inbox_with(JANE)
    assert inbound_text(Changes(inbound=(JANE,)), inbox) == "Jane Tan on WhatsApp: Hello?"
    assert inbound_text(Changes(), inbox) is None


def test_several_messages_are_counted_by_customer() -> None:
    inbox = inbox_with(JANE, BOB)
    changes = Changes(inbound=(JANE, JANE, BOB))
    assert inbound_text(changes, inbox) == "3 new messages from 2 customer(s)"


def test_typing_a_dialog_the_inbox_or_a_narrow_terminal_keep_toasts_away() -> None:
    assert not at_work(typing=False, in_dialog=False, mode="feed", width=120)
    assert at_work(typing=True, in_dialog=False, mode="feed", width=120)
    assert at_work(typing=False, in_dialog=True, mode="feed", width=120)
    assert at_work(typing=False, in_dialog=False, mode="inbox", width=120)
    assert at_work(typing=False, in_dialog=False, mode="feed", width=80)


def assignment(agent: str, assignee: str | None, lost_to: str | None = None) -> TeamChange:
    action = TeamAction(ASSIGNED, JANE.conversation_id, agent, assignee=assignee)
    return TeamChange(action, 1, NOW, lost_to=lost_to)


def test_an_assignment_to_me_by_a_colleague_and_a_lost_take_are_said() -> None:
    inbox = inbox_with(JANE)
    changes = Changes(
        team=(
            assignment("bo", "ana"),  # given to me
            assignment("ana", "ana", lost_to="bo"),  # I lost the race
            assignment("ana", "ana"),  # my own take: nothing to say
            assignment("bo", "cy"),  # between colleagues: nothing to say
            TeamChange(TeamAction(STATUS_CHANGED, JANE.conversation_id, "bo"), 2, NOW),
        )
    )
    assert team_notices(changes, inbox) == [
        Notice("Assigned to you by bo: Jane Tan.", "Assigned to you"),
        Notice("bo took Jane Tan first.", "Not yours", "warning"),
    ]


def test_snoozes_of_mine_or_nobodys_wake_with_one_notice() -> None:
    inbox = inbox_with(JANE, BOB)
    for message, agent in ((JANE, "ana"), (BOB, "bo")):
        cid = message.conversation_id
        inbox.apply_action(TeamAction(ASSIGNED, cid, agent, assignee=agent), None, NOW)
        snooze = TeamAction(STATUS_CHANGED, cid, agent, status=SNOOZED, snoozed_until=NOW + 60)
        inbox.apply_action(snooze, None, NOW)
    woke = woken(inbox, NOW, NOW + 61)
    assert [c.customer for c in woke] == ["Jane Tan"]  # Bob's snooze is his colleague's
    assert snooze_notice(woke) == Notice("Jane Tan is back in the inbox.", "Snooze over")
    assert snooze_notice(woke * 2) == Notice(
        "2 snoozed conversations are back in the inbox.", "Snooze over"
    )
    assert snooze_notice([]) is None
