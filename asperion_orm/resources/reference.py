"""Reference data: countries, VAT codes, payment conditions, ledger accounts and sales types."""

from __future__ import annotations

from asperion_orm.orm import fields
from asperion_orm.orm.model import Model

__all__ = ["Country", "LedgerAccount", "PaymentCondition", "SalesType", "VatCode"]


class Country(Model):
    """A country (the worked example of the API description)."""

    id = fields.Integer(read_only=True)
    name = fields.String(max_length=100, required=True, null=False)
    code = fields.String(max_length=3, required=True, null=False)

    class Meta:
        path = "countries"
        filterable = ("id", "name", "code")
        range_filterable = ("id",)


class VatCode(Model):
    """A VAT code and its percentage."""

    id = fields.Integer(read_only=True)
    code = fields.String(max_length=10, required=True, null=False)
    description = fields.String(max_length=100, required=True, null=False)
    percentage = fields.Decimal(places=2, required=True, null=False)
    active = fields.Boolean(null=False, default=True)

    class Meta:
        path = "vatcodes"
        filterable = ("id", "code", "description", "percentage", "active")
        range_filterable = ("id", "percentage")


class PaymentCondition(Model):
    """A payment condition: days to pay, and an optional early-payment discount."""

    id = fields.Integer(read_only=True)
    description = fields.String(max_length=100, required=True, null=False)
    days = fields.Integer(required=True, null=False)
    discount_percentage = fields.Decimal(places=2)
    discount_days = fields.Integer()

    class Meta:
        path = "paymentconditions"
        filterable = ("id", "description", "days", "discount_percentage", "discount_days")
        range_filterable = ("id", "days", "discount_percentage", "discount_days")


class LedgerAccount(Model):
    """A ledger account (grootboekrekening)."""

    id = fields.Integer(read_only=True)
    code = fields.String(max_length=10, required=True, null=False)
    description = fields.String(max_length=100, required=True, null=False)
    account_type = fields.Choice(["Balance", "ProfitAndLoss"], required=True, null=False)
    vat_code = fields.ForeignKey(VatCode, related_name="ledger_accounts")
    active = fields.Boolean(null=False, default=True)

    vat_code_id: int | None

    class Meta:
        path = "ledgeraccounts"
        filterable = ("id", "code", "description", "account_type", "vat_code", "active")
        range_filterable = ("id", "vat_code")


class SalesType(Model):
    """A sales type: decides the revenue ledger account and the VAT of a sale."""

    id = fields.Integer(read_only=True)
    code = fields.String(max_length=10, read_only=True)
    description = fields.String(max_length=100, read_only=True)
    ledger_account = fields.ForeignKey(LedgerAccount, related_name="sales_types", read_only=True)
    vat_code = fields.ForeignKey(VatCode, related_name="sales_types", read_only=True)

    ledger_account_id: int | None
    vat_code_id: int | None

    class Meta:
        path = "salestypes"
        read_only = True
        filterable = ("id", "code", "description", "ledger_account", "vat_code")
        range_filterable = ("id", "ledger_account", "vat_code")
