"""Reading the relay's websocket messages: each frame to an event, a gap notice, a heartbeat
or a colleague's presence (the wire format is in console.live.events' docstring).

Its own module because it knows every kind of frame: events.py holds the envelope and
team.py the team's actions and presence (built on events), so neither imports the other
back. Pure: no I/O, no Textual.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from console.live.events import Event, FrameError, GapNotice, Heartbeat
from console.live.team import Presence

Frame = Event | GapNotice | Heartbeat | Presence


def parse_frame(frame: Any) -> Frame:
    """One decoded frame object to an Event, GapNotice, Heartbeat or Presence (a colleague
    viewing or typing, see console.live.team); FrameError if none of them."""
    if not isinstance(frame, Mapping):
        raise FrameError("a frame must be a JSON object")
    kind = frame.get("type")
    if kind is None:
        return Event.from_frame(frame)
    if kind == "heartbeat":
        return Heartbeat.from_frame(frame)
    if kind == "gap":
        return GapNotice.from_frame(frame)
    if kind == "presence":
        return Presence.from_frame(frame)
    raise FrameError(f"unknown frame type {kind!r}")


def parse_message(text: str | bytes) -> list[Frame]:
    """Decode one websocket message (an array of frames, or a single frame)."""
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise FrameError(f"not valid JSON: {error}") from error
    if isinstance(decoded, list):
        return [parse_frame(item) for item in decoded]
    return [parse_frame(decoded)]
