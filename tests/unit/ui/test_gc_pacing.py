"""GcPacer: young collections on every tick (survivors set aside), a full one only when the
agent is idle, never while the agent types, and the collector's own schedule given back."""

from __future__ import annotations

import gc

from console.ui.gc_pacing import GcPacer


class FakeGc:
    def __init__(self) -> None:
        self.enabled = True
        self.collected: list[int] = []
        self.frozen = 0
        self.unfrozen = 0
        self.young = 0

    def collect(self, generation: int = 2) -> int:
        self.collected.append(generation)
        return 0

    def disable(self) -> None:
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    def isenabled(self) -> bool:
        return self.enabled

    def freeze(self) -> None:
        self.frozen += 1

    def unfreeze(self) -> None:
        self.unfrozen += 1

    def get_count(self) -> tuple[int, int, int]:
        return (self.young, 0, 0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def pacer() -> tuple[GcPacer, FakeGc, Clock]:
    fake, clock = FakeGc(), Clock()
    made = GcPacer(idle=3, full_every=60, clock=clock, collector=fake)
    return made, fake, clock


def test_it_takes_over_and_gives_back_the_schedule() -> None:
    made, fake, _ = pacer()
    assert made.tick() is None, "nothing before start"
    made.start()
    made.start()
    assert not fake.enabled and made.running
    made.stop()
    made.stop()
    assert fake.enabled and not made.running


def test_a_collector_that_was_off_stays_off() -> None:
    made, fake, _ = pacer()
    fake.enabled = False
    made.start()
    made.stop()
    assert not fake.enabled


def test_young_generations_while_the_agent_types_full_once_idle() -> None:
    made, fake, clock = pacer()
    made.start()
    for _ in range(200):  # 100 s of typing: no full collection within a minute of typing
        clock.now += 0.5
        made.input_seen()
        made.tick()
    assert set(fake.collected) == {1}
    assert fake.frozen == 200, "what survives a young collection is set aside at once"
    assert fake.unfrozen == 0
    clock.now += 3
    assert made.tick() == 2, "idle for 3 s and a minute since the last: everything"
    assert (fake.unfrozen, fake.frozen) == (1, 201), "what was set aside is walked, then again"
    assert made.tick() == 1, "then not again for a minute"
    assert made.full_collections == 1


def test_a_burst_is_set_aside_instead_of_walked() -> None:
    made, fake, _ = pacer()
    made.start()
    fake.young = 60_000  # a batch of 10,000 messages just recorded
    assert made.tick() == 0
    assert fake.frozen == 1 and fake.collected == []
    fake.young = 800
    assert made.tick() == 1


def test_no_full_collection_while_the_agent_keeps_typing() -> None:
    made, fake, clock = pacer()
    made.start()
    for _ in range(7_200):  # an hour of keys, one every half second
        clock.now += 0.5
        made.input_seen()
        assert made.tick() == 1
    assert fake.unfrozen == 0 and 2 not in fake.collected


def test_freezing_what_is_loaded() -> None:
    made, fake, _ = pacer()
    made.freeze_long_lived()
    assert fake.frozen == 1


def test_the_real_collector_is_the_default() -> None:
    was = gc.isenabled()
    made = GcPacer()
    made.start()
    try:
        assert not gc.isenabled()
        assert made.tick() == 1
    finally:
        made.stop()
    assert gc.isenabled() == was
