"""The ledger: journal entries, their change log, and balances per period."""

from __future__ import annotations

from asperion_orm.orm import fields
from asperion_orm.orm.model import Model
from asperion_orm.resources.reference import LedgerAccount

__all__ = ["JournalEntry", "JournalEntryLine", "JournalEntryLog", "LedgerGrouped"]


class LedgerGrouped(Model):
    """The balance of one ledger account in one period: the fast path for reports."""

    id = fields.Integer(read_only=True)
    ledger_account = fields.ForeignKey(LedgerAccount, related_name="ledger_grouped", read_only=True)
    ledger_account_code = fields.String(max_length=10, read_only=True)
    year = fields.Integer(read_only=True)
    period = fields.Integer(read_only=True)
    debit = fields.Decimal(places=2, read_only=True)
    credit = fields.Decimal(places=2, read_only=True)
    balance = fields.Decimal(places=2, read_only=True)

    ledger_account_id: int | None

    class Meta:
        path = "ledgergrouped"
        read_only = True
        filterable = (
            "id",
            "ledger_account",
            "ledger_account_code",
            "year",
            "period",
            "debit",
            "credit",
            "balance",
        )
        range_filterable = ("id", "ledger_account", "year", "period", "debit", "credit", "balance")


class JournalEntryLine(Model):
    """One line of a journal entry: a debit or credit on a ledger account."""

    ledger_account = fields.ForeignKey(LedgerAccount, required=True, null=False)
    description = fields.String(max_length=200)
    debit = fields.Decimal(places=2)
    credit = fields.Decimal(places=2)
    ledger_account_id: int | None


class JournalEntry(Model):
    """A journal entry; every change is written to the journal-entry log."""

    id = fields.Integer(read_only=True)
    journal_code = fields.String(max_length=10)
    entry_date = fields.Date(required=True, null=False)
    reference = fields.String(max_length=50)
    description = fields.String(max_length=200)
    lines = fields.Nested(JournalEntryLine, many=True)
    created_date = fields.DateTime(read_only=True)
    changed_date = fields.DateTime(read_only=True)

    class Meta:
        path = "journalentries"
        filterable = (
            "id",
            "journal_code",
            "entry_date",
            "reference",
            "created_date",
            "changed_date",
        )
        range_filterable = ("id", "entry_date", "created_date", "changed_date")


class JournalEntryLog(Model):
    """One change of a journal entry (``action``: Insert, Update or Delete), for sync.

    ``journal_entry_id`` stays readable after a deletion; ``journal_entry`` then raises
    ``JournalEntry.DoesNotExist``.
    """

    id = fields.Integer(read_only=True)
    journal_entry = fields.ForeignKey(
        JournalEntry, related_name="journal_entry_logs", read_only=True
    )
    changed_date = fields.DateTime(read_only=True)
    action = fields.Choice(["Insert", "Update", "Delete"], read_only=True)

    journal_entry_id: int | None

    class Meta:
        path = "journalentrylog"
        read_only = True
        ordering = ("changed_date",)
        filterable = ("id", "journal_entry", "changed_date", "action")
        range_filterable = ("id", "journal_entry", "changed_date")
