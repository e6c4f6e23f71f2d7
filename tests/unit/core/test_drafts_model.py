"""The drafts model (pure) and its file: saved as typed, restored as saved, forgotten once
sent or discarded, bounded, never holding a secret, never going back in time."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from console.core.drafts import MAX_DRAFTS, NOTE, REPLY, ComposeDraft, Drafts
from console.store.drafts import DraftFile

KEY = "sk-live-Zq81mZ0000secret"

texts = st.text(min_size=1, max_size=50).filter(str.strip)
ids = st.text(min_size=1, max_size=20)


@given(
    replies=st.dictionaries(ids, texts, max_size=5),
    notes=st.dictionaries(ids, texts, max_size=5),
    compose=st.builds(
        ComposeDraft,
        source=st.text(max_size=11),
        to=st.text(max_size=40),
        country=st.text(max_size=2),
        reference=st.text(max_size=20),
        text=st.text(max_size=80),
        encoding=st.sampled_from(["AUTO", "GSM7", "UCS2"]),
    ),
    section=st.none() | st.sampled_from(["inbox", "compose"]),
    conversation=st.none() | ids,
)
def test_what_is_saved_comes_back(
    replies: dict[str, str],
    notes: dict[str, str],
    compose: ComposeDraft,
    section: str | None,
    conversation: str | None,
) -> None:
    drafts = Drafts()
    for conversation_id, text in replies.items():
        drafts.set_text(REPLY, conversation_id, text)
    for conversation_id, text in notes.items():
        drafts.set_text(NOTE, conversation_id, text)
    drafts.set_compose(compose)
    drafts.set_section(section)
    drafts.set_conversation(conversation)
    back = Drafts.from_doc(json.loads(json.dumps(drafts.to_doc())))
    assert back.to_doc() == drafts.to_doc()
    assert all(back.text(REPLY, c) == t for c, t in replies.items())
    assert back.compose == (None if compose.empty else compose)


def test_sent_cleared_or_discarded_is_forgotten() -> None:
    drafts = Drafts()
    assert drafts.set_text(REPLY, "c1", "Hello")
    assert not drafts.set_text(REPLY, "c1", "Hello"), "no change, no save"
    assert drafts.set_text(REPLY, "c1", "")
    assert drafts.to_doc()["replies"] == {}
    assert drafts.set_compose(ComposeDraft(to="+6591234567", text="hi"))
    assert drafts.set_compose(None) and drafts.compose is None
    assert not drafts.set_compose(ComposeDraft(reference="ac-1")), "a reference alone is no draft"
    assert drafts.empty


def test_the_api_key_never_reaches_the_document() -> None:
    drafts = Drafts()
    drafts.set_text(REPLY, "c1", f"my key is {KEY}")
    drafts.set_text(REPLY, "c2", "fine")
    drafts.set_compose(ComposeDraft(to="+6591234567", text=KEY))
    doc = json.dumps(drafts.to_doc(secrets=[KEY, ""]))
    assert KEY not in doc
    assert "fine" in doc and "+6591234567" in doc


def test_drafts_are_bounded_the_least_recently_edited_go_first() -> None:
    drafts = Drafts()
    for n in range(MAX_DRAFTS + 5):
        drafts.set_text(REPLY, f"c{n}", "draft")
    drafts.set_text(REPLY, "c5", "edited again")  # now the newest
    kept = drafts.conversations(REPLY)
    assert len(kept) == MAX_DRAFTS and kept[-1] == "c5" and "c4" not in kept


def test_a_hand_edited_file_is_read_as_far_as_it_makes_sense() -> None:
    doc = {
        "replies": {"c1": "ok", "c2": 7},
        "notes": ["not", "a", "mapping"],
        "compose": {"to": "+65", "text": 3, "encoding": "EBCDIC"},
        "section": 5,
    }
    drafts = Drafts.from_doc(doc)
    assert drafts.conversations(REPLY) == ["c1"] and drafts.conversations(NOTE) == []
    assert drafts.compose == ComposeDraft(to="+65")
    assert drafts.section is None
    assert Drafts.from_doc("garbage").empty


def test_what_was_typed_before_the_file_was_read_wins() -> None:
    restored = Drafts.from_doc({"replies": {"c1": "old", "c2": "kept"}, "section": "inbox"})
    typed = Drafts()
    typed.set_text(REPLY, "c1", "new")
    merged = restored.merged_under(typed)
    assert merged.text(REPLY, "c1") == "new" and merged.text(REPLY, "c2") == "kept"
    assert merged.section == "inbox"
    assert restored.summary() == "2 replies"


def test_the_file_is_replaced_whole_and_never_goes_back_in_time(tmp_path: Path) -> None:
    file = DraftFile(tmp_path)
    assert file.load(0) == (None, None)
    assert file.save({"replies": {"c1": "two"}}, version=2)
    assert not file.save({"replies": {"c1": "one"}}, version=1), "an older save is skipped"
    assert file.load(0) == ({"replies": {"c1": "two"}}, None)
    assert (tmp_path / "drafts.json").stat().st_mode & 0o077 == 0, "owner only"
    assert [p.name for p in tmp_path.iterdir()] == ["drafts.json"], "no temp file left"


def test_a_damaged_file_is_moved_aside_and_said(tmp_path: Path) -> None:
    (tmp_path / "drafts.json").write_bytes(b'{"replies": {"c1": "cut sh')
    doc, notice = DraftFile(tmp_path).load(1_800_000_000.0)
    assert doc is None and notice is not None and "moved aside" in notice
    [moved] = tmp_path.glob("drafts.json.corrupt-*")
    assert moved.read_bytes().startswith(b'{"replies"')
