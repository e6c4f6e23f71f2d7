"""A run of receipts handed over at once (`History.apply_receipts`) leaves the history exactly
as the same receipts applied one by one (`apply_receipt`): the same timelines and statuses on
disk, the same held receipts, the same rows made from receipts; one refused receipt never stops
the others."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.store import History
from console.store.history_receipts import ReceiptUpdate
from console.store.journal import ReceiptRow

T0 = 1_790_000_000.0

updates = st.builds(
    ReceiptUpdate,
    umid=st.sampled_from(["u0", "u1", "u2", "other", "early"]),
    state=st.sampled_from(["sent", "delivered", "DELIVERED", "undelivered", "read", "queued"]),
    timestamp=st.one_of(
        st.floats(T0, T0 + 60).map(lambda t: round(t, 3)),
        st.sampled_from(["2026-09-21T14:13:21.500Z", "not a time"]),
    ),
    received_at=st.floats(T0, T0 + 60).map(lambda t: round(t, 3)),
    detail=st.one_of(st.none(), st.sampled_from(["delivered_to_operator", "to carrier"])),
    error_code=st.one_of(st.none(), st.integers(0, 99), st.just(True)),
    error_message=st.one_of(st.none(), st.just("Subscriber not reachable")),
    row=st.one_of(st.none(), st.just(ReceiptRow("sms", "+6591000000", "ref-x", "b-1"))),
    raw=st.one_of(st.none(), st.just({"umid": "u1", "status": {"state": "sent"}})),
)


def opened(folder: Path) -> History:
    history = History.open(folder, clock=lambda: T0)
    for n in range(3):
        history.record_message(f"u{n}", f"ref-u{n}", "sms", "out", "+6591", "hi", "queued", T0)
    return history


def on_disk(folder: Path) -> list[Any]:
    """Every file's content (the parts, their indexes, the state), by name; not which file
    an index describes (its size and time)."""
    found = []
    for path in sorted((folder / "history").glob("*.json")):
        content = json.loads(path.read_text())
        if isinstance(content, dict):
            content.pop("source", None)
        found.append((path.name, content))
    return found


def one_by_one(history: History, run: list[ReceiptUpdate]) -> int:
    refused = 0
    for update in run:
        try:
            history.apply_receipt(*update)
        except (TypeError, ValueError):
            refused += 1
    return refused


@settings(max_examples=60, deadline=None)
@given(st.lists(updates, max_size=30), st.lists(updates, max_size=5))
def test_a_run_leaves_the_history_as_one_by_one(
    run: list[ReceiptUpdate], after: list[ReceiptUpdate]
) -> None:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        single, batched = opened(Path(a)), opened(Path(b))
        refused_single = one_by_one(single, run)
        refused: list[ReceiptUpdate] = []
        batched.apply_receipts(run, on_error=lambda update, error: refused.append(update))
        assert len(refused) == refused_single, "the same receipts refused, the others in"
        # A message recorded after its receipts: the held ones are applied the same way.
        for history in (single, batched):
            history.record_message("early", None, "sms", "out", "+6592", "late", "queued", T0)
            one_by_one(history, after)
        single.close()
        batched.close()
        assert on_disk(Path(a)) == on_disk(Path(b))


def test_without_on_error_the_first_refusal_is_raised_after_those_before_it(
    tmp_path: Path,
) -> None:
    history = opened(tmp_path)
    good = ReceiptUpdate("u1", "delivered", T0 + 1, T0 + 1)
    bad = ReceiptUpdate("u2", "sent", "not a time", T0 + 1)
    with pytest.raises(ValueError):
        history.apply_receipts([good, bad, ReceiptUpdate("u2", "sent", T0 + 2, T0 + 2)])
    message = history.message_by_umid("u1")
    assert message is not None and message.status == "delivered"
    later = history.message_by_umid("u2")
    assert later is not None and later.status == "queued", "nothing after the refusal"
    history.close()


def test_any_error_making_one_receipt_costs_only_that_receipt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong with one receipt of a run (not only a wrong value), the receipts
    checked before it and those after it still go in."""
    from console.store import history_receipts

    made = history_receipts.receipt_entry

    def entry(state: str, *rest: Any) -> Any:
        if state == "read":
            raise RuntimeError("unexpected")
        return made(state, *rest)

    monkeypatch.setattr(history_receipts, "receipt_entry", entry)
    history = opened(tmp_path)
    refused: list[str] = []
    history.apply_receipts(
        [
            ReceiptUpdate("u0", "delivered", T0 + 1, T0 + 1),
            ReceiptUpdate("u1", "read", T0 + 1, T0 + 1),
            ReceiptUpdate("u2", "undelivered", T0 + 2, T0 + 2),
        ],
        on_error=lambda update, error: refused.append(update.umid),
    )
    assert refused == ["u1"]
    statuses = [history.message_by_umid(f"u{n}") for n in range(3)]
    assert [m.status if m else None for m in statuses] == ["delivered", "queued", "undelivered"]
    history.close()


def test_long_work_lets_other_threads_in_between_runs_never_holding_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from console.store import history as history_module
    from console.store.journal import SentRow

    history = History.open(tmp_path, clock=lambda: T0, pause=0.001)
    free: list[bool] = []

    def sleep(seconds: float) -> None:
        def try_lock() -> None:  # another thread (a screen reading) gets the lock meanwhile
            got = history._lock.acquire(timeout=5)  # the writer may hold it a moment
            free.append(got)
            if got:
                history._lock.release()

        other = threading.Thread(target=try_lock)
        other.start()
        other.join()

    monkeypatch.setattr(history_module.time, "sleep", sleep)
    rows = [SentRow(f"s{n}", None, "sms", "+6591", False, None) for n in range(200)]
    history.record_sent(rows, "a batch", T0)
    sends = len(free)
    history.apply_receipts(ReceiptUpdate(f"s{n}", "sent", T0 + 1, T0 + 1) for n in range(200))
    assert sends >= 2 and len(free) >= sends + 2, "pauses between runs of sends and receipts"
    assert all(free), "never while holding the lock"
    message = history.message_by_umid("s199")
    assert message is not None and message.status == "sent"
    history.close()


def test_long_work_gives_way_to_the_ui_loop_between_runs_and_files(tmp_path: Path) -> None:
    """`give_way` (the console's: wait while the UI loop is in a long turn) is asked between
    runs of receipts and before each file the writer writes, never holding the lock."""
    from console.store.journal import SentRow

    asked: list[bool] = []

    def give_way() -> None:
        got = history._lock.acquire(blocking=False)  # the asking thread holds no lock
        asked.append(got)
        if got:
            history._lock.release()

    history = History.open(tmp_path, clock=lambda: T0, pause=0.0001, give_way=give_way)
    history.record_sent(
        [SentRow(f"s{n}", None, "sms", "+6591", False, None) for n in range(10)], "a", T0
    )
    history.flush()
    assert asked, "before the writer's files"
    asked.clear()
    history.apply_receipts(ReceiptUpdate(f"s{n % 10}", "sent", T0 + 1, T0 + 1) for n in range(300))
    assert len(asked) >= 4 and all(asked), "between runs of receipts, holding no lock"
    history.close()


def test_a_batch_answers_rows_are_taken_as_they_are_made_giving_way_between_runs(
    tmp_path: Path,
) -> None:
    """A batch answer's 10,000 rows are made in the writer's thread as the history takes
    them: it gives way to the UI loop long before the last is made, and keeps every one."""
    from console.store.journal import SentRow

    made = 0
    made_when_asked: list[int] = []

    def rows() -> Any:
        nonlocal made
        for n in range(10_000):
            made += 1
            yield SentRow(
                f"b{n}", None, "sms", f"+6591{n:07d}", n == 7, "refused" if n == 7 else None
            )

    history = History.open(
        tmp_path, clock=lambda: T0, pause=0.0, give_way=lambda: made_when_asked.append(made)
    )
    history.record_sent(rows(), "a batch", T0, batch_id="batch-1")
    assert made_when_asked[0] <= 1_024, "asked before most rows were even made"
    assert len(made_when_asked) >= 10_000 // 64, "and between runs while recording them"
    first, last, refused = (history.message_by_umid(u) for u in ("b0", "b9999", "b7"))
    assert first is not None and last is not None and refused is not None
    assert (first.status, last.status, refused.status) == ("queued", "queued", "rejected")
    history.close()
    again = History.open(tmp_path, clock=lambda: T0)
    kept = again.message_by_umid("b9999")
    assert kept is not None and kept.batch_id == "batch-1", "journalled and saved"
    again.close()
