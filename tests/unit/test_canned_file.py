"""The canned responses file (console/canned_file.py): read when there is one, refused with
the reason when it is not valid, and written atomically (a refused text changes nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.canned_file import CannedFileError, read_canned, write_canned

GOOD = '[responses]\nhi = "Hello {{name}}!"\n'


def test_no_file_means_the_built_in_responses(tmp_path: Path) -> None:
    assert read_canned(tmp_path / "canned.toml") is None


def test_a_saved_file_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "config" / "canned.toml"  # the folder is made
    saved = write_canned(path, GOOD)
    assert path.read_text(encoding="utf-8") == GOOD
    found = read_canned(path)
    assert found is not None and found.text == GOOD
    assert [r.shortcode for r in found.responses.responses] == ["hi"]
    assert saved.responses == found.responses
    assert [p.name for p in path.parent.iterdir()] == ["canned.toml"]  # no temp file left


def test_a_bad_text_is_not_saved_and_the_old_file_stays(tmp_path: Path) -> None:
    path = tmp_path / "canned.toml"
    write_canned(path, GOOD)
    with pytest.raises(CannedFileError, match="Not saved"):
        write_canned(path, "[responses\n")
    assert path.read_text(encoding="utf-8") == GOOD


def test_a_bad_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "canned.toml"
    path.write_text("[responses\n", encoding="utf-8")
    with pytest.raises(CannedFileError, match=r"canned\.toml.*built-in ones are used"):
        read_canned(path)
