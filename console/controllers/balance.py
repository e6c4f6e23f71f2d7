"""The account's prepaid balance, asked every minute, after each send and at login: Home and
the composer's guard read `app.balance`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.messages import BalanceAsked
from console.ui.state import BalanceStatus

if TYPE_CHECKING:
    from console.api.session import Session
    from console.app import AgentConsole

BALANCE_EVERY = 60.0  # seconds between two looks at the prepaid balance


class BalanceWatch:
    def __init__(self, app: AgentConsole) -> None:
        self.app = app

    def refresh(self) -> None:
        """Ask 8x8 for the balance, when logged in to an account."""
        session = self.app.session
        if session is not None and session.account_id:
            self.app.run_worker(
                self._ask(session, session.account_id),
                group="balance",
                exclusive=True,
                exit_on_error=False,
                description="Balance",
            )

    async def _ask(self, session: Session, account_id: str) -> None:
        try:
            found = await session.client.balance(account_id)
        except Exception as error:  # post-paid (403, code 1201), or 8x8 out of reach
            reason = getattr(error, "readable", None) or type(error).__name__
            self.app.post_message(BalanceAsked(session, BalanceStatus(problem=reason)))
            return
        self.app.post_message(BalanceAsked(session, BalanceStatus(found.amount, found.currency)))

    def answered(self, message: BalanceAsked) -> None:
        if message.session is self.app.session:  # not a logged-out session's late answer
            self.app.balance = message.status
