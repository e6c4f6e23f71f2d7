"""The hotlist says who is waiting in whole entries, mine and nobody's, newest first; the
notices keep the newest fifty."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.core.hotlist import Notices, hotlist_line, waiting
from console.core.inbox import Conversation


def conv(peer: str, unread: int, at: float, name: str | None = None, who: str | None = None):  # type: ignore[no-untyped-def]
    return Conversation(f"sms:{peer}", "sms", peer, name, at, "hi", "in", unread, who)


JANE = conv("+6591234567", 2, 30.0, "Jane Tan")
OMAR = conv("+6598765432", 1, 20.0)
BOBS = conv("+6581112222", 4, 40.0, "Li Wei", who="bob")
READ = conv("+6580000000", 0, 50.0, "Read")


def test_mine_and_unassigned_with_unread_newest_first() -> None:
    assert waiting([OMAR, JANE, BOBS, READ], "ana") == [JANE, OMAR]
    assert hotlist_line([OMAR, JANE, BOBS, READ], "ana", 80) == "3 new · Jane Tan 2 · +65••••5432 1"


def test_nobody_waiting_is_an_empty_line() -> None:
    assert hotlist_line([READ, BOBS], "ana", 80) == ""


def test_a_narrow_line_keeps_whole_entries_and_says_how_many_more() -> None:
    assert hotlist_line([OMAR, JANE], "ana", 28) == "3 new · Jane Tan 2 · +1 more"
    assert hotlist_line([OMAR, JANE], "ana", 12) == "3 new · +2 more"


@given(
    st.lists(st.tuples(st.integers(0, 9), st.text(min_size=1, max_size=30)), max_size=30),
    st.integers(20, 200),
)
def test_the_line_never_cuts_a_name(rows: list[tuple[int, str]], width: int) -> None:
    conversations = [
        conv(f"+659000{n:04d}", unread, float(n), name) for n, (unread, name) in enumerate(rows)
    ]
    line = hotlist_line(conversations, "ana", width)
    entries = line.split(" · ")[1:] if line else []
    names = {f"{c.customer} {c.unread}" for c in conversations}
    assert all(e in names or (e.startswith("+") and e.endswith("more")) for e in entries)


def test_notices_keep_the_newest() -> None:
    notices = Notices(limit=3)
    for n in range(5):
        notices.add(float(n), "New message", f"m{n}")
    assert [n.text for n in notices.recent()] == ["m4", "m3", "m2"]
