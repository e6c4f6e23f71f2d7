"""The feed's rows as sequences that read a packed row out only when it is asked for.

- :class:`RowOrder` — a store's rows in order (``FeedStore.order``);
- :class:`RowsByUmid` — a store's rows by umid (``FeedStore.rows``);
- :class:`Picked` — the rows of a filtered view, kept as their keys (sent time, arrival);
- :class:`LetGo` — the rows one change let go (``StoreDelta.evicted``), with their keys and
  statuses readable without a FeedRow each.

A table drawing 36 lines reads 36 rows, whatever the number kept. Pure: no Textual.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, overload

from console.feed.packed import key_place
from console.feed.row import FeedRow

if TYPE_CHECKING:
    from weakref import WeakValueDictionary

    from console.feed.packed import Chunk
    from console.feed.rows import FeedStore


class _Rows(Sequence[FeedRow]):
    """Indexing (negative too) and slices on top of `_row(index)`."""

    def _row(self, index: int) -> FeedRow:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> FeedRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[FeedRow]: ...

    def __getitem__(self, index: int | slice) -> FeedRow | list[FeedRow]:
        size = len(self)
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(size))]
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(index)
        return self._row(index)


class RowOrder(_Rows):
    """A store's rows, oldest first."""

    __slots__ = ("_store",)

    def __init__(self, store: FeedStore) -> None:
        self._store = store

    def __len__(self) -> int:
        return len(self._store)

    def _row(self, index: int) -> FeedRow:
        return self._store.row_at(index)

    def __iter__(self) -> Iterator[FeedRow]:
        return iter(self._store)

    def index_of(self, row: FeedRow) -> int | None:
        return self._store.index_of(row)


class RowsByUmid(Mapping[str, FeedRow]):
    """A store's rows by umid."""

    __slots__ = ("_store",)

    def __init__(self, store: FeedStore) -> None:
        self._store = store

    def __getitem__(self, umid: str) -> FeedRow:
        row = self._store.get(umid)
        if row is None:
            raise KeyError(umid)
        return row

    def get(self, umid: str, default: FeedRow | None = None) -> FeedRow | None:  # type: ignore[override]
        row = self._store.get(umid)
        return default if row is None else row

    def __contains__(self, umid: object) -> bool:
        return isinstance(umid, str) and self._store.get(umid) is not None

    def __iter__(self) -> Iterator[str]:
        return (row.umid for row in self._store)

    def __len__(self) -> int:
        return len(self._store)


class Picked(_Rows):
    """Rows of a store picked by key, in order: what a filtered view shows. The keys are two
    arrays (16 bytes a row); a row is read out of the store when asked for."""

    __slots__ = ("_store", "ats", "seqs")

    def __init__(self, store: FeedStore, ats: array[float], seqs: array[int]) -> None:
        self._store = store
        self.ats = ats
        self.seqs = seqs

    def __len__(self) -> int:
        return len(self.ats)

    def _row(self, index: int) -> FeedRow:
        row = self._store.row_by_key((self.ats[index], self.seqs[index]))
        if row is None:  # pragma: no cover - a view follows its store's every change
            raise IndexError(index)
        return row

    def find(self, key: tuple[float, int]) -> int | None:
        """The index of `key`, or None."""
        index = key_place(self.ats, self.seqs, key)
        return index if index < len(self.ats) and self.key(index) == key else None

    def insert(self, key: tuple[float, int]) -> None:
        index = key_place(self.ats, self.seqs, key)
        self.ats.insert(index, key[0])
        self.seqs.insert(index, key[1])

    def remove_at(self, index: int) -> None:
        del self.ats[index]
        del self.seqs[index]

    def drop_first(self, count: int) -> None:
        del self.ats[:count]
        del self.seqs[:count]

    def key(self, index: int) -> tuple[float, int]:
        return (self.ats[index], self.seqs[index])


class LetGo(_Rows):
    """Rows a change let go, oldest first: runs of packed places and lists of objects."""

    __slots__ = ("_parts", "_size", "_thawed")

    def __init__(self, thawed: WeakValueDictionary[int, FeedRow] | None = None) -> None:
        self._thawed = thawed
        self._parts: list[tuple[Chunk, range] | list[FeedRow]] = []
        self._size = 0

    def add_places(self, chunk: Chunk, places: range) -> None:
        self._parts.append((chunk, places))
        self._size += len(places)

    def add_rows(self, rows: list[FeedRow]) -> None:
        self._parts.append(rows)
        self._size += len(rows)

    def __len__(self) -> int:
        return self._size

    def _row(self, index: int) -> FeedRow:
        for part in self._parts:
            if isinstance(part, list):
                if index < len(part):
                    return part[index]
                index -= len(part)
                continue
            chunk, places = part
            if index < len(places):
                return self._out(chunk, places[index])
            index -= len(places)
        raise IndexError(index)

    def _out(self, chunk: Chunk, place: int) -> FeedRow:
        held = None if self._thawed is None else self._thawed.get(chunk.seqs[place])
        return held if held is not None else chunk.row(place)

    def __iter__(self) -> Iterator[FeedRow]:
        for part in self._parts:
            if isinstance(part, list):
                yield from part
            else:
                chunk, places = part
                for place in places:
                    yield self._out(chunk, place)

    def pairs(self) -> Iterator[tuple[tuple[float, int], str]]:
        """Each row's key (sent time, arrival) and status, oldest first, without a FeedRow."""
        for part in self._parts:
            if isinstance(part, list):
                for row in part:
                    yield row.key, row.status
            else:
                chunk, places = part
                for place in places:
                    yield chunk.key(place), chunk.status(place)
