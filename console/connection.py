"""What the header shows about the connection (pure data, no Textual)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectionInfo:
    """The state of the login and the event stream, as the header shows it."""

    state: str = "starting"  # starting | connecting | connected | failed
    target: str = ""
    subaccount: str = ""
    masked_key: str = ""
    detail: str = ""
    events: str = "off"  # off | live | reconnecting (attempt n) | gap since …
    server_url: str = ""
    events_detail: str = ""  # why the stream is reconnecting, for the home screen

    def describe(self) -> str:
        """One line, never relying on colour alone."""
        if self.state == "failed":
            return f"✗ not connected · {self.detail}"
        if self.state != "connected":
            return f"◌ {self.detail or 'connecting…'}"
        parts = [
            f"● connected to {self.target}",
            f"sub-account {self.subaccount}",
            f"key {self.masked_key}",
        ]
        if self.events != "off":
            parts.append(f"events {self.events}")
        return " · ".join(parts)

    def compact(self) -> str:
        """The same facts in fewer words, for narrow terminals."""
        if self.state != "connected":
            return self.describe()
        parts = [f"● {self.target}", self.subaccount, self.masked_key]
        if self.events != "off":
            parts.append(f"events {self.events}")
        return " · ".join(parts)
