"""The lines above the feed's rows: the stream's state (never colour alone), follow or
pause, how many rows of how many, counters per status."""

from __future__ import annotations

from console.feed.rows import NO_FINAL
from console.feed.summary import FeedFacts, counters_line, rate_label, state_line


def facts(**changes: object) -> FeedFacts:
    base: dict[str, object] = {
        "stream_state": "live",
        "stream_label": "live",
        "following": True,
        "shown": 10_000,
        "kept": 10_000,
        "seen": 10_000,
        "bound": 100_000,
    }
    base.update(changes)
    return FeedFacts(**base)  # type: ignore[arg-type]


def test_live_and_following() -> None:
    assert state_line(facts()) == "● events live · following the newest · 10,000 messages"
    assert state_line(facts(shown=1, kept=1, seen=1)).endswith("1 message")


def test_the_stream_state_reads_without_colour() -> None:
    line = state_line(facts(stream_state="reconnecting", stream_label="reconnecting (attempt 2)"))
    assert line.startswith("↻ events reconnecting (attempt 2)")
    gap = facts(stream_state="gap", stream_label="may be missing since 10:04:05 UTC")
    assert state_line(gap).startswith("⚠ events may be missing since 10:04:05 UTC")
    assert state_line(facts(stream_state="")).startswith("✗ not connected")


def test_paused_says_how_many_are_newer_and_how_to_resume() -> None:
    line = state_line(facts(following=False, newer_below=340))
    assert "⏸ paused: 340 newer below (end resumes)" in line


def test_beyond_the_bound_it_says_showing_the_newest_n_of_m() -> None:
    line = state_line(facts(kept=100_000, seen=123_456, shown=100_000))
    assert "showing the newest 100,000 of 123,456" in line
    filtered = state_line(facts(filtered=True, shown=140))
    assert "140 of 10,000 match the filter" in filtered


def test_loading_and_a_range_from_the_history_are_said() -> None:
    line = state_line(facts(loading="reading since 2026-11-20 from the history…"))
    assert "reading since 2026-11-20 from the history…" in line
    assert "from the history" in state_line(facts(range_label="from the history"))


def test_counters_in_a_fixed_order_with_glyphs() -> None:
    counts = {"undelivered": 140, "delivered": 9_500, NO_FINAL: 2, "queued": 0, "odd": 1}
    assert counters_line(counts) == (
        "✓ delivered 9,500 · ✗ undelivered 140 · ◷ no final receipt 2 · ? odd 1"
    )
    assert counters_line({}) == "no messages yet"
    assert counters_line({}, filtered_from=10_002) == "no message matches the filter (0 of 10,002)"
    assert rate_label(1980, 2103, 120) == "receipts/s 1,980 · peak 2,103 over 2 min"
