"""Scripted customers who write in over time and answer an agent's reply.

At speed 1 the first customer writes within a few seconds; then, every 20-60 s, another
customer opens a conversation, or one who has waited a while without an answer sends a
nudge (once). When an agent writes to a customer's number (Chat Apps or SMS), the customer
answers with the next line of the script after 3-8 s, on the channel the agent used. A
customer who gets a video invite by SMS opens the guest link after 4-10 s. All delays are
divided by the sandbox speed; all choices come from the seeded customers stream.

One customer wrote yesterday and was never answered (their message is dated 26 hours back,
and they send no nudge): WhatsApp's 24-hour window has closed on them, so the demo shows a
conversation only a template can reopen (when it reaches them, they answer and it opens).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .world import World


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    channel: str  # whatsapp | viber | sms
    msisdn: str
    lines: tuple[str, ...]  # opener, then one answer per agent reply
    nudge: str
    wrote_ago: float = 0.0  # seconds before it is sent that the opener was written (no nudge)


PERSONAS: tuple[Persona, ...] = (
    Persona(
        key="mei",
        name="Mei Ling Tan",
        channel="whatsapp",
        msisdn="+6591750342",
        lines=(
            "Hi! My parcel SG-48213 was due yesterday but the tracking hasn't moved since "
            "Monday. Can you check?",
            "It's order 48213, to 12 Tampines Avenue 5, #08-114.",
            "Tomorrow morning works. Will the courier call before coming?",
            "Perfect, thank you so much!",
        ),
        nudge="Hello? Anyone there? Still waiting on my parcel 🙏",
    ),
    Persona(
        key="lucas",
        name="Lucas Oliveira",
        channel="whatsapp",
        msisdn="+5511987654321",
        lines=(
            "Hi, I sent the blender back last week (return RMA-7731). Has the refund gone through?",
            "Great, thanks. The order number was 55120 if you need it.",
            "OK, I'll keep an eye on my card statement.",
            "Perfect, have a nice day!",
        ),
        nudge="",
        wrote_ago=26 * 3600.0,  # yesterday, unanswered: WhatsApp's window has closed
    ),
    Persona(
        key="carlos",
        name="Carlos Mendoza",
        channel="viber",
        msisdn="+639171234567",
        lines=(
            "Good afternoon. I was charged twice for my March invoice INV-2291. Can you help?",
            "Both charges were on 3 March, 1,499 PHP each, on the card ending 4417.",
            "OK. How long does the refund take?",
            "Alright, thanks for sorting it out.",
        ),
        nudge="Hi again, any news about the double charge?",
    ),
    Persona(
        key="priya",
        name="Priya Nair",
        channel="sms",
        msisdn="+447400123456",
        lines=(
            "Hi, this is Priya Nair. I need to move my appointment on Thursday at 10:00. "
            "Is Friday possible?",
            "Friday afternoon would be ideal, anytime after 2pm.",
            "2:30 is great. Will I get a reminder?",
            "Thanks, see you Friday!",
        ),
        nudge="Hello, just checking you got my message about Thursday's appointment?",
    ),
    Persona(
        key="tom",
        name="Tom Becker",
        channel="whatsapp",
        msisdn="+4915123456789",
        lines=(
            "Hello, my new router keeps dropping the connection every few minutes. "
            "The light blinks orange.",
            "Yes, I already restarted it twice. Same thing.",
            "A video call would be easier, I can show you the cables.",
            "Great, that fixed it. Thank you!",
        ),
        nudge="Hi? The router is still blinking orange.",
    ),
)


@dataclass
class _Conversation:
    persona: Persona
    opened: bool = False
    next_line: int = 1
    waiting_since: float | None = None  # loop time of the last unanswered customer message
    nudged: bool = False
    reply_pending: bool = False
    last_inbound: str | None = None


class Customers:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.conversations = {p.msisdn: _Conversation(p, nudged=p.wrote_ago > 0) for p in PERSONAS}

    def knows(self, msisdn: str) -> bool:
        return msisdn in self.conversations

    def persona_for(self, msisdn: str) -> Persona | None:
        conversation = self.conversations.get(msisdn)
        return conversation.persona if conversation else None

    def start(self) -> None:
        self.world.timeline.call_later(self.world.scaled(self.rng.uniform(2.0, 4.0)), self._tick)

    def _later(self, low: float, high: float, fn: object, *args: object) -> None:
        self.world.timeline.call_later(self.world.scaled(self.rng.uniform(low, high)), fn, *args)  # type: ignore[arg-type]

    def _tick(self) -> None:
        if self.world.webhook_base() is None:
            # nowhere to deliver yet: try again shortly without using the script up
            self.world.timeline.call_later(self.world.scaled(1.0), self._tick)
            return
        now = self.world.timeline.now()
        unopened = [c for c in self.conversations.values() if not c.opened]
        if unopened:
            conversation = unopened[0]
            conversation.opened = True
            persona = conversation.persona
            self._write(conversation, persona.lines[0], persona.channel, ago=persona.wrote_ago)
        else:
            waiting = [
                c
                for c in self.conversations.values()
                if c.waiting_since is not None
                and not c.nudged
                and now - c.waiting_since >= self.world.scaled(45.0)
            ]
            if waiting:
                conversation = waiting[0]
                conversation.nudged = True
                self._write(conversation, conversation.persona.nudge, conversation.persona.channel)
        self._later(20.0, 60.0, self._tick)

    def _write(
        self, conversation: _Conversation, text: str, channel: str, *, ago: float = 0.0
    ) -> None:
        persona = conversation.persona
        conversation.last_inbound = self.world.inbound(
            channel, persona.msisdn, persona.name, text, ago=ago
        )
        conversation.waiting_since = self.world.timeline.now()

    def on_agent_message(self, msisdn: str, channel: str) -> None:
        """An agent wrote to ``msisdn`` on ``channel``: the customer answers after a moment."""
        conversation = self.conversations.get(msisdn)
        if conversation is None:
            return
        conversation.opened = True
        conversation.waiting_since = None
        if conversation.reply_pending or conversation.next_line >= len(conversation.persona.lines):
            return
        conversation.reply_pending = True
        reply_channel = channel if channel in ("whatsapp", "viber", "sms") else "whatsapp"
        self._later(3.0, 8.0, self._answer, conversation, reply_channel)

    def _answer(self, conversation: _Conversation, channel: str) -> None:
        conversation.reply_pending = False
        text = conversation.persona.lines[conversation.next_line]
        conversation.next_line += 1
        self._write(conversation, text, channel)

    def on_video_invite(self, msisdn: str, guest_code: str) -> None:
        if msisdn in self.conversations:
            self._later(4.0, 10.0, self._join_video, guest_code)

    def _join_video(self, guest_code: str) -> None:
        room = self.world.video.rooms.get(guest_code)
        if room is not None:
            self.world.video.guest_joins(room)
