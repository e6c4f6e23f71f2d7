"""Suspensions: the console refuses to send to an operator or a number prefix until a time
the agent chose, as 8x8 Connect suspends traffic to an operator. Pure; the clock is injected.

Every sender passes :meth:`Suspensions.refusal` (console/core/sending.py checks each draft,
so the composer and inbox replies get it; a room invite asks the core before creating the
room). A suspension always has an expiry; once past it, it no longer blocks and is no longer
listed as active, and it stays in the history's list until pruned.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from console.core.networks import network_of

Kind = Literal["operator", "prefix"]
Clock = Callable[[], float]
MAX_DURATION = 30 * 86_400  # at most 30 days: a suspension is temporary by design
MAX_KEPT = 200  # suspensions kept (active ones first, then the newest past ones)


class SuspensionError(ValueError):
    """A suspension that cannot be made; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Suspension:
    id: str
    kind: Kind
    target: str  # operator: the operator's name; prefix: "+62857"
    country: str | None  # operator: its country (ISO alpha-2); prefix: None
    created_at: float
    expires_at: float
    lifted_at: float | None = None

    def active(self, now: float) -> bool:
        return self.lifted_at is None and now < self.expires_at

    def matches(self, number: str) -> bool:
        e164 = number if number.startswith("+") else "+" + number
        if self.kind == "prefix":
            return e164.startswith(self.target)
        network = network_of(e164)
        return network.operator == self.target and network.country == self.country

    @property
    def label(self) -> str:
        if self.kind == "prefix":
            return f"numbers starting {self.target}"
        return f"operator {self.target} ({self.country})"

    def until(self) -> str:
        return datetime.fromtimestamp(self.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")

    def refusal(self, number: str) -> str:
        """What the agent reads when a send to ``number`` is refused."""
        return f"{number}: sending to {self.label} is suspended until {self.until()}"

    def as_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "country": self.country,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "lifted_at": self.lifted_at,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Suspension | None:
        """A suspension the history kept, or None when the document is not one."""
        try:
            kind = doc["kind"]
            if kind not in ("operator", "prefix"):
                return None
            country = doc.get("country")
            lifted = doc.get("lifted_at")
            values = (doc["created_at"], doc["expires_at"])
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                return None
            if lifted is not None and not isinstance(lifted, int | float):
                return None
            if not isinstance(doc["id"], str) or not isinstance(doc["target"], str):
                return None
            if country is not None and not isinstance(country, str):
                return None
            return cls(
                doc["id"], kind, doc["target"], country, float(values[0]), float(values[1]), lifted
            )
        except (KeyError, TypeError):
            return None


def parse_target(text: str) -> tuple[Kind, str, str | None]:
    """What the agent typed: a number prefix ("+62857") or an operator ("Indosat (ID)",
    "ID Indosat", "ID:Indosat"). Raises SuspensionError."""
    value = " ".join(text.split())
    if not value:
        raise SuspensionError(
            "Name an operator, e.g. 'Indosat Ooredoo Hutchison (ID)', or a prefix"
        )
    if value.startswith("+"):
        digits = value[1:].replace(" ", "")
        if not digits.isdigit() or not digits.isascii() or not 1 <= len(digits) <= 14:
            raise SuspensionError("A prefix is + and 1 to 14 digits, e.g. +62857")
        return "prefix", "+" + digits, None
    if value.endswith(")") and "(" in value:
        name, _, rest = value[:-1].rpartition("(")
        country = rest.strip().upper()
        name = name.strip()
    elif ":" in value:
        country, _, name = value.partition(":")
        country, name = country.strip().upper(), name.strip()
    else:
        country, _, name = value.partition(" ")
        country = country.upper()
    if len(country) != 2 or not country.isalpha() or not country.isascii() or not name:
        raise SuspensionError(
            "Name the operator with its country, e.g. 'Indosat Ooredoo Hutchison (ID)'"
        )
    return "operator", name, country


def parse_duration(text: str) -> float:
    """'30m', '2h', '1d', '90' (minutes) as seconds; at most 30 days. Raises SuspensionError."""
    value = text.strip().lower()
    units = {"m": 60, "h": 3600, "d": 86_400}
    unit = 60
    if value and value[-1] in units:
        unit = units[value[-1]]
        value = value[:-1].strip()
    if not value or not value.isascii() or not value.isdigit() or int(value) == 0:
        raise SuspensionError("The expiry is required: how long, e.g. 30m, 2h or 1d")
    seconds = int(value) * unit
    if seconds > MAX_DURATION:
        raise SuspensionError("A suspension lasts at most 30 days")
    return float(seconds)


class Suspensions:
    """The console's suspensions; ``on_change`` is called with every list to keep."""

    def __init__(
        self,
        clock: Clock = time.time,
        on_change: Callable[[list[Suspension]], object] | None = None,
    ) -> None:
        self.clock = clock
        self._items: dict[str, Suspension] = {}
        self.on_change = on_change

    def load(self, kept: Iterable[Suspension]) -> None:
        """What the history kept (merged: those made meanwhile stay)."""
        for item in kept:
            self._items.setdefault(item.id, item)

    def add(self, kind: Kind, target: str, country: str | None, duration: float) -> Suspension:
        if not 0 < duration <= MAX_DURATION:
            raise SuspensionError("A suspension needs an expiry within 30 days")
        now = self.clock()
        item = Suspension(uuid.uuid4().hex[:12], kind, target, country, now, now + duration)
        self._items[item.id] = item
        self._changed()
        return item

    def lift(self, suspension_id: str) -> Suspension | None:
        """End a suspension now; None if there is none active with that id."""
        item = self._items.get(suspension_id)
        now = self.clock()
        if item is None or not item.active(now):
            return None
        lifted = replace(item, lifted_at=now)
        self._items[item.id] = lifted
        self._changed()
        return lifted

    def all(self) -> list[Suspension]:
        """Active ones first (soonest expiry first), then past ones (newest first)."""
        now = self.clock()
        active = sorted((s for s in self._items.values() if s.active(now)), key=_expiry)
        past = sorted(
            (s for s in self._items.values() if not s.active(now)), key=_created, reverse=True
        )
        return active + past

    def active(self) -> list[Suspension]:
        now = self.clock()
        return [item for item in self.all() if item.active(now)]

    def blocking(self, number: str) -> Suspension | None:
        now = self.clock()
        for item in self._items.values():
            if item.active(now) and item.matches(number):
                return item
        return None

    def refusal(self, numbers: Iterable[str]) -> str | None:
        """Why a send to these numbers is refused, or None: the first blocked number names
        its suspension and expiry, and how many more are blocked."""
        if not any(item.active(self.clock()) for item in self._items.values()):
            return None
        blocked = [(n, s) for n in numbers if (s := self.blocking(n)) is not None]
        if not blocked:
            return None
        number, item = blocked[0]
        more = len(blocked) - 1
        tail = f" (and {more} more number{'s' if more != 1 else ''})" if more else ""
        return item.refusal(number) + tail + ". Lift it in Shield to send."

    def _changed(self) -> None:
        keep = self.all()[:MAX_KEPT]
        self._items = {item.id: item for item in keep}
        if self.on_change is not None:
            self.on_change(keep)


def _expiry(item: Suspension) -> float:
    return item.expires_at


def _created(item: Suspension) -> float:
    return item.created_at
