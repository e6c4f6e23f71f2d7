"""The drafts file: what the agent typed and has not sent, saved in the data folder.

`drafts.json` (owner-only, like the history) holds the document `console.core.drafts.Drafts`
makes. Each save replaces it atomically (temp file, fsync, rename, fsync of the folder), so a
kill or a dropped session leaves the previous or the new version, never half of one. Saves run
in worker threads; one that arrives after a newer one has been written is skipped, so the file
never goes back in time. A file that is not readable is moved aside (`drafts.json.corrupt-…`)
and said, never silently emptied.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from console.store.storage import DEFAULT_CODEC, move_aside, write_bytes_atomically

NAME = "drafts.json"


class DraftFile:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / NAME
        self._lock = threading.Lock()
        self._written = -1  # the version last written

    def load(self, now: float) -> tuple[dict[str, Any] | None, str | None]:
        """The saved document (None: none), and a notice when the file was damaged. Raises
        OSError when it cannot be read at all."""
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            return None, None
        try:
            doc = DEFAULT_CODEC.loads(content)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            return doc, None
        moved = move_aside(self.path, now)
        return None, f"The drafts file was damaged; moved aside to {moved}."

    def save(self, doc: dict[str, Any], version: int) -> bool:
        """Write `doc` (the drafts at `version`) unless a newer version is written already.
        Raises OSError."""
        content = DEFAULT_CODEC.dumps(doc)
        with self._lock:
            if version <= self._written:
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_bytes_atomically(self.path, content)
            self._written = version
            return True
