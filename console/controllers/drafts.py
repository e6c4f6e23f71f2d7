"""What the agent typed and has not sent survives a dropped session: kept in `app.drafts`,
saved as typed (debounced) while this console holds the data folder, restored at start."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from console.core.drafts import Drafts
from console.messages import ComposeDrafted, ConversationShown, DraftsLoaded, TextDrafted
from console.ui.sections import SECTIONS

if TYPE_CHECKING:
    from console.app import AgentConsole
    from console.store import History
    from console.store.drafts import DraftFile

DRAFTS_SAVE_AFTER = 0.5  # what the agent types is on disk this long after, at most
SECTION_MODES = frozenset(section.mode for section in SECTIONS)
log = logging.getLogger(__name__)


class DraftKeeper:
    def __init__(self, app: AgentConsole) -> None:
        self.app = app
        self.file: DraftFile | None = None
        self._due: asyncio.TimerHandle | None = None  # a save is due (debounced)
        self._saved = 0  # the version of the drafts last handed to a save
        # Saves run in order on one thread of their own, made at the first: a Textual worker
        # per save (one every ~2 s while typing) left a thread and a reference cycle each.
        self._writer: ThreadPoolExecutor | None = None

    def load(self) -> None:
        self.app.run_worker(
            self._load,
            group="drafts",
            thread=True,
            exit_on_error=False,
            description="Reading the drafts",
        )

    def _load(self) -> None:
        from console.paths import data_dir
        from console.store.drafts import DraftFile

        app = self.app
        file = DraftFile(app.settings.data_dir or data_dir())
        try:
            doc, notice = file.load(app.clock())
        except OSError as error:
            reason = f"The drafts in {file.path} could not be read ({error.strerror or error})"
            app.post_message(DraftsLoaded(Drafts(), None, reason + "; none are saved now."))
            return
        app.post_message(DraftsLoaded(Drafts.from_doc(doc), file, notice))

    def loaded(self, message: DraftsLoaded) -> None:
        app = self.app
        restored, typed = message.drafts, app.drafts
        self.file = message.file
        if message.notice:
            app.notify(message.notice, title="Drafts", severity="warning", timeout=15)
        app.drafts = restored.merged_under(typed)
        app.drafts.version = typed.version
        section = restored.section
        if section in SECTION_MODES and section != app.current_mode:
            if app.current_mode == app.DEFAULT_MODE:
                app.switch_mode(section)
            elif app.current_mode == "login":
                app.session_flow.restore_section = section  # opened once logged in
        app.drafts_restored.publish(app.drafts)
        if not restored.empty:
            app.notify(
                f"Restored what was not sent: {restored.summary()}.", title="Drafts", timeout=8
            )
        if typed.version:
            self.changed()

    def drafted(self, message: TextDrafted | ComposeDrafted | ConversationShown) -> None:
        """The agent typed (a reply, a note, the composer) or opened a conversation."""
        drafts = self.app.drafts
        if isinstance(message, TextDrafted):
            changed = drafts.set_text(message.kind, message.conversation_id, message.text)
        elif isinstance(message, ComposeDrafted):
            changed = drafts.set_compose(message.draft)
        else:
            changed = drafts.set_conversation(message.conversation_id)
        if changed:
            self.changed()

    def mode_changed(self, mode: str) -> None:
        if mode in SECTION_MODES and self.app.drafts.set_section(mode):
            self.app.session_flow.restore_section = None  # the agent chose where to go
            self.changed()

    def history_opened(self) -> None:
        if self.app.drafts.version > self._saved:
            self.changed()  # typed before the folder was ours to write

    def changed(self) -> None:
        """Save soon (debounced: one save for a burst of keys)."""
        if self._due is None:
            self._due = asyncio.get_running_loop().call_later(DRAFTS_SAVE_AFTER, self._save)

    def _save(self) -> None:
        self._due = None
        drafts = self.to_save(self.app.history)
        if drafts is not None:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="drafts-save")
            self._writer.submit(self.write_now, *drafts)

    def stop(self) -> None:
        """No more saves on a timer (the console is closing: it saves once more itself)."""
        if self._due is not None:
            self._due.cancel()
            self._due = None

    def wait_saved(self) -> None:
        """Return once the saves handed over are written (from any thread)."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)

    def to_save(self, history: History | None) -> tuple[DraftFile, dict[str, object], int] | None:
        """What to write, if anything: only while this console holds the data folder (its
        history is open), so a second console on the same folder never overwrites them."""
        file = self.file
        version = self.app.drafts.version
        if file is None or history is None or version <= self._saved:
            return None
        self._saved = version
        return file, self.app.drafts.to_doc(self.app.session_flow.secrets()), version

    @staticmethod
    def write_now(file: DraftFile, doc: dict[str, object], version: int) -> None:
        try:
            file.save(doc, version)
        except OSError:
            log.warning("the drafts could not be saved to %s", file.path, exc_info=True)
