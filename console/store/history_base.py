"""What the parts of `History` share: the state the History holds (console/store/history.py),
declared once for the modules that each hold one side of it (rooms and logins, on-demand
reads, loading)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.store.catalog import PartKey
    from console.store.conversations import ConversationIndex
    from console.store.journal import Entry, Journal
    from console.store.parts import Part
    from console.store.partset import PartSet
    from console.store.records import Doc, Message, Room
    from console.store.small import StateFile


class HistoryBase:
    """The History's state and the methods its parts call on one another."""

    if TYPE_CHECKING:
        data_dir: Path
        folder: Path
        notices: list[str]
        _lock: threading.RLock
        _clock: Callable[[], float]
        _parts: PartSet
        _conversations: ConversationIndex
        _state: StateFile
        _journal: Journal
        _hot_messages: int
        _pending: OrderedDict[str, list[Doc]]

        def _check_open(self) -> None: ...
        def _breathe(self) -> None: ...
        def _append(self, entry: Entry) -> None: ...
        def _room_known(self, call_reference: str, created_at: float) -> bool: ...
        def _new_message_part(self, doc: Doc) -> PartKey: ...
        def _record_in(self, part: Part, doc: Doc, new: bool) -> Doc | None: ...
        def _record(self, *args: Any, **kwargs: Any) -> Doc: ...
        def recent_messages(
            self, limit: int = 100, channel: str | None = None, *, timelines: bool = True
        ) -> list[Message]: ...
        def record_message(self, *args: Any, **kwargs: Any) -> Message | None: ...
        def apply_receipt(self, *args: Any, **kwargs: Any) -> Message | None: ...
        def record_room(self, *args: Any, **kwargs: Any) -> Room: ...
