"""Two consoles, two agents, one sandbox: what one does the other sees, who is replying shows,
and after a network outage in the middle both end in the same state."""

from __future__ import annotations

import sys
from pathlib import Path

from inbox_helpers import (
    JANE,
    LI,
    OMAR,
    conversation,
    conversation_id,
    customer_writes,
    listed,
    open_inbox,
)
from textual.widgets import Static
from tui_helpers import console_for, events_live, screen_text, wait_for

from console.app import AgentConsole
from console.live.team import ASSIGNED, LABELLED, NOTE_ADDED, STATUS_CHANGED, TeamAction
from console.widgets.reply_box import ReplyBox

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "live"))
from live_helpers import ChaosProxy


def shared(app: AgentConsole) -> dict[str, object]:
    """What every agent's console must agree on (unread counts are each agent's own)."""
    return {key: c.shared() for key, c in app.core.inbox.conversations.items()}


async def test_one_takes_a_conversation_and_the_other_sees_it_assigned(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    ana = console_for(fresh_sandbox, data_dir=tmp_path / "ana", agent="ana")
    bob = console_for(fresh_sandbox, data_dir=tmp_path / "bob", agent="bob")
    async with ana.run_test(size=(160, 40)) as ana_pilot, bob.run_test(size=(160, 40)) as bob_pilot:
        ana_screen = await open_inbox(ana, ana_pilot)
        bob_screen = await open_inbox(bob, bob_pilot)
        customer_writes(fresh_sandbox, JANE, "Anyone there?")
        await wait_for(ana_pilot, lambda: bool(listed(ana_screen)))
        await wait_for(bob_pilot, lambda: bool(listed(bob_screen)))

        await ana_pilot.press("t")
        await wait_for(bob_pilot, lambda: conversation(bob, JANE).assignee == "ana")  # type: ignore[union-attr]
        await bob_pilot.pause()
        assert "Unassigned 0" in str(bob_screen.query_one("#tabs", Static).render())
        await wait_for(bob_pilot, lambda: "@ana" in screen_text(bob))

        # Bob opens it and Ana sees him there; Ana types and Bob sees her replying.
        await ana_pilot.press("enter")
        await bob_pilot.press("enter")
        presence = bob_screen.query_one("#presence", Static)
        await ana_pilot.press("enter")  # to Ana's reply box
        ana_screen.query_one("#reply", ReplyBox).insert("Hi Jane, ")
        await wait_for(bob_pilot, lambda: "ana is replying…" in str(presence.render()))
        ana_presence = ana_screen.query_one("#presence", Static)
        await wait_for(ana_pilot, lambda: "bob is viewing" in str(ana_presence.render()))

        # Ana's reply shows in Bob's thread too, with its receipts.
        await ana_pilot.press("ctrl+j")
        await wait_for(bob_pilot, lambda: "▶ ana" in _thread(bob))
        await wait_for(bob_pilot, lambda: "ana is replying" not in str(presence.render()))
        await wait_for(bob_pilot, lambda: "read" in _thread(bob).split("▶ ana")[1])


def _thread(app: AgentConsole) -> str:
    return str(app.screen.query_one("#thread-body", Static).render())


async def test_after_an_outage_in_the_middle_both_consoles_converge(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    port = int(fresh_sandbox.rsplit(":", 1)[1])
    proxy = ChaosProxy(port)
    await proxy.start()
    ana = console_for(fresh_sandbox, data_dir=tmp_path / "ana", agent="ana")
    bob = console_for(f"http://127.0.0.1:{proxy.port}", data_dir=tmp_path / "bob", agent="bob")
    try:
        async with (
            ana.run_test(size=(120, 32)) as ana_pilot,
            bob.run_test(size=(120, 32)) as bob_pilot,
        ):
            await open_inbox(ana, ana_pilot)
            await open_inbox(bob, bob_pilot)
            for who in (JANE, OMAR, LI):
                customer_writes(fresh_sandbox, who, "Hello")
            await wait_for(bob_pilot, lambda: len(bob.core.inbox) == 3)

            proxy.freeze()  # Bob's network goes quiet…
            proxy.cut()  # …and his connection drops
            await wait_for(bob_pilot, lambda: not events_live(bob))
            jane, omar = conversation_id(JANE), conversation_id(OMAR)
            for action in (
                TeamAction(ASSIGNED, jane, "ana", assignee="ana"),
                TeamAction(LABELLED, jane, "ana", add=("vip",)),
                TeamAction(NOTE_ADDED, omar, "ana", text="Wants a refund"),
                TeamAction(STATUS_CHANGED, omar, "ana", status="pending"),
            ):
                ana.team_act(action)
            customer_writes(fresh_sandbox, JANE, "Still waiting")  # reopens nothing: open
            await wait_for(ana_pilot, lambda: len(conversation(ana, OMAR).notes) == 1)  # type: ignore[union-attr]
            assert conversation(bob, JANE).assignee is None  # type: ignore[union-attr]

            proxy.thaw()  # back: Bob resumes after the last event he handled
            await wait_for(bob_pilot, lambda: shared(bob) == shared(ana), timeout=30)

            # Both take Li at once: the relay's order decides, and both agree on it.
            li = conversation_id(LI)
            ana.team_act(TeamAction(ASSIGNED, li, "ana", assignee="ana"))
            bob.team_act(TeamAction(ASSIGNED, li, "bob", assignee="bob"))
            await wait_for(ana_pilot, lambda: conversation(ana, LI).seq > 0)  # type: ignore[union-attr]
            await wait_for(
                bob_pilot,
                lambda: shared(bob) == shared(ana) and conversation(bob, LI).assignee is not None,  # type: ignore[union-attr]
                timeout=30,
            )
            await wait_for(ana_pilot, lambda: shared(bob) == shared(ana), timeout=30)
    finally:
        await proxy.close()


async def test_the_team_sees_each_other_and_a_take_that_loses_says_who_won(
    fresh_sandbox: str, tmp_path: Path
) -> None:
    """Bob is in ana's assign dialog (online, in the conversation he has open); of two takes
    at once the first in the relay's order wins, and the other agent is told who has it."""
    from textual.widgets import OptionList

    from console.screens.ask_dialog import AskDialog

    ana = console_for(fresh_sandbox, data_dir=tmp_path / "ana", agent="ana")
    bob = console_for(fresh_sandbox, data_dir=tmp_path / "bob", agent="bob")
    async with (
        ana.run_test(size=(80, 24), notifications=True) as ana_pilot,
        bob.run_test(size=(80, 24), notifications=True) as bob_pilot,
    ):
        ana_screen = await open_inbox(ana, ana_pilot)
        bob_screen = await open_inbox(bob, bob_pilot)
        customer_writes(fresh_sandbox, JANE, "Anyone there?")
        await wait_for(ana_pilot, lambda: bool(listed(ana_screen)))
        await wait_for(bob_pilot, lambda: bool(listed(bob_screen)))
        await bob_pilot.press("enter")  # bob opens Jane

        def bob_is_in_a_conversation() -> bool:
            roster = ana.core.inbox.roster(ana.clock())
            return any(m.agent == "bob" and m.online and m.viewing for m in roster)

        await wait_for(ana_pilot, bob_is_in_a_conversation)
        await ana_pilot.press("a")
        await wait_for(ana_pilot, lambda: isinstance(ana.screen, AskDialog))
        offered = [str(o.prompt) for o in ana.screen.query_one(OptionList).options]
        assert offered == ["ana (you)", "bob · online · in Jane Tan"]
        await ana_pilot.press("escape")

        # Both take at once: both saw it unassigned.
        jane = conversation_id(JANE)
        for app in (ana, bob):
            seen = app.core.inbox.get(jane)
            assert seen is not None and seen.assignee is None
        ana.team_act(TeamAction(ASSIGNED, jane, "ana", assignee="ana", was=None, conditional=True))
        await wait_for(bob_pilot, lambda: conversation(bob, JANE).assignee == "ana")  # type: ignore[union-attr]
        bob.team_act(TeamAction(ASSIGNED, jane, "bob", assignee="bob", was=None, conditional=True))

        def told(app: AgentConsole, text: str) -> bool:
            return any(text in n.message for n in app._notifications)

        def same_seq() -> bool:
            a, b = conversation(ana, JANE), conversation(bob, JANE)
            return a is not None and b is not None and a.seq == b.seq

        await wait_for(bob_pilot, lambda: told(bob, "ana took Jane Tan first."))
        await wait_for(ana_pilot, same_seq)
        assert conversation(ana, JANE).assignee == conversation(bob, JANE).assignee == "ana"  # type: ignore[union-attr]
        assert not any("Assigned to you" in n.title for n in ana._notifications)

        # Ana hands it to Bob: he is told wherever he is.
        await bob_pilot.press("f1")
        ana.team_act(TeamAction(ASSIGNED, jane, "ana", assignee="bob"))
        await wait_for(bob_pilot, lambda: told(bob, "Assigned to you by ana: Jane Tan."))
