"""Video rooms in the core: state from a clock, invites matched by their receipts, reports,
and the room form's rules (pure: no server, no UI)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.core.rooms import (
    REFERENCE_MAX,
    REFERENCE_MIN,
    CallReport,
    CallSeen,
    Invite,
    RoomBook,
    RoomState,
    RoomView,
    check_room_form,
    check_room_phone,
    mask_phone,
    normalize_phone,
    reference_problem,
    room_matches,
    suggest_reference,
)

T0 = 1_800_000_000.0
PHONE = "+6591234567"


def room(reference: str = "CASE-000001", *, at: float = T0, phone: str | None = PHONE, **kw):  # type: ignore[no-untyped-def]
    return RoomView(
        call_reference=reference,
        guest_link=f"https://video-agent.8x8.com/guest/{reference.lower()}",
        phone=phone,
        created_at=at,
        expires_at=at + 900,
        **kw,
    )


# -- state and countdown -----------------------------------------------------------------


def test_a_room_waits_then_the_guest_joins_then_it_expires() -> None:
    waiting = room()
    assert waiting.state(T0) is RoomState.WAITING
    joined = room(guest_joined_at=T0 + 60)
    assert joined.state(T0 + 61) is RoomState.GUEST_JOINED
    assert joined.state(T0 + 900) is RoomState.EXPIRED
    assert waiting.state(T0 + 899.9) is RoomState.WAITING
    assert waiting.state(T0 + 900) is RoomState.EXPIRED


@pytest.mark.parametrize(
    ("elapsed", "label"),
    [
        (0, "15:00 left"),
        (0.4, "15:00 left"),
        (1, "14:59 left"),
        (60, "14:00 left"),
        (899, "00:01 left"),
        (899.5, "00:01 left"),
        (900, "expired"),
        (5000, "expired"),
    ],
)
def test_the_countdown_reads_minutes_and_seconds_then_expired(elapsed: float, label: str) -> None:
    assert room().countdown(T0 + elapsed) == label
    assert room().remaining(T0 + elapsed) == pytest.approx(max(0.0, 900 - elapsed))


@given(st.floats(min_value=0, max_value=2000), st.floats(min_value=0, max_value=2000))
def test_the_countdown_never_goes_up(first: float, second: float) -> None:
    earlier, later = sorted((first, second))

    def seconds(label: str) -> int:
        if label == "expired":
            return -1
        minutes, secs = label.removesuffix(" left").split(":")
        return int(minutes) * 60 + int(secs)

    assert seconds(room().countdown(T0 + later)) <= seconds(room().countdown(T0 + earlier))


def test_invite_labels_say_whether_the_sms_was_sent_and_delivered() -> None:
    assert room(phone=None).invite_label().startswith("none: no phone number")
    assert room().invite_label() == "sent by 8x8 when the agent link is opened"
    assert room(agent_joined_at=T0 + 5).invite_label() == "◌ requested, no receipt yet"
    assert room().invite_label(T0 + 901) == "not sent: the agent link was not opened in time"
    assert room().invite_label(T0 + 10) == "sent by 8x8 when the agent link is opened"
    sent = room(invite=Invite("u-1", "sent"))
    assert sent.invite_label() == "→ sent · to +65••••4567"
    delivered = room(invite=Invite("u-1", "delivered"))
    assert delivered.invite_label() == "✓ delivered · to +65••••4567"
    failed = room(invite=Invite("u-1", "undelivered", error_code=46))
    assert failed.invite_label() == "✗ undelivered · 46 subscriber not reachable · to +65••••4567"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+6591234567", "+65••••4567"),
        ("+12025550142", "+12•••••0142"),
        ("+447700900123", "+44••••••0123"),
        ("+123456", "+••••••"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_phones_are_masked_to_their_start_and_last_four_digits(
    phone: str | None, masked: str
) -> None:
    assert mask_phone(phone) == masked


def test_numbers_from_8x8_are_normalised_to_e164() -> None:
    assert normalize_phone("6591234567") == "+6591234567"
    assert normalize_phone("+65 9123 4567") == "+6591234567"
    assert normalize_phone("") is None
    assert normalize_phone(None) is None
    assert normalize_phone(6591234567) is None


# -- the form --------------------------------------------------------------------------


def test_a_suggested_reference_is_valid_and_reproducible() -> None:
    values = itertools.cycle([0.0, 0.5, 0.99, 0.25])
    suggestion = suggest_reference(lambda: next(values))
    assert suggestion.startswith("VC-") and len(suggestion) == 11
    assert reference_problem(suggestion) is None
    assert not set(suggestion[3:]) & set("O0I1L")
    assert len({suggest_reference() for _ in range(50)}) > 45


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("", None),
        ("CASE-001", None),
        ("x" * REFERENCE_MAX, None),
        ("short", "A call reference has 8 to 20 characters: this one has 5."),
        ("x" * (REFERENCE_MIN - 1), "A call reference has 8 to 20 characters: this one has 7."),
        ("x" * 21, "A call reference has 8 to 20 characters: this one has 21."),
        (" CASE-0001", "No spaces at the start or end of the call reference."),
        ("CASE-0001 ", "No spaces at the start or end of the call reference."),
        ("CASE\u00000001", "The call reference has characters that cannot be sent."),
    ],
)
def test_call_reference_rules(reference: str, problem: str | None) -> None:
    assert reference_problem(reference) == problem


def test_the_phone_is_optional_international_or_national_with_a_country() -> None:
    assert check_room_phone("").e164 is None and check_room_phone("").problem is None
    assert check_room_phone("+65 9123 4567").e164 == PHONE
    assert check_room_phone("+65 9123 4567").hint == "✓ +65 9123 4567 (SG, mobile)"
    assert check_room_phone("9123 4567", "sg").e164 == PHONE
    assert check_room_phone("", "SG").hint == "no phone: the country is not used"


@pytest.mark.parametrize(
    ("phone", "country", "reference", "problems"),
    [
        ("+65", "", "", {"phone": "Too short: 2 digits"}),
        ("+65 9123 45ab", "", "", {"phone": "Letters in the number ('a', 'b'): use digits only"}),
        (
            "091234567",
            "",
            "",
            {
                "phone": "Starts with 0, so it is a national number: choose its country, "
                "or write it with + and the country code"
            },
        ),
        (
            "91234567",
            "XX",
            "",
            {"country": "Unknown country 'XX': use a two-letter ISO code such as SG or GB"},
        ),
        ("+999 1234 5678", "", "", {"phone": "Unknown country calling code at the start of +999"}),
        (
            "",
            "",
            "short",
            {"reference": "A call reference has 8 to 20 characters: this one has 5."},
        ),
        (
            "+65",
            "",
            "x" * 30,
            {
                "phone": "Too short: 2 digits",
                "reference": "A call reference has 8 to 20 characters: this one has 30.",
            },
        ),
    ],
)
def test_every_form_problem_is_named_at_its_field(
    phone: str, country: str, reference: str, problems: dict[str, str]
) -> None:
    form = check_room_form(phone, country, reference)
    assert form.draft is None
    assert form.problems == problems


def test_a_good_form_becomes_a_draft() -> None:
    assert check_room_form("", "", "").draft is not None
    draft = check_room_form("9123 4567", "SG", "CASE-000777").draft
    assert draft is not None and (draft.phone, draft.reference) == (PHONE, "CASE-000777")
    empty = check_room_form("", "", "").draft
    assert empty is not None and (empty.phone, empty.reference) == (None, None)


def test_the_history_filter_matches_reference_phone_and_state() -> None:
    waiting = room("CASE-ALPHA01")
    expired = room("CASE-BRAVO02", at=T0 - 3600, phone="+12025550142")
    now = T0 + 10
    assert room_matches(waiting, "", now)
    assert room_matches(waiting, "alpha", now) and not room_matches(expired, "alpha", now)
    assert room_matches(expired, "expired", now) and not room_matches(waiting, "expired", now)
    assert room_matches(expired, "+1202", now) and room_matches(expired, "0142", now)
    assert room_matches(waiting, "case 9123", now)
    assert not room_matches(waiting, "case bravo", now)


# -- the book: invites, reports ----------------------------------------------------------


def test_an_invite_is_the_first_sms_to_the_rooms_phone_and_then_only_its_umid() -> None:
    book = RoomBook()
    book.add(room())
    changed = book.invite_receipt("u-inv", "6591234567", T0 + 30, "sent")
    assert changed is not None and changed.invite == Invite("u-inv", "sent")
    # another SMS to the same number is not this room's invite any more
    assert book.invite_receipt("u-other", PHONE, T0 + 40, "delivered") is None
    delivered = book.invite_receipt("u-inv", PHONE, T0 + 41, "delivered")
    assert delivered is not None and delivered.invite.state == "delivered"
    # forward only: a late "sent" changes nothing
    assert book.invite_receipt("u-inv", PHONE, T0 + 42, "sent") is None
    current = book.get("CASE-000001")
    assert current is not None and current.invite.state == "delivered"


def test_sms_the_console_sent_itself_are_nobodys_invite() -> None:
    book = RoomBook()
    book.add(room())
    assert book.invite_receipt("u-mine", PHONE, T0 + 30, "sent", ours=True) is None
    assert book.get("CASE-000001").invite == Invite()  # type: ignore[union-attr]


def test_a_receipt_that_beat_the_send_reply_is_given_back() -> None:
    book = RoomBook()
    book.add(room())
    assert book.invite_receipt("u-mine", PHONE, T0 + 30, "sent") is not None
    (back,) = book.disown(["u-mine", "u-unknown"])
    assert back.invite == Invite()
    assert book.invite_receipt("u-inv", PHONE, T0 + 31, "sent") is not None


def test_the_newest_room_to_the_number_gets_the_invite_not_other_numbers_or_old_rooms() -> None:
    book = RoomBook()
    book.add(room("OLD-ROOM-1", at=T0 - 5000))
    book.add(room("NEW-ROOM-1", at=T0))
    book.add(room("NO-PHONE-1", at=T0 + 1, phone=None))
    assert book.invite_receipt("u-x", "+6500000000", T0 + 5, "sent") is None
    assert book.invite_receipt("u-early", PHONE, T0 - 100, "sent") is None  # before the room
    first = book.invite_receipt("u-1", PHONE, T0 + 5, "sent")
    assert first is not None and first.call_reference == "NEW-ROOM-1"
    # the old room expired more than an hour before: never a match
    assert book.invite_receipt("u-2", PHONE, T0 + 6, "sent") is None


@given(st.permutations(["queued", "sent", "delivered", "sent", "queued"]))
def test_the_invite_ends_in_the_same_state_whatever_the_order(states: list[str]) -> None:
    book = RoomBook()
    book.add(room())
    for state in states:
        book.invite_receipt("u-inv", PHONE, T0 + 10, state)
    final = book.get("CASE-000001")
    assert final is not None and final.invite.state == "delivered"


def test_reports_say_who_joined_and_never_unjoin() -> None:
    book = RoomBook()
    book.add(room())
    (changed,) = book.calls_seen([CallSeen("CASE-000001", "5001", T0 + 5, T0 + 60)])
    assert (changed.call_id, changed.agent_joined_at, changed.guest_joined_at) == (
        "5001",
        T0 + 5,
        T0 + 60,
    )
    assert book.calls_seen([CallSeen("CASE-000001", "5001", None, None)]) == []
    assert book.calls_seen([CallSeen("UNKNOWN-0001", "5002", T0, T0)]) == []
    assert book.get("CASE-000001").state(T0 + 61) is RoomState.GUEST_JOINED  # type: ignore[union-attr]


def test_waiting_rooms_are_the_ones_the_reports_are_asked_about() -> None:
    book = RoomBook()
    book.add(room("WAITING-01", at=T0))
    book.add(room("JOINED-001", at=T0, guest_joined_at=T0 + 1))
    book.add(room("EXPIRED-01", at=T0 - 1000))
    assert [r.call_reference for r in book.live(T0 + 10)] == ["WAITING-01"]


def test_a_reused_reference_keeps_the_newest_room_and_the_book_is_bounded() -> None:
    book = RoomBook(max_rooms=3)
    book.add(room("SAME-REF-1", at=T0))
    book.add(room("SAME-REF-1", at=T0 - 10, phone=None))  # an older one read back late
    assert book.get("SAME-REF-1").phone == PHONE  # type: ignore[union-attr]
    for index in range(4):
        book.add(room(f"ROOM-{index:05d}", at=T0 + index + 1))
    assert len(book) == 3
    assert [r.call_reference for r in book.newest()] == ["ROOM-00003", "ROOM-00002", "ROOM-00001"]


def test_call_reports_read_durations() -> None:
    report = CallReport("5001", "CASE-000001", duration=125)
    assert report.duration_label == "2 min 05 s"
    assert CallReport("5001", "CASE-000001", duration=7).duration_label == "7 s"
    assert CallReport("5001", "CASE-000001").duration_label == "—"
    assert report.seen == CallSeen("CASE-000001", "5001", None, None)


def test_an_agent_links_token_is_never_shown_whole() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from console.core.rooms import mask_link_secrets

    link = "http://127.0.0.1:8080/video/?user=ana&token=hhqA2mrpZv7VzVpHBo4JttVWDSX"
    shown = mask_link_secrets(link)
    assert shown == "http://127.0.0.1:8080/video/?user=ana&token=…WDSX"
    assert mask_link_secrets("https://x.example/g/abc") == "https://x.example/g/abc"
    assert mask_link_secrets("https://x/?TOKEN=short#frag") == "https://x/?TOKEN=…#frag"

    @given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=9, max_size=80))
    def never_whole(token: str) -> None:
        shown = mask_link_secrets(f"https://meet.example/v/?token={token}&user=bo")
        assert token not in shown and shown.endswith(f"token=…{token[-4:]}&user=bo")

    never_whole()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["+6591000001", "+6591000002", None]),
            st.sampled_from([0.0, 100.0, 100.0, 900.0, 5000.0]),
            st.booleans(),
        ),
        max_size=12,
    ),
    st.sampled_from([0.0, 150.0, 1000.0, 9000.0]),
)
def test_a_receipt_finds_the_newest_room_waiting_for_an_invite_to_its_number(
    specs: list[tuple[str | None, float, bool]], at: float
) -> None:
    from console.core.rooms import INVITE_LATE, INVITE_SLACK, Invite, RoomBook, RoomView

    book = RoomBook()
    for n, (phone, created, invited) in enumerate(specs):
        invite = Invite(umid=f"inv-{n}", state="sent") if invited else Invite()
        book.add(
            RoomView(f"ref-{n:02d}", "https://x", phone, created, created + 900, invite=invite)
        )
    expected = next(
        (
            room
            for room in book.newest()  # the rule: the first of the newest that fits
            if room.phone == "+6591000001"
            and room.invite.umid is None
            and room.created_at - INVITE_SLACK <= at <= room.expires_at + INVITE_LATE
        ),
        None,
    )
    assert book._invited_room("+6591000001", at) == expected
