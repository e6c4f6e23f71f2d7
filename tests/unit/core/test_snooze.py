"""Snooze choices on every day of the week, around midnight and 09:00, at the end of a month
and of a year, in zones with and without daylight saving: each choice names one moment, no
two choices name the same one (a Sunday's "next week" is Monday, which is tomorrow), and the
label says which moment it is."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.core.snooze import parse_snooze, snooze_options

WEEK = [datetime(2026, 11, 30) + timedelta(days=n) for n in range(7)]  # Monday 30 Nov → Sunday


@pytest.fixture(params=["UTC", "Asia/Singapore", "Europe/Berlin", "America/New_York"])
def zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The local time zone the console reads days in (restored afterwards)."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


def local(*args: int) -> float:
    return datetime(*args).timestamp()  # type: ignore[arg-type]


def choices(now: float) -> dict[str, datetime]:
    """The choices by the preset's name ('tomorrow', 'next week', …) → the local moment."""
    return {label.split(" (")[0]: datetime.fromtimestamp(at) for label, at in snooze_options(now)}


def assert_well_formed(now: float) -> None:
    options = snooze_options(now)
    moments = [at for _, at in options]
    assert len(set(moments)) == len(moments), "one choice per moment (option ids are unique)"
    assert moments == sorted(moments) and all(at > now for at in moments)
    labels = [label for label, _ in options]
    assert len(set(labels)) == len(labels)
    for label, at in options:
        then = datetime.fromtimestamp(at)
        today = datetime.fromtimestamp(now).date()
        said = f"{then:%H:%M}" if then.date() == today else f"{then:%a %d %b %H:%M}"
        assert label.endswith(f"({said})"), f"{label!r} names its moment"


@pytest.mark.parametrize("day", WEEK, ids=[f"{d:%a}" for d in WEEK])
@pytest.mark.parametrize(
    "hour_minute", [(0, 0), (0, 1), (8, 59), (9, 0), (9, 1), (14, 30), (23, 59)]
)
def test_every_weekday_at_every_awkward_minute(
    zone: str, day: datetime, hour_minute: tuple[int, int]
) -> None:
    now = local(day.year, day.month, day.day, *hour_minute)
    assert_well_formed(now)
    found = choices(now)
    moment = datetime.fromtimestamp(now)
    assert found["1 hour"] == moment + timedelta(hours=1)
    assert found["3 hours"] == moment + timedelta(hours=3)
    tomorrow = found["tomorrow"]
    assert (tomorrow.date(), tomorrow.hour, tomorrow.minute) == (
        (moment + timedelta(days=1)).date(), 9, 0,
    )  # fmt: skip
    if moment.weekday() == 6:  # Sunday: next Monday is tomorrow, offered once
        assert "next week" not in found
        assert tomorrow.weekday() == 0
        assert len(snooze_options(now)) == 3
    else:
        monday = found["next week"]
        assert (monday.weekday(), monday.hour, monday.minute) == (0, 9, 0)
        assert timedelta(days=1) < monday - moment < timedelta(days=8)


def test_sunday_offers_tomorrow_monday_once_with_its_date() -> None:
    sunday = local(2026, 12, 6, 10, 0)
    assert [label for label, _ in snooze_options(sunday)] == [
        "1 hour (11:00)",
        "3 hours (13:00)",
        "tomorrow (Mon 07 Dec 09:00)",
    ]


def test_late_evening_choices_name_the_next_day() -> None:
    friday = local(2026, 11, 27, 22, 30)
    assert [label for label, _ in snooze_options(friday)] == [
        "1 hour (23:30)",
        "3 hours (Sat 28 Nov 01:30)",
        "tomorrow (Sat 28 Nov 09:00)",
        "next week (Mon 30 Nov 09:00)",
    ]


@pytest.mark.parametrize(
    ("now", "tomorrow", "monday"),
    [
        ((2026, 11, 30, 18, 0), "Tue 01 Dec 09:00", "Mon 07 Dec 09:00"),  # end of a month
        ((2026, 12, 31, 23, 59), "Fri 01 Jan 09:00", "Mon 04 Jan 09:00"),  # end of a year
        ((2027, 2, 28, 12, 0), "Mon 01 Mar 09:00", None),  # a Sunday, end of February
        ((2028, 2, 28, 12, 0), "Tue 29 Feb 09:00", "Mon 06 Mar 09:00"),  # a leap day
    ],
)
def test_month_and_year_ends(
    zone: str, now: tuple[int, ...], tomorrow: str, monday: str | None
) -> None:
    labels = dict(
        (label.split(" (")[0], label.split(" (")[1].rstrip(")"))
        for label, _ in snooze_options(local(*now))
    )
    assert labels["tomorrow"] == tomorrow
    assert labels.get("next week") == monday


def test_daylight_saving_keeps_nine_on_the_clock() -> None:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    try:
        before_change = local(2026, 10, 24, 12, 0)  # Saturday; clocks go back that night
        found = choices(before_change)
        assert (found["tomorrow"].hour, found["next week"].hour) == (9, 9)
        assert snooze_options(before_change)[2][1] - before_change == 22 * 3600  # 21 h + 1
    finally:
        os.environ["TZ"] = saved or "UTC"
        time.tzset()


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))  # 1970 → 2100
def test_any_moment_gives_unique_later_choices(now: float) -> None:
    assert_well_formed(now)


def test_typed_snoozes_around_midnight() -> None:
    before_midnight = local(2026, 12, 6, 23, 59)
    assert parse_snooze("00:00", before_midnight) == local(2026, 12, 7, 0, 0)
    assert parse_snooze("23:59", before_midnight) == local(2026, 12, 7, 23, 59)  # not now
    after_midnight = local(2026, 12, 7, 0, 1)
    assert parse_snooze("09:00", after_midnight) == local(2026, 12, 7, 9, 0)
    assert parse_snooze("00:00", after_midnight) == local(2026, 12, 8, 0, 0)
    assert parse_snooze("1d", after_midnight) == after_midnight + 86400
