"""SmsSender without a UI and without a server: chunks, clientMessageIds, pairing, failures."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.api.errors import RateLimited, ServerError
from console.api.limits import BATCH_LIMIT
from console.api.models import SmsAccepted, SmsBatchResult, SmsMessage
from console.core import Changes, ConsoleCore
from console.core.sending import SendFailed, SendProgress, SmsDraft, SmsSender, pair_results


class FakeGateway:
    """Answers like 8x8: QUEUED, or REJECTED for numbers in `refuse`; can fail a request."""

    def __init__(
        self, *, refuse: Sequence[str] = (), fail_at: int | None = None, echo: bool = True
    ) -> None:
        self.refuse = set(refuse)
        self.fail_at = fail_at  # the request number (1-based) that fails
        self.echo = echo
        self.singles: list[SmsMessage] = []
        self.batches: list[tuple[list[SmsMessage], str | None]] = []

    def _answer(self, message: SmsMessage) -> SmsAccepted:
        refused = message.destination in self.refuse
        return SmsAccepted(
            umid=f"umid-{message.client_message_id}",
            client_message_id=message.client_message_id,
            destination=message.destination.lstrip("+") if self.echo else "",
            encoding="GSM7",
            status_code="REJECTED" if refused else "QUEUED",
            status_description="Invalid MSISDN" if refused else "Message queued",
        )

    def _maybe_fail(self) -> None:
        if self.fail_at == len(self.singles) + len(self.batches):
            raise ServerError("service unavailable", status=503)

    async def send_sms(self, message: SmsMessage) -> SmsAccepted:
        self.singles.append(message)
        self._maybe_fail()
        return self._answer(message)

    async def send_sms_batch(
        self,
        messages: Sequence[SmsMessage] | None = None,
        *,
        client_batch_id: str | None = None,
        include_messages: bool = True,
    ) -> SmsBatchResult:
        assert messages is not None and include_messages
        assert len(messages) <= BATCH_LIMIT
        self.batches.append((list(messages), client_batch_id))
        self._maybe_fail()
        answers = tuple(self._answer(m) for m in messages)
        refused = sum(a.status_code == "REJECTED" for a in answers)
        return SmsBatchResult(
            f"batch-{len(self.batches)}", client_batch_id, len(answers) - refused, refused, answers
        )


def numbers(count: int) -> tuple[str, ...]:
    return tuple(f"+65912{n:05d}" for n in range(count))


async def send_all(sender: SmsSender, draft: SmsDraft) -> list[SendProgress]:
    return [progress async for progress in sender.send(draft)]


async def test_one_number_is_one_request_with_the_reference_as_its_id() -> None:
    gateway = FakeGateway()
    core = ConsoleCore()
    draft = SmsDraft(("+6591234567",), "Hello", "ac-ref1", source="ACME", encoding="GSM7")
    [progress] = await send_all(SmsSender(gateway, core), draft)
    [message] = gateway.singles
    assert (message.client_message_id, message.source, message.encoding) == (
        "ac-ref1",
        "ACME",
        "GSM7",
    )
    assert (progress.done, progress.total, progress.finished) == (1, 1, True)
    assert progress.sent[0].destination == "+6591234567"
    assert progress.sent[0].accepted.umid == "umid-ac-ref1"
    assert core.delivery("umid-ac-ref1") is not None, "the send is recorded in the core"
    assert not gateway.batches


async def test_many_numbers_go_in_batches_of_the_limit_with_ids_counted_over_the_send() -> None:
    gateway = FakeGateway()
    published: list[Changes] = []
    core = ConsoleCore(on_change=published.append)
    draft = SmsDraft(numbers(5), "Store closes early", "ac-ref2")
    progress = await send_all(SmsSender(gateway, core, batch_limit=2), draft)
    assert [(p.done, p.total) for p in progress] == [(2, 5), (4, 5), (5, 5)]
    ids = [m.client_message_id for batch, _ in gateway.batches for m in batch]
    assert ids == [f"ac-ref2-{n}" for n in range(1, 6)]
    assert [batch_id for _, batch_id in gateway.batches] == [None, None, None]
    assert [len(changes.sent) for changes in published] == [2, 2, 1]
    assert [row.batch_id for row in published[0].sent] == ["batch-1", "batch-1"]


async def test_one_batch_carries_the_reference_as_its_client_batch_id() -> None:
    gateway = FakeGateway()
    await send_all(SmsSender(gateway), SmsDraft(numbers(3), "Hi", "ac-ref3"))
    [(messages, batch_id)] = gateway.batches
    assert batch_id == "ac-ref3" and len(messages) == 3


async def test_the_same_draft_sent_again_reuses_every_client_message_id() -> None:
    first, second = FakeGateway(), FakeGateway()
    draft = SmsDraft(numbers(3), "Hi", "ac-ref4")
    await send_all(SmsSender(first, batch_limit=2), draft)
    await send_all(SmsSender(second, batch_limit=2), draft)
    assert [m.client_message_id for b, _ in first.batches for m in b] == [
        m.client_message_id for b, _ in second.batches for m in b
    ]


async def test_a_refused_number_is_recorded_rejected_with_its_reason() -> None:
    gateway = FakeGateway(refuse=["+6591200001"])
    core = ConsoleCore()
    [progress] = await send_all(SmsSender(gateway, core), SmsDraft(numbers(2), "Hi", "ac-ref5"))
    refused = [item for item in progress.sent if item.accepted.refused]
    assert [item.destination for item in refused] == ["+6591200001"]
    assert refused[0].accepted.reason == "Invalid MSISDN"
    delivery = core.delivery(refused[0].accepted.umid)
    assert delivery is not None and delivery.label == "⊘ rejected · Invalid MSISDN"


async def test_an_api_error_stops_with_the_numbers_not_sent() -> None:
    gateway = FakeGateway(fail_at=2)
    core = ConsoleCore()
    draft = SmsDraft(numbers(5), "Hi", "ac-ref6")
    seen: list[SendProgress] = []
    with pytest.raises(SendFailed) as failed:
        async for progress in SmsSender(gateway, core, batch_limit=2).send(draft):
            seen.append(progress)
    assert [p.done for p in seen] == [2]
    assert failed.value.sent == 2
    assert failed.value.unsent == draft.destinations[2:]
    assert not failed.value.unexpected
    assert "503" in failed.value.reason or "unavailable" in failed.value.reason
    assert len(core.tracker) == 2, "what was sent before the failure stays recorded"


async def test_an_unexpected_error_is_one_readable_failure() -> None:
    class Broken(FakeGateway):
        async def send_sms(self, message: SmsMessage) -> SmsAccepted:
            raise RuntimeError("[/boom]")

    with pytest.raises(SendFailed) as failed:
        await send_all(SmsSender(Broken()), SmsDraft(("+6591234567",), "Hi", "ac-ref7"))
    assert failed.value.unexpected
    assert failed.value.reason == "unexpected error: RuntimeError: [/boom]"
    assert failed.value.unsent == ("+6591234567",)


async def test_rate_limits_are_api_errors_too() -> None:
    class Limited(FakeGateway):
        async def send_sms(self, message: SmsMessage) -> SmsAccepted:
            raise RateLimited("too many requests", status=429, retry_after=2.0)

    with pytest.raises(SendFailed) as failed:
        await send_all(SmsSender(Limited()), SmsDraft(("+6591234567",), "Hi", "ac-ref8"))
    assert not failed.value.unexpected


def answer(umid: str, destination: str) -> SmsAccepted:
    return SmsAccepted(umid, None, destination, "GSM7", "QUEUED", "")


def test_results_are_paired_by_the_echoed_number_else_by_a_number_no_answer_has() -> None:
    chunk = ["+6591230001", "+6591230002", "+6591230003"]
    pairs = pair_results(
        chunk, [answer("a", "6591230002"), answer("b", ""), answer("c", "not-a-number")]
    )
    # "b" sits where +6591230002 was sent, but "a" says that one is its own: "b" is the
    # number no answer named, never a second +6591230002 (and +6591230001 left out).
    assert [(p.destination, p.accepted.umid) for p in pairs] == [
        ("+6591230002", "a"),
        ("+6591230001", "b"),
        ("+6591230003", "c"),
    ]
    assert pair_results(chunk, None) == []
    assert pair_results([], [answer("d", "")])[0].destination == "?"


def test_a_number_sent_twice_is_paired_twice() -> None:
    chunk = ["+6591230001", "+6591230001", "+6591230002"]
    pairs = pair_results(chunk, [answer("a", ""), answer("b", "6591230001"), answer("c", "")])
    assert sorted(p.destination for p in pairs) == sorted(chunk)


@given(
    st.lists(
        st.integers(min_value=1_000, max_value=9_999), min_size=1, max_size=30, unique=True
    ).flatmap(
        lambda suffixes: st.tuples(
            st.just([f"+659123{n}" for n in suffixes]),
            st.permutations(range(len(suffixes))),
            st.lists(st.booleans(), min_size=len(suffixes), max_size=len(suffixes)),
        )
    )
)
def test_every_number_of_a_chunk_is_paired_exactly_once_whatever_8x8_echoes(
    case: tuple[list[str], list[int], list[bool]],
) -> None:
    """8x8 may answer in any order and leave out any echo: each answer that echoes keeps its
    number, and together the answers hold each number of the chunk once."""
    chunk, order, echoes = case
    answers = [
        answer(str(i), chunk[i].lstrip("+") if echo else "")
        for i, echo in zip(order, echoes, strict=True)
    ]
    pairs = pair_results(chunk, answers)
    assert sorted(p.destination for p in pairs) == sorted(chunk)
    for pair, echo in zip(pairs, echoes, strict=True):
        if echo:
            assert pair.destination == chunk[int(pair.accepted.umid)]


def test_the_batch_limit_is_8x8s_at_most() -> None:
    with pytest.raises(ValueError):
        SmsSender(FakeGateway(), batch_limit=BATCH_LIMIT + 1)
    with pytest.raises(ValueError):
        SmsSender(FakeGateway(), batch_limit=0)
