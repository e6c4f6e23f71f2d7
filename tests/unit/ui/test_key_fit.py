"""The key bar never cuts a word: own keys first, then section keys while they fit, short
labels when needed, the tail always."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.ui.key_fit import KeyItem, Place, fit

TAIL = [
    KeyItem("question_mark", "?", "Keys", Place.TAIL),
    KeyItem("f9", "f9", "Log out", Place.TAIL),
    KeyItem("ctrl+p", "^p", "Palette", Place.TAIL),
]
SECTIONS = [
    KeyItem(f"f{n}", f"f{n}", title, Place.SECTION)
    for n, title in enumerate(["Home", "Rooms", "Inbox", "Feed", "Compose"], 1)
]
ROOMS = [
    KeyItem("ctrl+j", "^j", "Create", Place.OWN),
    KeyItem("ctrl+n", "^n", "Suggest ref", Place.OWN, short="Ref"),
    KeyItem("ctrl+y", "^y", "Copy guest link", Place.OWN, short="Copy link"),
    KeyItem("ctrl+o", "^o", "Open agent link", Place.OWN, short="Agent link"),
    KeyItem("ctrl+l", "^l", "Call logs", Place.OWN, short="Calls"),
]


def drawn(items: list[KeyItem]) -> str:
    return "".join(f" {item.shown} {item.label} " for item in items)


def test_wide_shows_everything_in_order() -> None:
    shown = fit([*ROOMS, *SECTIONS, *TAIL], 200)
    assert [i.label for i in shown][:6] == ["Create", "Suggest ref", "Copy guest link",
                                            "Open agent link", "Call logs", "Home"]  # fmt: skip
    assert shown[-3:] == TAIL


def test_at_80_columns_own_keys_take_short_labels_and_sections_give_way() -> None:
    shown = fit([*ROOMS, *SECTIONS, *TAIL], 80)
    line = drawn(shown)
    assert len(line) <= 80
    assert line.startswith(" ^j Create  ^n Ref  ^y Copy link  ^o Agent link ")
    assert " f1 " not in line, "the section keys are in ? and the palette"
    assert " f9 Log out " in line and " ? Keys " in line and " ^p Palette " in line


def test_too_many_own_keys_drop_from_the_end_never_cut() -> None:
    many = [KeyItem(c, c, f"Action{c}", Place.OWN) for c in "abcdefghijklmnop"]
    shown = fit([*many, *TAIL], 80)
    own = [i for i in shown if i.place is Place.OWN]
    assert own == many[: len(own)] and 0 < len(own) < len(many)
    assert len(drawn(shown)) <= 80


@given(st.integers(min_value=len(drawn(TAIL)), max_value=300))
def test_any_width_fits_and_keeps_whole_labels(width: int) -> None:
    shown = fit([*ROOMS, *SECTIONS, *TAIL], width)
    assert len(drawn(shown)) <= width
    assert shown[-3:] == TAIL
    labels = {i.label for i in ROOMS} | {i.short for i in ROOMS} | {i.label for i in SECTIONS}
    assert all(i.label in labels for i in shown if i.place is not Place.TAIL)
