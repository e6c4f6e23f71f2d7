"""The canned responses file (TOML in the config folder): read it, and write it atomically.
No Textual: the console's canned controller runs these in a thread worker."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from console.core.canned import CannedError, CannedResponses, parse


class CannedFileError(Exception):
    """The file could not be read, parsed or saved; the message is readable."""


@dataclass(frozen=True, slots=True)
class CannedFile:
    responses: CannedResponses
    text: str  # the file as the agent wrote it (for the editor)


def read_canned(path: Path) -> CannedFile | None:
    """The responses in `path`; None when there is no file (the built-in ones stay)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise CannedFileError(f"{path} could not be read: {error}") from error
    try:
        return CannedFile(parse(text), text)
    except CannedError as error:
        raise CannedFileError(f"{path}: {error}. The built-in ones are used.") from error


def write_canned(path: Path, text: str) -> CannedFile:
    """Check `text` and write it to `path` atomically (a crash leaves the old file whole)."""
    try:
        responses = parse(text)
    except CannedError as error:
        raise CannedFileError(f"Not saved: {error}") from error
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".canned-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as error:
        raise CannedFileError(f"{path} could not be saved: {error}") from error
    return CannedFile(responses, text)
