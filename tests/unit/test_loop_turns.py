"""LoopTurns: another thread waits out the UI loop's long turns, never its idle moments."""

from __future__ import annotations

import asyncio
import sys
import threading
import time

import pytest

from console.loop_turns import LoopTurns, TurnLoop, console_loop, running_turns


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_idle_loop_or_a_short_turn_is_not_waited_for() -> None:
    clock = Clock()
    turns = LoopTurns(busy_after=0.002, longest=60.0, clock=clock)
    assert not turns.busy() and turns.give_way() is False  # never turned yet
    turns.turn_began()
    clock.now += 0.001
    assert not turns.busy() and turns.give_way() is False
    turns.turn_ended()
    clock.now += 5.0  # a long wait in select is idleness, not a long turn
    assert not turns.busy() and turns.give_way() is False


def test_a_long_turn_is_waited_for_at_most_longest() -> None:
    clock = Clock()
    turns = LoopTurns(busy_after=0.002, longest=0.0, clock=clock)
    turns.turn_began()
    clock.now += 0.003
    assert turns.busy()
    assert turns.give_way() is True  # waited (for at most `longest`: here none)


def run_on_a_turn_loop(main: object) -> tuple[TurnLoop, object]:
    loop = TurnLoop(LoopTurns(busy_after=0.005, longest=30.0))
    try:
        return loop, loop.run_until_complete(main)  # type: ignore[arg-type]
    finally:
        loop.close()


def test_a_thread_giving_way_waits_until_the_loops_long_callback_is_over() -> None:
    began, over = threading.Event(), threading.Event()
    seen: list[tuple[bool, bool]] = []

    def hog() -> None:  # a long callback: a first full paint, a section switching
        began.set()
        time.sleep(0.3)
        over.set()

    def worker(turns: LoopTurns) -> None:
        began.wait(10)
        time.sleep(0.02)  # the turn has run past busy_after
        waited = turns.give_way()
        seen.append((waited, over.is_set()))

    async def main() -> None:
        turns = running_turns()
        assert turns is not None
        thread = threading.Thread(target=worker, args=(turns,))
        thread.start()
        asyncio.get_running_loop().call_soon(hog)
        await asyncio.to_thread(thread.join, 10)

    run_on_a_turn_loop(main())
    assert seen == [(True, True)], "gave way, and came back only once the callback was over"


def test_a_thread_never_waits_for_a_loop_waiting_for_events() -> None:
    seen: list[bool] = []

    async def main() -> None:
        turns = running_turns()
        assert turns is not None

        def worker() -> None:
            time.sleep(0.05)  # the loop is asleep in its selector meanwhile
            seen.append(turns.give_way())

        thread = threading.Thread(target=worker)
        thread.start()
        await asyncio.sleep(0.3)
        thread.join(10)

    loop, _ = run_on_a_turn_loop(main())
    assert seen == [False]
    assert loop.turns.began is None, "a stopped loop is not in a turn: nobody waits for it"


def test_only_a_turn_loop_has_turns() -> None:
    async def turns_here() -> LoopTurns | None:
        return running_turns()

    assert running_turns() is None  # no loop running
    assert asyncio.run(turns_here()) is None  # asyncio's own loop
    loop, turns = run_on_a_turn_loop(turns_here())
    assert turns is loop.turns


@pytest.mark.skipif(
    sys.platform == "win32", reason="asyncio's default loop there is not a selector loop"
)
def test_the_console_runs_on_a_turn_loop() -> None:
    with asyncio.Runner(loop_factory=console_loop) as runner:
        assert isinstance(runner.get_loop(), TurnLoop)


def test_the_loop_never_waits_for_itself() -> None:
    """History work done on the loop (no background runner) asks too: it goes on at once."""
    seen: list[bool] = []

    async def main() -> None:
        turns = running_turns()
        assert turns is not None
        time.sleep(0.01)  # the loop busy past busy_after
        assert turns.busy()
        seen.append(turns.give_way())

    run_on_a_turn_loop(main())
    assert seen == [False]
