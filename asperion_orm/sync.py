"""Incremental sync of journal entries into a local store: one full load, then changes only.

The API's advice for copying the books: load every journal entry once, then follow the
journal-entry log (``/v1/journalentrylog``) with ``ChangedDate_from``. ``JournalSync.run()``
does both in batches. After each batch is applied to the ``Target``, a ``Checkpoint`` is saved
(never before), so a sync that is interrupted at any point can simply be run again:

* the log is read from the last applied ``changedDate`` *inclusive*, and the log rows already
  applied at exactly that moment are remembered by id and skipped, so rows sharing a timestamp
  across a batch boundary are neither lost nor applied twice;
* a change is applied as the entry's current state (fetched by id) or as a deletion, so
  applying one twice gives the same local copy;
* the full load records the log position *before* it starts, so changes made while it runs
  are picked up from the log afterwards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from asperion_orm._files import write_atomic
from asperion_orm.orm.queryset import QuerySet
from asperion_orm.resources.ledger import JournalEntry, JournalEntryLog
from asperion_orm.session import Session

__all__ = [
    "Checkpoint",
    "CheckpointStore",
    "FileCheckpointStore",
    "JournalSync",
    "MemoryCheckpointStore",
    "MemoryTarget",
    "SyncResult",
    "Target",
]

DEFAULT_BATCH_SIZE = 100
FULL, CHANGES = "full", "changes"
Entry = dict[str, Any]


# -- checkpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """How far a sync got: the phase, the full load's last id and the log position.

    ``changed_from`` is the inclusive ``ChangedDate_from`` of the next log read (ISO 8601),
    ``seen`` the ids of log rows at exactly that moment that were already applied.
    """

    phase: str = FULL
    after_id: int = 0
    changed_from: str | None = None
    seen: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the checkpoint as a JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Build a checkpoint from ``to_json()`` output."""
        return cls(
            phase=str(data["phase"]),
            after_id=int(data["after_id"]),
            changed_from=data.get("changed_from"),
            seen=tuple(int(i) for i in data.get("seen", ())),
        )

    @property
    def cursor(self) -> dt.datetime | None:
        """Return ``changed_from`` as a datetime."""
        return None if self.changed_from is None else dt.datetime.fromisoformat(self.changed_from)


class CheckpointStore(Protocol):
    """Where a sync keeps its checkpoint (a file, a database row, ...)."""

    def load(self) -> Checkpoint | None:
        """Return the saved checkpoint, or ``None`` before the first sync."""

    def save(self, checkpoint: Checkpoint) -> None:
        """Store ``checkpoint`` durably, replacing the previous one."""


class MemoryCheckpointStore:
    """A checkpoint kept in memory (tests, one-off runs)."""

    def __init__(self, checkpoint: Checkpoint | None = None) -> None:
        self.checkpoint = checkpoint

    def load(self) -> Checkpoint | None:
        """Return the checkpoint held."""
        return self.checkpoint

    def save(self, checkpoint: Checkpoint) -> None:
        """Hold ``checkpoint``."""
        self.checkpoint = checkpoint


class FileCheckpointStore:
    """A checkpoint in a JSON file, replaced atomically so a crash never leaves half a file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"FileCheckpointStore({str(self.path)!r})"

    def load(self) -> Checkpoint | None:
        """Return the checkpoint in the file, or ``None`` when there is no file yet."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return None
        return Checkpoint.from_json(json.loads(text))

    def save(self, checkpoint: Checkpoint) -> None:
        """Write the checkpoint to a temporary file, flush it to disk and rename it."""
        write_atomic(self.path, json.dumps(checkpoint.to_json()))


# -- targets -------------------------------------------------------------------------------------


class Target(Protocol):
    """The local store that receives the journal entries."""

    def apply(self, upserts: Sequence[Entry], deletions: Sequence[int]) -> None:
        """Store ``upserts`` (API JSON of whole entries) and remove the ``deletions`` by id.

        Called once per batch; must be idempotent (a batch may be applied again after an
        interruption) and should be atomic where the store allows it.
        """


class MemoryTarget:
    """A local copy in a dict: ``entries[id]`` is the API JSON of the entry."""

    def __init__(self) -> None:
        self.entries: dict[int, Entry] = {}

    def apply(self, upserts: Sequence[Entry], deletions: Sequence[int]) -> None:
        """Replace or add the upserted entries and drop the deleted ones."""
        for entry in upserts:
            self.entries[int(entry["id"])] = entry
        for entry_id in deletions:
            self.entries.pop(entry_id, None)


# -- the sync ----------------------------------------------------------------------------------


@dataclass
class SyncResult:
    """What one ``run()`` did."""

    batches: int = 0
    upserted: int = 0
    deleted: int = 0
    checkpoint: Checkpoint = field(default_factory=Checkpoint)


@dataclass(frozen=True)
class Change:
    """One row of the journal-entry log."""

    log_id: int
    entry_id: int
    changed: dt.datetime
    action: str


class JournalSync:
    """Copy an administration's journal entries into ``target``, resumably.

    ``run()`` carries on from the saved checkpoint until the log has nothing new; run it again
    (after an error, or later for new changes) and it continues where it stopped.
    """

    def __init__(
        self,
        session: Session,
        target: Target,
        checkpoints: CheckpointStore,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if not 1 <= batch_size <= JournalEntryLog._meta.max_page_size:
            raise ValueError(f"batch_size must be between 1 and 100, not {batch_size!r}")
        self.session = session
        self.target = target
        self.checkpoints = checkpoints
        self.batch_size = batch_size

    def run(self, *, max_batches: int | None = None) -> SyncResult:
        """Apply batches until up to date (or ``max_batches``); return what was done."""
        result = SyncResult(checkpoint=self.checkpoints.load() or self._start())
        while max_batches is None or result.batches < max_batches:
            if result.checkpoint.phase == FULL:
                self._load_batch(result)
            elif self._changes_batch(result):
                break
        return result

    def _start(self) -> Checkpoint:
        """Save and return the first checkpoint: a full load, then the log from its end now."""
        log = JournalEntryLog.objects.using(self.session).cache(False)
        newest = log.order_by("-changed_date").first()
        if newest is None or newest.changed_date is None or newest.pk is None:
            checkpoint = Checkpoint()
        else:  # the full load that follows includes this change: skip its log row
            stamp = newest.changed_date.isoformat()
            checkpoint = Checkpoint(changed_from=stamp, seen=(int(newest.pk),))
        self.checkpoints.save(checkpoint)
        return checkpoint

    # -- the full load ---------------------------------------------------------------------------

    def _load_batch(self, result: SyncResult) -> None:
        """Load the next batch of entries by id, or move on to the changes when all are in."""
        checkpoint = result.checkpoint
        entries = self._entries().filter(id__gte=checkpoint.after_id + 1).order_by("id")
        batch = [_raw(entry) for entry in entries[: self.batch_size]]
        if not batch:
            self._save(result, dataclasses.replace(checkpoint, phase=CHANGES))
            return
        self.target.apply(batch, ())
        result.upserted += len(batch)
        result.batches += 1
        self._save(result, dataclasses.replace(checkpoint, after_id=int(batch[-1]["id"])))

    # -- the changes -----------------------------------------------------------------------------

    def _changes_batch(self, result: SyncResult) -> bool:
        """Apply the next batch of log rows; return whether the log had nothing new."""
        checkpoint = result.checkpoint
        rows = self._log_rows(checkpoint)
        fresh = [row for row in rows if row.log_id not in set(checkpoint.seen)]
        if not fresh:
            return True
        upserts, deletions = self._resolve(fresh)
        self.target.apply(upserts, deletions)
        result.upserted += len(upserts)
        result.deleted += len(deletions)
        result.batches += 1
        self._save(result, advance(checkpoint, rows))
        return False

    def _log_rows(self, checkpoint: Checkpoint) -> list[Change]:
        """Return the next log rows from the cursor on (inclusive), oldest first."""
        log = JournalEntryLog.objects.using(self.session).cache(False).order_by("changed_date")
        if checkpoint.cursor is not None:
            log = log.filter(changed_date__gte=checkpoint.cursor)
        window = log[: self.batch_size + len(checkpoint.seen)]
        return [_change(row) for row in window]

    def _resolve(self, changes: Sequence[Change]) -> tuple[list[Entry], list[int]]:
        """Return the current state of the changed entries, and the ids that are gone."""
        last = {change.entry_id: change.action for change in changes}
        wanted = [entry_id for entry_id, action in last.items() if action != "Delete"]
        found = {int(e["id"]): e for e in map(_raw, self._entries().filter(id__in=wanted))}
        gone = [entry_id for entry_id in last if entry_id not in found]
        return [found[entry_id] for entry_id in wanted if entry_id in found], gone

    # -- helpers ---------------------------------------------------------------------------------

    def _entries(self) -> QuerySet[JournalEntry]:
        return JournalEntry.objects.using(self.session).cache(False)

    def _save(self, result: SyncResult, checkpoint: Checkpoint) -> None:
        self.checkpoints.save(checkpoint)
        result.checkpoint = checkpoint


def advance(checkpoint: Checkpoint, rows: Sequence[Change]) -> Checkpoint:
    """Return the checkpoint after applying ``rows`` (all rows read, oldest first)."""
    newest = max(row.changed for row in rows)
    at_newest = {row.log_id for row in rows if row.changed == newest}
    if checkpoint.cursor is not None and newest == checkpoint.cursor:
        at_newest |= set(checkpoint.seen)
    return dataclasses.replace(
        checkpoint, changed_from=newest.isoformat(), seen=tuple(sorted(at_newest))
    )


def _change(row: JournalEntryLog) -> Change:
    if row.journal_entry_id is None or row.changed_date is None or row.pk is None:
        raise ValueError(f"incomplete journal-entry log row {row!r}")
    return Change(int(row.pk), row.journal_entry_id, row.changed_date, str(row.action))


def _raw(entry: JournalEntry) -> Entry:
    """Return the entry as the API sent it (its JSON, without the ``_meta`` links)."""
    raw: Mapping[str, Any] = entry._state.raw  # the entry's own copy: a cache may share its row
    return {key: value for key, value in raw.items() if key != "_meta"}
