"""ConsoleCore: the console's view of its messages, UI-free.

It takes what happens — live events from the relay (receipts, inbound messages), gap notices,
sends — applies it to the delivery tracker and the history, and returns what changed as one
:class:`~console.core.model.Changes`. Screens never apply events themselves; the App feeds the
core from its workers and publishes every non-empty Changes on a Signal (``on_change``).

No Textual, no API client: unit-tested on its own. It runs on the UI's event loop, so it
stays cheap: a batch of receipts becomes one Changes with one entry per message, not one per
receipt, and the history's updates (about half the cost of a receipt) can be handed to a
background runner (``background``: the App gives it a one-thread executor, so they keep their
order; a batch's receipts as one job, ``history_jobs.StoredReceipts``); without one inline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, TypeVar

from console.core import history_jobs as hjobs
from console.core.history_jobs import HistoryJob, LoginRecord, Runner
from console.core.inbound import InboundMessage, parse_inbound
from console.core.inbox import Inbox, lost_take
from console.core.model import (
    NO_CHANGES,
    Changes,
    Delivery,
    Outbound,
    SentSms,
    TeamChange,
    merged_sends,
)
from console.core.rooms import CallSeen, RoomBook, RoomView
from console.core.slicing import TimeSlice, in_slices
from console.core.suspensions import Suspension, Suspensions
from console.core.tracker import DeliveryTracker
from console.core.traffic import (
    Observation,
    TrafficLedger,
    observation_from_receipt,
    receipt_time,
)
from console.live.events import (
    Event,
    GapNotice,
    MessageTimeline,
    Receipt,
    parse_iso,
    receipt_from_event,
)
from console.live.events import utc_iso as _utc_iso
from console.live.team import REPLIED, Presence, TeamAction, team_action

if TYPE_CHECKING:
    from console.store import History

log = logging.getLogger(__name__)

Clock = Callable[[], float]
MAX_FEEDBACK = 5_000  # OTP outcomes kept across runs
T = TypeVar("T")

DEFAULT_AGENT = "agent"
MAX_CONVERSATIONS = 1_000_000  # the inbox holds every conversation the history keeps


class ConsoleCore:
    """The tracker and the history behind one API: events and sends in, Changes out.

    - :meth:`apply_events` — a batch of relay events (receipts, inbound messages).
    - :meth:`apply_gap` — the relay could not replay some events.
    - :meth:`record_sent` — what the API answered for messages this console sent.
    - :meth:`record_room`, :meth:`apply_calls` — video rooms created, and what the call
      reports say about them; receipts of a room's SMS invite move the room's invite.
    - :meth:`delivery`, :meth:`timeline`, :meth:`recent_sent`, :meth:`rooms_newest` — what
      screens read on opening; :meth:`now` is the core's clock (rooms' countdowns).
    - ``inbox`` (:class:`~console.core.inbox.Inbox`) — the conversations, their team state
      and presence; relay events change it here (customers' messages, team events), as do
      :meth:`apply_presence`, :meth:`apply_local`, :meth:`mark_read` and replies sent.

    The history is optional and may arrive late (:meth:`attach_history`); until then the core
    tracks deliveries in memory. ``on_change`` is called with every non-empty Changes.
    """

    def __init__(
        self,
        *,
        tracker: DeliveryTracker | None = None,
        history: History | None = None,
        on_change: Callable[[Changes], object] | None = None,
        clock: Clock = time.time,
        background: Runner | None = None,
        agent: str = DEFAULT_AGENT,
    ) -> None:
        self.tracker = tracker if tracker is not None else DeliveryTracker()
        self.inbox = Inbox(me=agent)
        self.rooms = RoomBook()
        self._unsaved_rooms: list[str] = []  # created before the history opened
        self.history: History | None = None
        self.on_change = on_change
        self._clock = clock
        self._background = background
        self._writes = hjobs.HandOver(lambda: self.history, background)
        self._stream_key: str | None = None
        self._unshown: set[str] = set()  # sends being journalled: not shown yet, nor receipts
        self._send_slice = TimeSlice(0.004, first=50, most=2_000)  # a send shown in slices
        self._login: LoginRecord | None = None
        # The Shield: the sub-account's SMS traffic seen, suspensions, OTP feedback.
        self.traffic = TrafficLedger()
        # When the ledger heard its first receipt (it has heard every one since): None yet.
        self.traffic_since: float | None = None
        self.suspensions = Suspensions(clock=clock, on_change=self._keep_suspensions)
        self.feedback: dict[str, str] = {}  # umid -> "success" | "failure"
        if history is not None:
            self.attach_history(history)

    # -- wiring --------------------------------------------------------------------------

    def attach_history(self, history: History | None) -> None:
        """Keep (or stop keeping, with None) the history; a login seen before is recorded,
        the inbox takes the conversations it keeps, and the rooms it holds join those of
        this run."""
        self.history = history
        if history is None:
            return
        self.inbox.load(history.conversations(MAX_CONVERSATIONS))
        self._restore_shield(history)
        if self._login is not None:
            self._record_login(self._login)
        unsaved, self._unsaved_rooms = self._unsaved_rooms, []
        for reference in unsaved:
            room = self.rooms.get(reference)
            if room is not None:
                self._writes.write(hjobs.record_room(room))
        for stored in history.rooms(self.rooms.max_rooms):
            known = self.rooms.get(stored.call_reference)
            if known is None or known.created_at < stored.created_at:
                self.rooms.add(hjobs.stored_room(stored))

    def now(self) -> float:
        """The core's clock (seconds since the epoch): rooms' states and countdowns."""
        return self._clock()

    def logged_out(self) -> None:
        """The session ended: no login to record, no stream to resume."""
        self._login = None
        self._stream_key = None

    def logged_in(self, subaccount: str, target: str, key_tail: str) -> None:
        """Remember a successful login (now, or as soon as the history is attached)."""
        self._login = LoginRecord(subaccount, target, key_tail[-6:])
        self._record_login(self._login)

    def follow(self, stream_key: str | None) -> None:
        """Where events come from: a relay's events URL keeps its own resume point; None (the
        embedded sandbox, a new world each run) keeps none."""
        self._stream_key = stream_key

    def resume_point(self) -> int | None:
        """The last event handled from the followed relay; 0 for a relay never followed (or
        no history): everything the relay keeps is replayed, so the team inbox starts with
        the team's conversations, assignments and notes. None: no relay followed."""
        if self._stream_key is None:
            return None
        if self.history is None:
            return 0
        return self.history.resume_point(self._stream_key)

    # -- events --------------------------------------------------------------------------

    def apply_events(self, events: Sequence[Event]) -> Changes:
        """Apply a batch of relay events in order; returns (and publishes) what changed.

        A malformed event is counted in ``skipped`` and never stops the others. The resume
        point moves to the batch's last event."""
        with self._writes.together():
            return self._apply_events(events)

    def _apply_events(self, events: Sequence[Event]) -> Changes:
        deliveries: dict[str, Delivery] = {}
        inbound: list[InboundMessage] = []
        conversations: set[str] = set()
        team: list[TeamChange] = []
        rooms: dict[str, RoomView] = {}
        skipped = receipts = 0
        for event in events:
            try:
                receipt = receipt_from_event(event)
                if receipt is not None:
                    receipts += 1
                    self._apply_and_note(receipt, deliveries)
                    room = self._invite_receipt(receipt)
                    if room is not None:
                        rooms[room.call_reference] = room
                    continue
                action = team_action(event)
                if action is not None:
                    at = parse_iso(event.received_at) or self._clock()
                    before = self.inbox.get(action.conversation_id)
                    if self._apply_team(action, event.seq, at):
                        conversations.add(action.conversation_id)
                        lost = before.assignee if lost_take(before, action) else None
                        team.append(TeamChange(action, event.seq, at, lost_to=lost))
                    continue
                message = parse_inbound(event)
                if message is not None:
                    if self._record_inbound(message, event.received_at, event.seq):
                        conversations.add(message.conversation_id)
                    inbound.append(message)
            except Exception as error:  # one bad event must never stop the console
                skipped += 1
                log.warning("event %s skipped: %s: %s", event.seq, type(error).__name__, error)
        if events:
            self._save_resume_point(events[-1].seq)
        return self._publish(
            Changes(
                deliveries=deliveries,
                inbound=tuple(inbound),
                skipped=skipped,
                conversations=frozenset(conversations),
                team=tuple(team),
                receipts=receipts,
                rooms=rooms,
            )
        )

    def apply_lookup(self, receipt: Receipt) -> Changes:
        """8x8's answer to a status lookup (``GET /messages/{umid}``, a receipt of source
        "lookup"), applied like any receipt: forward only, kept in the timeline and history."""
        with self._writes.together():
            deliveries: dict[str, Delivery] = {}
            self._apply_and_note(receipt, deliveries)
            return self._publish(Changes(deliveries=deliveries, receipts=1))

    def _apply_and_note(self, receipt: Receipt, deliveries: dict[str, Delivery]) -> None:
        """Apply one receipt; when it moved its message, note the delivery now (latest last).
        A message whose send is still being journalled is not shown yet: its delivery goes
        out with the send."""
        if self._apply_receipt(receipt) and receipt.umid not in self._unshown:
            current = self.tracker.timeline(receipt.umid)
            assert current is not None and current.current is not None
            deliveries.pop(receipt.umid, None)  # keep the latest move last
            deliveries[receipt.umid] = Delivery.from_receipt(current.current)

    def _invite_receipt(self, receipt: Receipt) -> RoomView | None:
        """A receipt of an SMS that 8x8 sent as a room's invite moves that room's invite."""
        if receipt.channel != "sms" or not len(self.rooms):
            return None
        timeline = self.tracker.timeline(receipt.umid)
        ours = timeline is not None and any(r.source == "api" for r in timeline.receipts)
        room = self.rooms.invite_receipt(
            receipt.umid,
            receipt.raw.get("destination"),
            parse_iso(receipt.received_at) or self._clock(),
            receipt.state,
            detail=receipt.detail,
            error_code=receipt.error_code,
            error_message=receipt.error_message,
            ours=ours,
        )
        if room is not None:
            self._writes.write(hjobs.save_invite(room))
        return room

    def apply_gap(self, notice: GapNotice) -> Changes:
        """The relay could not replay some events: resume after them, and say so. A relay
        whose log restarted numbers anew: the inbox forgets the seqs it applied."""
        with self._writes.together():
            self._save_resume_point(max(notice.resumes_at - 1, 0))
            if notice.resumes_at <= notice.since:
                self.inbox.reset_seqs()
                for conversation in self.inbox.conversations.values():
                    self._writes.write(hjobs.save_shared(conversation))
            return self._publish(Changes(gap=notice))

    # -- the inbox: team actions, presence, reading --------------------------------------

    def _apply_team(self, action: TeamAction, seq: int | None, at: float) -> bool:
        changed = self.inbox.apply_action(action, seq, at)
        if changed is None:
            return False
        if action.kind == REPLIED and action.umid:
            self._writes.write(hjobs.record_reply(changed, action.umid, action.text or "", at))
        self._writes.write(hjobs.save_shared(changed))
        return True

    def apply_local(self, action: TeamAction) -> Changes:
        """Apply a team action here only (no relay: one agent's inbox); returns (and
        publishes) what changed. With a relay, actions come back through it instead."""
        with self._writes.together():
            at = self._clock()
            if not action.kept or not self._apply_team(action, None, at):
                return NO_CHANGES
            return self._publish(
                Changes(
                    conversations=frozenset({action.conversation_id}),
                    team=(TeamChange(action, None, at),),
                )
            )

    def apply_presence(self, presence: Presence) -> Changes:
        """A colleague is viewing or typing (or stopped); presence is never saved."""
        if not self.inbox.apply_presence(presence, self._clock()):
            return NO_CHANGES
        about = presence.action.conversation_id  # "" for an agent's own (online) presence
        return self._publish(Changes(conversations=frozenset({about} if about else ())))

    def mark_read(self, conversation_id: str) -> Changes:
        """This agent read the conversation: its unread count goes to zero."""
        if self.inbox.mark_read(conversation_id) is None:
            return NO_CHANGES
        self._writes.write(lambda history: history.mark_conversation_read(conversation_id))
        return self._publish(Changes(conversations=frozenset({conversation_id})))

    def after_writes(self, job: Callable[[History], T]) -> Future[T]:
        """Run `job` on the history once every update handed over before has run (in the
        background runner when there is one): a screen reading a conversation then sees every
        message the core has published. Fails with LookupError when there is no history."""
        future: Future[T] = Future()

        def run() -> None:
            history = self.history
            if not future.set_running_or_notify_cancel():
                return
            try:
                if history is None:
                    raise LookupError("no history")
                future.set_result(job(history))
            except BaseException as error:
                future.set_exception(error)

        if self._background is None:
            run()
        else:
            self._background(run)
        return future

    def _apply_receipt(self, receipt: Receipt) -> bool:
        moved = self.tracker.apply(receipt)
        if receipt.namespace == "SMS":
            seen = observation_from_receipt(
                receipt.umid, receipt.raw, receipt.state, receipt.error_code, receipt.received_at
            )
            if seen is not None:
                if self.traffic_since is None:
                    self.traffic_since = receipt_time(receipt.received_at, 0.0)
                self.traffic.observe(seen)
        self._writes.receipt(receipt)
        return moved

    def _record_inbound(self, message: InboundMessage, received_at: str, seq: int) -> bool:
        """Keep a customer's message; True when the inbox moved (not a replay)."""
        created_at = hjobs.readable_time(message.timestamp) or received_at
        at = parse_iso(created_at) or self._clock()
        before = self.inbox.get(message.conversation_id)
        changed = self.inbox.apply_inbound(message, seq, at)
        fields = changed.shared_since(before) if changed is not None else {}

        def record(history: History) -> None:
            # The message first: a new conversation then starts at the message's own time.
            history.record_message(
                message.umid,
                None,
                message.channel,
                "in",
                message.peer,
                message.text,
                "received",
                created_at,
                conversation_id=message.conversation_id,
            )
            history.upsert_conversation(
                message.conversation_id, message.channel, message.peer, message.name
            )
            if fields:
                history.update_conversation(message.conversation_id, **fields)

        self._writes.write(record)
        return changed is not None

    # -- sends ---------------------------------------------------------------------------

    def record_sent(
        self,
        sent: Iterable[SentSms],
        text: str,
        *,
        batch_id: str | None = None,
        conversation_id: str | None = None,
    ) -> Changes:
        """Record what the API answered for messages sent with `text`; returns (and publishes)
        them as Outbound, each with its delivery now (a receipt may already have moved it).
        A reply from the inbox names its conversation."""
        with self._writes.together():
            return self._record_sent(sent, text, batch_id, conversation_id)

    async def record_sent_durably(
        self,
        sent: Iterable[SentSms],
        text: str,
        *,
        batch_id: str | None = None,
        conversation_id: str | None = None,
    ) -> Changes:
        """:meth:`record_sent`, once the send is on disk: the history journals it (one fsync
        for the whole send, in the history's writer thread: the UI loop never waits on the
        disk) and only then is it published, so whatever a screen shows as sent survives a
        crash. Every sender (the composer, inbox replies) records through here. Without a
        history (not open, or not usable) it is published at once, as before."""
        from console.store.journal import SentRow  # the store loads after the first frame

        sent = tuple(sent)
        now = self._clock()

        def journal(history: History) -> None:
            # The rows are made in the writer's thread, as the history takes them (it gives
            # way to the UI loop between runs of them: a batch's 10,000 made at once held
            # the GIL ~25 ms, which a section's first paint then shared).
            rows = (
                SentRow(
                    item.accepted.umid,
                    item.accepted.client_message_id,
                    item.accepted.channel,
                    item.destination,
                    item.accepted.refused,
                    item.accepted.reason,
                )
                for item in sent
            )
            history.record_sent(rows, text, now, batch_id=batch_id, conversation_id=conversation_id)

        umids = {item.accepted.umid for item in sent}
        self._unshown |= umids
        try:
            recorded = bool(sent) and await self._durably(journal)

            def show(chunk: Sequence[SentSms]) -> Changes:  # a slice on disk, then shown
                with self._writes.together():
                    changes = self._record_sent(
                        chunk, text, batch_id, conversation_id, now, recorded
                    )
                self._unshown.difference_update(item.accepted.umid for item in chunk)
                return changes

            # Shown a few ms at a time, the loop given back between slices: a 10,000-message
            # answer shown at once held the agent's keys 250–680 ms.
            return merged_sends(await in_slices(sent, self._send_slice, show) or [NO_CHANGES])
        finally:
            self._unshown -= umids

    async def _durably(self, job: HistoryJob) -> bool:
        """Run `job` (a history update that ends with an fsync) after every update handed
        over before, and wait for it without holding the loop. True when the history took
        it in memory (even if the disk then refused: the history says so, and its next
        flush saves it); False when there is no history to take it, or it refused it. It
        never raises: 8x8 took the send, so the console shows it whatever the disk says."""
        if self.history is None:
            return False
        try:
            await asyncio.wrap_future(self.after_writes(job))
        except (LookupError, RuntimeError):  # the history or its runner went away (quitting)
            return False
        except OSError:  # in memory, but the disk refused the journal: the history says so
            log.warning("a send could not be journalled", exc_info=True)
        except Exception:  # not taken at all: recorded the ordinary way (which logs why)
            log.exception("a send could not be recorded in the history")
            return False
        return True

    def _record_sent(
        self,
        sent: Iterable[SentSms],
        text: str,
        batch_id: str | None,
        conversation_id: str | None,
        now: float | None = None,
        recorded: bool = False,
    ) -> Changes:
        now = self._clock() if now is None else now
        received_at = _utc_iso(now)
        outbound: list[Outbound] = []
        for item in sent:
            accepted = item.accepted
            current = self.tracker.apply_accepted(accepted, received_at)
            if not recorded:
                self._writes.write(hjobs.record_send(item, text, now, batch_id, conversation_id))
            if accepted.channel == "sms" and item.destination.startswith("+"):
                state = "rejected" if accepted.refused else "queued"
                seen = Observation(accepted.umid, item.destination, now, state)
                self.traffic.observe(seen, ours=True)
            outbound.append(
                Outbound(
                    umid=accepted.umid,
                    destination=item.destination,
                    text=text,
                    sent_at=now,
                    delivery=Delivery.from_receipt(current),
                    channel=accepted.channel,
                    client_message_id=accepted.client_message_id,
                    batch_id=batch_id,
                    conversation_id=conversation_id,
                )
            )
        touched: frozenset[str] = frozenset()
        if conversation_id is not None and outbound:
            self.inbox.record_reply(conversation_id, text, now)
            touched = frozenset({conversation_id})
        disowned = self.rooms.disown(row.umid for row in outbound)
        for room in disowned:
            self._writes.write(hjobs.save_invite(room))
        return self._publish(
            Changes(
                sent=tuple(outbound),
                conversations=touched,
                rooms={room.call_reference: room for room in disowned},
            )
        )

    # -- rooms ---------------------------------------------------------------------------

    def record_room(self, room: RoomView) -> Changes:
        """A video room was created: keep it (and its agent link, this run only)."""
        with self._writes.together():
            self.rooms.add(room)
            if self.history is None:
                self._unsaved_rooms.append(room.call_reference)
            self._writes.write(hjobs.record_room(room))
            return self._publish(Changes(rooms={room.call_reference: room}))

    async def record_room_durably(self, room: RoomView) -> Changes:
        """:meth:`record_room`, once the room is on disk (journalled in the history's writer
        thread): the Rooms screen says it was created only then."""

        def journal(history: History) -> None:
            history.record_room(
                room.call_reference,
                room.guest_link,
                room.phone,
                room.created_at,
                room.expires_at,
                durable=True,
            )

        recorded = await self._durably(journal)
        with self._writes.together():
            self.rooms.add(room)
            if not recorded:
                if self.history is None:
                    self._unsaved_rooms.append(room.call_reference)
                self._writes.write(hjobs.record_room(room))
            return self._publish(Changes(rooms={room.call_reference: room}))

    def apply_calls(self, calls: Iterable[CallSeen]) -> Changes:
        """What the Video Interaction call reports say (the guest joined, when)."""
        with self._writes.together():
            changed = self.rooms.calls_seen(calls)
            for room in changed:
                self._writes.write(hjobs.save_joined(room))
            return self._publish(Changes(rooms={room.call_reference: room for room in changed}))

    def rooms_newest(self, limit: int | None = None) -> list[RoomView]:
        """The rooms known (this run's and the history's), newest first."""
        return self.rooms.newest(limit)

    def room(self, reference: str) -> RoomView | None:
        return self.rooms.get(reference)

    # -- the Shield: suspensions and feedback ----------------------------------------------

    def refusal(self, numbers: Iterable[str]) -> str | None:
        """Why sending to these numbers is refused (an active suspension), or None. Every
        sender asks: SmsSender does for each draft, a room invite before creating the room."""
        return self.suspensions.refusal(numbers)

    def record_feedback(self, umid: str, outcome: str) -> None:
        """An OTP's outcome the agent's flow reported to 8x8 (success or failure)."""
        if outcome not in ("success", "failure"):
            raise ValueError("outcome must be success or failure")
        self.feedback.pop(umid, None)
        self.feedback[umid] = outcome
        while len(self.feedback) > MAX_FEEDBACK:
            self.feedback.pop(next(iter(self.feedback)))
        kept = dict(self.feedback)
        self._writes.write(lambda history: history.keep("feedback", kept))

    def _keep_suspensions(self, items: list[Suspension]) -> None:
        docs = [item.as_doc() for item in items]
        self._writes.write(lambda history: history.keep("suspensions", docs))

    def _restore_shield(self, history: History) -> None:
        try:
            docs = history.kept("suspensions")
            feedback = history.kept("feedback")
        except Exception:  # a damaged value is ignored, never fatal
            log.warning("the Shield's suspensions or feedback could not be read", exc_info=True)
            return
        if isinstance(docs, list):
            loaded = [Suspension.from_doc(doc) for doc in docs if isinstance(doc, dict)]
            self.suspensions.load(item for item in loaded if item is not None)
        if isinstance(feedback, dict):
            for umid, outcome in feedback.items():
                if isinstance(umid, str) and outcome in ("success", "failure"):
                    self.feedback.setdefault(umid, outcome)

    # -- reading -------------------------------------------------------------------------

    def timeline(self, umid: str) -> MessageTimeline | None:
        """Every receipt this console saw for a message since it started."""
        return self.tracker.timeline(umid)

    def delivery(self, umid: str) -> Delivery | None:
        """Where a message stands: from this run's receipts, else from the history."""
        timeline = self.tracker.timeline(umid)
        if timeline is not None and timeline.current is not None:
            return Delivery.from_receipt(timeline.current)
        if self.history is not None:
            stored = self.history.message_by_umid(umid)
            if stored is not None:
                return Delivery.from_stored(stored)
        return None

    def recent_sent(self, limit: int, channel: str = "sms") -> list[Outbound]:
        """The newest messages sent on `channel` (from the history), oldest first; not those
        only heard of (receipts of another console's sends)."""
        if self.history is None:
            return []
        stored = self.history.recent_messages(limit, channel=channel)
        rows = [
            Outbound(
                umid=message.umid,
                destination=message.peer,
                text=message.text,
                sent_at=message.created_at,
                delivery=self.delivery(message.umid) or Delivery.from_stored(message),
                channel=message.channel,
                client_message_id=message.client_message_id,
                batch_id=message.batch_id,
            )
            for message in reversed(stored)  # newest first: reversed, a batch keeps its order
            if message.direction == "out" and message.umid and not message.heard_only
        ]
        rows.sort(key=lambda row: row.sent_at)
        return rows

    # -- internals -----------------------------------------------------------------------

    def _publish(self, changes: Changes) -> Changes:
        if not changes:
            return NO_CHANGES
        if self.on_change is not None:
            self.on_change(changes)
        return changes

    def _save_resume_point(self, seq: int) -> None:
        key = self._stream_key
        if key is not None:
            self._writes.write(lambda history: history.set_resume_point(key, seq))

    def _record_login(self, login: LoginRecord) -> None:
        self._writes.write(
            lambda history: history.record_login(login.subaccount, login.target, login.key_tail)
        )
