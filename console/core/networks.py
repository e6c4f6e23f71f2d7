"""Which country and mobile operator a number belongs to, from phonenumbers' carrier data.

Pure and cached: a console sees the same numbers again and again (the Shield asks for every
message it keeps at each refresh). The cache is bounded: a shift sending to new numbers all
day keeps the newest NUMBERS_CACHED (~140 bytes each, the number's string with it), and the
few networks they belong to are one object each, not one per number. The operator is the name
phonenumbers gives for the number's range as first assigned (a ported number keeps it);
``UNKNOWN`` where the data has none (most fixed lines, North American numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

UNKNOWN = "unknown"
# Numbers whose network is kept: more than the Shield keeps one by one (traffic.MAX_OBSERVED)
# and its folded counts' numbers, so a refresh finds them all; a full cache is ~4.5 MB.
NUMBERS_CACHED = 32_768


@dataclass(frozen=True, slots=True, order=True)
class Network:
    """A country (ISO alpha-2, or UNKNOWN) and an operator name (or UNKNOWN)."""

    country: str
    operator: str

    @property
    def label(self) -> str:
        return f"{self.operator} ({self.country})"


_NETWORKS: dict[tuple[str, str], Network] = {}  # one object per network (a few hundred)


@lru_cache(maxsize=NUMBERS_CACHED)
def network_of(number: str) -> Network:
    """The country and operator of an international number; UNKNOWN parts where unknown."""
    import phonenumbers
    from phonenumbers import carrier

    text = number.strip()
    if not text:
        return _shared(UNKNOWN, UNKNOWN)
    if not text.startswith("+"):
        text = "+" + text
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return _shared(UNKNOWN, UNKNOWN)
    region = phonenumbers.region_code_for_number(parsed)
    country = region if region and region != "ZZ" else UNKNOWN
    operator = carrier.name_for_number(parsed, "en") or UNKNOWN
    return _shared(country, operator)


def _shared(country: str, operator: str) -> Network:
    """The one Network object for this country and operator (threads may race to make it:
    the loser's copy is equal, and only the first is kept)."""
    network = _NETWORKS.get((country, operator))
    if network is None:
        network = _NETWORKS.setdefault((country, operator), Network(country, operator))
    return network
