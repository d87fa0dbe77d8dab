"""Sample models for the ORM's compile-only tests, on paths the emulator serves.

They are not the shipped resources (``asperion_orm.resources``) and differ from them on
purpose: ``SampleInvoice`` is ordered by id and reached from ``SampleDebtor.invoices``, its
lines keep four decimal places of quantity, and ``SampleDebtor`` has a plain
``payment_condition_id``. Tests that read or write the emulator's data use the shipped models.
"""

from __future__ import annotations

from asperion_orm import fields
from asperion_orm.orm.model import Model


class SampleCountry(Model):
    """A country, as the shipped ``Country``."""

    id = fields.Integer(read_only=True)
    name = fields.String(required=True, max_length=100, null=False)
    code = fields.String(required=True, max_length=3, null=False)

    class Meta:
        path = "countries"
        filterable = ("id", "name", "code")
        range_filterable = ("id",)


class SampleDebtor(Model):
    """A debtor with a plain payment condition id and ``invoices`` as its reverse accessor."""

    id = fields.Integer(read_only=True)
    name = fields.String(required=True, max_length=100, null=False)
    contact = fields.String(max_length=100)
    email = fields.Email()
    phone = fields.String(max_length=30)
    address = fields.String(max_length=100)
    postal_code = fields.String(max_length=10)
    city = fields.String(max_length=60)
    country = fields.ForeignKey(SampleCountry, related_name="debtors")
    vat_number = fields.String(max_length=20)
    chamber_of_commerce_number = fields.String(max_length=20)
    payment_condition_id = fields.Integer()
    credit_limit = fields.Decimal(places=2)
    active = fields.Boolean(default=True)
    created_date = fields.DateTime(read_only=True)
    changed_date = fields.DateTime(read_only=True)

    class Meta:
        path = "debtor"
        filterable = (
            "id",
            "name",
            "email",
            "postal_code",
            "city",
            "country",
            "vat_number",
            "chamber_of_commerce_number",
            "payment_condition_id",
            "credit_limit",
            "active",
            "created_date",
            "changed_date",
        )
        range_filterable = (
            "id",
            "country",
            "payment_condition_id",
            "credit_limit",
            "created_date",
            "changed_date",
        )


class SampleInvoiceLine(Model):
    """An invoice line with four decimal places of quantity and an optional price."""

    description = fields.String(max_length=200)
    quantity = fields.Decimal(places=4)
    price = fields.Decimal(places=2)


class SampleInvoice(Model):
    """A sales invoice ordered by id, reached from ``SampleDebtor.invoices``."""

    id = fields.Integer(read_only=True)
    invoice_number = fields.String(read_only=True)
    status = fields.String(read_only=True)
    debtor = fields.ForeignKey(SampleDebtor, related_name="invoices", null=False, required=True)
    invoice_date = fields.Date(required=True, null=False)
    due_date = fields.Date()
    reference = fields.String(max_length=50)
    description = fields.String(max_length=200)
    lines = fields.Nested(SampleInvoiceLine, many=True)
    amount_excl_vat = fields.Decimal(read_only=True)
    vat_amount = fields.Decimal(read_only=True)
    amount_incl_vat = fields.Decimal(read_only=True)

    class Meta:
        path = "salesinvoices"
        ordering = ("id",)
        filterable = ("id", "invoice_number", "status", "debtor", "invoice_date", "reference")
        range_filterable = ("id", "debtor", "invoice_date", "amount_incl_vat")
