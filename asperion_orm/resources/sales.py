"""Sales: invoices with their lines (and their PDFs), invoices without, and sales orders."""

from __future__ import annotations

import datetime as dt
import enum
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Never

from asperion_orm.orm import fields
from asperion_orm.orm.model import Model
from asperion_orm.resources.articles import Article
from asperion_orm.resources.contacts import Debtor
from asperion_orm.resources.reference import (
    CostCenter,
    CostUnit,
    Journal,
    LedgerAccount,
    PaymentCondition,
    VatCode,
)
from asperion_orm.session import Session

__all__ = [
    "InvoiceFile",
    "InvoiceStatus",
    "SalesInvoice",
    "SalesInvoiceHeader",
    "SalesInvoiceLine",
    "SalesOrderLine",
    "SalesOrderWithLines",
]


class InvoiceStatus(enum.IntEnum):
    """The status codes of a sales invoice (``SalesInvoice.status``)."""

    CONCEPT = 1
    IN_JOURNAL_ENTRY = 2
    IN_LEDGER = 3
    PAYABLE = 6
    PAID = 7
    HOLD = 8


class SalesInvoiceLine(Model):
    """One line of a sales invoice: an amount excluding VAT on a revenue ledger account.

    ``vat_amount`` left out is worked out by the API from the VAT code's percentage.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    description: fields.String[str | None] = fields.String(max_length=200)
    amount: fields.Decimal[Decimal] = fields.Decimal(places=2, required=True, null=False)
    ledger_account: fields.ForeignKey[LedgerAccount] = fields.ForeignKey(
        LedgerAccount, required=True, null=False
    )
    vat_code: fields.ForeignKey[VatCode | None] = fields.ForeignKey(VatCode, api_name="vatCode")
    vat_amount: fields.Decimal[Decimal | None] = fields.Decimal(places=2)
    cost_center: fields.ForeignKey[CostCenter | None] = fields.ForeignKey(CostCenter)
    cost_unit: fields.ForeignKey[CostUnit | None] = fields.ForeignKey(CostUnit)

    ledger_account_id: int | None = None  # ForeignKey puts the raw id here
    vat_code_id: str | None = None  # ForeignKey puts the raw id here
    cost_center_id: int | None = None  # ForeignKey puts the raw id here
    cost_unit_id: int | None = None  # ForeignKey puts the raw id here


class InvoiceFile(Model):
    """A file attached to a sales invoice (``SalesInvoice.files``, ``SalesInvoice.attach``)."""

    id: fields.String[str | None, Never] = fields.String(read_only=True)
    name: fields.String[str | None, Never] = fields.String(max_length=255, read_only=True)
    type: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)
    extension: fields.String[str | None, Never] = fields.String(max_length=20, read_only=True)
    size: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    created_on: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)


class SalesInvoice(Model):
    """A sales invoice with its lines (``/v1/salesinvoiceswithlines``): created and read only.

    A new invoice is a concept (``InvoiceStatus.CONCEPT``) without an invoice number unless
    another status is given; the API fills in the debtor's customer number and payment
    condition, the sales journal, the book year and period, and the totals of the lines.
    ``attach()`` uploads a file such as the invoice PDF. For lists without the lines, use
    ``SalesInvoiceHeader``.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    invoice_number: fields.String[str | None] = fields.String(max_length=20)
    date: fields.Date[dt.date] = fields.Date(required=True, null=False)
    description: fields.String[str | None] = fields.String(max_length=200)
    debtor: fields.ForeignKey[Debtor] = fields.ForeignKey(
        Debtor, related_name="sales_invoices", required=True, null=False
    )
    debtor_customer_number: fields.String[str | None, Never] = fields.String(
        max_length=20, read_only=True
    )
    journal: fields.ForeignKey[Journal | None] = fields.ForeignKey(
        Journal, related_name="sales_invoices"
    )
    bookyear: fields.Integer[int | None] = fields.Integer()
    bookperiod: fields.Integer[int | None] = fields.Integer()
    status: fields.Choice[Any] = fields.Choice(
        list(InvoiceStatus), null=False, default=InvoiceStatus.CONCEPT
    )
    payment_condition: fields.ForeignKey[PaymentCondition | None] = fields.ForeignKey(
        PaymentCondition, related_name="sales_invoices"
    )
    payment_due_date: fields.Date[dt.date | None] = fields.Date()
    amount_excl_vat: fields.Decimal[Decimal | None, Never] = fields.Decimal(
        places=2, read_only=True
    )
    vat_amount: fields.Decimal[Decimal | None, Never] = fields.Decimal(places=2, read_only=True)
    amount_incl_vat: fields.Decimal[Decimal | None, Never] = fields.Decimal(
        places=2, read_only=True
    )
    lines: fields.Lines[list[SalesInvoiceLine]] = fields.Lines(
        SalesInvoiceLine, required=True, null=False
    )
    files: fields.Nested[list[InvoiceFile] | None, Never] = fields.Nested(
        InvoiceFile, many=True, read_only=True
    )

    debtor_id: int | None = None  # ForeignKey puts the raw id here
    journal_id: str | None = None  # ForeignKey puts the raw id here
    payment_condition_id: int | None = None  # ForeignKey puts the raw id here

    class Meta:
        path = "salesinvoiceswithlines"
        append_only = True
        invalidates = ("salesinvoices",)  # the same invoices, without their lines
        filterable = (
            "id",
            "invoice_number",
            "date",
            "description",
            "debtor",
            "debtor_customer_number",
            "journal",
            "bookyear",
            "bookperiod",
            "status",
            "payment_condition",
            "payment_due_date",
            "amount_excl_vat",
            "vat_amount",
            "amount_incl_vat",
        )
        range_filterable = (
            "id",
            "date",
            "debtor",
            "bookyear",
            "bookperiod",
            "payment_condition",
            "payment_due_date",
            "amount_excl_vat",
            "vat_amount",
            "amount_incl_vat",
        )

    def attach(
        self,
        file: str | os.PathLike[str] | BinaryIO,
        *,
        filename: str | None = None,
        content_type: str = "application/pdf",
        using: Session | None = None,
    ) -> InvoiceFile:
        """Upload a file (the invoice PDF) to this invoice; return it as the API lists it.

        ``file`` is a path or a file object opened in binary mode; ``filename`` defaults to
        its name. One multipart POST to ``salesinvoiceswithlines/{id}/file`` through the
        invoice's session; when its answer is lost it raises ``AmbiguousWriteError`` and is
        not sent again. The file is added to ``files`` as well.
        """
        session = self._session_for(using)
        path = f"{self._detail_path(session)}/file"
        name, content = _read(file, filename)
        answer = session.upload(
            path, {"File": (name, content, content_type)}, invalidates=self._meta.invalidates
        )
        listed = {key: value for key, value in answer.items() if key != "_meta"}
        raw = self._owned_raw()
        raw["files"] = [*(raw.get("files") or []), listed]
        if self._values is not None:
            self._values.pop("files", None)
        return InvoiceFile.from_api(listed, session)


def _read(file: str | os.PathLike[str] | BinaryIO, filename: str | None) -> tuple[str, bytes]:
    """Return the name and the bytes of a path or a binary file object."""
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        return filename or path.name, path.read_bytes()
    content = file.read()
    if not isinstance(content, bytes):
        raise TypeError("attach() reads bytes: open the file in binary mode ('rb').")
    return filename or Path(str(getattr(file, "name", "") or "file")).name, content


class SalesInvoiceHeader(Model):
    """A sales invoice without its lines (``/v1/salesinvoices``): the same invoices, read-only.

    Lighter to list than ``SalesInvoice``; ``SalesInvoice.objects.get(pk=header.pk)`` reads
    the lines.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    invoice_number: fields.String[str | None, Never] = fields.String(max_length=20, read_only=True)
    date: fields.Date[dt.date | None, Never] = fields.Date(read_only=True)
    description: fields.String[str | None, Never] = fields.String(max_length=200, read_only=True)
    debtor: fields.ForeignKey[Debtor | None, Never] = fields.ForeignKey(Debtor, read_only=True)
    debtor_customer_number: fields.String[str | None, Never] = fields.String(
        max_length=20, read_only=True
    )
    journal: fields.ForeignKey[Journal | None, Never] = fields.ForeignKey(Journal, read_only=True)
    bookyear: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    bookperiod: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    status: fields.Choice[Any, Never] = fields.Choice(list(InvoiceStatus), read_only=True)
    payment_condition: fields.ForeignKey[PaymentCondition | None, Never] = fields.ForeignKey(
        PaymentCondition, read_only=True
    )
    payment_due_date: fields.Date[dt.date | None, Never] = fields.Date(read_only=True)
    amount_excl_vat: fields.Decimal[Decimal | None, Never] = fields.Decimal(
        places=2, read_only=True
    )
    vat_amount: fields.Decimal[Decimal | None, Never] = fields.Decimal(places=2, read_only=True)
    amount_incl_vat: fields.Decimal[Decimal | None, Never] = fields.Decimal(
        places=2, read_only=True
    )

    debtor_id: int | None = None  # ForeignKey puts the raw id here
    journal_id: str | None = None  # ForeignKey puts the raw id here
    payment_condition_id: int | None = None  # ForeignKey puts the raw id here

    class Meta:
        path = "salesinvoices"
        read_only = True
        filterable = (
            "id",
            "invoice_number",
            "date",
            "description",
            "debtor",
            "debtor_customer_number",
            "journal",
            "bookyear",
            "bookperiod",
            "status",
            "payment_condition",
            "payment_due_date",
            "amount_excl_vat",
            "vat_amount",
            "amount_incl_vat",
        )
        range_filterable = (
            "id",
            "date",
            "debtor",
            "bookyear",
            "bookperiod",
            "payment_condition",
            "payment_due_date",
            "amount_excl_vat",
            "vat_amount",
            "amount_incl_vat",
        )


class SalesOrderLine(Model):
    """One line of a sales order; its quantity is taken off the article's stock."""

    article: fields.ForeignKey[Article] = fields.ForeignKey(Article, required=True, null=False)
    description: fields.String[str | None] = fields.String(max_length=200)
    quantity: fields.Decimal[Decimal] = fields.Decimal(places=2, required=True, null=False)
    price: fields.Decimal[Decimal | None] = fields.Decimal(places=2)
    article_id: int | None = None  # ForeignKey puts the raw id here


class SalesOrderWithLines(Model):
    """A sales order with its lines in one POST: create-only, and the only way to change stock.

    ``SalesOrderWithLines.objects.create(...)`` (or ``save()`` on a new instance) posts it;
    listing, reading, changing or deleting one raises ``ConfigurationError`` before any request.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    debtor: fields.ForeignKey[Debtor] = fields.ForeignKey(Debtor, required=True, null=False)
    order_date: fields.Date[dt.date] = fields.Date(required=True, null=False)
    reference: fields.String[str | None] = fields.String(max_length=50)
    description: fields.String[str | None] = fields.String(max_length=200)
    lines: fields.Lines[list[SalesOrderLine]] = fields.Lines(
        SalesOrderLine, required=True, null=False
    )
    amount_excl_vat: fields.Decimal[Decimal | None, Never] = fields.Decimal(
        places=2, read_only=True
    )
    created_date: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)

    debtor_id: int | None = None  # ForeignKey puts the raw id here

    class Meta:
        path = "SalesOrderWithLines"
        create_only = True
        invalidates = ("articles",)  # each line lowers its article's stock
        filterable = ()
