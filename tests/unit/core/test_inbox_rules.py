"""The inbox's rules for what the agent types (core/inbox_rules.py, core/snooze.py): the
limits of a reply and a note, the label answer, the dialogs' checks, the filters' cycles."""

from __future__ import annotations

import pytest

from console.core.inbox_rules import (
    CHANNEL_CYCLE,
    STATUS_CYCLE,
    label_changes,
    next_in_cycle,
    note_problem,
    refusal,
    reply_problem,
)
from console.core.snooze import snooze_choice, snooze_options
from console.live.team import MAX_NOTE, MAX_REPLY

NOW = 1_795_771_800.0  # 2026-11-27 09:30 UTC


def test_an_sms_reply_may_take_ten_segments_not_eleven() -> None:
    assert reply_problem("sms", "a" * 153 * 10) is None
    assert reply_problem("sms", "a" * (153 * 10 + 1)) == "11 segments: an SMS has at most 10."


def test_a_chat_reply_is_held_to_the_chat_apps_limit_counted_in_characters() -> None:
    assert reply_problem("whatsapp", "é" * MAX_REPLY) is None
    assert reply_problem("viber", "x" * (MAX_REPLY + 1)) == (
        f"{MAX_REPLY + 1:,} characters: a reply holds at most {MAX_REPLY:,}."
    )


def test_a_note_must_say_something_and_fit_the_team_log() -> None:
    assert note_problem("  \n ") == "Write the note first."
    assert note_problem(" called back ") is None
    assert note_problem("x" * MAX_NOTE) is None
    assert note_problem("x" * (MAX_NOTE + 1)) == (
        f"{MAX_NOTE + 1:,} characters: a note holds at most {MAX_NOTE:,}."
    )


def test_labels_read_as_additions_and_removals_and_a_bad_one_is_refused() -> None:
    assert label_changes("VIP, billing -old +new") == (("vip", "billing", "new"), ("old",))
    with pytest.raises(ValueError, match="at least one"):
        label_changes(" , ")
    check = refusal(label_changes)
    assert check("vip") is None
    assert check("") == "Name at least one label."
    assert check("no/slash") is not None  # a label the team log would refuse


def test_the_filters_cycle_back_to_their_start() -> None:
    assert next_in_cycle(CHANNEL_CYCLE, None) == "whatsapp"
    assert next_in_cycle(CHANNEL_CYCLE, "sms") is None
    assert next_in_cycle(STATUS_CYCLE, None) == STATUS_CYCLE[0]
    assert next_in_cycle(("a", "b"), "gone") == "a"  # a label no longer in use: the first


def test_a_snooze_answer_is_a_choice_or_a_typed_time() -> None:
    options = snooze_options(NOW)
    label, moment = options[0]
    assert snooze_choice(label, options, NOW) == moment
    assert snooze_choice(f"at:{moment}", options, NOW) == moment  # as the dialog sends it
    assert snooze_choice("45m", options, NOW) == NOW + 45 * 60
    with pytest.raises(ValueError):
        snooze_choice("soon", options, NOW)
