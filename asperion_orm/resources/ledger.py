"""The ledger: journal entries with their lines, their change log, and balances per period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar, Never

from asperion_orm.orm import fields
from asperion_orm.orm.manager import RelatedManager
from asperion_orm.orm.model import Model
from asperion_orm.resources.contacts import Creditor, Debtor
from asperion_orm.resources.purchases import PurchaseInvoice
from asperion_orm.resources.reference import CostCenter, Journal, LedgerAccount, VatCode
from asperion_orm.resources.sales import SalesInvoice

__all__ = ["JournalEntry", "JournalEntryLine", "JournalEntryLog", "LedgerGrouped"]


class LedgerGrouped(Model):
    """The balance of one ledger account in one period: the fast path for reports."""

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    ledger_account: fields.ForeignKey[LedgerAccount | None, Never] = fields.ForeignKey(
        LedgerAccount, related_name="ledger_grouped", read_only=True
    )
    ledger_account_code: fields.String[str | None, Never] = fields.String(
        max_length=10, read_only=True
    )
    year: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    period: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    debit: fields.Decimal[Decimal | None, Never] = fields.Decimal(places=2, read_only=True)
    credit: fields.Decimal[Decimal | None, Never] = fields.Decimal(places=2, read_only=True)
    balance: fields.Decimal[Decimal | None, Never] = fields.Decimal(places=2, read_only=True)

    ledger_account_id: int | None = None  # ForeignKey puts the raw id here

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
    """One line of a journal entry: a positive (debit) or negative (credit) ``amount``.

    The lines of an entry add up to zero. ``debtor``, ``creditor``, ``sales_invoice`` and
    ``purchase_invoice`` say whom or what a line on a debtors or creditors account is for.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    amount: fields.Decimal[Decimal] = fields.Decimal(places=2, required=True, null=False)
    booking_date: fields.Date[dt.date | None] = fields.Date()
    description: fields.String[str | None] = fields.String(max_length=200)
    ledger_account: fields.ForeignKey[LedgerAccount] = fields.ForeignKey(
        LedgerAccount, required=True, null=False
    )
    debtor: fields.ForeignKey[Debtor | None] = fields.ForeignKey(Debtor)
    creditor: fields.ForeignKey[Creditor | None] = fields.ForeignKey(Creditor)
    sales_invoice: fields.ForeignKey[SalesInvoice | None] = fields.ForeignKey(SalesInvoice)
    purchase_invoice: fields.ForeignKey[PurchaseInvoice | None] = fields.ForeignKey(PurchaseInvoice)
    vat_amount: fields.Decimal[Decimal | None] = fields.Decimal(places=2)
    vat_code: fields.ForeignKey[VatCode | None] = fields.ForeignKey(VatCode, api_name="vatCode")
    cost_center: fields.ForeignKey[CostCenter | None] = fields.ForeignKey(CostCenter)

    ledger_account_id: int | None = None  # ForeignKey puts the raw id here
    debtor_id: int | None = None  # ForeignKey puts the raw id here
    creditor_id: int | None = None  # ForeignKey puts the raw id here
    sales_invoice_id: int | None = None  # ForeignKey puts the raw id here
    purchase_invoice_id: int | None = None  # ForeignKey puts the raw id here
    vat_code_id: str | None = None  # ForeignKey puts the raw id here
    cost_center_id: int | None = None  # ForeignKey puts the raw id here


class JournalEntry(Model):
    """A journal entry with its lines (``/v1/journalentrieswithlines``): created and read only.

    The API refuses lines that do not balance; it takes the book year and period from
    ``date`` when they are left out, and writes every new entry to the journal-entry log.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    bookyear: fields.Integer[int | None] = fields.Integer()
    bookperiod: fields.Integer[int | None] = fields.Integer()
    date: fields.Date[dt.date] = fields.Date(required=True, null=False)
    journal: fields.ForeignKey[Journal] = fields.ForeignKey(
        Journal, related_name="journal_entries", required=True, null=False
    )
    description: fields.String[str | None] = fields.String(max_length=200)
    source_document_number: fields.String[str | None] = fields.String(max_length=50)
    state: fields.Integer[int | None] = fields.Integer()
    opening_balance: fields.Decimal[Decimal | None] = fields.Decimal(places=2)
    closing_balance: fields.Decimal[Decimal | None] = fields.Decimal(places=2)
    lines: fields.Lines[list[JournalEntryLine]] = fields.Lines(
        JournalEntryLine, required=True, null=False
    )

    journal_id: str | None = None  # ForeignKey puts the raw id here

    journal_entry_logs: ClassVar[RelatedManager[JournalEntryLog]]

    class Meta:
        path = "journalentrieswithlines"
        append_only = True
        invalidates = ("journalentrylog", "ledgergrouped")  # the change log and the balances
        filterable = (
            "id",
            "bookyear",
            "bookperiod",
            "date",
            "journal",
            "description",
            "source_document_number",
            "state",
            "opening_balance",
            "closing_balance",
        )
        range_filterable = (
            "id",
            "bookyear",
            "bookperiod",
            "date",
            "state",
            "opening_balance",
            "closing_balance",
        )


class JournalEntryLog(Model):
    """One change of a journal entry (``action``: Insert, Update or Delete), for sync.

    ``journal_entry_id`` stays readable after a deletion; ``journal_entry`` then raises
    ``JournalEntry.DoesNotExist``.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    journal_entry: fields.ForeignKey[JournalEntry | None, Never] = fields.ForeignKey(
        JournalEntry, related_name="journal_entry_logs", read_only=True
    )
    changed_date: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)
    action: fields.Choice[Any, Never] = fields.Choice(
        ["Insert", "Update", "Delete"], read_only=True
    )

    journal_entry_id: int | None = None  # ForeignKey puts the raw id here

    class Meta:
        path = "journalentrylog"
        read_only = True
        ordering = ("changed_date",)
        filterable = ("id", "journal_entry", "changed_date", "action")
        range_filterable = ("id", "journal_entry", "changed_date")
