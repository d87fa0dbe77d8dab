"""Debtors (customers) and creditors (suppliers)."""

from __future__ import annotations

from asperion_orm.orm import fields
from asperion_orm.orm.model import Model
from asperion_orm.resources.reference import Country, PaymentCondition

__all__ = ["Creditor", "Debtor"]


class Debtor(Model):
    """A debtor (customer); the API's path is the singular ``debtor``."""

    id = fields.Integer(read_only=True)
    name = fields.String(max_length=100, required=True, null=False)
    contact = fields.String(max_length=100)
    email = fields.Email(max_length=254)
    phone = fields.String(max_length=30)
    address = fields.String(max_length=100)
    postal_code = fields.String(max_length=10)
    city = fields.String(max_length=60)
    country = fields.ForeignKey(Country, related_name="debtors")
    vat_number = fields.String(max_length=20)
    chamber_of_commerce_number = fields.String(max_length=20)
    payment_condition = fields.ForeignKey(PaymentCondition, related_name="debtors")
    credit_limit = fields.Decimal(places=2)
    active = fields.Boolean(null=False, default=True)
    created_date = fields.DateTime(read_only=True)
    changed_date = fields.DateTime(read_only=True)

    country_id: int | None
    payment_condition_id: int | None

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
            "payment_condition",
            "credit_limit",
            "active",
            "created_date",
            "changed_date",
        )
        range_filterable = (
            "id",
            "country",
            "payment_condition",
            "credit_limit",
            "created_date",
            "changed_date",
        )


class Creditor(Model):
    """A creditor (supplier)."""

    id = fields.Integer(read_only=True)
    name = fields.String(max_length=100, required=True, null=False)
    contact = fields.String(max_length=100)
    email = fields.Email(max_length=254)
    phone = fields.String(max_length=30)
    address = fields.String(max_length=100)
    postal_code = fields.String(max_length=10)
    city = fields.String(max_length=60)
    country = fields.ForeignKey(Country, related_name="creditors")
    vat_number = fields.String(max_length=20)
    chamber_of_commerce_number = fields.String(max_length=20)
    payment_condition = fields.ForeignKey(PaymentCondition, related_name="creditors")
    active = fields.Boolean(null=False, default=True)
    created_date = fields.DateTime(read_only=True)
    changed_date = fields.DateTime(read_only=True)

    country_id: int | None
    payment_condition_id: int | None

    class Meta:
        path = "creditors"
        filterable = (
            "id",
            "name",
            "email",
            "postal_code",
            "city",
            "country",
            "vat_number",
            "chamber_of_commerce_number",
            "payment_condition",
            "active",
            "created_date",
            "changed_date",
        )
        range_filterable = ("id", "country", "payment_condition", "created_date", "changed_date")
