"""Callbacks that Textual calls without reading their signature each time.

``call_next`` / ``call_later`` / ``call_after_refresh`` (and a Signal's subscribers, which
``call_next`` their callback with the data) wrap the callback in a new ``functools.partial``
at each call, and Textual counts the parameters of what the partial wraps at each call
(``textual._callback.count_parameters`` caches its count only on the partial, which is new
each time): an ``inspect.signature`` of the bound method, some 14,000 times in a quick
bench/shift.py run, 1.3 s under cProfile, half from the screens' ``core_changed`` handlers.

:func:`counted` wraps a callable once, with its signature computed once and kept in
``__signature__``, which ``inspect.signature`` returns without walking the function again.
Keep the wrapper (e.g. in ``__init__`` or at subscribe time); wrapping at each call would
read the signature each time again.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Counted(Generic[P, R]):
    """`function`, called as it is, with its signature read once (see the module)."""

    __slots__ = ("__signature__", "_param_count", "function")

    def __init__(self, function: Callable[P, R]) -> None:
        self.function = function
        self.__signature__ = inspect.signature(function)
        self._param_count = len(self.__signature__.parameters)  # when called unwrapped

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"counted({self.function!r})"


def counted(function: Callable[P, R]) -> Counted[P, R]:
    """`function` wrapped so that Textual reads its signature once (see the module)."""
    return Counted(function)


def subscribe(signal: Any, node: Any, callback: Callable[[Any], object]) -> None:
    """``signal.subscribe(node, callback)`` (posted to `node`, not immediate), with the
    callback's signature read once rather than at each publish."""
    signal.subscribe(node, counted(callback))
