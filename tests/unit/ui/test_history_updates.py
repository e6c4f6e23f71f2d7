"""The history's updates run in order on their own thread; the history pauses between runs of
its work while few updates wait, and catches up without pausing when they pile up."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from console.controllers.history import BACKLOG, PAUSE, Updates


def test_updates_run_in_order_and_the_pause_follows_the_backlog() -> None:
    updates = Updates()
    history = SimpleNamespace(pause=PAUSE)
    updates.history = history  # type: ignore[assignment]
    gate = threading.Event()
    ran: list[int] = []
    seen: list[float] = []

    def job(n: int) -> int:
        if n == 0:
            gate.wait(5)  # the first holds the thread while the others pile up
        seen.append(history.pause)
        ran.append(n)
        return n

    futures = [updates.submit(job, n) for n in range(BACKLOG + 3)]
    assert history.pause == 0.0, "more than BACKLOG wait: no pause"
    gate.set()
    assert [future.result(5) for future in futures] == list(range(BACKLOG + 3))
    assert ran == list(range(BACKLOG + 3)), "in order"
    assert seen[0] == 0.0 and seen[-1] == PAUSE, "paused again once caught up"
    assert history.pause == PAUSE
    updates.shutdown()


def test_updates_handed_over_before_quitting_go_in_without_pauses() -> None:
    """At quit the shell prompt waits for the last flush: nothing is paused for the UI then."""
    updates = Updates()
    history = SimpleNamespace(pause=PAUSE)
    updates.history = history  # type: ignore[assignment]
    gate, seen = threading.Event(), []
    updates.submit(gate.wait)
    updates.submit(lambda: seen.append(history.pause))
    closer = threading.Thread(target=updates.shutdown)
    closer.start()
    for _ in range(5_000):  # until shutdown has taken the history over
        if updates.history is None:
            break
        time.sleep(0.001)
    gate.set()
    closer.join()
    assert seen == [0.0]


class Turns:
    """A stand-in for LoopTurns: what each give_way was allowed to wait."""

    def __init__(self) -> None:
        self.longest: list[float | None] = []

    def give_way(self, longest: float | None = None) -> bool:
        self.longest.append(longest)
        return False


def test_the_history_gives_way_to_the_loop_briefly_while_updates_pile_up_never_at_quit() -> None:
    from console.controllers.history import HURRIED

    updates = Updates()
    updates.give_way()  # no TurnLoop (a test, Windows): nothing to wait for
    turns = Turns()
    updates.turns = turns  # type: ignore[assignment]
    updates.history = SimpleNamespace(pause=PAUSE)  # type: ignore[assignment]
    gate, started = threading.Event(), threading.Event()

    def first() -> None:
        started.set()
        gate.wait(5)

    futures = [updates.submit(first)]
    assert started.wait(5)
    assert turns.longest == [None], "before each job, as between runs inside one"
    updates.give_way()
    futures += [updates.submit(lambda: None) for _ in range(BACKLOG + 2)]
    updates.give_way()
    gate.set()
    for future in futures:
        future.result(5)
    assert turns.longest[1:3] == [None, HURRIED], "its own wait; briefly while they pile up"
    assert len(turns.longest) == 3 + BACKLOG + 2, "and once before each of the jobs after"
    assert turns.longest[-1] is None, "caught up: its own wait again"
    updates.shutdown()
    updates.give_way()
    assert len(turns.longest) == 3 + BACKLOG + 2, "the agent is quitting: no more waiting"
