"""The relay's replay log: numbered events, bounded by count and age, behind a small interface.

:class:`EventLog` is the interface the relay uses. Two implementations live here; the third,
:class:`console.live.redis_log.RedisEventLog`, puts the log on Redis Streams so several relays
serve one team:

- :class:`FileEventLog`: survives restarts. An append-only JSON-lines file, one event frame per
  line, preceded by a ``{"meta": {...}}`` header line that remembers the numbering base (so
  ``seq`` never goes backwards, even when every event has aged out).

  *Durability*: ``append`` returns only after the event is written **and fsynced**. Appends are
  group-committed: while one write+fsync runs (in a worker thread), new appends queue up and
  are written together by the next one, so 2,000 events/s cost a few hundred fsyncs/s at most.
  The relay acknowledges a webhook only after ``append`` returns.

  *Crash safety*: a torn last line (crash mid-write: it was never acknowledged) is cut off at
  the next open. A corrupt line in the middle is dropped after the original file is copied
  aside to ``<name>.corrupt-<time>``. Compaction writes a temp file, fsyncs it and
  ``os.replace``-s the log, so a crash leaves either the old or the new file.

  *Bounds*: events beyond ``max_events`` or older than ``max_age_seconds`` are dropped from
  memory at once (on every commit and on ``trim()``), and from the file by compaction once
  the dropped lines exceed a quarter of the bound, so the file holds at most ~1.25x
  ``max_events`` lines; ``compact()`` forces it. Events too old are also dropped at open.

  *Memory*: only the newest events' text is kept in memory, up to ``max_bytes`` (each line
  counted with ``LINE_OVERHEAD``); older kept events are read back from the file when a
  replay asks for them, so 100,000 events of 60 KB cost ``max_bytes``, not 6 GB. The index
  of every kept event (seq, time, file offset) costs 24 bytes each.

  One process per file: an advisory lock (``<name>.lock``) refuses a second relay.

  *Privacy*: the events hold customers' numbers and messages, so every file the log writes
  (the log, its lock, compaction temp files, copies of a corrupt log) is 0600 and a folder it
  creates is 0700, as the history's are; an existing log or lock is tightened to 0600.

- :class:`MemoryEventLog`: the same behaviour without a file (tests, demos); there
  ``max_bytes`` bounds what is kept at all: the oldest events beyond it are dropped.

Sequence numbers are positive, strictly increasing, and assigned at commit time, so a failed
write never leaves a hole.

*Subscriptions* (both logs): a subscription is registered when ``subscribe()`` returns and every
commit queues its batch on every subscription in the same step that makes it visible to
``read_since`` and before the appends return, so a reader that subscribes first and then reads
the backlog misses nothing. Its queue is unbounded: iterate it, or ``aclose()`` it.
"""

from __future__ import annotations

from console.live.file_log import FileEventLog
from console.live.log_base import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_EVENTS,
    LINE_OVERHEAD,
    LOG_FORMAT,
    LOG_VERSION,
    PRIVATE_DIR,
    PRIVATE_FILE,
    REPLAY_BYTES,
    EventLog,
    GroupCommit,
    LogBounds,
    LogError,
    PendingAppend,
    Subscription,
    call_safely,
    deliver,
    fail_pending,
)
from console.live.memory_log import MemoryEventLog, RetainedEvents

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_EVENTS",
    "LINE_OVERHEAD",
    "LOG_FORMAT",
    "LOG_VERSION",
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "REPLAY_BYTES",
    "EventLog",
    "FileEventLog",
    "GroupCommit",
    "LogBounds",
    "LogError",
    "MemoryEventLog",
    "PendingAppend",
    "RetainedEvents",
    "Subscription",
    "call_safely",
    "deliver",
    "fail_pending",
]
