"""Sales: invoices (created as drafts) and sales orders with lines (create-only)."""

from __future__ import annotations

from asperion_orm.orm import fields
from asperion_orm.orm.model import Model
from asperion_orm.resources.articles import Article
from asperion_orm.resources.contacts import Debtor
from asperion_orm.resources.reference import LedgerAccount, VatCode

__all__ = ["SalesInvoice", "SalesInvoiceLine", "SalesOrderLine", "SalesOrderWithLines"]


class SalesInvoiceLine(Model):
    """One line of a sales invoice."""

    article = fields.ForeignKey(Article)
    description = fields.String(max_length=200)
    quantity = fields.Decimal(places=2, required=True, null=False)
    price = fields.Decimal(places=2, required=True, null=False)
    vat_code = fields.ForeignKey(VatCode)
    ledger_account = fields.ForeignKey(LedgerAccount)
    article_id: int | None
    vat_code_id: int | None
    ledger_account_id: int | None


class SalesInvoice(Model):
    """A sales invoice; a new one is a draft without an invoice number."""

    id = fields.Integer(read_only=True)
    invoice_number = fields.String(max_length=20, read_only=True)
    status = fields.Choice(["Draft", "Final"], read_only=True)
    debtor = fields.ForeignKey(Debtor, related_name="sales_invoices", required=True, null=False)
    invoice_date = fields.Date(required=True, null=False)
    due_date = fields.Date()
    reference = fields.String(max_length=50)
    description = fields.String(max_length=200)
    lines = fields.Nested(SalesInvoiceLine, many=True)
    amount_excl_vat = fields.Decimal(places=2, read_only=True)
    vat_amount = fields.Decimal(places=2, read_only=True)
    amount_incl_vat = fields.Decimal(places=2, read_only=True)
    created_date = fields.DateTime(read_only=True)
    changed_date = fields.DateTime(read_only=True)

    debtor_id: int | None

    class Meta:
        path = "salesinvoices"
        filterable = (
            "id",
            "invoice_number",
            "status",
            "debtor",
            "invoice_date",
            "due_date",
            "reference",
            "amount_excl_vat",
            "vat_amount",
            "amount_incl_vat",
            "created_date",
            "changed_date",
        )
        range_filterable = (
            "id",
            "debtor",
            "invoice_date",
            "due_date",
            "amount_excl_vat",
            "vat_amount",
            "amount_incl_vat",
            "created_date",
            "changed_date",
        )


class SalesOrderLine(Model):
    """One line of a sales order; its quantity is taken off the article's stock."""

    article = fields.ForeignKey(Article, required=True, null=False)
    description = fields.String(max_length=200)
    quantity = fields.Decimal(places=2, required=True, null=False)
    price = fields.Decimal(places=2)
    article_id: int | None


class SalesOrderWithLines(Model):
    """A sales order with its lines in one POST: create-only, and the only way to change stock.

    ``SalesOrderWithLines.objects.create(...)`` (or ``save()`` on a new instance) posts it;
    listing, reading, changing or deleting one raises ``ConfigurationError`` before any request.
    """

    id = fields.Integer(read_only=True)
    debtor = fields.ForeignKey(Debtor, required=True, null=False)
    order_date = fields.Date(required=True, null=False)
    reference = fields.String(max_length=50)
    description = fields.String(max_length=200)
    lines = fields.Nested(SalesOrderLine, many=True, required=True, null=False)
    amount_excl_vat = fields.Decimal(places=2, read_only=True)
    created_date = fields.DateTime(read_only=True)

    debtor_id: int | None

    class Meta:
        path = "SalesOrderWithLines"
        create_only = True
        filterable = ()
