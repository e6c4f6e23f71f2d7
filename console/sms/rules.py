"""Sender-ID and destination rules, with messages that say exactly what is wrong.

Sender IDs (DESIGN.md; 8x8's Send SMS API page):

- alphanumeric: 1-11 characters, ASCII letters, digits and spaces, at least one letter;
- numeric short code: 3-7 digits;
- local long code: 8-15 digits, no ``+``;
- international long code: ``+`` then 7-15 digits (E.164: 15 at most; 8x8 takes 7 at least),
  the first not 0.

Outer whitespace is ignored, and a numeric sender may be written with spaces, dashes, dots or
brackets (``+65 6123-4567``); ``SenderCheck.value`` is what to send. An empty sender is
``kind="empty"`` and ``ok``: 8x8 then uses the sub-account's default sender.

Destinations are E.164 (with or without ``+``), or national with an ISO 3166 alpha-2
country, validated with the phonenumbers library. A leading ``00`` is read as the
international prefix (``0065…`` = ``+65…``). Without a country, digits without ``+`` are read
as E.164 without the ``+``; with a country they are a national number of that country.

``split_destinations`` splits a pasted list; see its docstring for how spaces are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

SenderKind = Literal[
    "alphanumeric", "short code", "local long code", "international long code", "empty"
]

ALPHANUMERIC_MAX: Final = 11
SHORT_CODE_MIN: Final = 3
SHORT_CODE_MAX: Final = 7
LONG_CODE_MAX: Final = 15
INTERNATIONAL_MIN: Final = 7

_ASCII_LETTERS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DIGITS: Final = frozenset("0123456789")
_ALPHANUMERIC_OK: Final = _ASCII_LETTERS | _DIGITS | {" "}
_NUMBER_FORMATTING: Final = frozenset(" -().\u00a0")
_DESTINATION_FORMATTING: Final = frozenset(" -()./\u00a0")


@dataclass(frozen=True, slots=True)
class SenderCheck:
    """The verdict on a sender ID (the SMS "From")."""

    sender: str
    """As typed."""
    value: str
    """What to send as ``source``: trimmed, and for numeric senders digits only (and +)."""
    kind: SenderKind
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class DestinationCheck:
    """The verdict on one destination number."""

    value: str
    """As typed."""
    ok: bool
    e164: str | None
    """``+6591234567`` when ok, else None."""
    message: str
    region: str | None = None
    """ISO alpha-2 region of the number, when known."""


def _quoted(chars: list[str]) -> str:
    return ", ".join(repr(c) for c in chars)


def _unique(chars: list[str]) -> list[str]:
    return list(dict.fromkeys(chars))


def classify_sender(sender: str) -> SenderCheck:
    """Say which kind of sender ID ``sender`` is, and whether 8x8 can use it."""
    text = sender.strip()
    if not text:
        return SenderCheck(
            sender, "", "empty", True, "No sender ID: 8x8 uses the sub-account's default sender"
        )
    has_letter = any(c.isalpha() for c in text)
    has_digit = any(c in _DIGITS for c in text)
    if has_letter or not has_digit:
        return _alphanumeric(sender, text)
    return _numeric(sender, text)


def _alphanumeric(sender: str, text: str) -> SenderCheck:
    problems: list[str] = []
    bad = _unique([c for c in text if c not in _ALPHANUMERIC_OK])
    if bad:
        problems.append(
            "Alphanumeric sender IDs may contain only letters A-Z, digits and spaces "
            f"(remove {_quoted(bad)})"
        )
    if not any(c in _ASCII_LETTERS for c in text):
        problems.append("Alphanumeric sender IDs need at least one letter A-Z")
    if len(text) > ALPHANUMERIC_MAX:
        problems.append(
            f"Alphanumeric sender IDs are at most {ALPHANUMERIC_MAX} characters "
            f"(this one has {len(text)})"
        )
    if problems:
        return SenderCheck(sender, text, "alphanumeric", False, "; ".join(problems))
    message = (
        f"Alphanumeric sender ID, {len(text)} of {ALPHANUMERIC_MAX} characters "
        "(recipients cannot reply)"
    )
    return SenderCheck(sender, text, "alphanumeric", True, message)


def _numeric(sender: str, text: str) -> SenderCheck:
    international = text.startswith("+")
    body = text[1:] if international else text
    digits = "".join(c for c in body if c in _DIGITS)
    value = ("+" if international else "") + digits
    count = len(digits)
    problems: list[str] = []
    bad = _unique([c for c in body if c not in _DIGITS and c not in _NUMBER_FORMATTING])
    if bad:
        problems.append(
            f"Numeric sender IDs may contain only digits and a leading + (remove {_quoted(bad)})"
        )
    kind: SenderKind
    if international:
        kind = "international long code"
        if count > LONG_CODE_MAX:
            problems.append(
                f"International long codes have at most {LONG_CODE_MAX} digits after the + "
                f"(this one has {count})"
            )
        elif count < INTERNATIONAL_MIN:
            problems.append(
                f"International long codes have at least {INTERNATIONAL_MIN} digits after the + "
                f"(this one has {count})"
            )
        if digits.startswith("0"):
            problems.append("After the + comes a country code, and none starts with 0")
        described = f"International long code, {count} digits"
    elif count <= SHORT_CODE_MAX:
        kind = "short code"
        if count < SHORT_CODE_MIN:
            problems.append(
                f"Short codes have {SHORT_CODE_MIN} to {SHORT_CODE_MAX} digits "
                f"(this one has {count})"
            )
        described = f"Short code, {count} digits"
    else:
        kind = "local long code"
        if count > LONG_CODE_MAX:
            problems.append(
                f"Long codes have at most {LONG_CODE_MAX} digits (this one has {count})"
            )
        described = f"Local long code, {count} digits"
    if problems:
        return SenderCheck(sender, value, kind, False, "; ".join(problems))
    return SenderCheck(sender, value, kind, True, described)


_TYPE_LABELS: Final = {
    0: "fixed line: it may not receive SMS",
    1: "mobile",
    2: "fixed line or mobile",
    3: "toll-free: it may not receive SMS",
    4: "premium rate",
    5: "shared cost",
    6: "VoIP",
    7: "personal number",
    8: "pager",
    9: "UAN",
    10: "voicemail",
}


def _fail(value: str, message: str, region: str | None = None) -> DestinationCheck:
    return DestinationCheck(value, False, None, message, region)


def _lengths(values: tuple[int, ...] | list[int]) -> str:
    items = [str(v) for v in sorted(set(values))]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def check_destination(value: str, country: str | None = None) -> DestinationCheck:
    """Validate one destination: E.164 (``+`` optional), or national with ``country``."""
    import phonenumbers

    raw = value.strip()
    if not raw:
        return _fail(value, "The destination is empty")
    region: str | None = None
    if country is not None and country.strip():
        region = country.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            return _fail(
                value,
                f"Unknown country {country.strip()!r}: use a two-letter ISO code such as SG or GB",
            )
    letters = _unique([c for c in raw if c.isalpha()])
    if letters:
        return _fail(value, f"Letters in the number ({_quoted(letters)}): use digits only")
    international = raw.startswith("+")
    body = raw[1:] if international else raw
    if "+" in body:
        return _fail(value, "A + may only start the number")
    bad = _unique([c for c in body if c not in _DIGITS and c not in _DESTINATION_FORMATTING])
    if bad:
        return _fail(value, f"Unexpected {_quoted(bad)} in the number: use digits only")
    digits = "".join(c for c in body if c in _DIGITS)
    if not digits:
        return _fail(value, "No digits in the number")
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]
        if not digits:
            return _fail(value, "Nothing after the international prefix 00")
    guessed_e164 = False
    if international:
        parse_text, parse_region = "+" + digits, None
    elif region is not None:
        parse_text, parse_region = digits, region
    elif digits.startswith("0"):
        return _fail(
            value,
            "Starts with 0, so it is a national number: choose its country, "
            "or write it with + and the country code",
        )
    else:
        parse_text, parse_region, guessed_e164 = "+" + digits, None, True
    if parse_region is None and len(digits) > LONG_CODE_MAX:
        return _fail(value, f"Too long: {len(digits)} digits (E.164 numbers have at most 15)")
    try:
        number = phonenumbers.parse(parse_text, parse_region)
    except phonenumbers.NumberParseException as error:
        return _fail(value, _parse_error(error, digits, international or guessed_e164, region))
    return _verdict(value, number, international or guessed_e164, guessed_e164)


def _parse_error(error: Exception, digits: str, international: bool, region: str | None) -> str:
    import phonenumbers

    kind = getattr(error, "error_type", None)
    reasons = phonenumbers.NumberParseException
    if kind == reasons.INVALID_COUNTRY_CODE:
        return f"Unknown country calling code at the start of +{digits[:3]}"
    if kind == reasons.TOO_LONG:
        return f"Too long: {len(digits)} digits"
    if kind in (reasons.TOO_SHORT_NSN, reasons.TOO_SHORT_AFTER_IDD, reasons.NOT_A_NUMBER):
        where = "" if international or region is None else f" for {region}"
        return f"Too short{where}: {len(digits)} digits"
    return "Not a phone number"


def _verdict(
    value: str, number: PhoneNumber, international: bool, guessed_e164: bool
) -> DestinationCheck:
    import phonenumbers

    code = number.country_code
    regions = phonenumbers.region_codes_for_country_code(code)
    if not regions:
        return _fail(value, f"Unknown country calling code +{code}")
    found = phonenumbers.region_code_for_number(number) or regions[0]
    geographic = found != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
    region = found if geographic else None
    where = f"{found} (+{code})" if geographic else f"+{code}"
    counted = "after the country code" if international else "in the national number"
    hint = "; if it is a national number, choose its country" if guessed_e164 else ""
    national = phonenumbers.national_significant_number(number)
    reason = phonenumbers.is_possible_number_with_reason(number)
    results = phonenumbers.ValidationResult
    if reason in (results.TOO_SHORT, results.TOO_LONG, results.INVALID_LENGTH):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, found)
        lengths = metadata.general_desc.possible_length if metadata is not None else ()
        word = {
            results.TOO_SHORT: "Too short",
            results.TOO_LONG: "Too long",
            results.INVALID_LENGTH: "Wrong length",
        }[reason]
        expected = f", expected {_lengths(lengths)}" if lengths else ""
        return _fail(
            value,
            f"{word} for {where}: {len(national)} digits {counted}{expected}{hint}",
            region,
        )
    if reason == results.IS_POSSIBLE_LOCAL_ONLY:
        return _fail(value, f"Only dialable locally in {where}: add the area code{hint}", region)
    if not phonenumbers.is_valid_number(number):
        return _fail(value, f"Not a valid number for {where}{hint}", region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    pretty = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    label = _TYPE_LABELS.get(phonenumbers.number_type(number), "")
    place = region or "international network"
    message = f"{pretty} ({place}, {label})" if label else f"{pretty} ({place})"
    return DestinationCheck(value, True, e164, message, region)


_LIST_SEPARATORS: Final = re.compile(r"[,;\r\n\t]+")
_BEFORE_PLUS: Final = re.compile(r"\s+(?=\+)")
FULL_NUMBER_DIGITS: Final = 7


def _looks_like_full_number(token: str) -> bool:
    body = token[1:] if token.startswith("+") else token
    if any(c not in _DIGITS and c not in "-()." for c in body):
        return False
    return sum(c in _DIGITS for c in body) >= FULL_NUMBER_DIGITS


def split_destinations(text: str) -> list[str]:
    """Split a pasted list of numbers, keeping the spaces inside one number.

    1. Commas, semicolons, tabs and line breaks always separate numbers.
    2. Within what is left, a ``+`` after a space starts a new number
       (``+65 9123 4567 +44 20 7946 0958`` is two numbers).
    3. Then a piece with spaces is split at the spaces only when every space-separated group
       looks like a whole number by itself (digits, with ``-().`` allowed, at least 7 digits):
       ``91234567 98765432`` is two numbers, ``+65 9123 4567`` and ``020 7946 0958`` are one.

    Entries are trimmed, empty ones dropped, order and duplicates kept, inner formatting kept
    (``check_destination`` reads it).
    """
    numbers: list[str] = []
    for chunk in _LIST_SEPARATORS.split(text):
        for piece in _BEFORE_PLUS.split(chunk.strip()):
            tokens = piece.split()
            if not tokens:
                continue
            if len(tokens) > 1 and all(_looks_like_full_number(t) for t in tokens):
                numbers.extend(tokens)
            else:
                numbers.append(piece.strip())
    return numbers
