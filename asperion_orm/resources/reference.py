"""Reference data: countries, journals, VAT codes, payment terms, ledgers and cost objects.

Journals and VAT codes have string ids (``Journal.objects.get(pk="70")``,
``VatCode.objects.get(pk="VH21")``); a foreign key to them holds the string
(``invoice.journal_id == "70"``, ``line.vat_code_id == "VH21"``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Never

from asperion_orm.orm import fields
from asperion_orm.orm.manager import RelatedManager
from asperion_orm.orm.model import Model

if TYPE_CHECKING:
    from asperion_orm.resources.articles import Article
    from asperion_orm.resources.contacts import Creditor, Debtor
    from asperion_orm.resources.ledger import JournalEntry, LedgerGrouped
    from asperion_orm.resources.sales import SalesInvoice

__all__ = [
    "CostCenter",
    "CostUnit",
    "Country",
    "Journal",
    "LedgerAccount",
    "PaymentCondition",
    "SalesType",
    "VatCode",
]


class Country(Model):
    """A country (the worked example of the API description)."""

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    name: fields.String[str] = fields.String(max_length=100, required=True, null=False)
    code: fields.String[str] = fields.String(max_length=3, required=True, null=False)

    class Meta:
        path = "countries"
        filterable = ("id", "name", "code")
        range_filterable = ("id",)


class Journal(Model):
    """A journal (dagboek): sales, purchases, bank, cash or general; its id is a string."""

    id: fields.String[str | None, Never] = fields.String(max_length=10, read_only=True)
    description: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)
    type: fields.String[str | None, Never] = fields.String(max_length=20, read_only=True)

    sales_invoices: ClassVar[RelatedManager[SalesInvoice]]

    journal_entries: ClassVar[RelatedManager[JournalEntry]]

    class Meta:
        path = "journals"
        read_only = True
        filterable = ("id", "description", "type")


class VatCode(Model):
    """A VAT code (``"VH21"``: sales at 21%); its id is a string."""

    id: fields.String[str | None, Never] = fields.String(max_length=10, read_only=True)
    description: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)
    sales_code: fields.Boolean[bool | None, Never] = fields.Boolean(read_only=True)
    percentage: fields.Decimal[Decimal | None, Never] = fields.Decimal(places=2, read_only=True)
    is_default: fields.Boolean[bool | None, Never] = fields.Boolean(read_only=True)
    valid_from: fields.Date[dt.date | None, Never] = fields.Date(read_only=True)
    valid_until: fields.Date[dt.date | None, Never] = fields.Date(read_only=True)
    country_code: fields.String[str | None, Never] = fields.String(max_length=2, read_only=True)

    ledger_accounts: ClassVar[RelatedManager[LedgerAccount]]

    sales_types: ClassVar[RelatedManager[SalesType]]

    class Meta:
        path = "vatcodes"
        read_only = True
        filterable = (
            "id",
            "description",
            "sales_code",
            "percentage",
            "is_default",
            "valid_from",
            "valid_until",
            "country_code",
        )
        range_filterable = ("percentage", "valid_from", "valid_until")


class PaymentCondition(Model):
    """A payment condition, such as ``30 dagen netto``."""

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    description: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)

    debtors: ClassVar[RelatedManager[Debtor]]

    creditors: ClassVar[RelatedManager[Creditor]]

    sales_invoices: ClassVar[RelatedManager[SalesInvoice]]

    class Meta:
        path = "paymentconditions"
        read_only = True
        filterable = ("id", "description")
        range_filterable = ("id",)


class LedgerAccount(Model):
    """A ledger account (grootboekrekening); the id is the account number (``8000``).

    ``type`` is the kind of account (1 balance sheet, 2 profit and loss); ``vat_code`` the
    default VAT code; ``rcsfi`` the code in the reference chart of accounts (RGS).
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    description: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)
    type: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    vat_code: fields.ForeignKey[VatCode | None, Never] = fields.ForeignKey(
        VatCode, related_name="ledger_accounts", api_name="vatCode", read_only=True
    )
    disabled: fields.Boolean[bool | None, Never] = fields.Boolean(read_only=True)
    rcsfi: fields.String[str | None, Never] = fields.String(max_length=20, read_only=True)

    vat_code_id: str | None = None  # ForeignKey puts the raw id here

    sales_types: ClassVar[RelatedManager[SalesType]]

    ledger_grouped: ClassVar[RelatedManager[LedgerGrouped]]

    class Meta:
        path = "ledgeraccounts"
        read_only = True
        filterable = ("id", "description", "type", "vat_code", "disabled", "rcsfi")
        range_filterable = ("id", "type")


class SalesType(Model):
    """A sales type: decides the revenue ledger account and the VAT of a sale."""

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    code: fields.String[str | None, Never] = fields.String(max_length=10, read_only=True)
    description: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)
    ledger_account: fields.ForeignKey[LedgerAccount | None, Never] = fields.ForeignKey(
        LedgerAccount, related_name="sales_types", read_only=True
    )
    vat_code: fields.ForeignKey[VatCode | None, Never] = fields.ForeignKey(
        VatCode, related_name="sales_types", api_name="vatCode", read_only=True
    )

    ledger_account_id: int | None = None  # ForeignKey puts the raw id here
    vat_code_id: str | None = None  # ForeignKey puts the raw id here

    articles: ClassVar[RelatedManager[Article]]

    class Meta:
        path = "salestypes"
        read_only = True
        filterable = ("id", "code", "description", "ledger_account", "vat_code")
        range_filterable = ("id", "ledger_account")


class CostCenter(Model):
    """A cost centre (kostenplaats)."""

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    description: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)
    conversion_code: fields.String[str | None, Never] = fields.String(max_length=20, read_only=True)

    class Meta:
        path = "costcenters"
        read_only = True
        filterable = ("id", "description", "conversion_code")
        range_filterable = ("id",)


class CostUnit(Model):
    """A cost unit (kostendrager)."""

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    description: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)
    conversion_code: fields.String[str | None, Never] = fields.String(max_length=20, read_only=True)

    class Meta:
        path = "costunits"
        read_only = True
        filterable = ("id", "description", "conversion_code")
        range_filterable = ("id",)
