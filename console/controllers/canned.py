"""The canned responses: the built-in ones until the agent's TOML file (in the config folder)
is read; saved atomically from the editor. The file work is in console/canned_file.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.signal import Signal

from console.core.canned import DEFAULT, CannedResponses
from console.messages import CannedFailed, CannedLoaded

if TYPE_CHECKING:
    from console.app import AgentConsole


class CannedStore:
    def __init__(self, app: AgentConsole) -> None:
        self.app = app
        self.responses = DEFAULT
        self.text: str | None = None  # the file as the agent wrote it (the editor)
        self.changed: Signal[CannedResponses] = Signal(app, "canned-changed")

    def load(self) -> None:
        self.app.run_worker(
            self._load,
            group="canned",
            thread=True,
            exit_on_error=False,
            description="Canned responses",
        )

    def _load(self) -> None:
        from console.canned_file import CannedFileError, read_canned
        from console.paths import canned_file

        try:
            found = read_canned(canned_file())
        except CannedFileError as error:
            self.app.post_message(CannedFailed(str(error)))
            return
        if found is not None:
            self.app.post_message(CannedLoaded(found.responses, found.text))

    def save(self, text: str) -> None:
        """Write the canned responses file (checked first by the editor) atomically."""
        self.app.run_worker(
            lambda: self._save(text),
            group="canned",
            thread=True,
            exit_on_error=False,
            description="Saving responses",
        )

    def _save(self, text: str) -> None:
        from console.canned_file import CannedFileError, write_canned
        from console.paths import canned_file

        path = canned_file()
        try:
            saved = write_canned(path, text)
        except CannedFileError as error:
            self.app.post_message(CannedFailed(str(error)))
            return
        self.app.post_message(CannedLoaded(saved.responses, saved.text, saved_to=str(path)))

    def loaded(self, message: CannedLoaded) -> None:
        self.responses = message.responses
        self.text = message.text
        self.changed.publish(message.responses)
        if message.saved_to:
            self.app.notify(
                f"{len(message.responses.responses)} saved in {message.saved_to}.",
                title="Canned responses",
            )

    def failed(self, message: CannedFailed) -> None:
        self.app.notify(message.reason, title="Canned responses", severity="error", timeout=10)
