"""Until when a snooze lasts: the usual choices, and what an agent types ('45m', '2h', '1d',
'17:30'). Pure; times are seconds since the epoch, read in the local time zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_SPAN = re.compile(r"(\d{1,4})\s*(m|min|h|d)")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")

MORNING = 9  # the hour "tomorrow" and "next week" come back at


def _at(day: datetime, hour: int, minute: int = 0) -> float:
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0).timestamp()


def _when(moment: float, now: float) -> str:
    """The moment as the agent reads it: '10:15' today, 'Mon 07 Dec 09:00' on another day."""
    then, today = datetime.fromtimestamp(moment), datetime.fromtimestamp(now)
    if then.date() == today.date():
        return f"{then:%H:%M}"
    return f"{then:%a %d %b %H:%M}"


def snooze_options(now: float) -> list[tuple[str, float]]:
    """(label, until) for the usual snoozes: an hour, three hours, tomorrow at 09:00 and
    next Monday at 09:00, each label saying the moment it names.

    Every moment is offered once: on a Sunday "next week" (Monday 09:00) is tomorrow, so only
    "tomorrow" is shown. Moments are strictly later than `now` and in rising order.
    """
    moment = datetime.fromtimestamp(now)
    tomorrow = moment + timedelta(days=1)
    monday = moment + timedelta(days=7 - moment.weekday())
    presets = [
        ("1 hour", now + 3600),
        ("3 hours", now + 3 * 3600),
        ("tomorrow", _at(tomorrow, MORNING)),
        ("next week", _at(monday, MORNING)),
    ]
    options: list[tuple[str, float]] = []
    seen: set[float] = set()
    for name, until in sorted(presets, key=lambda preset: preset[1]):
        if until <= now or until in seen:
            continue
        seen.add(until)
        options.append((f"{name} ({_when(until, now)})", until))
    return options


def parse_snooze(text: str, now: float) -> float:
    """'45m', '2h', '1d' from now, or '17:30' (today, else tomorrow); ValueError saying what
    is understood."""
    value = text.strip().lower()
    span = _SPAN.fullmatch(value)
    if span is not None:
        amount = int(span.group(1))
        unit = {"m": 60, "min": 60, "h": 3600, "d": 86400}[span.group(2)]
        if amount == 0:
            raise ValueError("a snooze lasts at least a minute")
        if amount * unit > 90 * 86400:
            raise ValueError("a snooze lasts at most 90 days")
        return now + amount * unit
    clock = _CLOCK.fullmatch(value)
    if clock is not None:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text.strip()} is not a time of day")
        moment = datetime.fromtimestamp(now)
        until = _at(moment, hour, minute)
        return until if until > now else _at(moment + timedelta(days=1), hour, minute)
    raise ValueError("type a time such as 45m, 2h, 1d or 17:30")


def snooze_choice(answer: str, options: list[tuple[str, float]], now: float) -> float:
    """When a snooze answered with `answer` ends: one of `options` (by its label, or
    ``at:<moment>`` as the dialog's choices send it), else a typed "45m", "2h", "1d" or
    "17:30" (ValueError when it is none of these)."""
    for label, moment in options:
        if answer in (label, f"at:{moment}"):
            return moment
    return parse_snooze(answer, now)
