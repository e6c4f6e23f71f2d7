"""The relay's fan-out (console/live/fanout.py): a batch of events is encoded once and the
same message is queued on every console; consoles parse the batched messages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from console.live import fanout as fanout_module
from console.live.events import Event, Heartbeat
from console.live.fanout import Batch, Fanout, Outbox, forward
from console.live.frames import parse_message


def event(seq: int, **payload: Any) -> Event:
    return Event(seq, "2024-05-01T10:00:00.000Z", "SMS", "inbound_message_received", payload)


def events(first: int, last: int) -> list[Event]:
    return [event(seq, index=seq) for seq in range(first, last + 1)]


def seqs(message: str) -> list[int]:
    return [frame.seq for frame in parse_message(message) if isinstance(frame, Event)]


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every call of the fan-out's encoder, with the frames it joined."""
    calls: list[list[str]] = []
    real = fanout_module.encode_batch

    def counting(texts: Any) -> str:
        calls.append(list(texts))
        return real(texts)

    monkeypatch.setattr(fanout_module, "encode_batch", counting)
    return calls


def make(count: int = 3, **options: Any) -> tuple[Fanout, list[Outbox], list[Outbox]]:
    outboxes = [Outbox(10_000, 16 * 1024 * 1024) for _ in range(count)]
    dropped: list[Outbox] = []
    subscribers = set(outboxes)

    def drop(outbox: Outbox) -> None:
        dropped.append(outbox)
        subscribers.discard(outbox)

    return Fanout(subscribers, drop, **options), outboxes, dropped


async def test_the_commits_of_one_turn_are_encoded_once_into_one_message_for_every_console(
    encodes: list[list[str]],
) -> None:
    fanout, outboxes, _ = make(3)
    fanout.publish(events(1, 2))
    fanout.publish(events(3, 5))
    assert all(not outbox.queue for outbox in outboxes)  # on the loop's next turn
    await asyncio.sleep(0)
    assert len(encodes) == 1 and fanout.messages_encoded == 1
    batches = [outbox.queue[0] for outbox in outboxes]
    assert all(batch is batches[0] for batch in batches)  # the same Batch, the same str
    assert seqs(batches[0].message) == [1, 2, 3, 4, 5]
    assert [outbox.queued for outbox in outboxes] == [5, 5, 5]


async def test_under_load_commits_wait_for_the_interval_and_go_out_together(
    encodes: list[list[str]],
) -> None:
    fanout, outboxes, _ = make(2, interval=0.05)
    fanout.publish(events(1, 1))
    await asyncio.sleep(0)  # a lone event goes at once
    assert seqs(outboxes[0].queue[0].message) == [1]
    for seq in range(2, 12):  # ten more commits within the interval
        fanout.publish(events(seq, seq))
        await asyncio.sleep(0)
    assert len(outboxes[0].queue) == 1
    async with asyncio.timeout(5):
        while len(outboxes[0].queue) < 2:
            await asyncio.sleep(0.01)
    assert seqs(outboxes[0].queue[1].message) == list(range(2, 12))
    assert len(encodes) == 2


async def test_a_flush_is_cut_into_messages_of_max_batch_events_and_bytes() -> None:
    fanout, outboxes, _ = make(1, max_batch=4, interval=10.0)
    fanout.publish(events(1, 10))  # 10 >= max_batch: flushed at once, in three messages
    queue = outboxes[0].queue
    assert [seqs(batch.message) for batch in queue] == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]

    fanout, outboxes, _ = make(1, max_batch_bytes=250, interval=0.0)
    fanout.publish([event(seq, text="x" * 100) for seq in range(1, 6)])
    fanout.flush()
    sizes = [len(batch.message) for batch in outboxes[0].queue]
    assert all(size <= 250 + 2 for size in sizes) and len(sizes) > 1
    assert [s for batch in outboxes[0].queue for s in seqs(batch.message)] == [1, 2, 3, 4, 5]


async def test_a_console_whose_queue_would_overflow_is_dropped_and_only_it() -> None:
    fanout, outboxes, dropped = make(2)
    outboxes[0].limit = 3
    fanout.publish(events(1, 2))
    fanout.flush()
    fanout.publish(events(3, 4))
    fanout.flush()
    assert dropped == [outboxes[0]]
    assert [seqs(b.message) for b in outboxes[1].queue] == [[1, 2], [3, 4]]


async def test_presence_goes_after_the_events_published_before_it() -> None:
    fanout, outboxes, _ = make(2, interval=10.0)
    fanout.publish(events(1, 1))
    fanout.flush()
    fanout.publish(events(2, 3))  # pending: the interval has not passed
    presence = '{"type":"presence","kind":"typing"}'
    assert fanout.transient(presence) == 2
    queue = outboxes[0].queue
    assert [b.message for b in queue][1:] == [
        "[" + ",".join(e.frame_json for e in events(2, 3)) + "]",
        f"[{presence}]",
    ]
    assert queue[2] is outboxes[1].queue[2]  # encoded once too


def test_a_batch_straddling_a_consoles_cursor_is_re_encoded_for_it_alone() -> None:
    items = [(e.seq, e.frame_json) for e in events(5, 8)]
    batch = Batch(items, fanout_module.encode_batch([text for _, text in items]))
    assert batch.after(4) is batch.message  # all new: the shared message itself
    assert batch.after(8) is None and batch.after(9) is None  # the replay sent it all
    assert seqs(batch.after(6) or "") == [7, 8]


async def test_forward_sends_the_shared_messages_in_order_skipping_what_the_replay_sent() -> None:
    fanout, outboxes, _ = make(2)
    sent: list[list[str]] = [[], []]
    progress = [[3], [0]]  # the first console's replay went up to seq 3

    async def run(slot: int) -> None:
        async def send(message: str) -> None:
            sent[slot].append(message)

        await forward(outboxes[slot], send, progress[slot], heartbeat=30.0)

    tasks = [asyncio.create_task(run(slot)) for slot in (0, 1)]
    fanout.publish(events(1, 3))
    fanout.flush()
    await until(lambda: len(sent[1]) == 1)
    fanout.publish(events(4, 6))
    fanout.flush()
    await until(lambda: len(sent[1]) == 2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert [seqs(m) for m in sent[0]] == [[4, 5, 6]]
    assert [seqs(m) for m in sent[1]] == [[1, 2, 3], [4, 5, 6]]
    assert sent[0][0] is sent[1][1]  # one object, sent to both
    assert progress == [[6], [6]]


async def test_a_console_that_fell_behind_gets_what_waits_in_one_message() -> None:
    fanout, outboxes, _ = make(1)
    for first in (1, 3, 5):  # three flushes while its previous send was still going
        fanout.publish(events(first, first + 1))
        fanout.flush()
    sent: list[str] = []

    async def send(message: str) -> None:
        sent.append(message)

    task = asyncio.create_task(forward(outboxes[0], send, [0], heartbeat=30.0))
    await until(lambda: bool(sent))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [seqs(m) for m in sent] == [[1, 2, 3, 4, 5, 6]]
    assert outboxes[0].queued == outboxes[0].queued_bytes == 0


async def test_the_interval_grows_with_the_consoles_within_bounds() -> None:
    assert make(1)[0].interval == fanout_module.MIN_INTERVAL
    assert make(20)[0].interval == pytest.approx(20 * fanout_module.PER_CONSOLE)
    assert make(500)[0].interval == fanout_module.MAX_INTERVAL
    assert make(500, interval=0.001)[0].interval == 0.001


async def until(condition: Any) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.001)


async def test_forward_sends_a_heartbeat_when_nothing_came() -> None:
    outbox = Outbox(10, 1024)
    sent: list[str] = []
    got_one = asyncio.Event()

    async def send(message: str) -> None:
        sent.append(message)
        got_one.set()

    task = asyncio.create_task(forward(outbox, send, [7], heartbeat=0.01))
    async with asyncio.timeout(5):
        await got_one.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert parse_message(sent[0]) == [Heartbeat(7)]


def test_the_console_parses_a_batched_message_of_every_kind_of_frame() -> None:
    texts = [e.frame_json for e in events(1, 3)]
    message = fanout_module.encode_batch([*texts, '{"type":"heartbeat","seq":3}'])
    frames = parse_message(message)
    assert [f.seq for f in frames if isinstance(f, Event)] == [1, 2, 3]
    assert frames[-1] == Heartbeat(3)
    assert parse_message(message.encode()) == frames  # a binary frame reads the same
