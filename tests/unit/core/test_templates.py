"""Sending a WhatsApp template: its slots, the checks on the agent's values, the Chat Apps
content built from them, and the text the thread keeps. The console's check and the sandbox's
(which imitates 8x8) agree: what the console lets through, the sandbox accepts, and what the
console refuses the sandbox refuses too."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.api.templates import Template, templates_from_json
from console.core.templates import (
    Slot,
    content,
    offered,
    placeholders,
    preview,
    sent_text,
    slots,
    unsendable,
    value_problem,
    values_problem,
)
from console.sandbox.errors import ApiError
from console.sandbox.templates import SEEDED, TemplateBook
from console.sandbox.world import CHANNEL_IDS

TEMPLATES = {t.name: t for t in templates_from_json({"templates": list(SEEDED)})}
BOOK = TemplateBook(dict(CHANNEL_IDS))


def test_8x8s_list_is_read_and_a_broken_entry_is_skipped() -> None:
    listed = templates_from_json(
        {
            "templates": [
                SEEDED[0],
                {"templateName": "", "language": "en"},
                {"language": "en"},
                "junk",
                {"templateName": "x", "language": "en", "components": "nope"},
            ]
        }
    )
    assert [t.name for t in listed] == ["ticket_update", "x"]
    assert listed[1].components == ()
    with pytest.raises(TypeError):
        templates_from_json({"items": []})


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        (None, ()),
        ("", ()),
        ("no placeholders", ()),
        ("{{1}}", (1,)),
        ("{{2}} then {{1}} then {{2}}", (1, 2)),
        ("{{ 3 }} spaced", (3,)),
        ("{1} {{x}} {{}}", ()),
    ],
)
def test_placeholders(text: str | None, numbers: tuple[int, ...]) -> None:
    assert placeholders(text) == numbers


def test_slots_are_the_text_headers_then_the_bodys() -> None:
    assert slots(TEMPLATES["ticket_update"]) == (Slot("body", 1), Slot("body", 2))
    assert slots(TEMPLATES["follow_up"]) == (Slot("header", 1),)
    assert slots(TEMPLATES["conversation_reopen"]) == ()
    assert Slot("body", 2).label == "body {{2}}"


def test_what_the_inbox_cannot_send_says_why() -> None:
    assert unsendable(TEMPLATES["ticket_update"]) is None
    assert unsendable(TEMPLATES["spring_offer"]) == "not approved (pending)"
    assert unsendable(TEMPLATES["order_shipped"]) == "its header is image"
    assert unsendable(Template("x", "en", status="APPROVED")) == "it has no body"
    names = [t.name for t in offered(TEMPLATES.values())]
    assert names[-2:] == ["order_shipped", "spring_offer"]  # the unsendable ones last


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Jane", None),
        ("", "empty"),
        ("   ", "empty"),
        ("a\nb", "new line"),
        ("a\tb", "new line"),
        ("a     b", "four spaces"),
        ("a    b", None),
        ("x" * 1024, None),
        ("x" * 1025, "at most 1,024"),
    ],
)
def test_a_body_value(value: str, problem: str | None) -> None:
    found = value_problem(Slot("body", 1), value)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_a_header_value_is_shorter() -> None:
    assert value_problem(Slot("header", 1), "x" * 60) is None
    assert "at most 60" in (value_problem(Slot("header", 1), "x" * 61) or "")


def test_content_preview_and_the_text_kept() -> None:
    template = TEMPLATES["ticket_update"]
    assert values_problem(template, ["Jane"]) == "ticket_update takes 2 value(s), not 1"
    assert values_problem(template, ["Jane", "T-1042"]) is None
    assert content(template, ["Jane", "T-1042"]) == {
        "name": "ticket_update",
        "language": "en",
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Jane"},
                    {"type": "text", "text": "T-1042"},
                ],
            }
        ],
    }
    assert preview(template, ["Jane"]).startswith(
        "Hello Jane, there is an update on your ticket {{2}}"
    )
    kept = sent_text(template, ["Jane", "T-1042"])
    assert kept.splitlines()[0] == "[template ticket_update · en]"
    assert "ticket T-1042" in kept and kept.endswith("Sandbox Support")
    follow = TEMPLATES["follow_up"]
    assert preview(follow, ["Jane"]).splitlines()[0] == "Still there, Jane?"
    assert preview(follow).splitlines()[-1] == "[Yes, please] [No, thanks]"
    assert content(TEMPLATES["conversation_reopen"], []) == {
        "name": "conversation_reopen",
        "language": "en",
    }
    assert values_problem(TEMPLATES["spring_offer"], ["5%"]) == (
        "spring_offer cannot be sent: not approved (pending)"
    )


def test_a_value_that_looks_like_a_placeholder_stays_as_typed() -> None:
    template = TEMPLATES["appointment_reminder"]
    assert (
        preview(template, ["{{2}}", "10:00"]) == "Reminder: your appointment is on {{2}} at 10:00."
    )


values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=70
)


@given(
    name=st.sampled_from(sorted(TEMPLATES)),
    given_values=st.lists(values, min_size=0, max_size=3),
)
def test_the_console_and_the_sandbox_agree_on_what_can_be_sent(
    name: str, given_values: list[str]
) -> None:
    template = TEMPLATES[name]
    problem = values_problem(template, given_values)
    # the values as a client puts them on the wire, whether they fit or not
    part = "header" if any(slot.part == "header" for slot in slots(template)) else "body"
    parameters = [{"type": "text", "text": value} for value in given_values]
    wire = {"name": template.name, "language": template.language}
    if parameters:
        wire["components"] = [{"type": part, "parameters": parameters}]
    if problem is None:
        assert wire == content(template, given_values)
    try:
        text = BOOK.render("whatsapp", wire)
    except ApiError as error:
        assert problem is not None, f"the console let through what 8x8 refuses: {error.message}"
        return
    assert problem is None, f"the console refused what 8x8 takes: {problem}"
    assert text in preview(template, given_values)
