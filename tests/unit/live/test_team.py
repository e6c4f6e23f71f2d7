"""Team events on the wire: every kind round-trips, and a bad body is refused by name."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.live.events import Event
from console.live.frames import parse_frame
from console.live.team import (
    KINDS,
    MAX_NOTE,
    TEAM_NAMESPACE,
    Presence,
    TeamAction,
    TeamError,
    label_name,
    team_action,
)

CONVERSATION = "whatsapp:+6591234567"


def body(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "conversationId": CONVERSATION, "agent": "ana", **fields}


GOOD = [
    body("assigned", assignee="bob"),
    body("assigned", assignee=None),
    body("status_changed", status="resolved"),
    body("status_changed", status="snoozed", snoozedUntil=1_800_000_000.5),
    body("labelled", add=["vip"], remove=["billing"]),
    body("note_added", text="Called back.\nWaiting for the invoice."),
    body("replied", umid="u-1", channel="whatsapp", text="On its way!"),
    body("viewing", active=True),
    body("typing", active=False),
]


@pytest.mark.parametrize("sent", GOOD, ids=lambda b: f"{b['type']}")
def test_every_kind_round_trips(sent: dict[str, Any]) -> None:
    action = TeamAction.from_body(sent)
    assert TeamAction.from_body(action.to_body()) == action
    assert action.kept == (sent["type"] not in ("viewing", "typing"))


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ([], "JSON object"),
        (body("deleted"), "'type' must be one of"),
        (body("assigned"), "'assignee' is required"),
        (body("assigned", assignee=""), "'assignee' must not be empty"),
        (body("assigned", assignee="x" * 65), "longer than 64"),
        (body("assigned", assignee="ana\x1b]52;c;aGk=\x07"), "control characters"),
        ({**body("assigned", assignee="a"), "agent": 3}, "'agent' must be a string"),
        ({**body("assigned", assignee="a"), "conversationId": "nobody"}, "<channel>:<customer>"),
        (body("assigned", assignee="a", extra=1), "does not take 'extra'"),
        (body("status_changed", status="closed"), "'status' must be one of"),
        (body("status_changed", status="snoozed"), "'snoozedUntil' must be a time"),
        (body("status_changed", status="snoozed", snoozedUntil=True), "must be a time"),
        (body("status_changed", status="open", snoozedUntil=5), "only with status 'snoozed'"),
        (body("labelled"), "at least one label"),
        (body("labelled", add="vip"), "list of labels"),
        (body("labelled", add=["no way!"]), "letters, digits"),
        (body("labelled", add=[f"l{n}" for n in range(21)]), "more than 20"),
        (body("note_added", text=" "), "non-empty string"),
        (body("note_added", text="x" * (MAX_NOTE + 1)), "longer than"),
        (body("replied", umid="u", channel="sms"), "'text' must be"),
        (body("typing", active="yes"), "true or false"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(sent: object, reason: str) -> None:
    with pytest.raises(TeamError, match=reason):
        TeamAction.from_body(sent)


def test_labels_are_normalised_and_deduplicated() -> None:
    action = TeamAction.from_body(body("labelled", add=["VIP ", "Big  Order", "vip"]))
    assert action.add == ("vip", "big-order")
    assert label_name(" Refund_2 ") == "refund_2"


def test_a_relay_event_carries_a_kept_action_only_under_its_own_type() -> None:
    payload = body("assigned", assignee="bob")
    event = Event(4, "2026-11-27T05:00:00.000Z", TEAM_NAMESPACE, "assigned", payload)
    action = team_action(event)
    assert action is not None and action.assignee == "bob"
    assert team_action(Event(5, event.received_at, "Team", "labelled", payload)) is None
    assert team_action(Event(6, event.received_at, "SMS", "assigned", payload)) is None
    presence = Event(7, event.received_at, TEAM_NAMESPACE, "typing", body("typing"))
    assert team_action(presence) is None  # presence is never numbered


def test_presence_is_its_own_frame_without_a_seq() -> None:
    presence = Presence(TeamAction.from_body(body("typing")), "2026-11-27T05:00:00.000Z", 8.0)
    frame = presence.to_frame()
    assert frame["type"] == "presence" and frame["kind"] == "typing" and "seq" not in frame
    assert parse_frame(frame) == presence
    with pytest.raises(TeamError):
        Presence.from_frame({**frame, "kind": "assigned"})
    with pytest.raises(TeamError, match="ttl"):
        Presence.from_frame({**frame, "ttl": 10_000})


@given(st.sampled_from(KINDS), st.text(max_size=80), st.text(max_size=80))
def test_nothing_but_team_errors_come_out_of_arbitrary_text(
    kind: str, agent: str, value: str
) -> None:
    for sent in (
        body(kind, assignee=value),
        {**body(kind), "agent": agent},
        body(kind, status=value, text=value, umid=value, channel=value),
        body(kind, add=[value], remove=[agent]),
    ):
        try:
            action = TeamAction.from_body(sent)
        except TeamError:
            continue
        assert action.agent.isprintable() and action.agent == action.agent.strip()
        assert TeamAction.from_body(action.to_body()) == action


def test_a_new_conversation_needs_one_of_8x8s_channels_and_a_customer_id() -> None:
    from console.live.team import conversation_id_problem

    for good in ("sms:+6591234567", "whatsapp:6591234567", "viber:abc+/DEF==", "line:U4af49"):
        assert conversation_id_problem(good) is None
    for bad, says in (
        ("nochannel:[/]", "must start with a channel"),
        ("WhatsApp:+6591234567", "must start with a channel"),
        ("sms:[/]", "by number or channel user id"),
        ("sms:+65 9123", "by number or channel user id"),
        ("sms:" + "9" * 129, "by number or channel user id"),
    ):
        problem = conversation_id_problem(bad)
        assert problem is not None and says in problem


def test_the_relay_files_each_event_under_the_conversation_the_inbox_does() -> None:
    from console.core.inbound import parse_inbound
    from console.live.events import Event
    from console.live.team import conversation_of

    chat = Event(
        1, "t", "ChatApps", "inbound_message_received",
        {"umid": "u", "user": {"msisdn": "+6591234567"}, "recipient": {"channel": "WhatsApp"}},
    )  # fmt: skip
    sms = Event(2, "t", "SMS", "inbound_message_received", {"umid": "v", "source": "+659"})
    viber = Event(
        3, "t", "ChatApps", "inbound_message_received",
        {"umid": "w", "user": {"channelUserId": "a=="}, "recipient": {"channel": "viber"}},
    )  # fmt: skip
    for event in (chat, sms, viber):
        message = parse_inbound(event)
        assert message is not None and conversation_of(event) == message.conversation_id
    receipt = Event(4, "t", "SMS", "outbound_message_status_changed", {"umid": "x"})
    team = Event(5, "t", "Team", "note_added", {"conversationId": "sms:+659"})
    assert (conversation_of(receipt), conversation_of(team)) == (None, "sms:+659")


@pytest.mark.parametrize("until", [1e308, 0.001, -1.0, 0.0, 7_258_118_401.0])
def test_a_snooze_names_a_time_between_2000_and_2200(until: float) -> None:
    body = {
        "type": "status_changed",
        "conversationId": "sms:+6591234567",
        "agent": "ana",
        "status": "snoozed",
        "snoozedUntil": until,
    }
    with pytest.raises(TeamError, match="must be a time"):
        TeamAction.from_body(body)


def test_the_relay_bounds_a_snooze_against_its_clock() -> None:
    from console.live.team import MAX_SNOOZE, SNOOZE_SKEW, snooze_problem

    now = 1_900_000_000.0

    def snoozed(until: float) -> TeamAction:
        return TeamAction(
            "status_changed", "sms:+659", "ana", status="snoozed", snoozed_until=until
        )

    assert snooze_problem(snoozed(now + 3600), now) is None
    assert snooze_problem(snoozed(now - SNOOZE_SKEW + 1), now) is None  # clocks differ a little
    assert "in the past" in (snooze_problem(snoozed(now - SNOOZE_SKEW - 1), now) or "")
    assert "within a year" in (snooze_problem(snoozed(now + MAX_SNOOZE + 1), now) or "")
    assert snooze_problem(TeamAction("assigned", "sms:+659", "ana"), now) is None


def test_a_take_carries_the_assignee_its_agent_saw() -> None:
    body = {"type": "assigned", "conversationId": "sms:+6591234567", "agent": "ana",
            "assignee": "ana", "was": None}  # fmt: skip
    take = TeamAction.from_body(body)
    assert take.conditional and take.was is None
    assert take.to_body() == body, "a take goes out as it came in"
    plain = TeamAction.from_body({**body, "was": "bob"})
    assert plain.was == "bob"
    handed = TeamAction.from_body({k: v for k, v in body.items() if k != "was"})
    assert not handed.conditional and "was" not in handed.to_body(), "an assignment is not a take"
    with pytest.raises(TeamError, match="'was'"):
        TeamAction.from_body({**body, "was": "\x1b[2J"})


def test_online_is_presence_about_no_conversation_with_an_idle_time() -> None:
    online = TeamAction.from_body({"type": "online", "agent": "bob", "idle": 12.34})
    assert (online.kind, online.conversation_id, online.idle, online.kept) == (
        "online", "", 12.3, False,
    )  # fmt: skip
    assert online.to_body() == {"type": "online", "agent": "bob", "active": True, "idle": 12.3}
    frame = Presence(online, "2026-12-06T10:00:00.000Z", 75.0).to_frame()
    assert Presence.from_frame(frame).action == online
    for bad in (-1, float("inf"), "5", True, 10**9):
        with pytest.raises(TeamError, match="'idle'"):
            TeamAction.from_body({"type": "online", "agent": "bob", "idle": bad})
    with pytest.raises(TeamError, match="no conversation"):
        TeamAction.from_body({"type": "online", "agent": "bob", "conversationId": "sms:+65"})
