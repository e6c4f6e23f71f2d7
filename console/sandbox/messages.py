"""The send, batch and cancel endpoints, the same for every product (SMS, Chat Apps).

A product says how to validate one message (``build``), how an accepted or a rejected item
looks in an answer, and how a batch body becomes items. The order is the same everywhere
and is the point of this module: **validate everything, encode the answer, then act**.
Nothing is queued for a request that is then refused, and nothing is queued whose answer
could not be written, so a client that retries with the same ``clientMessageId`` /
``clientBatchId`` gets the first answer back and never sends twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from console.api.limits import BATCH_LIMIT

from . import errors as E
from .common import read_json, require_object
from .errors import ApiError, bad_request, json_response
from .ledger import cost_of
from .pipeline import Outbox
from .records import Record
from .replays import ReplayCache

R = TypeVar("R", bound=Record)


def check_batch_size(count: int) -> None:
    """8x8 takes at most 10,000 messages in one batch (400 code 1100 beyond)."""
    if count > BATCH_LIMIT:
        raise bad_request(
            E.BULK_LIMIT, f"Bulk limit reached: {count} messages, at most {BATCH_LIMIT:,} per batch"
        )


class MessagesApi(ABC, Generic[R]):
    """One product's message endpoints over its :class:`Outbox`."""

    client_batch_id_limit: ClassVar[int]
    client_batch_id_error: ClassVar[tuple[int, str]]  # (code, message) when too long

    def __init__(self, outbox: Outbox[R]) -> None:
        self.outbox = outbox
        self.world = outbox.world
        self.replays = ReplayCache()

    # -- what each product defines -----------------------------------------------------------

    @abstractmethod
    def build(
        self, item: Any, *, batch_id: str | None = None, client_batch_id: str | None = None
    ) -> tuple[R, float | None]:
        """Validate one message and make its record; raises ApiError(400, code, message)."""

    @abstractmethod
    def accepted_item(self, record: R) -> dict[str, Any]:
        """The answer for an accepted message (the single send's answer too)."""

    @abstractmethod
    def rejected_item(self, item: Any, error: ApiError) -> dict[str, Any]:
        """A batch item that was refused (it echoes only well-typed values)."""

    @abstractmethod
    def batch_items(self, body: dict[str, Any], template: dict[str, Any]) -> list[Any]:
        """The batch's messages with the template merged in; raises ApiError when the batch
        itself is wrong (missing, not an array, over the limit: see check_batch_size)."""

    # -- endpoints -----------------------------------------------------------------------------

    async def send(self, request: Request) -> Response:
        body = require_object(await read_json(request))
        replay = self.replays.get("message", body.get("clientMessageId"))
        if replay is not None:
            return json_response(replay)
        record, scheduled = self.build(body)
        self.world.ledger.check(cost_of(record))
        answer = self.accepted_item(record)
        response = json_response(answer)  # written before anything is queued
        self.outbox.accept(record, scheduled)
        self.replays.remember("message", record.client_message_id, answer)
        return response

    async def batch(self, request: Request) -> Response:
        body = require_object(await read_json(request))
        client_batch_id = body.get("clientBatchId")
        if client_batch_id is not None and (
            not isinstance(client_batch_id, str)
            or len(client_batch_id) > self.client_batch_id_limit
        ):
            raise bad_request(*self.client_batch_id_error)
        replay = self.replays.get("batch", client_batch_id)
        if replay is not None:
            return json_response(replay)
        template = body.get("template")
        if template is None:
            template = {}
        if not isinstance(template, dict):
            raise bad_request(E.INVALID_PARAMETER, "template must be a JSON object")
        include = body.get("includeMessagesInResponse", False)
        if not isinstance(include, bool):
            raise bad_request(E.INVALID_PARAMETER, "includeMessagesInResponse must be a boolean")
        items = self.batch_items(body, template)
        batch_id = self.world.new_id()
        accepted: list[tuple[R, float | None]] = []
        results: list[dict[str, Any]] = []
        for item in items:  # a bad item is a rejected item, as 8x8 does, not a failed batch
            try:
                record, scheduled = self.build(
                    item, batch_id=batch_id, client_batch_id=client_batch_id
                )
            except ApiError as error:
                if include:
                    results.append(self.rejected_item(item, error))
                continue
            accepted.append((record, scheduled))
            if include:
                results.append(self.accepted_item(record))
        self.world.ledger.check(sum(cost_of(r) for r, _ in accepted), len(accepted))
        answer = {
            "batchId": batch_id,
            "clientBatchId": client_batch_id,
            "acceptedCount": len(accepted),
            "rejectedCount": len(items) - len(accepted),
            "messages": results if include else None,
        }
        response = json_response(answer)  # written before anything is queued
        for record, scheduled in accepted:
            self.outbox.accept(record, scheduled)
        self.replays.remember("batch", client_batch_id, answer)
        return response

    async def cancel(self, request: Request) -> Response:
        umid = request.path_params["umid"]
        if self.outbox.get(umid) is None:
            raise ApiError(404, E.NOT_FOUND, "Message not found.")
        return json_response({"cancelledCount": self.outbox.cancel(umid)})

    async def cancel_batch(self, request: Request) -> Response:
        batch_id = request.path_params["batch_id"]
        return json_response({"cancelledCount": self.outbox.cancel_batch(batch_id)})
