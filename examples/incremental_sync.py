"""Incremental sync: copy the journal entries once, then follow only what changed.

``JournalSync`` loads every journal entry in batches, then reads the journal-entry log from
the last change it applied. The checkpoint lives in a JSON file, so the script can be stopped
and run again at any time: it carries on where it was.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from connect import connect

import asperion_orm as asp
from asperion_orm.resources import Journal, JournalEntry, JournalEntryLine, LedgerAccount
from asperion_orm.sync import FileCheckpointStore, JournalSync, MemoryTarget


def sync_once(session: asp.Session, target: MemoryTarget, checkpoint: Path, out: TextIO) -> None:
    """Run the sync until it is up to date and say what it did."""
    result = JournalSync(session, target, FileCheckpointStore(checkpoint)).run()
    stored, deleted, total = result.upserted, result.deleted, len(target.entries)
    print(f"  {result.batches} batch(es): {stored} entries stored, {deleted} deleted; "
          f"{total} in the local copy", file=out)  # fmt: skip


def change_the_books(session: asp.Session) -> None:
    """Book a new entry (what other users do between syncs); its lines add up to zero."""
    with session:
        debit, credit = LedgerAccount.objects.filter(disabled=False).order_by("-id")[:2]
        JournalEntry.objects.create(
            date=dt.date.today(),
            journal=Journal.objects.filter(type="General").first(),
            description="SYNC-DEMO",
            lines=[
                JournalEntryLine(ledger_account=debit, amount=Decimal("12.50")),
                JournalEntryLine(ledger_account=credit, amount=Decimal("-12.50")),
            ],
        )


def run(client: asp.Client, tenant: int, out: TextIO = sys.stdout, workdir: Path | None = None,
        change: bool = True) -> MemoryTarget:  # fmt: skip
    """Sync, (optionally) change the books, and sync again: only the changes travel."""
    session = client.tenant(tenant)
    target = MemoryTarget()
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = (workdir or Path(scratch)) / "journal-sync.json"
        print("First run: the full load.", file=out)
        sync_once(session, target, checkpoint, out)
        if change:
            change_the_books(session)
            print("Someone books a new entry.", file=out)
        print("Second run: only the changes.", file=out)
        sync_once(session, target, checkpoint, out)
    return target


def main() -> int:
    """Connect and run the sync twice (the books only change in the sandbox)."""
    with connect(records={"journalentrieswithlines": 120}) as connection:
        run(connection.client, connection.tenant, change=connection.sandbox is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
