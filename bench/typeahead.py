"""Type-ahead benchmark: text typed or piped without bracketed paste, as one Key event a
character, into the console's reply box (console/ui/typeahead.py). Prints figures only.

    PYTHONPATH=$PWD python bench/typeahead.py                 # 100,000 characters
    PYTHONPATH=$PWD python bench/typeahead.py --key-by-key    # as before: one key at a time

A headless app holds a ReplyBox (focused) with the console's type-ahead hook (console/app.py
on_event). A thread posts `--chars` printable keys and then Escape to the app at once, as the
driver's input thread does. Figures: seconds until the reply box holds every character, until
the Escape behind them is handled (what a ctrl+q or Escape pressed after them waits), and the
CPU time of the loop thread over that time (the 2-core machine's load skews wall time; the
CPU figure is the one to compare).

Measured (2 cores shared with other work): 10,000 characters key by key 51.6 s, loop CPU
35.0 s; in runs 0.37 s, 0.18 s. 100,000 in runs: 5.0 s, loop CPU 2.6 s. The real console in
tmux at 80x24 (`tmux send-keys -l`, 8,000 characters a call, ctrl+q right behind): 10,000
characters quit after 54.8 s before, 0.9 s after; 100,000 after 8.8-11.3 s, the reply drafted
whole (before, the draft on disk lacked the last key's edit).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import string
import threading
import time
from typing import ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.keys import _character_to_key

from console.ui.typeahead import TypeAhead
from console.widgets.reply_box import ReplyBox


class Host(App[None]):
    CSS = "ReplyBox { height: 6; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "escaped", "Back")]

    def __init__(self) -> None:
        super().__init__()
        self.typeahead = TypeAhead(self)
        self.escaped_at = 0.0

    def compose(self) -> ComposeResult:
        yield ReplyBox(id="reply")

    def action_escaped(self) -> None:
        self.escaped_at = time.perf_counter()

    async def on_event(self, event: events.Event) -> None:
        await self.typeahead.dispatch(event, super().on_event)  # as console/app.py does


def typist(app: App[object], text: str) -> None:
    """The driver's input thread: every key posted as it is parsed, then Escape."""
    for char in text:
        app.post_message(events.Key(_character_to_key(char), char))
    app.post_message(events.Key("escape", None))


async def run(chars: int) -> dict[str, float]:
    rng = random.Random(1)
    text = "".join(
        rng.choice(string.ascii_letters + string.punctuation + " ") for _ in range(chars)
    )
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        box = app.query_one(ReplyBox)
        box.focus()
        await pilot.pause()
        cpu0, start = time.thread_time(), time.perf_counter()
        thread = threading.Thread(target=typist, args=(app, text))
        thread.start()
        typed_at = 0.0
        while not app.escaped_at:
            if not typed_at and len(box.text) == chars:
                typed_at = time.perf_counter()
            await asyncio.sleep(0.01)
        cpu = time.thread_time() - cpu0
        thread.join()
        assert box.text == text, "every character, in order"
        await pilot.pause()
        return {
            "typed_s": (typed_at or app.escaped_at) - start,
            "escape_s": app.escaped_at - start,
            "loop_cpu_s": cpu,
            "scroll_y": box.scroll_y,
            "max_scroll_y": box.max_scroll_y,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=100_000)
    parser.add_argument("--key-by-key", action="store_true", help="no runs typed in one go")
    args = parser.parse_args()
    if args.key_by_key:
        TypeAhead._typed_run = lambda self: False  # type: ignore[method-assign]
    figures = asyncio.run(run(args.chars))
    mode = "key by key" if args.key_by_key else "runs in one go"
    print(
        f"{args.chars:,} characters ({mode}): in the reply box after {figures['typed_s']:.2f} s, "
        f"Escape behind them handled after {figures['escape_s']:.2f} s, "
        f"loop thread CPU {figures['loop_cpu_s']:.2f} s; the box scrolled to "
        f"{figures['scroll_y']:.0f} of {figures['max_scroll_y']:.0f}"
    )


if __name__ == "__main__":
    main()
