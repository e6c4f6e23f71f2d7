"""GroupCommit: appends queue while commits run; with ``pipeline`` > 1 (the Redis log), a
group does not wait for the one before it; no append is ever left waiting."""

from __future__ import annotations

import asyncio

from console.live.events import Event
from console.live.log_base import GroupCommit, PendingAppend


class Store:
    """A commit that numbers its group and waits until released (a slow round trip)."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.running = 0
        self.most_at_once = 0
        self.release = asyncio.Event()
        self.seq = 0

    async def commit(self, group: list[PendingAppend]) -> None:
        self.groups.append([item.payload["n"] for item in group])
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await self.release.wait()
        self.running -= 1
        for item in group:
            self.seq += 1
            item.future.set_result(Event(self.seq, "t", "SMS", "x", item.payload))


async def test_a_pipelined_group_does_not_wait_for_the_answer_to_the_one_before() -> None:
    store = Store()
    queue = GroupCommit(store.commit, name="test", pipeline=2)
    first = asyncio.ensure_future(queue.append("SMS", "x", {"n": 0}, 0.0))
    await settle()
    rest = [asyncio.ensure_future(queue.append("SMS", "x", {"n": n}, 0.0)) for n in (1, 2)]
    await settle()
    assert store.groups == [[0], [1, 2]]  # the second group went while the first waited
    assert store.most_at_once == 2
    later = asyncio.ensure_future(queue.append("SMS", "x", {"n": 3}, 0.0))
    await settle()
    assert store.groups == [[0], [1, 2]]  # two in flight: the next one waits for either
    store.release.set()
    events = await asyncio.gather(first, *rest, later)
    assert sorted(event.seq for event in events) == [1, 2, 3, 4]
    assert store.groups[-1] == [3]
    await queue.drain()


async def test_one_at_a_time_groups_what_came_meanwhile_and_leaves_nothing_behind() -> None:
    store = Store()
    store.release.set()
    queue = GroupCommit(store.commit, name="test")
    async with asyncio.timeout(10):  # an append left behind would wait forever
        for burst in range(50):  # appends landing just as a commit's loop ends
            await asyncio.gather(
                *(queue.append("SMS", "x", {"n": burst * 3 + k}, 0.0) for k in range(3))
            )
        for n in range(150, 200):  # the next append as soon as the last one is stored
            await queue.append("SMS", "x", {"n": n}, 0.0)
    await queue.drain()
    assert store.most_at_once == 1
    assert [n for group in store.groups for n in group] == list(range(200))


async def settle() -> None:
    """Let every task that is ready run (a few turns of the loop)."""
    for _ in range(5):
        await asyncio.sleep(0)
