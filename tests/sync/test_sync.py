"""Incremental journal-entry sync against the emulator: interrupted, resumed, identical."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from asperion_orm.exceptions import ServerError
from asperion_orm.resources import JournalEntry, JournalEntryLine, LedgerAccount
from asperion_orm.session import Session
from asperion_orm.sync import (
    Change,
    Checkpoint,
    FileCheckpointStore,
    JournalSync,
    MemoryCheckpointStore,
    MemoryTarget,
    advance,
)
from asperion_orm.testing.sandbox import Sandbox

RECORDS = {"journalentrieswithlines": 45}


class Crash(Exception):
    """The local store failed (an injected fault)."""


class FlakyTarget(MemoryTarget):
    """A local copy that fails on the ``fail_at``-th batch (once) and counts what it receives."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.calls = 0
        self.upserts: list[int] = []

    def apply(self, upserts: Sequence[dict[str, Any]], deletions: Sequence[int]) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise Crash(f"disk full at batch {self.calls}")
        super().apply(upserts, deletions)
        self.upserts += [int(entry["id"]) for entry in upserts]


@pytest.fixture
def asperion_tenant(asperion_sandbox: Sandbox, asperion_user: str) -> int:
    """Override the plugin's: a fresh administration with 45 journal entries (and their log)."""
    return asperion_sandbox.add_administration(records=RECORDS, users=[asperion_user])


def source(sandbox: Sandbox, tenant: int) -> dict[int, dict[str, Any]]:
    """Return the emulator's journal entries by id, without ``_meta`` (as the sync keeps them)."""
    rows = sandbox.state.rows(tenant, "journalentrieswithlines")
    return {int(row["id"]): {k: v for k, v in row.items() if k != "_meta"} for row in rows}


def change_books(session: Session, sandbox: Sandbox) -> None:
    """Book a journal entry through the ORM; change and delete others in the web application.

    The API only creates entries; people change and remove them in Asperion itself, and the
    journal-entry log records that too.
    """
    debit, credit = LedgerAccount.objects.order_by("id")[:2]
    JournalEntry.objects.create(
        date=dt.date(2025, 7, 1),
        journal="90",
        source_document_number="NEW-1",
        lines=[
            JournalEntryLine(ledger_account=debit, amount=Decimal("12.34")),
            JournalEntryLine(ledger_account=credit, amount=Decimal("-12.34")),
        ],
    )
    first, second, third = JournalEntry.objects.cache(False).order_by("id")[:3]
    sandbox.state.change_row(
        session.tenant, "journalentrieswithlines", first.pk, description="Gewijzigd"
    )
    sandbox.state.delete_row(session.tenant, "journalentrieswithlines", second.pk)
    sandbox.state.change_row(
        session.tenant, "journalentrieswithlines", third.pk, sourceDocumentNumber="UPD-3"
    )
    sandbox.state.delete_row(session.tenant, "journalentrieswithlines", third.pk)


def test_a_full_sync_copies_every_entry(
    asperion_session: Session, asperion_tenant: int, asperion_sandbox: Sandbox
) -> None:
    target = MemoryTarget()
    result = JournalSync(asperion_session, target, MemoryCheckpointStore(), batch_size=20).run()
    assert target.entries == source(asperion_sandbox, asperion_tenant)
    assert result.checkpoint.phase == "changes"
    assert result.upserted >= len(target.entries)


def test_interrupted_by_an_api_fault_then_rerun_gives_an_identical_copy(
    asperion_session: Session, asperion_tenant: int, asperion_sandbox: Sandbox, tmp_path: Path
) -> None:
    store = FileCheckpointStore(tmp_path / "sync" / "checkpoint.json")
    target = FlakyTarget()
    asperion_sandbox.inject("GET", "/v1/journalentrieswithlines", 500, nth=2)
    with pytest.raises(ServerError):
        JournalSync(asperion_session, target, store, batch_size=20).run()
    saved = store.load()
    assert saved is not None and saved.phase == "full" and saved.after_id > 0
    assert len(target.entries) == 20

    JournalSync(asperion_session, target, store, batch_size=20).run()
    expected = source(asperion_sandbox, asperion_tenant)
    assert target.entries == expected
    assert sorted(target.upserts) == sorted(expected)  # no duplicates


def test_interrupted_while_following_the_log_then_rerun(
    asperion_session: Session, asperion_tenant: int, asperion_sandbox: Sandbox, tmp_path: Path
) -> None:
    store = FileCheckpointStore(tmp_path / "checkpoint.json")
    target = FlakyTarget()
    JournalSync(asperion_session, target, store, batch_size=10).run()
    change_books(asperion_session, asperion_sandbox)
    for _ in range(3):  # more changes than one batch holds
        change_books(asperion_session, asperion_sandbox)
    asperion_sandbox.inject("GET", "/v1/journalentrylog", 500, nth=2)
    with pytest.raises(ServerError):
        JournalSync(asperion_session, target, store, batch_size=4).run()
    assert target.entries != source(asperion_sandbox, asperion_tenant)

    result = JournalSync(asperion_session, target, store, batch_size=4).run()
    assert target.entries == source(asperion_sandbox, asperion_tenant)
    assert result.deleted > 0


def test_a_failing_local_store_loses_nothing(
    asperion_session: Session, asperion_tenant: int, asperion_sandbox: Sandbox, tmp_path: Path
) -> None:
    store = FileCheckpointStore(tmp_path / "checkpoint.json")
    target = FlakyTarget(fail_at=2)
    sync = JournalSync(asperion_session, target, store, batch_size=20)
    with pytest.raises(Crash):
        sync.run()
    saved = store.load()
    assert saved is not None
    assert (saved.phase, saved.after_id) == ("full", max(target.entries))  # the first batch only
    change_books(asperion_session, asperion_sandbox)
    sync.run()
    assert target.entries == source(asperion_sandbox, asperion_tenant)


def test_changes_between_runs_are_applied(
    asperion_session: Session, asperion_tenant: int, asperion_sandbox: Sandbox, tmp_path: Path
) -> None:
    store = FileCheckpointStore(tmp_path / "checkpoint.json")
    target = MemoryTarget()
    JournalSync(asperion_session, target, store).run()
    change_books(asperion_session, asperion_sandbox)
    result = JournalSync(asperion_session, target, store).run()
    assert target.entries == source(asperion_sandbox, asperion_tenant)
    assert any(e["sourceDocumentNumber"] == "NEW-1" for e in target.entries.values())
    assert any(e["description"] == "Gewijzigd" for e in target.entries.values())
    assert result.deleted == 2
    again = JournalSync(asperion_session, target, store).run()
    assert (again.batches, again.upserted, again.deleted) == (0, 0, 0)


def test_max_batches_stops_early_and_the_next_run_continues(
    asperion_session: Session, asperion_tenant: int, asperion_sandbox: Sandbox
) -> None:
    store = MemoryCheckpointStore()
    target = MemoryTarget()
    partial = JournalSync(asperion_session, target, store, batch_size=10).run(max_batches=2)
    assert partial.batches == 2
    assert len(target.entries) == 20
    JournalSync(asperion_session, target, store, batch_size=10).run()
    assert target.entries == source(asperion_sandbox, asperion_tenant)


# -- the cursor: rows sharing a timestamp across batch boundaries ---------------------------------

T0 = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(seconds=1)


def change(log_id: int, moment: dt.datetime) -> Change:
    return Change(log_id, 900000 + log_id, moment, "Update")


def test_advance_remembers_the_rows_at_the_newest_moment() -> None:
    start = Checkpoint(phase="changes", changed_from=T0.isoformat())
    after = advance(start, [change(1, T0), change(2, T1), change(3, T1)])
    assert (after.cursor, after.seen) == (T1, (2, 3))


def test_advance_keeps_earlier_rows_when_the_moment_does_not_move() -> None:
    start = Checkpoint(phase="changes", changed_from=T1.isoformat(), seen=(2, 3))
    after = advance(start, [change(2, T1), change(3, T1), change(4, T1)])
    assert (after.cursor, after.seen) == (T1, (2, 3, 4))


def test_file_checkpoints_round_trip(tmp_path: Path) -> None:
    store = FileCheckpointStore(tmp_path / "a" / "cp.json")
    assert store.load() is None
    checkpoint = Checkpoint(phase="changes", after_id=7, changed_from=T0.isoformat(), seen=(4, 5))
    store.save(checkpoint)
    assert store.load() == checkpoint
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["cp.json"]


def test_batch_size_is_checked(asperion_session: Session) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        JournalSync(asperion_session, MemoryTarget(), MemoryCheckpointStore(), batch_size=0)
