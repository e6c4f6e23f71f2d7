"""8x8's umids as 16 bytes: a message id is a UUID, written lowercase and dashed (8-4-4-4-12),
36 characters as a string (~85 bytes as a Python str) and 16 as its bytes.

The per-message structures that hold a shift's worth of umids keep them packed when they are
written so (the feed's packed chunks, the Shield's ledger) and as they came otherwise: `pack`
gives None for anything `unpack` would not give back exactly. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

SIZE = 16  # bytes a packed umid takes
_DASHES = (8, 13, 18, 23)  # where a UUID's dashes are, in its 36 characters


def unpack(packed: bytes) -> str:
    """The umid of 16 packed bytes, as 8x8 writes it."""
    hexed = packed.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


def pack(umid: str) -> bytes | None:
    """`umid` as its 16 bytes when it is a UUID written as 8x8 writes one; else None."""
    if len(umid) != 36 or umid[8] + umid[13] + umid[18] + umid[23] != "----":
        return None
    digits = umid.replace("-", "")
    if len(digits) != 32 or not digits.isascii() or digits.lower() != digits:
        return None
    try:
        packed = bytes.fromhex(digits)
    except ValueError:
        return None
    return packed if len(packed) == SIZE else None  # fromhex skips whitespace


def pack_all(umids: Sequence[str]) -> bytes | None:
    """Every umid packed, one after the other, when each one is a UUID written as 8x8 writes
    one; else None. Checked in C loops over the whole column (the feed packs a chunk of 4,096
    on the UI loop)."""
    count = len(umids)
    if not count or set(map(len, umids)) != {36}:
        return None
    joined = "".join(umids)
    if not joined.isascii() or joined.lower() != joined or joined.count("-") != 4 * count:
        return None
    if any(joined[at::36] != "-" * count for at in _DASHES):
        return None
    try:
        packed = bytes.fromhex(joined.replace("-", ""))
    except ValueError:
        return None
    return packed if len(packed) == SIZE * count else None  # fromhex skips whitespace
