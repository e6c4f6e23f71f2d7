"""Chunk: the feed's older rows packed, a few thousand to a chunk (~100 bytes a row, not ~450).

A FeedRow object costs ~450 bytes with its strings, its seq int and its slot in the store's
dict; a shift keeps 100,000. Once a row is a few thousand rows old the store packs it here:

- times and arrival numbers in arrays of doubles and ints (``ats``, ``updated``, ``seqs``),
  a version and flags (stale, no number, no reference) in small arrays;
- the words many rows share (state, detail, channel, batch, currency, error, error code,
  segments, price) as small codes into this chunk's table of each (one code array a field);
- umid, number and clientMessageId of every row in one string (``text``), cut at ``ends``;
  when every umid of the chunk is a UUID as 8x8 writes them (lowercase, dashed), the umids
  are 16 bytes each in ``uuids`` instead (36 characters in the text: ~20 bytes a row less);
- an index from umid to row: the umids' hashes' low 32 bits sorted, with each one's place (as
  console/sealed.py's chunks).

Rows are in the feed's order (sent time, then arrival). The oldest are let go by moving
``start`` on; the chunk goes when none is left. A row read out (:meth:`row`) is a new FeedRow;
one changed (a late receipt) is written back (:meth:`write`): the store keeps the object of a
row someone holds, so it stays the same row. Pure: no Textual, no I/O.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, chain
from typing import TYPE_CHECKING

from console.feed.query import reads_as_number
from console.feed.row import NO_FINAL, FeedRow
from console.uuids import SIZE as UUID_BYTES
from console.uuids import pack_all as pack_uuids
from console.uuids import unpack as unpack_uuid

if TYPE_CHECKING:
    from console.feed.query import FeedFilter

# Fields kept as codes into a table of the chunk's distinct values (code 0: None).
ATOMS = (
    "state",
    "detail",
    "channel",
    "batch_id",
    "currency",
    "error_message",
    "error_code",
    "sms_count",
    "price",
)
STATE, DETAIL, CHANNEL, BATCH = 0, 1, 2, 3
_TEXTS = frozenset(range(6))  # the str fields: a value is its own key
STALE, NO_DEST, NO_REF = 1, 2, 4
_WIDER = {"B": "H", "H": "I", "I": "Q"}
_LIMIT = {"B": 0xFF, "H": 0xFFFF, "I": 0xFFFF_FFFF}


_NONE = (type(None), None)
_LOW32 = 0xFFFF_FFFF
_PLAIN_NUMBER = re.compile(r"\+?[0-9]*\Z")
UMID, DEST, REF = 0, 1, 2  # a row's parts of the text


class Chunk:
    """Rows packed (see the module docstring); positions ``start`` to the end are kept."""

    __slots__ = (
        "_keys",
        "_plain",
        "_tagged",
        "_width",
        "ats",
        "codes",
        "ends",
        "flags",
        "hashes",
        "late",
        "places",
        "seqs",
        "start",
        "text",
        "updated",
        "uuids",
        "values",
        "versions",
    )

    def __init__(self, rows: Sequence[FeedRow]) -> None:
        # Column by column, in C loops (map, dict.fromkeys, accumulate) where it can: a chunk
        # is packed on the UI loop, once per SEAL_ROWS rows.
        count = len(rows)
        self.start = 0
        self.ats = array("d", [row.at for row in rows])
        self.seqs = array("q", [row.seq for row in rows])
        self.updated = array("d", [row.updated_at for row in rows])
        self.versions = array("I", [row.version for row in rows])
        umids = [row.umid for row in rows]
        destinations = [row.destination for row in rows]
        references = [row.client_message_id for row in rows]
        flags = bytearray(count)
        for place in [p for p, row in enumerate(rows) if row.stale]:
            flags[place] |= STALE
        for place in [p for p, value in enumerate(destinations) if value is None]:
            flags[place] |= NO_DEST
            destinations[place] = ""
        for place in [p for p, value in enumerate(references) if value is None]:
            flags[place] |= NO_REF
            references[place] = ""
        self.flags = array("B", flags)
        self.values: list[list[object]] = []
        self._keys: list[dict[object, int]] = []
        self.codes: list[array[int]] = []
        self._tagged: list[bool] = []
        for field, name in enumerate(ATOMS):
            column: list[object] = [getattr(row, name) for row in rows]
            # 1, 1.0 and True are one dict key: numbers of more than one type are tagged.
            tagged = field not in _TEXTS and len(set(map(type, column)) - {type(None)}) > 1
            keyed = list(zip(map(type, column), column, strict=True)) if tagged else column
            distinct = list(dict.fromkeys([_NONE if tagged else None, *keyed]))
            keys = {key: code for code, key in enumerate(distinct)}
            values = [key[1] for key in distinct] if tagged else distinct  # type: ignore[index]
            self.values.append(values)
            self._keys.append(keys)
            self._tagged.append(tagged)
            self.codes.append(array(_typecode(len(values)), [keys[key] for key in keyed]))
        self.uuids = pack_uuids(umids)
        texts = (
            (destinations, references)
            if self.uuids is not None
            else (umids, destinations, references)
        )
        self._width = len(texts)  # parts of the text a row has
        parts = list(chain.from_iterable(zip(*texts, strict=True)))
        self.text = "".join(parts)
        wide = len(self.text) > 0xFFFF_FFFF
        self.ends = array("Q" if wide else "I", accumulate(map(len, parts)))
        hashes = [hash(umid) & _LOW32 for umid in umids]
        order = sorted(range(count), key=hashes.__getitem__)
        self.hashes = array("I", map(hashes.__getitem__, order))
        self.places = array(_typecode(count), order)
        self.late: dict[int, tuple[str | None, str | None]] | None = None
        self._plain: bool | None = None

    # -- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        """Rows kept."""
        return len(self.ats) - self.start

    @property
    def first_key(self) -> tuple[float, int]:
        return (self.ats[self.start], self.seqs[self.start])

    @property
    def last_key(self) -> tuple[float, int]:
        return (self.ats[-1], self.seqs[-1])

    def _cut(self, place: int, part: int) -> str:
        """A row's umid, number or reference (UMID, DEST, REF) as the text holds it."""
        index = place * self._width + part - (3 - self._width)  # without its umid: from DEST
        return self.text[self.ends[index - 1] if index else 0 : self.ends[index]]

    def umid(self, place: int) -> str:
        packed = self.uuids
        if packed is None:
            return self._cut(place, UMID)
        return unpack_uuid(packed[place * UUID_BYTES : (place + 1) * UUID_BYTES])

    def destination(self, place: int) -> str | None:
        if self.late is not None and place in self.late:
            return self.late[place][0]
        return None if self.flags[place] & NO_DEST else self._cut(place, DEST)

    def client_message_id(self, place: int) -> str | None:
        if self.late is not None and place in self.late:
            return self.late[place][1]
        return None if self.flags[place] & NO_REF else self._cut(place, REF)

    def value(self, field: int, place: int) -> object:
        return self.values[field][self.codes[field][place]]

    def status(self, place: int) -> str:
        """The status the feed shows and counts (as FeedRow.status)."""
        if self.flags[place] & STALE:
            return NO_FINAL
        return self.values[STATE][self.codes[STATE][place]]  # type: ignore[return-value]

    def key(self, place: int) -> tuple[float, int]:
        return (self.ats[place], self.seqs[place])

    def find(self, umid: str) -> int | None:
        """The place of `umid` among the rows kept, or None."""
        wanted = hash(umid) & _LOW32  # 4 bytes a row: the umid found is compared whole
        hashes = self.hashes
        at = bisect_left(hashes, wanted)
        while at < len(hashes) and hashes[at] == wanted:
            place = self.places[at]
            if place >= self.start and self.umid(place) == umid:
                return place
            at += 1
        return None

    def locate(self, key: tuple[float, int]) -> int | None:
        """The place of the row with `key` (sent time, arrival) among those kept, or None."""
        place = key_place(self.ats, self.seqs, key, self.start)
        return place if place < len(self.ats) and self.key(place) == key else None

    def row(self, place: int) -> FeedRow:
        """The row at `place`, as a new FeedRow."""
        row = FeedRow.__new__(FeedRow)
        row.umid = self.umid(place)
        row.at = self.ats[place]
        row.seq = self.seqs[place]
        values, codes = self.values, self.codes
        (
            row.state,
            row.detail,
            row.channel,
            row.batch_id,
            row.currency,
            row.error_message,
            row.error_code,
            row.sms_count,
            row.price,
        ) = [values[field][codes[field][place]] for field in range(len(ATOMS))]  # type: ignore[assignment]
        row.destination = self.destination(place)
        row.client_message_id = self.client_message_id(place)
        row.updated_at = self.updated[place]
        row.stale = bool(self.flags[place] & STALE)
        row.version = self.versions[place]
        return row

    # -- changing ------------------------------------------------------------------------

    def write(self, place: int, row: FeedRow) -> None:
        """Keep what `row` (the row at `place`, changed) says now."""
        for field, name in enumerate(ATOMS):
            self._set(field, place, getattr(row, name))
        self.updated[place] = row.updated_at
        self.versions[place] = row.version
        flags = self.flags[place]
        self.flags[place] = (flags & ~STALE) | (STALE if row.stale else 0)
        if (row.destination, row.client_message_id) != (
            self.destination(place),
            self.client_message_id(place),
        ):  # filled in after the row was packed: beside the text
            if self.late is None:
                self.late = {}
            self.late[place] = (row.destination, row.client_message_id)

    def _set(self, field: int, place: int, value: object) -> None:
        values, codes = self.values[field], self.codes[field]
        if values[codes[place]] is value:
            return
        if (
            not self._tagged[field]
            and field not in _TEXTS
            and any(type(known) is not type(value) for known in values[1:] if known is not None)
        ):
            self._tag(field)
        keys = self._keys[field]
        key = (type(value), value) if self._tagged[field] else value
        code = keys.get(key)
        if code is None:
            code = keys[key] = len(values)
            values.append(value)
            if code > _LIMIT.get(codes.typecode, code):
                codes = self.codes[field] = array(_WIDER[codes.typecode], codes)
        codes[place] = code

    def _tag(self, field: int) -> None:
        """Key a number field's table by type and value from now on (1 and 1.0 both come)."""
        self._tagged[field] = True
        values = self.values[field]
        self._keys[field] = {(type(value), value): code for code, value in enumerate(values)}

    def let_go(self, count: int) -> range:
        """Let the oldest `count` rows kept go; their places."""
        gone = range(self.start, self.start + count)
        self.start += count
        return gone

    # -- filtering -----------------------------------------------------------------------

    def _with_words(self, words: tuple[str, ...], places: Iterable[int]) -> Iterable[int]:
        """Of `places`, those that may hold every word: found in the chunk's text at once (a
        superset: each is judged whole after), when the text is ASCII and a word can only
        match a umid or a reference."""
        plain = [word for word in words if word and not reads_as_number(word)]
        if not plain or not self.text.isascii():
            return places
        lowered = self.text.lower()  # casefold, for ASCII, without moving a character
        candidates = set.intersection(*(self._holding(lowered, word) for word in plain))
        candidates.update(self.late or ())  # filled in after packing: beside the text
        return [place for place in places if place in candidates]

    def _holding(self, lowered: str, word: str) -> set[int]:
        """The places whose umid, number or reference may hold `word` (a superset)."""
        found = _occurrences(lowered, word, self.ends, self._width)
        if self.uuids is not None:  # the umids, as hex digits without their dashes
            digits = word.replace("-", "")
            if not digits:
                return set(range(len(self.ats)))
            found.update(_occurrences(self.uuids.hex(), digits, None, 2 * UUID_BYTES))
        return found

    def _plain_numbers(self) -> bool:
        """Whether every number packed is written as digits (a leading + aside): then a part
        of a number is found in the text as it is (judged once per chunk)."""
        if self._plain is None:
            cut = self._cut
            self._plain = all(
                _PLAIN_NUMBER.match(cut(place, DEST)) for place in range(len(self.ats))
            )
        return self._plain

    def select(self, feed_filter: FeedFilter) -> list[int]:
        """The places of the rows kept that `feed_filter` lets through, in order, without a
        FeedRow for each: the shared words are judged once per distinct value."""
        lo, hi = self.start, len(self.ats)
        if feed_filter.since is not None:
            lo = max(lo, bisect_left(self.ats, feed_filter.since, lo))
        if feed_filter.until is not None:
            hi = bisect_left(self.ats, feed_filter.until, lo)
        places: Iterable[int] = range(lo, hi)
        if feed_filter.statuses:
            states = _passing(self.values[STATE], feed_filter.status_ok)
            stale_ok = feed_filter.status_ok(NO_FINAL)
            codes, flags = self.codes[STATE], self.flags
            places = [p for p in places if (stale_ok if flags[p] & STALE else states[codes[p]])]
        if feed_filter.channels:
            passing = _passing(self.values[CHANNEL], feed_filter.channel_ok)
            codes = self.codes[CHANNEL]
            places = [p for p in places if passing[codes[p]]]
        if feed_filter.batch:
            passing = _passing(self.values[BATCH], feed_filter.batch_ok)
            codes = self.codes[BATCH]
            places = [p for p in places if passing[codes[p]]]
        if feed_filter.words:
            places = self._with_words(feed_filter.words, places)
        if feed_filter.destination and self._plain_numbers():
            candidates = _occurrences(self.text, feed_filter.destination, self.ends, self._width)
            candidates.update(self.late or ())
            places = [place for place in places if place in candidates]
        if feed_filter.destination or feed_filter.words:
            text_ok = feed_filter.text_ok
            places = [
                p
                for p in places
                if text_ok(self.umid(p), self.destination(p), self.client_message_id(p))
            ]
        return list(places)


def _occurrences(text: str, word: str, ends: array[int] | None, width: int) -> set[int]:
    """The places whose parts (`width` a row, cut at `ends`; each `width` characters when
    None), or two of them read on, hold `word`."""
    found: set[int] = set()
    at = text.find(word)
    while at != -1:
        found.add(at // width if ends is None else bisect_right(ends, at) // width)
        at = text.find(word, at + 1)
    return found


def _passing(values: list[object], test: Callable[[object], bool]) -> list[bool]:
    return [test(value) for value in values]


def _typecode(largest: int) -> str:
    return "B" if largest <= 0x100 else "H" if largest <= 0x1_0000 else "I"


def key_place(ats: array[float], seqs: array[int], key: tuple[float, int], low: int = 0) -> int:
    """Where `key` (sent time, arrival) is, or would go, among keys sorted by both (from
    `low` on; len(ats) past the last). A batch's rows share their sent time: among them the
    arrival is bisected too (one by one, 10,000 rows of a batch made a lookup ~75 µs)."""
    at, seq = key
    first = bisect_left(ats, at, low)
    return bisect_left(seqs, seq, first, bisect_right(ats, at, first))


def chunk_of(chunks: Sequence[Chunk], key: tuple[float, int]) -> int:
    """The chunk whose rows' keys span `key` (or would): by their first keys."""
    return max(bisect_right(chunks, key, key=_first_key) - 1, 0)  # a few keys, not every one


def _first_key(chunk: Chunk) -> tuple[float, int]:
    return chunk.first_key
