"""The inbox's state without a UI: applying team events and customers' messages, tabs and
their counts, filters, snoozes that come back, presence that expires, and convergence."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.core.inbound import InboundMessage
from console.core.inbox import (
    Conversation,
    Filters,
    Inbox,
    Seen,
    StoredConversation,
    Tab,
    TabCount,
    age_label,
    mask_peer,
)
from console.live.team import Presence, TeamAction

T0 = 1_800_000_000.0
JANE = "whatsapp:+6591234567"
OMAR = "sms:+6598765432"
LI = "viber:+6581112222"


def act(kind: str, conversation: str = JANE, agent: str = "ana", **fields: Any) -> TeamAction:
    return TeamAction(kind, conversation, agent, **fields)


def said(conversation: str, text: str, name: str | None = None, umid: str = "u") -> InboundMessage:
    channel, _, peer = conversation.partition(":")
    return InboundMessage(umid, channel, peer, name, text, None)


@pytest.fixture
def inbox() -> Inbox:
    box = Inbox(me="ana")
    box.apply_inbound(said(JANE, "Where is my parcel?\nOrder 1182", "Jane"), 1, T0)
    box.apply_inbound(said(OMAR, "STOP"), 2, T0 + 10)
    box.apply_inbound(said(LI, "Hello"), 3, T0 + 20)
    return box


def ids(conversations: list[Conversation]) -> list[str]:
    return [c.conversation_id for c in conversations]


def test_inbound_opens_conversations_newest_first_with_unread_and_their_first_line(
    inbox: Inbox,
) -> None:
    listing = inbox.listing(Filters(), T0 + 30)
    assert ids(listing) == [LI, OMAR, JANE]
    jane = listing[-1]
    assert (jane.customer, jane.first_line, jane.unread) == ("Jane", "Where is my parcel?", 1)
    assert listing[1].customer == "+65••••5432"  # no name: the number, masked


def test_tabs_count_conversations_and_unread_under_the_other_filters(inbox: Inbox) -> None:
    inbox.apply_action(act("assigned", assignee="ana"), 4, T0 + 40)
    inbox.apply_action(act("assigned", OMAR, assignee="bob"), 5, T0 + 41)
    inbox.apply_inbound(said(JANE, "Hello?"), 6, T0 + 50)
    counts = inbox.counts(Filters(), T0 + 60)
    assert counts == {
        Tab.MINE: TabCount(1, 2),
        Tab.UNASSIGNED: TabCount(1, 1),
        Tab.ALL: TabCount(3, 4),
    }
    assert ids(inbox.listing(Filters(tab=Tab.MINE), T0)) == [JANE]
    assert ids(inbox.listing(Filters(tab=Tab.UNASSIGNED), T0)) == [LI]
    assert inbox.counts(Filters(channel="sms"), T0)[Tab.ALL] == TabCount(1, 1)


def test_resolve_hides_a_conversation_from_open_and_a_new_message_reopens_it(
    inbox: Inbox,
) -> None:
    inbox.apply_action(act("status_changed", status="resolved"), 4, T0 + 40)
    assert JANE not in ids(inbox.listing(Filters(), T0 + 40))
    assert ids(inbox.listing(Filters(status="resolved"), T0 + 40)) == [JANE]
    inbox.apply_inbound(said(JANE, "One more thing"), 5, T0 + 50)
    assert inbox.conversations[JANE].status == "open"
    assert ids(inbox.listing(Filters(), T0 + 50))[0] == JANE


def test_a_snooze_comes_back_by_itself_at_its_time(inbox: Inbox) -> None:
    until = T0 + 3600
    inbox.apply_action(act("status_changed", status="snoozed", snoozed_until=until), 4, T0)
    assert JANE not in ids(inbox.listing(Filters(), until - 1))
    assert ids(inbox.listing(Filters(status="snoozed"), until - 1)) == [JANE]
    assert ids(inbox.wakes(T0, until - 1)) == []
    assert ids(inbox.wakes(until - 1, until)) == [JANE]
    assert JANE in ids(inbox.listing(Filters(), until))
    assert ids(inbox.wakes(until, until + 3600)) == [], "it wakes once"


def test_labels_filter_and_search_match_name_number_text_and_labels(inbox: Inbox) -> None:
    inbox.apply_action(act("labelled", add=("vip", "billing")), 4, T0)
    inbox.apply_action(act("labelled", OMAR, add=("billing",)), 5, T0)
    inbox.apply_action(act("labelled", remove=("billing",)), 6, T0)
    assert inbox.conversations[JANE].labels == ("vip",)
    assert inbox.labels() == ["billing", "vip"]
    assert ids(inbox.listing(Filters(label="billing"), T0)) == [OMAR]
    for query, found in [("jane", [JANE]), ("8765", [OMAR]), ("PARCEL", [JANE]), ("vip", [JANE])]:
        assert ids(inbox.listing(Filters(query=query), T0)) == found
    # A conversation found by a search of its messages shows whatever its last line says.
    assert ids(inbox.listing(Filters(query="refund"), T0, also=[LI])) == [LI]


def test_notes_and_replies_are_kept_in_order_and_replays_change_nothing(inbox: Inbox) -> None:
    inbox.apply_action(act("note_added", text="VIP customer"), 4, T0 + 30)
    reply = act("replied", agent="bob", umid="out-1", channel="whatsapp", text="On its way")
    inbox.apply_action(reply, 5, T0 + 40)
    jane = inbox.conversations[JANE]
    assert [(n.agent, n.text, n.seq) for n in jane.notes] == [("ana", "VIP customer", 4)]
    assert (jane.last_text, jane.last_direction, jane.seq) == ("On its way", "out", 5)
    assert inbox.apply_action(act("note_added", text="VIP customer"), 4, T0 + 30) is None
    assert inbox.apply_inbound(said(JANE, "Where is my parcel?"), 1, T0) is None
    assert inbox.conversations[JANE] == jane


def test_the_relays_order_settles_two_agents_taking_one_conversation(inbox: Inbox) -> None:
    inbox.apply_action(act("assigned", agent="bob", assignee="bob"), 4, T0)
    inbox.apply_action(act("assigned", agent="ana", assignee="ana"), 5, T0)
    assert inbox.conversations[JANE].assignee == "ana"


def test_next_with_activity_goes_round_to_unread_conversations(inbox: Inbox) -> None:
    inbox.mark_read(OMAR)
    listing = inbox.listing(Filters(), T0 + 30)  # LI, OMAR, JANE
    found = inbox.next_with_activity(listing, LI)
    assert found is not None and found.conversation_id == JANE
    found = inbox.next_with_activity(listing, JANE)
    assert found is not None and found.conversation_id == LI
    for conversation in (LI, JANE):
        inbox.mark_read(conversation)
    assert inbox.next_with_activity(inbox.listing(Filters(), T0), LI) is None


def test_presence_of_colleagues_shows_until_it_expires_and_typing_comes_first(
    inbox: Inbox,
) -> None:
    now = T0

    def presence(kind: str, agent: str, active: bool = True, ttl: float = 8.0) -> Presence:
        return Presence(act(kind, agent=agent, active=active), "x", ttl)

    assert inbox.apply_presence(presence("typing", "bob"), now)
    assert inbox.apply_presence(presence("viewing", "cleo", ttl=45), now)
    assert not inbox.apply_presence(presence("typing", "ana"), now)  # my own: never shown
    assert inbox.presence(JANE, now + 1) == [Seen("bob", "typing"), Seen("cleo", "viewing")]
    assert inbox.next_presence_expiry(now) == now + 8
    assert inbox.presence(JANE, now + 9) == [Seen("cleo", "viewing")]
    assert inbox.apply_presence(presence("viewing", "cleo", active=False), now + 10)
    assert inbox.presence(JANE, now + 10) == []
    # Viewing another conversation leaves this one.
    inbox.apply_presence(presence("viewing", "dan"), now)
    inbox.apply_presence(Presence(act("viewing", OMAR, agent="dan"), "x", 45), now)
    assert inbox.presence(JANE, now) == [] and inbox.presence(OMAR, now) == [Seen("dan", "viewing")]
    assert inbox.agents() == ["ana", "dan"]


@pytest.mark.parametrize(
    ("seconds", "label"),
    [(5, "now"), (61, "1m"), (3599, "59m"), (7200, "2h"), (86400 * 3, "3d"), (86400 * 30, "4w")],
)
def test_ages_read_in_one_short_word(seconds: float, label: str) -> None:
    assert age_label(seconds) == label


def test_numbers_are_masked_but_keep_their_country_and_last_digits() -> None:
    assert mask_peer("+6591234567") == "+65••••4567"
    assert mask_peer("6591234567") == "65••••4567"
    assert mask_peer("12345") == "1••••"


# -- convergence -----------------------------------------------------------------------

AGENTS = st.sampled_from(["ana", "bob", "cleo"])
CONVERSATIONS = st.sampled_from([JANE, OMAR, LI])
LABELS = st.lists(st.sampled_from(["vip", "billing", "refund"]), max_size=2, unique=True)

ACTIONS = st.one_of(
    st.builds(
        lambda c, a, who: act("assigned", c, a, assignee=who),
        CONVERSATIONS,
        AGENTS,
        st.none() | AGENTS,
    ),
    st.builds(
        lambda c, a, s: act("status_changed", c, a, status=s),
        CONVERSATIONS,
        AGENTS,
        st.sampled_from(["open", "pending", "resolved"]),
    ),
    st.builds(
        lambda c, a, t: act("status_changed", c, a, status="snoozed", snoozed_until=t),
        CONVERSATIONS,
        AGENTS,
        st.floats(T0, T0 + 1000),
    ),
    st.builds(
        lambda c, a, add, rm: act("labelled", c, a, add=tuple(add), remove=tuple(rm)),
        CONVERSATIONS,
        AGENTS,
        LABELS,
        LABELS,
    ),
    st.builds(
        lambda c, a, t: act("note_added", c, a, text=t),
        CONVERSATIONS,
        AGENTS,
        st.text(min_size=1, max_size=5),
    ),
    st.builds(
        lambda c, a, t: act("replied", c, a, umid="x", channel="sms", text=t),
        CONVERSATIONS,
        AGENTS,
        st.text(min_size=1, max_size=5),
    ),
    st.builds(lambda c, t: said(c, t), CONVERSATIONS, st.text(max_size=5)),
)


def apply(inbox: Inbox, seq: int, item: TeamAction | InboundMessage) -> None:
    at = T0 + seq
    if isinstance(item, TeamAction):
        inbox.apply_action(item, seq, at)
    else:
        inbox.apply_inbound(item, seq, at)


def through_history(conversation: Conversation) -> StoredConversation:
    """The conversation as the history gives it back after a restart."""
    from console.store.records import conversation as record

    doc = {
        "conversation_id": conversation.conversation_id,
        "channel": conversation.channel,
        "peer": conversation.peer,
        "name": conversation.name,
        "last_activity": conversation.last_activity,
        "unread": conversation.unread,
        "last_text": conversation.last_text,
        "last_direction": conversation.last_direction,
        **conversation.shared(),
    }
    return record(doc)


@given(
    st.lists(ACTIONS, min_size=1, max_size=40),
    st.data(),
)
def test_the_same_events_in_seq_order_from_any_starting_replay_give_the_same_state(
    items: list[TeamAction | InboundMessage], data: st.DataObject
) -> None:
    whole = Inbox(me="ana")
    for seq, item in enumerate(items, 1):
        apply(whole, seq, item)

    # Another console applied a prefix, saved each conversation at its own moment (the history
    # writes them one by one), restarted, and the relay replays from an earlier resume point.
    cut = data.draw(st.integers(0, len(items)), label="applied before the restart")
    resume = data.draw(st.integers(0, cut), label="replay starts after")
    partial = Inbox(me="ana")
    for seq, item in enumerate(items[:cut], 1):
        apply(partial, seq, item)
    restarted = Inbox(me="ana")
    restarted.load(through_history(c) for c in partial.conversations.values())
    for seq, item in enumerate(items[resume:], resume + 1):
        apply(restarted, seq, item)
        if data.draw(st.booleans(), label="replayed twice"):
            apply(restarted, seq, item)

    assert restarted.conversations == whole.conversations
    now = T0 + 500
    for tab in Tab:
        filters = Filters(tab=tab, status=None)
        assert restarted.listing(filters, now) == whole.listing(filters, now)
    assert restarted.counts(Filters(), now) == whole.counts(Filters(), now)


def test_of_two_takes_at_once_the_first_in_the_relays_order_wins() -> None:
    from console.core.inbox import lost_take
    from console.live.team import ASSIGNED, TeamAction

    inbox = Inbox("ana")
    cid = "whatsapp:+6591234567"
    ana = TeamAction(ASSIGNED, cid, "ana", assignee="ana", was=None, conditional=True)
    bob = TeamAction(ASSIGNED, cid, "bob", assignee="bob", was=None, conditional=True)
    first = inbox.apply_action(ana, 1, 10.0)
    assert first is not None and first.assignee == "ana"
    assert lost_take(inbox.get(cid), bob), "bob saw it unassigned; it is ana's now"
    second = inbox.apply_action(bob, 2, 10.1)
    assert second is not None and second.assignee == "ana" and second.seq == 2
    handed = TeamAction(ASSIGNED, cid, "ana", assignee="bob")  # an assignment, not a take
    assert inbox.apply_action(handed, 3, 11.0).assignee == "bob"  # type: ignore[union-attr]
    retake = TeamAction(ASSIGNED, cid, "ana", assignee="ana", was="bob", conditional=True)
    assert inbox.apply_action(retake, 4, 12.0).assignee == "ana"  # type: ignore[union-attr]


def test_the_roster_lists_me_then_colleagues_online_then_the_others() -> None:
    from console.live.team import ONLINE, VIEWING, Presence, TeamAction

    inbox = Inbox("ana")
    cid = "whatsapp:+6591234567"
    inbox.apply_action(TeamAction("note_added", cid, "dave", text="hi"), 1, 1.0)  # seen once
    now = 1_000.0
    assert inbox.apply_presence(Presence(TeamAction(ONLINE, "", "cleo", idle=900), "t", 75), now)
    assert inbox.apply_presence(Presence(TeamAction(ONLINE, "", "bob", idle=3), "t", 75), now)
    assert not inbox.apply_presence(Presence(TeamAction(ONLINE, "", "bob"), "t", 75), now + 1)
    inbox.apply_presence(Presence(TeamAction(VIEWING, cid, "bob"), "t", 45), now)
    roster = inbox.roster(now + 10)
    assert [m.agent for m in roster] == ["ana", "bob", "cleo", "dave"]
    labels = [m.label("ana", lambda c: "Jane Tan") for m in roster]
    assert labels == ["ana (you)", "bob · online · in Jane Tan", "cleo · idle 15m",
                      "dave · offline"]  # fmt: skip
    later = inbox.roster(now + 200)  # no heartbeat for 75 s: offline
    assert [m.label("ana") for m in later][1:] == ["bob · offline", "cleo · offline",
                                                    "dave · offline"]  # fmt: skip
    gone = Presence(TeamAction(ONLINE, "", "bob", active=False), "t", 75)
    assert not inbox.apply_presence(gone, now + 300)
