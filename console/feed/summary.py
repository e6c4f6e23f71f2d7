"""What the feed says above its rows, as text (pure): the event stream's state, follow or
pause, how many rows it shows of how many, the counters per status, receipts per second."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from console.feed.columns import STATUS_GLYPHS
from console.feed.rows import NO_FINAL

STATUS_ORDER = (
    "queued",
    "sent",
    "delivered",
    "read",
    "undelivered",
    "rejected",
    "failed",
    NO_FINAL,
)
STREAM_GLYPHS = {
    "live": "●",
    "connecting": "◌",
    "reconnecting": "↻",
    "gap": "⚠",
    "stopped": "✗",
    "off": "○",
}


@dataclass(frozen=True, slots=True)
class FeedFacts:
    """Everything the summary lines show, gathered by the screen."""

    stream_state: str  # an EventsState value, or "" when not logged in
    stream_label: str  # e.g. "reconnecting (attempt 2)"
    following: bool
    shown: int  # rows the filter lets through
    kept: int  # rows the store keeps
    seen: int  # messages seen (kept and let go)
    bound: int  # the store's max rows
    newer_below: int = 0  # paused: rows after the cursor
    filtered: bool = False
    loading: str = ""  # a time range being read from the history
    range_label: str = ""  # the time range shown, when it came from the history


def stream_text(facts: FeedFacts) -> str:
    if not facts.stream_state:
        return "✗ not connected"
    glyph = STREAM_GLYPHS.get(facts.stream_state, "?")
    return f"{glyph} events {facts.stream_label}"


def state_line(facts: FeedFacts) -> str:
    """'● events live · following the newest · 10,000 messages'."""
    parts = [stream_text(facts)]
    if facts.following:
        parts.append("following the newest")
    else:
        newer = f": {facts.newer_below:,} newer below" if facts.newer_below else ""
        parts.append(f"⏸ paused{newer} (end resumes)")
    if facts.loading:
        parts.append(facts.loading)
    if facts.range_label:
        parts.append(facts.range_label)
    if facts.seen > facts.kept:
        parts.append(f"showing the newest {facts.kept:,} of {facts.seen:,}")
    if facts.filtered:
        parts.append(f"{facts.shown:,} of {facts.kept:,} match the filter")
    elif facts.seen <= facts.kept:
        parts.append(f"{facts.kept:,} message{'s' if facts.kept != 1 else ''}")
    return " · ".join(parts)


def counters_line(counts: Mapping[str, int], *, filtered_from: int = 0) -> str:
    """'◌ queued 12 · ✓ delivered 9,500 · ✗ undelivered 140': statuses with messages, in a
    fixed order (others after them), each with its glyph. `filtered_from`: the messages a
    filter chose from (none matching is not "no messages yet")."""
    shown = [status for status in STATUS_ORDER if counts.get(status)]
    shown += sorted(status for status in counts if status not in STATUS_ORDER and counts[status])
    if not shown:
        if filtered_from:
            return f"no message matches the filter (0 of {filtered_from:,})"
        return "no messages yet"
    return " · ".join(
        f"{STATUS_GLYPHS.get(status, '?')} {status} {counts[status]:,}" for status in shown
    )


def rate_label(now: int, peak: int, seconds: int) -> str:
    return f"receipts/s {now:,} · peak {peak:,} over {seconds // 60} min"
