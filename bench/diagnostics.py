"""Diagnostics the stream benches switch on by environment variable (bench/shift.py's
BENCH_STALLS and BENCH_SLOW; feed.py and inbox.py likewise): what held the loop, and when.
They run inside the console's process, beside bench/latency.py's LoopTicker."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from latency import Clock, LoopTicker


class StallSampler:
    """A diagnostic: while the loop is late (the ticker has not woken for `late` seconds), a
    thread samples every thread's stack every `every` seconds; ``top()`` ranks the frames
    seen (the innermost `depth` frames of project code), per thread name. It needs the GIL
    like any thread, so a stall in C code shows as the Python line that called it."""

    def __init__(self, ticker: LoopTicker, *, late: float = 0.03, every: float = 0.005) -> None:
        self.ticker = ticker
        self.late = late
        self.every = every
        self.counts: dict[tuple[str, str], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import sys
        import traceback

        names = {}
        while not self._stop.wait(self.every):
            woke = self.ticker.woke
            if not woke or time.monotonic() - woke[-1] < self.late:
                continue
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == threading.get_ident():
                    continue
                stack = traceback.extract_stack(frame)
                ours = [f for f in stack if "/console/" in f.filename or "/bench/" in f.filename]
                chosen = (ours or stack)[-3:] + stack[-1:]
                where = " < ".join(
                    f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in reversed(chosen)
                )
                key = (names.get(ident, str(ident)), where)
                self.counts[key] = self.counts.get(key, 0) + 1

    def top(self, count: int = 25) -> list[tuple[str, str, int]]:
        ranked = sorted(self.counts.items(), key=lambda item: -item[1])[:count]
        return [(thread, where, n) for (thread, where), n in ranked]


class SlowCallbacks:
    """A diagnostic: every callback of the event loop that ran longer than `slow` seconds,
    named (a task's name, or the callback's), with how long it ran. It wraps asyncio's
    ``Handle._run`` (two clock reads per callback), so unlike asyncio's debug mode it does
    not slow the loop down enough to change what it measures."""

    def __init__(self, slow: float = 0.02, clock: Clock = time.perf_counter) -> None:
        self.slow = slow
        self.clock = clock
        self.seen: list[tuple[float, float, float, str]] = []  # wall, thread CPU, process CPU
        self.when: list[float] = []  # when each of `seen` started (time.monotonic())
        self._original: Any = None

    def install(self) -> None:
        import asyncio.events

        if self._original is not None:
            return
        original = self._original = asyncio.events.Handle._run
        clock, slow, seen, when = self.clock, self.slow, self.seen, self.when
        monotonic = time.monotonic

        cpu, process = time.thread_time, time.process_time

        def timed(handle: Any) -> None:
            started, cpu_started, process_started = clock(), cpu(), process()
            original(handle)
            took = clock() - started
            if took >= slow:
                used = cpu() - cpu_started
                everyone = process() - process_started
                callback = handle._callback
                owner = getattr(callback, "__self__", None)
                if isinstance(owner, asyncio.Task):
                    name = owner.get_name()
                else:
                    name = getattr(callback, "__qualname__", repr(callback))
                seen.append((took, used, everyone, name))
                when.append(monotonic() - took)

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]

    def remove(self) -> None:
        import asyncio.events

        if self._original is not None:
            asyncio.events.Handle._run = self._original  # type: ignore[method-assign]
            self._original = None

    def by_name(self) -> dict[str, list[tuple[float, float, float]]]:
        """Each name's slow runs, longest first: (wall ms, the loop thread's CPU ms, the
        whole process's CPU ms). Wall far above the process's CPU: the machine did not run
        the process; the process's CPU far above the thread's: other threads held the GIL."""
        named: dict[str, list[tuple[float, float, float]]] = {}
        for took, used, everyone, name in self.seen:
            ms = (round(took * 1000, 1), round(used * 1000, 1), round(everyone * 1000, 1))
            named.setdefault(name, []).append(ms)
        return {name: sorted(runs, reverse=True) for name, runs in named.items()}


class SlowMessages:
    """A diagnostic: every message a Textual message pump handled in over `slow` seconds of
    the loop thread's CPU, named (the pump, the message), with the handler's CPU time: what
    inside a slow "message pump X" callback of :class:`SlowCallbacks` took the time. A
    handler that awaits counts whatever the loop ran meanwhile."""

    def __init__(self, slow: float = 0.003) -> None:
        self.slow = slow
        self.seen: list[tuple[float, float, str]] = []  # (monotonic, CPU ms, "pump: message")
        self._original: Any = None

    def install(self) -> None:
        from textual.message_pump import MessagePump

        if self._original is not None:
            return
        original = self._original = MessagePump._dispatch_message
        slow, seen, cpu, monotonic = self.slow, self.seen, time.thread_time, time.monotonic

        async def timed(pump: Any, message: Any) -> Any:
            started = cpu()
            try:
                return await original(pump, message)
            finally:
                used = cpu() - started  # of the loop thread: other threads do not count
                if used >= slow:
                    name = type(message).__name__
                    callback = getattr(message, "callback", None)
                    if callback is not None:  # call_next / call_later: name what it called
                        name += " " + getattr(callback, "__qualname__", repr(callback))
                    seen.append((monotonic(), round(used * 1000, 1), f"{pump!r}: {name}"))

        MessagePump._dispatch_message = timed  # type: ignore[method-assign]

    def remove(self) -> None:
        from textual.message_pump import MessagePump

        if self._original is not None:
            MessagePump._dispatch_message = self._original  # type: ignore[method-assign]
            self._original = None


def thread_cpu() -> dict[str, float]:
    """Each thread's CPU seconds so far (Linux: /proc/self/task), by its Python name: who
    shares the process's time with the UI loop (a thread holding the GIL slows the loop)."""
    import threading

    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(task), f"native-{task}")
        used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return used


class ThreadShares:
    """A diagnostic (bench/shift.py's BENCH_SLOW): when the loop wakes over `late` seconds
    after its last wake-up, each thread's CPU time in between (the thread's own CPU clock),
    by its Python name: who had the GIL while the loop was held. Sampled every `interval`
    from a task of its own on the loop."""

    def __init__(self, interval: float = 0.005, late: float = 0.04) -> None:
        self.interval = interval
        self.late = late
        self.seen: list[tuple[float, float, dict[str, float]]] = []  # woke, gap, CPU by name
        self._task: Any = None

    def start(self) -> None:
        import asyncio

        self._task = asyncio.get_running_loop().create_task(self._run(), name="thread-shares")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    @staticmethod
    def _clocks() -> dict[str, float]:
        import threading

        used: dict[str, float] = {}
        for thread in threading.enumerate():
            if thread.ident is None:
                continue
            try:
                clock = time.pthread_getcpuclockid(thread.ident)
                used[thread.name] = used.get(thread.name, 0.0) + time.clock_gettime(clock)
            except (OSError, ValueError):  # the thread ended meanwhile
                continue
        return used

    async def _run(self) -> None:
        import asyncio

        before, at = self._clocks(), time.monotonic()
        while True:
            await asyncio.sleep(self.interval)
            now, clocks = time.monotonic(), self._clocks()
            if now - at > self.late:
                shares = {
                    name: (used - before.get(name, 0.0)) * 1000
                    for name, used in clocks.items()
                    if used - before.get(name, 0.0) >= 0.0005
                }
                self.seen.append((now, (now - at) * 1000, shares))
            before, at = clocks, now

    def near(self, woke: float) -> str:
        """What the threads used over the gap that ended nearest `woke` (within 10 ms)."""
        best = min(self.seen, key=lambda seen: abs(seen[0] - woke), default=None)
        if best is None or abs(best[0] - woke) > 0.01:
            return ""
        shares = sorted(best[2].items(), key=lambda item: -item[1])
        return f"{best[1]:.0f} ms gap: " + ", ".join(f"{name} {ms:.0f}" for name, ms in shares)


class PeakSnapshot:
    """A diagnostic (bench/shift.py's BENCH_TRACE_PEAK, with --trace): a tracemalloc snapshot
    kept whenever the traced memory is 2 MB over the highest seen so far while it watches
    (the last batch); :meth:`write` lists what that peak held beyond what stayed after it —
    what a batch holds for a moment, which the allocator may keep as RSS afterwards."""

    def __init__(self) -> None:
        self.snapshot: Any = None

    async def watch(self, every: float = 0.25) -> None:
        import asyncio
        import tracemalloc

        best = 0
        while True:
            current = tracemalloc.get_traced_memory()[0]
            if current > best + 2_000_000:
                best = current
                self.snapshot = tracemalloc.take_snapshot()
            await asyncio.sleep(every)

    def write(self, path: str, after: Any) -> None:
        if self.snapshot is None:
            return
        with open(path, "w") as out:
            print("# held at the batch's peak, more than after it (MB, count, where)", file=out)
            for stat in self.snapshot.compare_to(after, "lineno")[:40]:
                where = stat.traceback[0]
                print(
                    f"{stat.size_diff / 1e6:8.2f} {stat.count_diff:9,} "
                    f"{where.filename}:{where.lineno}",
                    file=out,
                )


def garbage(path: str, trim: Callable[[], object], rss_mb: Callable[[], float]) -> dict[str, Any]:
    """What the collector would free now, what was set aside (``gc.freeze``) included: the
    cyclic garbage a shift with no idle moment leaves (console/ui/gc_pacing.py collects it
    when the agent is idle), how long collecting it takes, and the RSS after it (trimmed).
    `path` other than "1" gets that garbage and the tracked objects alive, by type
    (bench/shift.py's BENCH_GARBAGE)."""
    import gc
    import time
    from collections import Counter

    figures: dict[str, Any] = {}
    gc.unfreeze()
    figures["tracked_at_end"] = len(gc.get_objects())
    gc.set_debug(gc.DEBUG_SAVEALL)  # the garbage is kept in gc.garbage, to be counted
    took = time.perf_counter()
    figures["cyclic_garbage_at_end"] = gc.collect()
    figures["full_collection_ms"] = round((time.perf_counter() - took) * 1000, 1)
    gc.set_debug(0)
    kinds = Counter(type(item).__qualname__ for item in gc.garbage)
    held = Counter()  # what holds a sample of the garbage strips (two levels of referrers)
    if path != "1":
        ids = {id(item) for item in gc.garbage}
        strips = [item for item in gc.garbage if type(item).__qualname__ == "Strip"]
        for strip in strips[:: max(len(strips) // 50, 1)]:
            for ref in gc.get_referrers(strip):
                if id(ref) in ids:
                    owners = sorted(
                        type(owner).__qualname__
                        for owner in gc.get_referrers(ref)
                        if id(owner) in ids
                    )[:3]
                    held[f"{type(ref).__qualname__} in {'/'.join(owners)}"] += 1
    gc.garbage.clear()
    gc.collect()
    if path != "1":
        alive = Counter(type(item).__qualname__ for item in gc.get_objects())
        with open(path, "w") as out:
            print("# cyclic garbage, by type", file=out)
            for name, count in kinds.most_common(50):
                print(f"{count:8,} {name}", file=out)
            print("# what holds garbage strips (a sample)", file=out)
            for name, count in held.most_common(20):
                print(f"{count:8,} {name}", file=out)
            print("# tracked objects alive, by type", file=out)
            for name, count in alive.most_common(40):
                print(f"{count:8,} {name}", file=out)
    gc.freeze()
    trim()
    figures["rss_after_collecting_mb"] = round(rss_mb(), 1)
    return figures


def malloc_stats(path: str, number: int, rss: float) -> None:
    """Append pymalloc's arenas and pools (``sys._debugmallocstats``) and glibc's heaps
    (``malloc_info``) after batch `number` to `path` (BENCH_MALLOC=file): how much of the RSS
    is the allocators' free space, and whose."""
    import ctypes
    import sys

    with open(path, "a") as out:
        print(f"\n### after batch {number + 1}: RSS {rss:.1f} MB", file=out, flush=True)
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
            libc = ctypes.CDLL("libc.so.6")
            libc.fdopen.restype = ctypes.c_void_p
            stream = ctypes.c_void_p(libc.fdopen(os.dup(out.fileno()), b"a"))
            libc.malloc_info(0, stream)
            libc.fclose(stream)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
