"""The pure choices behind the history's files: names, retention by whole parts, the window."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from console.store.catalog import (
    PartInfo,
    PartKey,
    day_of,
    parse_index_name,
    parse_part_name,
)
from console.store.retention import parts_to_drop, window_start

DAYS = [f"2026-11-{n:02d}" for n in range(1, 29)]

infos = st.lists(
    st.builds(
        PartInfo,
        key=st.builds(PartKey, st.sampled_from(DAYS), st.integers(0, 3)),
        messages=st.integers(0, 50),
        rooms=st.integers(0, 5),
    ),
    unique_by=lambda info: info.key,
    max_size=30,
)


@given(st.floats(-1e12, 1e13, allow_nan=False))
def test_a_time_falls_on_its_utc_day_clamped_to_four_digit_years(timestamp: float) -> None:
    name = day_of(timestamp)
    if 0 <= timestamp < 253_402_300_800:  # 1970 to the end of 9999
        assert name == time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    else:
        assert name in ("1970-01-01", "9999-12-31")


@given(st.builds(PartKey, st.sampled_from(DAYS), st.integers(0, 999_999)))
def test_part_file_names_read_back_as_their_part(key: PartKey) -> None:
    assert parse_part_name(key.file_name) == key
    assert parse_index_name(key.index_name) == key
    assert parse_part_name(key.index_name) is None
    assert parse_index_name(key.file_name) is None
    assert parse_part_name(key.file_name + ".abc.tmp") is None
    assert parse_part_name(key.file_name + ".corrupt-20261127T050102") is None


@given(infos, st.sampled_from(DAYS), st.integers(1, 120))
def test_retention_drops_whole_parts_old_ones_and_the_oldest_beyond_the_limit(
    parts: list[PartInfo], oldest_day_kept: str, max_records: int
) -> None:
    drop = parts_to_drop(parts, oldest_day_kept, max_records)
    kept = [info for info in parts if info.key not in drop]
    assert drop <= {info.key for info in parts}
    assert all(info.key.day >= oldest_day_kept for info in kept)
    young = sorted(
        (info for info in parts if info.key.day >= oldest_day_kept),
        key=lambda info: info.key,
        reverse=True,
    )
    for kind in ("messages", "rooms"):
        # the newest parts holding this kind, as many as fit in max_records (at least one)
        needed, total = [], 0
        for info in (info for info in young if getattr(info, kind)):
            count = getattr(info, kind)
            if total and total + count > max_records:
                break
            needed.append(info.key)
            total += count
        assert not drop & set(needed)
        # a part kept for this kind is never older than one dropped for it
        dropped = [info for info in young if info.key in drop and getattr(info, kind)]
        if dropped:
            assert all(key > max(info.key for info in dropped) for key in needed)
    assert all(info.messages or info.rooms for info in kept)  # empty parts go


@given(infos, st.integers(1, 200))
def test_the_window_is_just_enough_newest_parts_whatever_their_day(
    parts: list[PartInfo], hot_messages: int
) -> None:
    start = window_start(parts, hot_messages)
    if not parts:
        assert start is None
        return
    assert start is not None
    window = [info for info in parts if info.key >= start]
    total = sum(info.messages for info in window)
    assert total >= hot_messages or len(window) == len(parts)
    without_oldest = total - next(info.messages for info in parts if info.key == start)
    assert without_oldest < hot_messages, "a busy day is not held whole"
