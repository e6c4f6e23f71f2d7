"""The history's delivery receipts: part of `History` (console/store/history.py). A receipt
goes into its message's timeline (the status only moving forward), is held until its message
is recorded, or makes the message's row from what it tells (sent by another console).

The console hands receipts over in runs (`apply_receipts`: one job per slice of live events),
applied under one hold of the lock and without a record made for each: the history's update
thread shares the GIL with the UI loop, so what it costs per receipt is the loop's too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from console.store import records
from console.store.catalog import PartKey
from console.store.history_base import HistoryBase
from console.store.journal import ReceiptRow
from console.store.parts import Part
from console.store.records import Doc, Message
from console.store.validate import Timestamp, to_raw, to_state, to_text, to_ts

log = logging.getLogger(__name__)

MAX_HELD = 100  # receipts held per umid not recorded yet
MAX_PENDING_RECEIPTS = 5_000  # receipts for umids not recorded yet (they can beat the send reply)
RUN = 64  # receipts applied per hold of the lock (a reader waits for one run at most)


class ReceiptUpdate(NamedTuple):
    """One receipt for `History.apply_receipts`: the arguments of `History.apply_receipt`."""

    umid: str
    state: str
    timestamp: Timestamp
    received_at: Timestamp
    detail: str | None = None
    error_code: int | str | None = None
    error_message: str | None = None
    row: ReceiptRow | None = None
    raw: Mapping[str, Any] | None = None


def receipt_entry(
    state: str,
    timestamp: Timestamp,
    received_at: Timestamp,
    detail: str | None = None,
    error_code: int | str | None = None,
    error_message: str | None = None,
    raw: Mapping[str, Any] | None = None,
) -> Doc:
    """A timeline entry, checked (ValueError or TypeError says why not)."""
    entry: Doc = {
        "state": to_state(state),
        "timestamp": to_ts(timestamp, "timestamp"),
        "received_at": to_ts(received_at, "received_at"),
    }
    if detail:
        entry["detail"] = to_text(detail, "detail")
    if error_code is not None:
        if not isinstance(error_code, int | str) or isinstance(error_code, bool):
            raise TypeError("error_code must be an int or a str")
        entry["error_code"] = error_code
    if error_message:
        entry["error_message"] = to_text(error_message, "error_message")
    if raw:
        entry["raw"] = to_raw(raw)
    return entry


class Receipts(HistoryBase):
    """The delivery receipts of `History`."""

    def apply_receipt(
        self,
        umid: str,
        state: str,
        timestamp: Timestamp,
        received_at: Timestamp,
        detail: str | None = None,
        error_code: int | str | None = None,
        error_message: str | None = None,
        row: ReceiptRow | None = None,
        raw: Mapping[str, Any] | None = None,
    ) -> Message | None:
        """Add a delivery receipt to a message's timeline; the status only moves forward.

        `raw` is 8x8's webhook payload: kept with the receipt (as JSON text), so a timeline
        opened on a message the tracker has let go still shows it.

        Every receipt is kept in the timeline, duplicates and late ones included. A receipt for
        a umid not recorded yet is held (in memory) and applied when `record_message` sees that
        umid — unless `row` says what the receipt tells of its message (channel, number, batch):
        then the message's row is made from it at once (sent by another console or application,
        or lost), and `record_message` completes it if this console sent it after all. One for
        a message in a part on disk is applied there in the background. Held or applied in the
        background, the call returns None.
        """
        entry = receipt_entry(state, timestamp, received_at, detail, error_code, error_message, raw)
        with self._lock:
            self._check_open()
            applied = self._apply_entry(umid, entry, row)
            if applied is None:
                return None
            part, doc_id = applied
            return records.message(part.message_doc(doc_id))

    def apply_receipts(
        self,
        updates: Iterable[ReceiptUpdate],
        on_error: Callable[[ReceiptUpdate, Exception], object] | None = None,
    ) -> None:
        """`apply_receipt` for each of a run of receipts, in order, under fewer holds of the
        lock and without a record made for each. A receipt refused (a wrong value, the history
        closed) goes to `on_error` and the others still go in; without `on_error`, the first
        refusal is raised (those before it are in)."""
        batch: list[tuple[ReceiptUpdate, Doc]] = []
        try:
            for update in updates:
                try:
                    entry = receipt_entry(
                        update.state,
                        update.timestamp,
                        update.received_at,
                        update.detail,
                        update.error_code,
                        update.error_message,
                        update.raw,
                    )
                except Exception as error:
                    if on_error is None:
                        raise
                    on_error(update, error)
                    continue
                batch.append((update, entry))
                if len(batch) >= RUN:
                    self._applied_run(batch, on_error)
                    self._breathe()
        finally:  # what was checked goes in, even when a refusal is raised
            self._applied_run(batch, on_error)

    def _applied_run(
        self,
        batch: list[tuple[ReceiptUpdate, Doc]],
        on_error: Callable[[ReceiptUpdate, Exception], object] | None,
    ) -> None:
        """Apply checked entries under one hold of the lock; `batch` is emptied."""
        if not batch:
            return
        run = batch[:]
        batch.clear()
        with self._lock:
            for update, entry in run:
                try:
                    self._check_open()
                    self._apply_entry(update.umid, entry, update.row)
                except Exception as error:
                    if on_error is None:
                        raise
                    on_error(update, error)

    def _apply_entry(
        self, umid: str, entry: Doc, row: ReceiptRow | None
    ) -> tuple[Part, int] | None:
        """A checked receipt into its message (caller holds the lock): the part and the
        message's id when applied now; None when held, or applied in the background."""
        parts = self._parts
        key = parts.known(parts.umid_part.get(umid))
        if key is None and row is not None:
            self._record_from_receipt(umid, row, entry)
            key = parts.known(parts.umid_part.get(umid))
        if key is None:
            self._hold_receipt(umid, entry)
            return None
        return parts.route(key, lambda part: self._receipt_in(part, umid, entry))

    def _record_from_receipt(self, umid: str, row: ReceiptRow, entry: Doc) -> None:
        """A receipt's message this history does not know: its row, from what the receipt
        tells (no text: the receipt does not carry it). Caller holds the lock."""
        doc: Doc = {
            "channel": to_text(row.channel, "channel"),
            "direction": "out",
            "peer": row.peer or "",
            "text": "",
            "status": "queued",
            "created_at": entry["timestamp"],
            "umid": umid,
            "origin": "receipt",
        }
        if row.client_message_id:
            doc["client_message_id"] = to_text(row.client_message_id, "client_message_id")
        if row.batch_id:
            doc["batch_id"] = to_text(row.batch_id, "batch_id")
        known = self._parts.locate(None, row.client_message_id)
        key: PartKey = known or self._new_message_part(doc)
        self._parts.route(key, lambda part: self._record_in(part, doc, not known))

    def _receipt_in(self, part: Part, umid: str, entry: Doc) -> tuple[Part, int] | None:
        doc_id = part.umids.get(umid)
        if doc_id is None:  # an index listed it, but the part was not saved after all
            self._parts.umid_part.pop(umid, None)
            self._hold_receipt(umid, entry)
            return None
        part.apply_receipt(doc_id, entry)
        return part, doc_id

    def _hold_receipt(self, umid: str, entry: Doc) -> None:
        held = self._pending.get(umid)
        if held is None:
            held = self._pending[umid] = []
            while len(self._pending) > MAX_PENDING_RECEIPTS:
                self._pending.popitem(last=False)
        if len(held) < MAX_HELD:
            held.append(entry)
