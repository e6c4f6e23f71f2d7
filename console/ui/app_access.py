"""The typed accessor through which screens reach the console app, without importing
``console.app``: the App imports the screens (the login screen when it shows it), so a
screen importing the App back would close an import circle.

Type checkers see :class:`console.app.AgentConsole` and its services; at run time the
accessor checks only that the running app is a Textual ``App``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import getters
from textual.app import App

if TYPE_CHECKING:
    from console.app import AgentConsole


class console_app(getters.app["AgentConsole"]):
    """``app = console_app()`` in a screen or widget: ``self.app`` typed as the console."""

    def __init__(self) -> None:
        super().__init__(cast("type[AgentConsole]", App))
