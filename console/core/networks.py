"""Which country and mobile operator a number belongs to, from phonenumbers' carrier data.

Pure and cached: a console sees the same numbers again and again. The operator is the name
phonenumbers gives for the number's range as first assigned (a ported number keeps it);
``UNKNOWN`` where the data has none (most fixed lines, North American numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, order=True)
class Network:
    """A country (ISO alpha-2, or UNKNOWN) and an operator name (or UNKNOWN)."""

    country: str
    operator: str

    @property
    def label(self) -> str:
        return f"{self.operator} ({self.country})"


@lru_cache(maxsize=131_072)
def network_of(number: str) -> Network:
    """The country and operator of an international number; UNKNOWN parts where unknown."""
    import phonenumbers
    from phonenumbers import carrier

    text = number.strip()
    if not text:
        return Network(UNKNOWN, UNKNOWN)
    if not text.startswith("+"):
        text = "+" + text
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return Network(UNKNOWN, UNKNOWN)
    region = phonenumbers.region_code_for_number(parsed)
    country = region if region and region != "ZZ" else UNKNOWN
    operator = carrier.name_for_number(parsed, "en") or UNKNOWN
    return Network(country, operator)
