"""An agent's name as teams see it, checked without the rest of the team events: settings
check the name at every start, before anything is drawn, and need none of the events' modules
(``console.live.team.agent_name`` gives the same answer as a ``TeamError``)."""

from __future__ import annotations

MAX_AGENT = 64


def agent_name_problem(value: object, field: str = "agent") -> str | None:
    """Why `value` is not an agent's name (trimmed, printable, 1–64 characters), or None."""
    if not isinstance(value, str):
        return f"'{field}' must be a string"
    name = value.strip()
    if not name:
        return f"'{field}' must not be empty"
    if len(name) > MAX_AGENT:
        return f"'{field}' is longer than {MAX_AGENT} characters"
    if not name.isprintable():
        return f"'{field}' must not contain control characters"
    return None
