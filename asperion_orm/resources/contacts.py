"""Debtors (customers) and creditors (suppliers), with the fields the live API uses."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar, Never

from asperion_orm.orm import fields
from asperion_orm.orm.manager import RelatedManager
from asperion_orm.orm.model import Model
from asperion_orm.resources.reference import PaymentCondition

if TYPE_CHECKING:
    from asperion_orm.resources.purchases import PurchaseInvoice
    from asperion_orm.resources.sales import SalesInvoice

__all__ = ["Creditor", "Debtor"]


class Debtor(Model):
    """A debtor (customer) on ``/v1/debtors``; the API also answers the singular ``debtor``.

    A new debtor without ``customer_number`` gets the next free number from the API.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    name: fields.String[str] = fields.String(max_length=100, required=True, null=False)
    customer_number: fields.String[str | None] = fields.String(max_length=20)
    address: fields.String[str | None] = fields.String(max_length=100)
    address_line2: fields.String[str | None] = fields.String(max_length=100)
    address_line3: fields.String[str | None] = fields.String(max_length=100)
    attention_to: fields.String[str | None] = fields.String(max_length=100)
    post_code: fields.String[str | None] = fields.String(max_length=10)
    city: fields.String[str | None] = fields.String(max_length=60)
    country_code: fields.String[str | None] = fields.String(max_length=2)
    phone_number: fields.String[str | None] = fields.String(max_length=30)
    fax_number: fields.String[str | None] = fields.String(max_length=30)
    mobile_number: fields.String[str | None] = fields.String(max_length=30)
    email_address: fields.Email[str | None] = fields.Email(max_length=254)
    iban: fields.String[str | None] = fields.String(max_length=34)
    bic: fields.String[str | None] = fields.String(max_length=11)
    bban: fields.String[str | None] = fields.String(max_length=30)
    direct_debit: fields.Boolean[bool] = fields.Boolean(null=False, default=False)
    coc_number: fields.String[str | None] = fields.String(max_length=20)
    vat_number: fields.String[str | None] = fields.String(max_length=20)
    debtor_kind_id: fields.String[str | None] = fields.String(max_length=10)
    payment_condition: fields.ForeignKey[PaymentCondition | None] = fields.ForeignKey(
        PaymentCondition, related_name="debtors"
    )
    payment_method_id: fields.String[str | None] = fields.String(max_length=20)
    comments: fields.String[str | None] = fields.String(max_length=1000)
    characteristic4: fields.String[str | None] = fields.String(max_length=50)
    characteristic5: fields.String[str | None] = fields.String(max_length=50)
    blocked: fields.Boolean[bool] = fields.Boolean(null=False, default=False)
    no_reminder: fields.Boolean[bool] = fields.Boolean(null=False, default=False)
    date_added: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)
    date_last_change: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)

    payment_condition_id: int | None = None  # ForeignKey puts the raw id here

    sales_invoices: ClassVar[RelatedManager[SalesInvoice]]

    class Meta:
        path = "debtors"
        filterable = (
            "id",
            "name",
            "customer_number",
            "address",
            "address_line2",
            "address_line3",
            "attention_to",
            "post_code",
            "city",
            "country_code",
            "phone_number",
            "fax_number",
            "mobile_number",
            "email_address",
            "iban",
            "bic",
            "bban",
            "direct_debit",
            "coc_number",
            "vat_number",
            "debtor_kind_id",
            "payment_condition",
            "payment_method_id",
            "comments",
            "characteristic4",
            "characteristic5",
            "blocked",
            "no_reminder",
            "date_added",
            "date_last_change",
        )
        range_filterable = ("id", "payment_condition", "date_added", "date_last_change")


class Creditor(Model):
    """A creditor (supplier): the fields of a debtor, with a creditor number and kind."""

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    name: fields.String[str] = fields.String(max_length=100, required=True, null=False)
    creditor_number: fields.String[str | None] = fields.String(max_length=20)
    address: fields.String[str | None] = fields.String(max_length=100)
    address_line2: fields.String[str | None] = fields.String(max_length=100)
    address_line3: fields.String[str | None] = fields.String(max_length=100)
    attention_to: fields.String[str | None] = fields.String(max_length=100)
    post_code: fields.String[str | None] = fields.String(max_length=10)
    city: fields.String[str | None] = fields.String(max_length=60)
    country_code: fields.String[str | None] = fields.String(max_length=2)
    phone_number: fields.String[str | None] = fields.String(max_length=30)
    fax_number: fields.String[str | None] = fields.String(max_length=30)
    mobile_number: fields.String[str | None] = fields.String(max_length=30)
    email_address: fields.Email[str | None] = fields.Email(max_length=254)
    iban: fields.String[str | None] = fields.String(max_length=34)
    bic: fields.String[str | None] = fields.String(max_length=11)
    bban: fields.String[str | None] = fields.String(max_length=30)
    direct_debit: fields.Boolean[bool] = fields.Boolean(null=False, default=False)
    coc_number: fields.String[str | None] = fields.String(max_length=20)
    vat_number: fields.String[str | None] = fields.String(max_length=20)
    creditor_kind_id: fields.String[str | None] = fields.String(max_length=10)
    payment_condition: fields.ForeignKey[PaymentCondition | None] = fields.ForeignKey(
        PaymentCondition, related_name="creditors"
    )
    payment_method_id: fields.String[str | None] = fields.String(max_length=20)
    comments: fields.String[str | None] = fields.String(max_length=1000)
    characteristic4: fields.String[str | None] = fields.String(max_length=50)
    characteristic5: fields.String[str | None] = fields.String(max_length=50)
    blocked: fields.Boolean[bool] = fields.Boolean(null=False, default=False)
    no_reminder: fields.Boolean[bool] = fields.Boolean(null=False, default=False)
    date_added: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)
    date_last_change: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)

    payment_condition_id: int | None = None  # ForeignKey puts the raw id here

    purchase_invoices: ClassVar[RelatedManager[PurchaseInvoice]]

    class Meta:
        path = "creditors"
        filterable = (
            "id",
            "name",
            "creditor_number",
            "address",
            "address_line2",
            "address_line3",
            "attention_to",
            "post_code",
            "city",
            "country_code",
            "phone_number",
            "fax_number",
            "mobile_number",
            "email_address",
            "iban",
            "bic",
            "bban",
            "direct_debit",
            "coc_number",
            "vat_number",
            "creditor_kind_id",
            "payment_condition",
            "payment_method_id",
            "comments",
            "characteristic4",
            "characteristic5",
            "blocked",
            "no_reminder",
            "date_added",
            "date_last_change",
        )
        range_filterable = ("id", "payment_condition", "date_added", "date_last_change")
