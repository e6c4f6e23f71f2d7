"""The history's life in the console: opened in a thread after the first frame, its updates
written on a thread of their own, closed while Textual restores the terminal at quit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from console.controllers import core_parts
from console.messages import HistoryNoticed, HistoryOpened, HistoryUnavailable, HistoryWriteFailed
from console.ui.state import HistoryState, HistoryStatus

if TYPE_CHECKING:
    from console.app import AgentConsole
    from console.feed.rows import FeedStore
    from console.loop_turns import LoopTurns
    from console.store import History

T = TypeVar("T")
log = logging.getLogger(__name__)

# The history's update thread sleeps this long between runs of a few dozen receipts or sends:
# it shares the GIL with the UI loop, which otherwise waits the interpreter's 5 ms switch
# interval to get it back each time (a repaint of 11 ms of CPU took 21 ms: BENCH_SLOW).
# Before each pause, and between the writer's files, it gives way to a long turn of the loop
# (console/loop_turns.py: a section's first paint is not shared with it).
PAUSE = 0.0005
# ... unless more updates than this wait (a slice of live events is one; ~60 a second at
# 2,000 receipts/s, so a batch's 10,000 sends journalled in ~0.3 s keep their pauses): then
# it catches up without pausing. At 20,000 receipts/s an always-paused thread fell behind
# the loop, and what waited cost tens of MB of RSS.
BACKLOG = 32
# While more than BACKLOG wait, the history's threads still give way to a long turn of the
# loop, for this long at most: catching up at full speed took the GIL from a section's first
# paint (BENCH_SLOW: the writer's thread had 41 of 76 ms while a paint of 18 ms waited).
HURRIED = 0.005


class Updates:
    """The history's updates, run in order on one thread of their own (`submit`, as an
    executor's); the history pauses between runs of its work while few updates wait, and
    gives way to the UI loop's long turns (`give_way`, when the loop is a TurnLoop)."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="history-write")
        self._waiting = 0
        self._lock = threading.Lock()
        self.history: History | None = None
        self.turns: LoopTurns | None = None

    def give_way(self) -> None:
        """The history's `give_way`: wait out a long turn of the loop, briefly while updates
        pile up; never once the agent quits."""
        turns = self.turns
        if turns is not None:
            turns.give_way(None if self._waiting <= BACKLOG else HURRIED)

    def submit(self, job: Callable[..., T], *args: object) -> Future[T]:
        with self._lock:
            self._waiting += 1
            self._pace()
        return self._executor.submit(self._run, job, *args)

    def shutdown(self, wait: bool = True) -> None:
        """No more updates; those handed over go in without pauses (the agent is quitting:
        nothing on screen waits for the GIL, the shell prompt waits for the last flush)."""
        with self._lock:
            history, self.history = self.history, None
            self.turns = None
            if history is not None:
                history.pause = 0.0
        self._executor.shutdown(wait=wait)

    def _run(self, job: Callable[..., T], *args: object) -> T:
        # Between two jobs is a breathing point too: a burst of customers' messages is a
        # thousand small jobs back to back, none long enough to give way inside.
        self.give_way()
        try:
            return job(*args)
        finally:
            with self._lock:
                self._waiting -= 1
                self._pace()

    def _pace(self) -> None:
        history = self.history
        if history is not None:
            history.pause = PAUSE if self._waiting <= BACKLOG else 0.0


class HistoryKeeper:
    """Opens and closes the app's history (`app.history`) and says what became of it."""

    def __init__(self, app: AgentConsole) -> None:
        self.app = app
        self.settled = False  # opened, or known not to open: the resume point is known
        self.closing: threading.Thread | None = None
        # The history's updates leave the UI loop, in order, on one thread of their own.
        self.writes = Updates()

    def open(self) -> None:
        from console.loop_turns import running_turns

        self.writes.turns = running_turns()  # the history gives way to the loop's long turns
        self.app.run_worker(
            partial(self._open, self.writes.give_way),
            group="history",
            thread=True,
            exit_on_error=False,
            description="Opening the history",
        )

    def _open(self, give_way: Callable[[], object] | None) -> None:
        from console.paths import data_dir
        from console.store import History, HistoryError

        app = self.app
        folder = app.settings.data_dir or data_dir()
        try:
            history = History.open(
                folder,
                max_age_days=app.settings.history_max_age_days,
                max_records=app.settings.history_max_records,
                on_write_error=lambda reason: app.post_message(HistoryWriteFailed(str(reason))),
                on_notice=lambda text: app.post_message(HistoryNoticed(text)),
                pause=PAUSE,
                give_way=give_way,
            )
        except HistoryError as error:  # HistoryLocked included: its message names the fix
            app.post_message(HistoryUnavailable(str(error)))
            return
        except OSError as error:
            app.post_message(HistoryUnavailable(f"History could not be opened: {error}"))
            return
        app.post_message(HistoryOpened(history, self._feed_window(history)))

    def _feed_window(self, history: History) -> FeedStore | None:
        """The feed's rows as the history has them, built here, off the UI loop; None if
        they could not be read (the feed screen then reads them when it opens)."""
        from console.store import HistoryError

        try:
            return core_parts.build_feed_window(self.app, history)
        except (HistoryError, OSError):
            log.warning("the feed's rows could not be read from the history", exc_info=True)
            return None

    def opened(self, history: History, feed_window: FeedStore | None = None) -> None:
        app = self.app
        if self.closing is not None:  # opened while quitting: close it again
            threading.Thread(target=history.close, name="history-close").start()
            return
        app.history = history
        self.writes.history = history
        app.core.attach_history(history)
        if feed_window is not None:
            app.feed.take_over(feed_window)  # else the feed screen merges the history's rows
        app.gc_pacer.freeze_long_lived()  # what the history loaded stays: never walked again
        self.settled = True
        app.history_status = HistoryStatus(HistoryState.SAVED, folder=history.data_dir)
        for notice in history.notices:
            app.notify(notice, title="History", severity="warning", timeout=15)
        app.history_ready.publish(history)
        app.live.maybe_follow()
        app.drafts_keeper.history_opened()

    def noticed(self, text: str) -> None:
        self.app.notify(text, title="History", severity="warning", timeout=15)

    def unavailable(self, reason: str) -> None:
        app = self.app
        self.settled = True
        app.history_status = HistoryStatus(HistoryState.NOT_SAVED, reason=reason)
        app.notify(
            reason + " This console runs without saving its history.",
            title="History not saved",
            severity="error",
            timeout=20,
        )
        app.live.maybe_follow()

    def write_failed(self, reason: str) -> None:
        app = self.app
        if app.history_status.state is HistoryState.NOT_SAVING:
            return
        app.history_status = HistoryStatus(
            HistoryState.NOT_SAVING, folder=app.history_status.folder, reason=reason
        )
        app.notify(
            f"The history could not be written: {reason}. It is kept in memory and "
            "saved again as soon as the disk allows.",
            title="History not saved",
            severity="error",
            timeout=20,
        )

    def start_closing(self) -> None:
        """Stop what runs beside the UI, without waiting for any of it (idempotent)."""
        if self.closing is not None:
            return
        app = self.app
        app.workers.cancel_group(app, "events")
        if app.stream is not None:
            app.stream.abort()
        if app.session is not None and app.session.sandbox is not None:
            app.session.sandbox.terminate()  # it exits on its own; nobody waits for it
        history, app.history = app.history, None
        if app.core_if_built is not None:  # never built: nothing to detach
            app.core_if_built.attach_history(None)
        writes = self.writes
        keeper = app.drafts_keeper
        keeper.stop()
        drafts = keeper.to_save(history)

        def close_history() -> None:
            keeper.wait_saved()  # a save handed over before goes in first
            if drafts is not None:
                keeper.write_now(*drafts)
            writes.shutdown(wait=True)  # the updates already handed over go in first
            if history is not None:
                history.close()

        self.closing = threading.Thread(target=close_history, name="history-close")
        self.closing.start()  # not a daemon: the interpreter waits for the flush

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Wait for the history's final flush (after the app has exited); True when done."""
        if self.closing is None:
            return True
        self.closing.join(timeout)
        return not self.closing.is_alive()
