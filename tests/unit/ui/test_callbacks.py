"""console/ui/callbacks.py: a callback Textual calls with its arguments as before, whose
signature Textual does not read again at each call (it wraps it in a new partial each time)."""

from __future__ import annotations

import inspect
from functools import partial

import pytest
from textual._callback import count_parameters, invoke
from textual.app import App
from textual.signal import Signal

from console.ui.callbacks import counted, subscribe


class Handler:
    def __init__(self) -> None:
        self.seen: list[object] = []

    def changed(self, changes: object) -> None:
        self.seen.append(changes)

    def nothing(self) -> None:
        self.seen.append("nothing")


def test_textual_passes_the_arguments_the_callback_takes() -> None:
    handler = Handler()
    assert count_parameters(partial(counted(handler.changed), "a")) == 0
    assert count_parameters(counted(handler.changed)) == 1
    assert count_parameters(counted(handler.nothing)) == 0


def test_textual_does_not_read_the_signature_again(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = Handler()
    wrapped = counted(handler.changed)

    def no_more(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the signature was read again")

    monkeypatch.setattr(inspect, "_signature_from_function", no_more)
    for _ in range(3):  # a new partial each time, as call_next makes
        assert count_parameters(partial(wrapped, "changes")) == 0


async def test_a_subscriber_hears_each_publish_with_its_data() -> None:
    handler = Handler()

    class Host(App[None]):
        def on_mount(self) -> None:
            self.signal: Signal[str] = Signal(self, "changed")
            subscribe(self.signal, self, handler.changed)

    app = Host()
    async with app.run_test() as pilot:
        app.signal.publish("first")
        app.signal.publish("second")
        await pilot.pause()
        await invoke(counted(handler.nothing))
    assert handler.seen == ["first", "second", "nothing"]
