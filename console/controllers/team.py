"""The team inbox: the agent's actions go through the relay, which every console follows
(applied here when they come back, in the relay's order); presence says who is online."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from console.core.announce import customer_of
from console.messages import TeamActionFailed

if TYPE_CHECKING:
    from console.app import AgentConsole
    from console.live.team import TeamAction
    from console.live.team_client import TeamPoster

ONLINE_EVERY = 30.0  # seconds between two "online" posts to the team (the roster)


class TeamWiring:
    def __init__(self, app: AgentConsole) -> None:
        self.app = app
        self.poster: TeamPoster | None = None  # the relay's team endpoint, when there is one
        self._outbox: asyncio.Queue[TeamAction] | None = None
        self.last_input = time.monotonic()  # the roster's "idle" (sent with "online")

    def start(self, poster: TeamPoster) -> None:
        """Post to the relay from now on (a new session with a relay)."""
        self.poster = poster
        self._outbox = outbox = asyncio.Queue()
        self.app.run_worker(
            self._post(poster, outbox),
            group="team",
            exclusive=True,
            exit_on_error=False,
            description="Team events",
        )
        self.say_online()

    async def stop(self) -> None:
        self._outbox = None
        if self.poster is not None:
            poster, self.poster = self.poster, None
            await poster.aclose()

    def say_online(self) -> None:
        """Tell the team this agent is here, and how long since their last key."""
        if self.poster is not None:
            idle = round(time.monotonic() - self.last_input, 1)
            from console.live.team import ONLINE, TeamAction

            self.act(TeamAction(ONLINE, "", self.app.core.inbox.me, idle=idle))

    def act(self, action: TeamAction) -> None:
        """Do a team action. With a relay it is posted there, and applied (here as in every
        console) when it comes back in the relay's order; without one it applies here at
        once. Presence goes only to a relay."""
        if self._outbox is not None:
            self._outbox.put_nowait(action)
        elif action.kept:
            self.app.core.apply_local(action)

    async def _post(self, poster: TeamPoster, outbox: asyncio.Queue[TeamAction]) -> None:
        """Post the agent's team actions to the relay one by one, in the order they were made."""
        from console.live.team_client import TeamPostFailed

        while True:
            action = await outbox.get()
            try:
                await poster.post(action)
            except TeamPostFailed as failure:
                if action.kept:  # presence is best effort: the next one will do
                    self.app.post_message(TeamActionFailed(action, failure.reason))

    def failed(self, message: TeamActionFailed) -> None:
        self.app.notify(
            f"{message.action.kind.replace('_', ' ').capitalize()} was not saved: "
            f"{message.reason}. Try again when the relay is back.",
            title="Inbox",
            severity="error",
        )

    def customer_of(self, conversation_id: str) -> str:
        return customer_of(self.app.core.inbox, conversation_id)

    def show_roster(self) -> None:
        """The palette's "Team": who is online, idle for how long, in which conversation."""
        from console.screens.team_screen import TeamScreen

        app = self.app
        inbox = app.core.inbox
        roster = inbox.roster(app.clock())
        labels = [member.label(inbox.me, self.customer_of) for member in roster]
        app.push_screen(TeamScreen(labels, relay=self.poster is not None))
