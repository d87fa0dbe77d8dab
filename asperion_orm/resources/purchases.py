"""Purchase invoices; an administration with approval routing requires an approval route."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Never

from asperion_orm.orm import fields
from asperion_orm.orm.model import Model
from asperion_orm.resources.administration import ApprovalRoute
from asperion_orm.resources.contacts import Creditor
from asperion_orm.resources.reference import LedgerAccount, VatCode

__all__ = ["PurchaseInvoice", "PurchaseInvoiceLine"]


class PurchaseInvoiceLine(Model):
    """One line of a purchase invoice."""

    description: fields.String[str | None] = fields.String(max_length=200)
    quantity: fields.Decimal[Decimal] = fields.Decimal(places=2, required=True, null=False)
    price: fields.Decimal[Decimal] = fields.Decimal(places=2, required=True, null=False)
    vat_code: fields.ForeignKey[VatCode | None] = fields.ForeignKey(VatCode, api_name="vatCode")
    ledger_account: fields.ForeignKey[LedgerAccount | None] = fields.ForeignKey(LedgerAccount)
    vat_code_id: str | None = None  # ForeignKey puts the raw id here
    ledger_account_id: int | None = None  # ForeignKey puts the raw id here


class PurchaseInvoice(Model):
    """A purchase invoice.

    Where the administration has approval routing on (``Administration
    .approval_routing_required``), creating one without ``approval_route`` fails with a
    ``ValidationError`` on ``approval_route``.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    creditor: fields.ForeignKey[Creditor] = fields.ForeignKey(
        Creditor, related_name="purchase_invoices", required=True, null=False
    )
    invoice_number: fields.String[str | None] = fields.String(max_length=50)
    invoice_date: fields.Date[dt.date] = fields.Date(required=True, null=False)
    due_date: fields.Date[dt.date | None] = fields.Date()
    description: fields.String[str | None] = fields.String(max_length=200)
    approval_route: fields.ForeignKey[ApprovalRoute | None] = fields.ForeignKey(
        ApprovalRoute, related_name="purchase_invoices"
    )
    lines: fields.Lines[list[PurchaseInvoiceLine] | None] = fields.Lines(PurchaseInvoiceLine)
    amount_excl_vat: fields.Decimal[Decimal | None, Never] = fields.Decimal(
        places=2, read_only=True
    )
    vat_amount: fields.Decimal[Decimal | None, Never] = fields.Decimal(places=2, read_only=True)
    amount_incl_vat: fields.Decimal[Decimal | None, Never] = fields.Decimal(
        places=2, read_only=True
    )
    created_date: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)
    changed_date: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)

    creditor_id: int | None = None  # ForeignKey puts the raw id here
    approval_route_id: int | None = None  # ForeignKey puts the raw id here

    class Meta:
        path = "purchaseinvoices"
        filterable = (
            "id",
            "creditor",
            "invoice_number",
            "invoice_date",
            "due_date",
            "approval_route",
            "amount_excl_vat",
            "vat_amount",
            "amount_incl_vat",
            "created_date",
            "changed_date",
        )
        range_filterable = (
            "id",
            "creditor",
            "invoice_date",
            "due_date",
            "approval_route",
            "amount_excl_vat",
            "vat_amount",
            "amount_incl_vat",
            "created_date",
            "changed_date",
        )
