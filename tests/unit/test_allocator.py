"""The C allocator tuned and trimmed: freed memory goes back to the system (glibc), and on any
other C library nothing is done and nothing fails. (How much a shift keeps: bench/shift.py.)"""

from __future__ import annotations

import os
import threading

import pytest

from console.allocator import (
    HEAPS,
    M_ARENA_MAX,
    M_MMAP_THRESHOLD,
    M_TRIM_THRESHOLD,
    OWN_MAPPING_FROM,
    Allocator,
    Trimmer,
    glibc,
)


class FakeLibrary:
    def __init__(self, refuse: int | None = None) -> None:
        self.settings: dict[int, int] = {}
        self.trims = 0
        self.refuse = refuse

    def mallopt(self, parameter: int, value: int) -> int:
        if parameter == self.refuse:
            return 0
        self.settings[parameter] = value
        return 1

    def malloc_trim(self, pad: int) -> int:
        assert pad == 0
        self.trims += 1
        return 1


def test_tuning_sets_the_heaps_the_mapping_and_the_trim_thresholds() -> None:
    library = FakeLibrary()
    allocator = Allocator(library)
    assert allocator.tune() and allocator.tuned
    assert library.settings == {
        M_ARENA_MAX: HEAPS,
        M_MMAP_THRESHOLD: OWN_MAPPING_FROM,
        M_TRIM_THRESHOLD: OWN_MAPPING_FROM,
    }


def test_a_setting_refused_is_told() -> None:
    allocator = Allocator(FakeLibrary(refuse=M_ARENA_MAX))
    assert not allocator.tune()
    assert not allocator.tuned


def test_without_glibc_nothing_is_done_and_nothing_fails() -> None:
    allocator = Allocator(None)
    assert not allocator.available
    assert not allocator.tune()
    assert not allocator.release()


def test_release_trims_every_heap() -> None:
    library = FakeLibrary()
    assert Allocator(library).release()
    assert library.trims == 1


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(glibc() is None, reason="glibc only (Linux)")
def test_memory_freed_inside_the_heap_goes_back_to_the_system() -> None:
    """64 MB of 4 KB blocks (the C allocator's: over pymalloc's 512 bytes), all freed but the
    newest, which keeps the heap from shrinking at its top: the freed pages stay resident
    until the release, then go back."""

    def allocate_and_free() -> tuple[int, int, int]:
        blocks = [os.urandom(1) * 4096 for _ in range(16_384)]
        kept = blocks[-1]
        full = _resident_bytes()
        del blocks
        freed = _resident_bytes()
        assert Allocator.of_this_process().release()
        released = _resident_bytes()
        assert kept
        return full, freed, released

    results: list[tuple[int, int, int]] = []
    # A thread of its own: its heap holds nothing of the test run's own.
    worker = threading.Thread(target=lambda: results.append(allocate_and_free()))
    worker.start()
    worker.join()
    full, freed, released = results[0]
    assert freed > full - 16 * 2**20, "glibc kept the freed blocks resident"
    assert released < freed - 32 * 2**20, "the release gave the freed pages back"


def test_the_trimmer_releases_on_its_own_thread_until_stopped() -> None:
    calls = threading.Semaphore(0)
    names: list[str] = []

    def release() -> None:
        names.append(threading.current_thread().name)
        calls.release()

    trimmer = Trimmer(release, every=0.001)
    trimmer.start()
    try:
        assert calls.acquire(timeout=10) and calls.acquire(timeout=10)
        assert trimmer.running
    finally:
        trimmer.stop()
    assert not trimmer.running
    assert set(names) == {"memory-trim"}
    assert len(trimmer.trims) >= 2 and all(took >= 0 for took in trimmer.trims)
    after = len(names)
    trimmer.trim_now()  # by hand still works, stopped
    assert len(names) == after + 1


def test_the_trimmer_keeps_only_its_newest_durations() -> None:
    trimmer = Trimmer(lambda: None)
    for _ in range(1_234):
        trimmer.trim_now()
    assert 500 <= len(trimmer.trims) <= 1_000
