"""SmsSender: sending SMS to one number or many, for every screen that sends (the composer,
room invites, inbox replies). UI-free; run it inside a worker.

- One number: one request, its clientMessageId is the draft's reference.
- Many: batches of at most ``BATCH_LIMIT`` (8x8's limit), each message with its own
  clientMessageId ``<reference>-<n>`` (n counts from 1 over the whole send, so a retry of the
  same draft reuses the same ids and 8x8 sends nothing twice); the clientBatchId is the
  reference when everything fits in one batch.
- Each answer is paired with its number (by the destination 8x8 echoes, else by position),
  converted at this edge into the core's own types, and recorded in the core (tracker and
  history, the history's journal on disk) before the progress is reported.

This is the one core module that talks to the API: it converts the API's answers into
:class:`~console.core.tracker.Accepted`, so the rest of the core never imports the API layer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from console.api.errors import ApiError
from console.api.limits import BATCH_LIMIT
from console.api.models import SmsAccepted, SmsBatchResult, SmsMessage
from console.core.model import SentSms
from console.core.tracker import Accepted

if TYPE_CHECKING:
    from console.core.service import ConsoleCore

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    """The part of the API client the sender needs (`CpaasClient` is one)."""

    async def send_sms(self, message: SmsMessage) -> SmsAccepted: ...

    async def send_sms_batch(
        self,
        messages: Sequence[SmsMessage] | None = None,
        *,
        client_batch_id: str | None = None,
        include_messages: bool = True,
    ) -> SmsBatchResult: ...


@dataclass(frozen=True, slots=True)
class SmsDraft:
    """What to send, already checked: numbers in E.164, a text that fits, a reference."""

    destinations: tuple[str, ...]
    text: str
    reference: str  # one number: its clientMessageId; many: the clientBatchId and id prefix
    source: str | None = None
    encoding: str = "AUTO"
    conversation_id: str | None = None  # a reply from the inbox: its conversation


@dataclass(frozen=True, slots=True)
class SendProgress:
    """One request answered: its messages (paired with their numbers), and how far we are."""

    sent: tuple[SentSms, ...]
    done: int
    total: int
    batch_id: str | None = None

    @property
    def finished(self) -> bool:
        return self.done >= self.total


class SendFailed(Exception):
    """A request failed: `reason` is readable; `unsent` are the numbers not sent (so the
    agent can retry just those); `unexpected` when it was not an API error (a bug)."""

    def __init__(
        self, reason: str, *, sent: int, unsent: Sequence[str], unexpected: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent
        self.unsent = tuple(unsent)
        self.unexpected = unexpected


class Suspended(SendFailed):
    """A number of the draft is under an active suspension: nothing was sent."""


def accepted_from_api(answer: SmsAccepted) -> Accepted:
    """The API's answer for one SMS in the core's terms (REJECTED: refused, with why)."""
    refused = answer.status_code.upper() == "REJECTED"
    return Accepted(
        umid=answer.umid,
        client_message_id=answer.client_message_id,
        refused=refused,
        reason=(answer.status_description or None) if refused else None,
        channel="sms",
    )


def pair_results(numbers: Sequence[str], answers: Sequence[SmsAccepted] | None) -> list[SentSms]:
    """Each answer with its number: the destination 8x8 echoes, else a number of the request
    that no answer has claimed (the one at the answer's position first). A number is paired
    as many times as the request holds it, never more."""
    answers = list(answers or ())
    echoes = [_echoed(answer) for answer in answers]
    unclaimed = Counter(numbers)
    for echoed in echoes:
        if echoed is not None and unclaimed[echoed] > 0:
            unclaimed[echoed] -= 1
    pairs: list[SentSms] = []
    for index, (answer, echoed) in enumerate(zip(answers, echoes, strict=True)):
        number = echoed if echoed is not None else _claim(numbers, index, unclaimed)
        pairs.append(SentSms(number or "?", accepted_from_api(answer)))
    return pairs


def _echoed(answer: SmsAccepted) -> str | None:
    digits = answer.destination.lstrip("+")
    return f"+{digits}" if digits.isdigit() else None


def _claim(numbers: Sequence[str], index: int, unclaimed: Counter[str]) -> str | None:
    """The number at `index` if no answer has it yet, else the first one still unclaimed."""
    own = [numbers[index]] if index < len(numbers) else []
    for number in (*own, *numbers):
        if unclaimed[number] > 0:
            unclaimed[number] -= 1
            return number
    return None


class SmsSender:
    """Sends drafts through a gateway and records each answer in the core (when given)."""

    def __init__(
        self,
        gateway: SmsGateway,
        core: ConsoleCore | None = None,
        *,
        batch_limit: int = BATCH_LIMIT,
    ) -> None:
        if not 1 <= batch_limit <= BATCH_LIMIT:
            raise ValueError(f"batch_limit must be between 1 and {BATCH_LIMIT}")
        self.gateway = gateway
        self.core = core
        self.batch_limit = batch_limit

    async def send(self, draft: SmsDraft) -> AsyncIterator[SendProgress]:
        """Send the draft; yields one SendProgress per request. Raises SendFailed (never
        anything else) when a request fails: what was sent before it stays recorded. A
        draft with a number under an active suspension is refused whole, before anything
        is sent (Suspended: the reason names the suspension and its expiry)."""
        total = len(draft.destinations)
        if not total:
            raise ValueError("a draft needs at least one destination")
        refusal = None if self.core is None else self.core.refusal(draft.destinations)
        if refusal is not None:
            raise Suspended(refusal, sent=0, unsent=draft.destinations)
        done = 0
        try:
            if total == 1:
                progress = await self._send_one(draft)
                done = 1
                yield progress
                return
            for start in range(0, total, self.batch_limit):
                chunk = draft.destinations[start : start + self.batch_limit]
                progress = await self._send_chunk(draft, chunk, start)
                done = progress.done
                yield progress
        except ApiError as error:
            raise SendFailed(error.readable, sent=done, unsent=draft.destinations[done:]) from error
        except Exception as error:
            log.exception("sending SMS failed unexpectedly")
            raise SendFailed(
                f"unexpected error: {type(error).__name__}: {error}",
                sent=done,
                unsent=draft.destinations[done:],
                unexpected=True,
            ) from error

    async def _send_one(self, draft: SmsDraft) -> SendProgress:
        number = draft.destinations[0]
        answer = await self.gateway.send_sms(
            SmsMessage(
                destination=number,
                text=draft.text,
                source=draft.source,
                client_message_id=draft.reference,
                encoding=draft.encoding,
            )
        )
        sent = (SentSms(number, accepted_from_api(answer)),)
        await self._record(sent, draft, None)
        return SendProgress(sent, done=1, total=1)

    async def _send_chunk(self, draft: SmsDraft, chunk: Sequence[str], start: int) -> SendProgress:
        total = len(draft.destinations)
        messages = [
            SmsMessage(
                destination=number,
                text=draft.text,
                source=draft.source,
                client_message_id=f"{draft.reference}-{start + offset + 1}",
                encoding=draft.encoding,
            )
            for offset, number in enumerate(chunk)
        ]
        result = await self.gateway.send_sms_batch(
            messages=messages,
            client_batch_id=draft.reference if total <= self.batch_limit else None,
            include_messages=True,
        )
        # Paired in a thread: 10,000 answers made into the core's types held the UI loop
        # 30-60 ms (the GIL is shared, but the loop gets it back every few milliseconds).
        sent = tuple(await asyncio.to_thread(pair_results, chunk, result.messages))
        await self._record(sent, draft, result.batch_id)
        return SendProgress(sent, done=start + len(chunk), total=total, batch_id=result.batch_id)

    async def _record(self, sent: Sequence[SentSms], draft: SmsDraft, batch_id: str | None) -> None:
        """Record the answer (on disk first: the progress that says "sent" follows it)."""
        if self.core is not None and sent:
            await self.core.record_sent_durably(
                sent, draft.text, batch_id=batch_id, conversation_id=draft.conversation_id
            )
