"""The command palette's system commands and the `?` keys screen (the open section's actions,
every section's commands, what the connection allows), and the one place where a failed
worker becomes a readable notice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from console.ui.sections import SECTIONS
from console.ui.state import ConnectionInfo, EventsState, EventsStatus, LoginState

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.worker import Worker

    from console.app import AgentConsole


def show_keys(app: AgentConsole) -> None:
    """`?`: the open section's keys and the global ones, from the bindings in force."""
    from console.screens.keys_screen import KeysScreen, key_lines

    own, everywhere = [], []
    for active in app.screen.active_bindings.values():
        target = everywhere if active.node is app else own
        target.append((app.get_key_display(active.binding), active.binding))
    title = next((s.title for s in SECTIONS if s.mode == app.current_mode), "Log in")
    app.push_screen(KeysScreen(title, key_lines(own), key_lines(everywhere)))


def console_commands(app: AgentConsole, screen: Screen) -> Iterator[SystemCommand]:
    """The console's commands, before Textual's own."""
    screen_commands = getattr(screen, "palette_commands", None)
    if callable(screen_commands):  # the open section's actions ("Shield: Suspend", …)
        yield from screen_commands()
    for section in SECTIONS:
        if app.current_mode != section.mode:
            yield SystemCommand(
                f"Open {section.title}",
                section.summary,
                lambda mode=section.mode: app.switch_mode(mode),
            )
        for title, help_text, action in section.commands:
            yield SystemCommand(
                f"{section.title}: {title}",
                help_text,
                lambda section=section, action=action: app.run_section_action(section, action),
            )
    if app.connection.state is LoginState.LOGGED_OUT:
        if app.current_mode != "login":
            yield SystemCommand(
                "Log in", "Log in with an API key, or use the sandbox", app.action_log_out
            )
    else:
        yield SystemCommand(
            "Log out",
            "Close the session, stop live events and forget the key (F9)",
            app.action_log_out,
        )
    yield SystemCommand(
        "Keys",
        "Every key of this section and those that work everywhere (?)",
        app.action_show_keys,
    )
    if app.connection.state is LoginState.FAILED:
        yield SystemCommand("Reconnect", "Try logging in again", app.action_reconnect)
    if app.connection.connected and app.connection.events.state is EventsState.STOPPED:
        yield SystemCommand("Restart live events", "Start the event stream again", app.live.restart)
    if app.stream is not None:
        yield SystemCommand(
            "Reconnect live events",
            "Drop the event stream and resume it now, without waiting for the backoff",
            app.live.reconnect,
        )


def worker_failed(app: AgentConsole, worker: Worker) -> None:
    """The one place where an unexpected worker error becomes a readable notice."""
    from console.api.errors import ApiError

    error = worker.error
    readable = error.readable if isinstance(error, ApiError) else f"{type(error).__name__}: {error}"
    app.notify(readable, title=f"{worker.description or worker.name} failed", severity="error")
    if worker.group == "session":
        app.connection = ConnectionInfo(LoginState.FAILED, detail=readable)
    elif worker.group == "events":
        app.stream = None
        app.connection = app.connection.with_events(EventsStatus(EventsState.STOPPED))
