"""Phone numbers as 8x8 accepts them: E.164 with or without '+', or national with a country."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

_INTERNATIONAL = re.compile(r"^\+?[1-9][0-9]{6,14}$")
_NATIONAL = re.compile(r"^[0-9]{3,17}$")


class PhoneError(ValueError):
    """The number or the country is not usable; ``field`` says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str  # with '+'
    region: str | None  # ISO 3166-1 alpha-2, None if unknown

    @property
    def digits(self) -> str:
        return self.e164[1:]


def parse_phone(raw: object, country: object = None) -> Phone:
    """Normalise a destination. Raises PhoneError(field="destination"|"country")."""
    if isinstance(raw, str) and (country is None or isinstance(country, str)):
        return _parse_cached(raw, country)
    return _parse(raw, country)


@lru_cache(maxsize=65_536)
def _parse_cached(raw: str, country: str | None) -> Phone:
    return _parse(raw, country)  # agents text the same customers again and again


def _parse(raw: object, country: object) -> Phone:
    if country is not None and country != "":
        if not isinstance(country, str) or len(country) != 2 or not country.isalpha():
            raise PhoneError("country", f"Invalid country code {country!r}")
        region = country.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise PhoneError("country", f"Invalid country code {country!r}")
    else:
        region = None
    if not isinstance(raw, str) or not raw.strip():
        raise PhoneError("destination", "Invalid MSISDN format (not E.164 international number)")
    text = raw.strip().replace(" ", "")
    try:
        if text.startswith("+") or region is None:
            if not _INTERNATIONAL.match(text):
                raise PhoneError(
                    "destination", "Invalid MSISDN format (not E.164 international number)"
                )
            number = phonenumbers.parse("+" + text.lstrip("+"), None)
        else:
            if not _NATIONAL.match(text):
                raise PhoneError("destination", "Invalid MSISDN format (national number)")
            number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise PhoneError("destination", f"Invalid MSISDN format ({error})") from error
    if not phonenumbers.is_possible_number(number):
        raise PhoneError("destination", "Invalid MSISDN format (not a possible phone number)")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    found = phonenumbers.region_code_for_number(number)
    return Phone(e164=e164, region=found if found and found != "ZZ" else region)
