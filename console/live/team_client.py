"""Posting team events to the relay (``POST /team/events``, console/live/team.py): the
console's half of the team inbox. Async, no Textual; the App runs it in one worker so its
actions reach the relay in the order the agent made them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from console.live.team import TeamAction
from console.net import is_loopback_url

if TYPE_CHECKING:
    import httpx


class TeamPostFailed(Exception):
    """The relay did not take a team event; `reason` is readable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def team_url(events_url: str) -> str:
    """The relay's team endpoint beside its events websocket:
    ``wss://relay.example.com/events`` → ``https://relay.example.com/team/events``."""
    url = events_url.split("?", 1)[0]
    if url.startswith("wss://"):
        url = "https://" + url.removeprefix("wss://")
    elif url.startswith("ws://"):
        url = "http://" + url.removeprefix("ws://")
    return url.rstrip("/").removesuffix("/events") + "/team/events"


class TeamPoster:
    """Posts team actions to one relay with its events token."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self._token = token
        self.timeout = timeout
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"TeamPoster({self.url!r})"

    async def post(self, action: TeamAction) -> int | None:
        """Send one action; returns its seq (None for presence). Raises TeamPostFailed."""
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self.timeout, trust_env=not is_loopback_url(self.url)
            )
        try:
            response = await self._http.post(
                self.url,
                json=action.to_body(),
                headers={"Authorization": f"Bearer {self._token}"},
            )
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            raise TeamPostFailed(f"the relay could not be reached ({reason})") from error
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            message = body.get("message") if isinstance(body, dict) else None
            reason = message or response.reason_phrase
            raise TeamPostFailed(f"the relay refused it ({response.status_code}: {reason})")
        seq = body.get("seq") if isinstance(body, dict) else None
        return seq if isinstance(seq, int) else None

    async def aclose(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()
