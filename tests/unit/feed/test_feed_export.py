"""CSV export: the filter's rows, numbers masked unless asked, never the API key, safe in a
spreadsheet, a private file that appears whole."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import pytest

from console.feed.export import HEADER, WITHHELD, export_rows, paced, safe_cell, write_csv
from console.feed.rows import FeedRow

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
KEY = "sk-live-abcdef123456"


def rows() -> list[FeedRow]:
    delivered = FeedRow(
        "u-1", T0, "delivered", destination="+6591234567", channel="sms",
        client_message_id="ref-1", batch_id="b-1", sms_count=2, price=0.09, currency="EUR",
        updated_at=T0 + 2.5,
    )  # fmt: skip
    failed = FeedRow(
        "u-2", T0 + 1, "undelivered", destination="+6598765432", channel="sms",
        client_message_id=f"=HYPERLINK(\"x\") {KEY}", error_code=46,
        error_message="Subscriber not reachable",
    )  # fmt: skip
    return [delivered, failed]


def test_rows_are_masked_by_default() -> None:
    lines = list(export_rows(rows(), secrets=[KEY]))
    assert lines[0] == list(HEADER)
    first = dict(zip(HEADER, lines[1], strict=True))
    assert first == {
        "sent_at_utc": "2027-01-15T08:00:00.000Z",
        "umid": "u-1",
        "destination": "'+65••••4567",  # a spreadsheet would read "+65•…" as a formula
        "channel": "sms",
        "client_message_id": "ref-1",
        "batch_id": "b-1",
        "status": "delivered",
        "detail": "",
        "error_code": "",
        "error": "",
        "segments": "2",
        "price": "0.0900",
        "currency": "EUR",
        "status_at_utc": "2027-01-15T08:00:02.500Z",
    }
    second = dict(zip(HEADER, lines[2], strict=True))
    assert (second["error_code"], second["error"]) == ("46", "46 subscriber not reachable")
    assert second["client_message_id"] == WITHHELD, "never the key"


def test_numbers_in_full_only_when_asked() -> None:
    lines = list(export_rows(rows(), reveal=True))
    assert [line[2] for line in lines[1:]] == ["+6591234567", "+6598765432"], "a plain number"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("+6591234567", "+6591234567"),
        ("-1.5", "-1.5"),
        ("ref\x1b]52;c;x\x07", "ref␛]52;c;x␇"),
        (None, ""),
        (46, "46"),
    ],
)
def test_cells_are_never_formulas_or_terminal_controls(value: object, written: str) -> None:
    assert safe_cell(value) == written


def test_the_file_is_private_whole_and_named_by_time(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    path = write_csv(folder, rows(), now=T0, secrets=[KEY])
    assert path.name == "feed-20270115-080000.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(newline="", encoding="utf-8") as file:
        read = list(csv.reader(file))
    assert read == list(export_rows(rows(), secrets=[KEY]))
    assert KEY not in path.read_text(encoding="utf-8")
    again = write_csv(folder, rows(), now=T0)
    assert again.name == "feed-20270115-080000-2.csv", "an export never overwrites another"
    assert {p.name for p in folder.iterdir()} == {path.name, again.name}, "no part left"


def test_the_writer_pauses_every_few_rows_and_writes_them_all_in_order() -> None:
    rows = [FeedRow(f"u{n}", T0 + n, "delivered") for n in range(10)]
    pauses: list[float] = []
    written = list(paced(rows, every=4, pause=0.001, sleep=pauses.append))
    assert written == rows
    assert pauses == [0.001, 0.001], "after the 4th and the 8th row"


def test_the_writer_gives_way_before_each_pause() -> None:
    """Before each pause the writer's thread asks to give way (the console's waits out a long
    turn of the UI loop): in the same rhythm, and every row is still written."""
    rows = [FeedRow(f"u{n}", T0 + n, "delivered") for n in range(10)]
    done: list[str] = []
    written = list(
        paced(
            rows,
            every=4,
            pause=0.001,
            sleep=lambda _: done.append("pause"),
            give_way=lambda: done.append("give way"),
        )
    )
    assert written == rows
    assert done == ["give way", "pause", "give way", "pause"]
