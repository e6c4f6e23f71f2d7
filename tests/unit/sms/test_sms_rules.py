"""Sender IDs, destination numbers and pasted lists: table-driven, with the exact messages."""

from __future__ import annotations

import pytest

from console.sms import check_destination, classify_sender, split_destinations

# sender, kind, ok, value sent, words the message must contain
SENDERS = [
    ("MyBrand", "alphanumeric", True, "MyBrand", "7 of 11 characters"),
    ("My Shop 24", "alphanumeric", True, "My Shop 24", "10 of 11"),
    ("ABCDEFGHIJK", "alphanumeric", True, "ABCDEFGHIJK", "11 of 11"),
    (
        "ABCDEFGHIJKLM",
        "alphanumeric",
        False,
        "ABCDEFGHIJKLM",
        "Alphanumeric sender IDs are at most 11 characters (this one has 13)",
    ),
    ("  Acme  ", "alphanumeric", True, "Acme", "4 of 11"),
    ("Café", "alphanumeric", False, "Café", "only letters A-Z, digits and spaces (remove 'é')"),
    ("My-Brand!", "alphanumeric", False, "My-Brand!", "(remove '-', '!')"),
    (
        "Big & Bright Co",
        "alphanumeric",
        False,
        "Big & Bright Co",
        "(remove '&'); Alphanumeric sender IDs are at most 11 characters (this one has 15)",
    ),
    ("!!!", "alphanumeric", False, "!!!", "need at least one letter A-Z"),
    ("123", "short code", True, "123", "Short code, 3 digits"),
    ("1234567", "short code", True, "1234567", "Short code, 7 digits"),
    ("12", "short code", False, "12", "Short codes have 3 to 7 digits (this one has 2)"),
    ("12 345", "short code", True, "12345", "5 digits"),
    ("12345678", "local long code", True, "12345678", "Local long code, 8 digits"),
    ("061 234 5678", "local long code", True, "0612345678", "10 digits"),
    ("123456789012345", "local long code", True, "123456789012345", "15 digits"),
    (
        "1234567890123456",
        "local long code",
        False,
        "1234567890123456",
        "Long codes have at most 15 digits (this one has 16)",
    ),
    ("+6561234567", "international long code", True, "+6561234567", "10 digits"),
    ("+65 6123-4567", "international long code", True, "+6561234567", "10 digits"),
    ("+123456789012345", "international long code", True, "+123456789012345", "15 digits"),
    (
        "+1234567890123456",
        "international long code",
        False,
        "+1234567890123456",
        "at most 15 digits after the + (this one has 16)",
    ),
    ("+12345", "international long code", False, "+12345", "at least 7 digits"),
    ("+0123456789", "international long code", False, "+0123456789", "none starts with 0"),
    ("+65#1234567", "international long code", False, "+651234567", "(remove '#')"),
    ("12+345", "short code", False, "12345", "(remove '+')"),
    ("", "empty", True, "", "default sender"),
    ("   ", "empty", True, "", "default sender"),
]


@pytest.mark.parametrize(("sender", "kind", "ok", "value", "words"), SENDERS)
def test_sender_ids(sender: str, kind: str, ok: bool, value: str, words: str) -> None:
    check = classify_sender(sender)
    assert (check.kind, check.ok, check.value) == (kind, ok, value)
    assert words in check.message
    assert check.sender == sender


# value, country, ok, e164, words the message must contain
DESTINATIONS = [
    ("+6591234567", None, True, "+6591234567", "+65 9123 4567 (SG, mobile)"),
    ("6591234567", None, True, "+6591234567", "SG"),
    ("+65 9123 4567", None, True, "+6591234567", "SG"),
    ("91234567", "SG", True, "+6591234567", "SG, mobile"),
    ("9123 4567", "sg", True, "+6591234567", "SG"),
    ("0065 9123 4567", None, True, "+6591234567", "SG"),
    ("+1 (415) 555-2671", None, True, "+14155552671", "US, fixed line or mobile"),
    ("(415) 555-2671", "US", True, "+14155552671", "US"),
    ("415.555.2671", "us", True, "+14155552671", "US"),
    ("07400 123456", "GB", True, "+447400123456", "GB, mobile"),
    ("0412 345 678", "AU", True, "+61412345678", "AU, mobile"),
    ("01512 3456789", "DE", True, "+4915123456789", "DE, mobile"),
    ("+44 20 7946 0958", None, True, "+442079460958", "fixed line: it may not receive SMS"),
    ("+6591234567", "GB", True, "+6591234567", "SG"),
    ("", None, False, None, "The destination is empty"),
    ("   ", "SG", False, None, "The destination is empty"),
    ("1-800-FLOWERS", "US", False, None, "Letters in the number ('F', 'L', 'O', 'W', 'E', 'R'"),
    ("+65 9123 4567 ext 2", None, False, None, "Letters in the number ('e', 'x', 't')"),
    ("+65 9123#4567", None, False, None, "Unexpected '#' in the number"),
    ("6591+234567", None, False, None, "A + may only start the number"),
    ("+", None, False, None, "No digits in the number"),
    ("00", None, False, None, "Nothing after the international prefix 00"),
    ("91234567", "XX", False, None, "Unknown country 'XX'"),
    ("91234567", "SGP", False, None, "Unknown country 'SGP'"),
    ("091234567", None, False, None, "Starts with 0, so it is a national number: choose"),
    (
        "+65 9123 456",
        None,
        False,
        None,
        "Too short for SG (+65): 7 digits after the country code, expected 8, 10 or 11",
    ),
    ("+65 9123 45678", None, False, None, "Wrong length for SG (+65): 9 digits"),
    ("911", "US", False, None, "Too short for US (+1): 3 digits in the national number"),
    ("+65 0000 0000", None, False, None, "Not a valid number for SG (+65)"),
    ("+999 1234567", None, False, None, "Unknown country calling code at the start of +999"),
    ("1234567890123456", None, False, None, "Too long: 16 digits (E.164 numbers have at most 15)"),
    ("12", None, False, None, "Too short"),
    ("4155552671", None, False, None, "if it is a national number, choose its country"),
    ("+88 1234567", None, False, None, "Too short for +881: 6 digits"),
]


@pytest.mark.parametrize(("value", "country", "ok", "e164", "words"), DESTINATIONS)
def test_destinations(
    value: str, country: str | None, ok: bool, e164: str | None, words: str
) -> None:
    check = check_destination(value, country)
    assert (check.ok, check.e164) == (ok, e164), check.message
    assert words in check.message
    assert check.value == value


def test_valid_destinations_match_8x8s_pattern() -> None:
    import re

    pattern = re.compile(r"^\+{0,1}[1-9]{1}[0-9]{6,14}$")  # SmsRequest.destination
    for value, country, ok, _, _ in DESTINATIONS:
        check = check_destination(value, country)
        if ok:
            assert check.e164 is not None and pattern.match(check.e164)


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("+6591234567", ["+6591234567"]),
        ("+65 9123 4567", ["+65 9123 4567"]),
        ("+65 9123 4567, +44 20 7946 0958", ["+65 9123 4567", "+44 20 7946 0958"]),
        ("+6591234567;+6598765432", ["+6591234567", "+6598765432"]),
        (
            "+6591234567\n+6598765432\r\n\n+6581234567",
            ["+6591234567", "+6598765432", "+6581234567"],
        ),
        ("+6591234567\t+6598765432", ["+6591234567", "+6598765432"]),
        ("+65 9123 4567 +44 20 7946 0958", ["+65 9123 4567", "+44 20 7946 0958"]),
        ("91234567 98765432", ["91234567", "98765432"]),
        ("6591234567 6598765432 6581234567", ["6591234567", "6598765432", "6581234567"]),
        ("020 7946 0958", ["020 7946 0958"]),
        ("(415) 555-2671", ["(415) 555-2671"]),
        ("415 5552671", ["415 5552671"]),
        ("91234567 abc", ["91234567 abc"]),
        (" , ;\n  ", []),
        ("", []),
        ("+6591234567, +6591234567", ["+6591234567", "+6591234567"]),
    ],
)
def test_split_pasted_lists(pasted: str, expected: list[str]) -> None:
    assert split_destinations(pasted) == expected


def test_a_pasted_list_checks_one_by_one() -> None:
    pasted = "+65 9123 4567, 98765432\n+1 415 555 2671; 12"
    checks = [check_destination(v, "SG") for v in split_destinations(pasted)]
    assert [c.e164 for c in checks] == ["+6591234567", "+6598765432", "+14155552671", None]
    assert "Too short" in checks[3].message
