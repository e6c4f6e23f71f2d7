"""Drawn lines are freed by reference counting, not left for the cyclic collector (which the
console runs only when the agent is idle): console/ui/strips.py."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from console.ui.strips import install


@pytest.fixture
def no_collector() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def line() -> Strip:
    return Strip([Segment("hello ", Style(bold=True)), Segment("world")], 11)


USES: dict[str, Callable[[Strip], object]] = {
    "divided at its own length (every line the compositor draws)": lambda s: s.divide([11]),
    "divided past its length": lambda s: s.divide([11, 20]),
    "cropped and extended over its whole length": lambda s: s.crop_extend(0, 11, None),
    "adjusted to its own length": lambda s: s.adjust_cell_length(11),
}


@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
def test_a_line_used_as_drawn_is_freed_as_soon_as_it_is_dropped(
    use: Callable[[Strip], object], no_collector: None
) -> None:
    install()
    gc.collect()
    strip = line()
    use(strip)
    use(strip)  # a second time: what is cached is used
    del strip
    assert gc.collect() == 0  # no cycle: it was freed when dropped, nothing left to collect


def test_the_results_are_textuals() -> None:
    install()
    strip = line()
    assert list(strip.divide([11])) == [strip]
    assert [s.text for s in strip.divide([5, 11])] == ["hello", " world"]
    assert strip.crop_extend(0, 11, None) is strip
    assert strip.crop_extend(0, 13, None).text == "hello world  "
    assert strip.crop_extend(6, 11, None).text == "world"


def test_a_cleared_line_cache_frees_its_lines_at_once(no_collector: None) -> None:
    """The feed and the inbox list keep drawn lines in an LRUCache and clear it at every
    restyle: the lines it held are freed then, not left in a ring for the collector."""
    install()
    gc.collect()
    cache: LRUCache[int, Strip] = LRUCache(4)
    for number in range(6):  # full, and the oldest evicted
        cache.set(number, line())
    cache.clear()
    assert gc.collect() == 0  # nothing was left in a cycle
    assert cache.get(5) is None and len(cache) == 0
    cache.set(7, line())  # and it works as before after
    cache.set(8, line())
    assert cache.get(7) is not None and cache.get(8) is not None and len(cache) == 2
    assert cache.keys() == {7, 8}
