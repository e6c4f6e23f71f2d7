"""The console core and the feed's rows, built at their first use rather than with the App:
Home's first frame needs neither, and importing their modules (the core's dataclasses and
tables, the stream's events) would hold that frame ~30 ms (bench/startup.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.app import AgentConsole
    from console.core.service import ConsoleCore
    from console.feed.rows import FeedStore
    from console.store import History


def build_core(app: AgentConsole) -> ConsoleCore:
    from console.core.service import ConsoleCore
    from console.core.tracker import DeliveryTracker

    return ConsoleCore(
        # Timelines and rows bounded together: the tracker never holds more messages than
        # the feed lists (memory flat across a shift).
        tracker=DeliveryTracker(app.settings.feed_max_rows),
        on_change=app.core_changed.publish,
        background=app.history_keeper.writes.submit,
        agent=app.settings.agent,
        clock=app.clock,
    )


def build_feed(app: AgentConsole) -> FeedStore:
    """The delivery feed's rows, from the core's first change on: the feed shows messages
    sent and receipts heard before it was first opened (one row per message, bounded)."""
    from console.feed.rows import FeedStore

    return FeedStore(max_rows=app.settings.feed_max_rows, clock=app.clock)


def build_feed_window(app: AgentConsole, history: History) -> FeedStore:
    """The feed's rows as the history has them (today's messages, and the newest before),
    built and packed in the thread that opens the history; the UI loop then takes them over
    whole (``FeedStore.take_over``). Merged on the loop at the feed's first opening, a day of
    100,000 messages held it ~450 ms."""
    from console.feed.rows import FeedStore

    max_rows = app.settings.feed_max_rows
    messages = history.todays_messages(max_rows, timelines=False)
    return FeedStore.from_history(messages, max_rows=max_rows, clock=app.clock)
