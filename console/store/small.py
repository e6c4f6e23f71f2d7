"""The small history files, always whole in memory: `state.json` (resume points, logins) and
the base they share with `conversations.json`.

Every method expects the caller to hold the history's lock.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from pathlib import Path
from threading import RLock

from tinydb import TinyDB

from console.store.errors import CorruptHistory
from console.store.records import Doc
from console.store.storage import FastTable, RawTable, WriteBehindStorage
from console.store.validate import LOGINS, META, Validator, valid_login, valid_meta

SCHEMA = 2
MAX_RESUME_POINTS = 50  # a handful of relays in practice; never unbounded


class _Database(TinyDB):
    table_class = FastTable


class SmallFile:
    """One small TinyDB file, whole in memory, its documents checked when loaded."""

    def __init__(self, path: Path, lock: RLock, validators: Mapping[str, Validator]) -> None:
        self.storage = WriteBehindStorage(path, lock=lock)
        self._db = _Database(storage=lambda: self.storage)
        self._validators = validators

    @property
    def path(self) -> Path:
        return self.storage.path

    def load(self) -> None:
        """Read the file (a missing one is empty). Raises OSError or CorruptHistory."""
        self.storage.load()
        for table, valid in self._validators.items():
            for key, doc in self.raw(table).items():
                if not valid(doc):
                    raise CorruptHistory(f"wrong shape ({table} record {key} is incomplete)")
        self.build_indexes()

    def quarantine(self, now: float) -> Path:
        moved = self.storage.quarantine(now)
        self.build_indexes()
        return moved

    def build_indexes(self) -> None:
        """Rebuild what is derived from the documents (after a load or a reset)."""

    def raw(self, table: str) -> RawTable:
        return self.storage.read().get(table) or {}

    def prune(self, table: str, field: str, cutoff: float, max_records: int) -> None:
        """Drop documents older than `cutoff`, then all but the newest `max_records`."""
        raw = self.raw(table)
        drop = {key for key, doc in raw.items() if doc[field] < cutoff}
        remaining = len(raw) - len(drop)
        if remaining > max_records:
            ranked = sorted((doc[field], int(key)) for key, doc in raw.items() if key not in drop)
            drop.update(str(doc_id) for _, doc_id in ranked[: remaining - max_records])
        if drop:
            self.storage.replace_table(table, {k: v for k, v in raw.items() if k not in drop})
            self.build_indexes()

    def newest(self, table: str, field: str, limit: int) -> list[Doc]:
        newest = heapq.nlargest(max(limit, 0), self.raw(table).items(), key=by_field(field))
        return [doc for _, doc in newest]


def by_field(field: str) -> Callable[[tuple[str, Doc]], tuple[float, int]]:
    def key(item: tuple[str, Doc]) -> tuple[float, int]:
        return (item[1][field], int(item[0]))

    return key


class StateFile(SmallFile):
    """`state.json`: where to resume each relay's event stream, and the distinct logins."""

    def __init__(self, path: Path, lock: RLock) -> None:
        super().__init__(path, lock, {META: valid_meta, LOGINS: valid_login})
        self._logins = self._db.table(LOGINS)
        self._meta = self._db.table(META)
        self.build_indexes()

    def build_indexes(self) -> None:
        self._login_ids = {
            (doc["subaccount"], doc["mode_label"], doc["key_tail"]): int(key)
            for key, doc in self.raw(LOGINS).items()
        }
        self._meta_id = next((int(key) for key in self.raw(META)), None)

    # --- logins -------------------------------------------------------------------------------

    def record_login(self, subaccount: str, mode_label: str, tail: str, now: float) -> Doc:
        key = (subaccount, mode_label, tail)
        doc_id = self._login_ids.get(key)
        if doc_id is None:
            doc_id = self._logins.insert(
                {"subaccount": subaccount, "mode_label": mode_label, "key_tail": tail}
                | {"at": now, "count": 1}
            )
            self._login_ids[key] = doc_id
        else:

            def again(doc: Doc) -> None:
                doc["at"] = max(now, doc["at"])
                doc["count"] = doc.get("count", 1) + 1

            self._logins.update(again, doc_ids=[doc_id])
        return self.raw(LOGINS)[str(doc_id)]

    # --- resume points ------------------------------------------------------------------------

    def meta(self) -> Doc:
        return {} if self._meta_id is None else self.raw(META)[str(self._meta_id)]

    def set_meta(self, **fields: object) -> None:
        if self._meta_id is None:
            self._meta_id = self._meta.insert({"schema": SCHEMA, **fields})
        else:
            self._meta.update(dict(fields), doc_ids=[self._meta_id])

    def resume_point(self, stream: str) -> int:
        return int((self.meta().get("resume") or {}).get(stream, 0))

    def set_resume_point(self, stream: str, seq: int) -> None:
        points = dict(self.meta().get("resume") or {})
        if points.get(stream) == seq and self._meta_id is not None:
            return
        points[stream] = seq
        for old in list(points)[: max(len(points) - MAX_RESUME_POINTS, 0)]:
            del points[old]
        self.set_meta(resume=points)
