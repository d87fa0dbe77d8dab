"""The Django models mirroring the library's: the same field names, the same ids, the same rows.

``Debtor``, ``Invoice`` and ``PaymentCondition`` mirror the shipped ``Debtor``, ``SalesInvoice``
and ``PaymentCondition`` (only the fields the differential tests use); ``Article`` mirrors the
shipped ``Article``, whose prices are the decimals with server range filters. Foreign keys have
the library's ``related_name`` and no database constraint (the rows come from the emulator).
"""

from __future__ import annotations

from django.db import models

__all__ = ["Article", "Debtor", "Invoice", "PaymentCondition"]

NOTHING = models.DO_NOTHING


class PaymentCondition(models.Model):
    id = models.IntegerField(primary_key=True)
    description = models.CharField(max_length=100, null=True)

    class Meta:
        app_label = "reference"


class Debtor(models.Model):
    id = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    city = models.CharField(max_length=60, null=True)
    email_address = models.CharField(max_length=254, null=True)
    blocked = models.BooleanField(default=False)
    date_added = models.DateTimeField(null=True)
    payment_condition = models.ForeignKey(
        PaymentCondition, NOTHING, null=True, related_name="debtors", db_constraint=False
    )

    class Meta:
        app_label = "reference"


class Invoice(models.Model):
    id = models.IntegerField(primary_key=True)
    date = models.DateField()
    description = models.CharField(max_length=200, null=True)
    status = models.IntegerField()
    amount_incl_vat = models.DecimalField(max_digits=15, decimal_places=2)
    debtor = models.ForeignKey(Debtor, NOTHING, related_name="sales_invoices", db_constraint=False)
    payment_condition = models.ForeignKey(
        PaymentCondition, NOTHING, null=True, related_name="sales_invoices", db_constraint=False
    )

    class Meta:
        app_label = "reference"


class Article(models.Model):
    id = models.IntegerField(primary_key=True)
    code = models.CharField(max_length=20)
    description = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=15, decimal_places=2, null=True)
    purchase_price = models.DecimalField(max_digits=15, decimal_places=2, null=True)
    created_date = models.DateTimeField(null=True)

    class Meta:
        app_label = "reference"
