"""8x8's umids packed as 16 bytes (console/uuids.py): every UUID written as 8x8 writes one
comes back exactly; anything else is left as it is (None), one by one or as a column."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from console.uuids import SIZE, pack, pack_all, unpack

written = st.uuids().map(str)  # lowercase, dashed: as 8x8 (and the sandbox) writes them
lookalikes = st.one_of(
    written.map(str.upper),
    written.map(lambda umid: umid.replace("-", "", 1) + "0"),  # a dash out of place
    written.map(lambda umid: umid[:9] + " " + umid[10:]),  # fromhex would skip the space
    written.map(lambda umid: umid[:-1] + "g"),
    written.map(lambda umid: umid[:-1] + "٣"),  # a digit, not an ASCII one
    written.map(lambda umid: umid[:-1]),
    st.text(max_size=40),
)


@given(written)
def test_a_uuid_as_8x8_writes_it_comes_back_exactly(umid: str) -> None:
    packed = pack(umid)
    assert packed is not None and len(packed) == SIZE and packed == uuid.UUID(umid).bytes
    assert unpack(packed) == umid


@given(lookalikes)
def test_anything_else_is_left_as_it_is(umid: str) -> None:
    packed = pack(umid)
    assert packed is None or unpack(packed) == umid


@given(st.lists(st.one_of(written, lookalikes), max_size=8))
def test_a_column_is_packed_only_when_every_umid_is(umids: list[str]) -> None:
    one_by_one = [pack(umid) for umid in umids]
    column = pack_all(umids)
    if umids and all(one is not None for one in one_by_one):
        assert column == b"".join(one for one in one_by_one if one is not None)
    else:
        assert column is None
