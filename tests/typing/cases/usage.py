"""What a typed application sees: every line is checked by mypy --strict and pyright."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Never, Self, assert_type

from asperion_orm import Manager, Model, QuerySet, fields
from asperion_orm.resources import (
    Debtor,
    PaymentCondition,
    SalesInvoice,
    SalesInvoiceLine,
)


def fields_read_as_their_types(debtor: Debtor, invoice: SalesInvoice) -> None:
    assert_type(debtor.name, str)  # null=False
    assert_type(debtor.city, str | None)  # nullable, as fields are by default
    assert_type(debtor.id, int | None)  # read-only, None before the first save
    assert_type(debtor.direct_debit, bool)
    assert_type(debtor.date_added, dt.datetime | None)
    assert_type(debtor.payment_condition, PaymentCondition | None)
    assert_type(debtor.payment_condition_id, int | None)
    assert_type(invoice.debtor, Debtor)
    assert_type(invoice.date, dt.date)
    assert_type(invoice.amount_incl_vat, Decimal | None)
    assert_type(invoice.lines, list[SalesInvoiceLine])
    assert_type(invoice.lines[0].amount, Decimal)


def assignments_take_the_field_type(debtor: Debtor, condition: PaymentCondition) -> None:
    debtor.name = "Acme"
    debtor.city = None
    debtor.payment_condition = condition
    debtor.payment_condition = None


def constructors_take_the_fields(condition: PaymentCondition) -> None:
    debtor = Debtor(name="Acme", city="Utrecht", payment_condition=condition)
    assert_type(debtor, Debtor)
    Debtor()  # every field is optional until save() checks the required ones
    Debtor(payment_condition_id=3)


def querysets_keep_the_model() -> None:
    debtors = Debtor.objects.filter(city="Utrecht").exclude(blocked=True).order_by("name")
    assert_type(debtors, QuerySet[Debtor])
    assert_type(debtors[0], Debtor)
    assert_type(debtors[:10], QuerySet[Debtor])
    assert_type(debtors.get(pk=1), Debtor)
    assert_type(debtors.first(), Debtor | None)
    assert_type(debtors.last(), Debtor | None)
    assert_type(Debtor.objects.latest("date_added"), Debtor)
    assert_type(Debtor.objects.get_or_create(name="Acme"), tuple[Debtor, bool])
    assert_type(Debtor.objects.in_bulk([1, 2]), dict[Any, Debtor])
    assert_type(Debtor.objects.count(), int)
    for debtor in debtors:
        assert_type(debtor, Debtor)


def reverse_relations_are_managers(debtor: Debtor) -> None:
    assert_type(debtor.sales_invoices.filter(date__year=2026), QuerySet[SalesInvoice])
    assert_type(debtor.sales_invoices.first(), SalesInvoice | None)


def rows_have_their_shape() -> None:
    assert_type(Debtor.objects.values("name"), QuerySet[Debtor, dict[str, Any]])
    assert_type(Debtor.objects.values("name")[0], dict[str, Any])
    assert_type(Debtor.objects.values_list("id", "name"), QuerySet[Debtor, tuple[Any, ...]])
    assert_type(Debtor.objects.values_list("name", flat=True), QuerySet[Debtor, Any])
    assert_type(
        Debtor.objects.all().values("city").filter(city="Utrecht").first(), dict[str, Any] | None
    )
    assert_type(Debtor.objects.dates("date_added", "month"), QuerySet[Debtor, dt.date])
    assert_type(Debtor.objects.datetimes("date_added", "day"), QuerySet[Debtor, dt.datetime])


class ArticleQuerySet(QuerySet["Article"]):
    def priced(self) -> Self:
        return self.filter(price__isnull=False)


class Article(Model):
    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    code: fields.String[str] = fields.String(max_length=20, null=False)
    price: fields.Decimal[Decimal | None] = fields.Decimal(places=2)
    sales_type: fields.ForeignKey[PaymentCondition | None] = fields.ForeignKey("PaymentCondition")

    # Named apart from ``objects``: mypy holds an override to Model.objects' manager type.
    articles = Manager.from_queryset(ArticleQuerySet)()
    priced_only = ArticleQuerySet.as_manager()

    class Meta:
        path = "articles"


def custom_querysets_keep_their_methods() -> None:
    assert_type(Article.articles.priced(), ArticleQuerySet)
    assert_type(Article.articles.filter(code="A").priced().first(), Article | None)
    assert_type(Article.priced_only.priced(), ArticleQuerySet)
    assert_type(Article(code="A").sales_type, PaymentCondition | None)


async def async_methods_have_the_same_types() -> None:
    assert_type(await Debtor.objects.aget(pk=1), Debtor)
    assert_type(await Debtor.objects.filter(city="Utrecht").afirst(), Debtor | None)
    assert_type(await Debtor.objects.values("name").aget(pk=1), dict[str, Any])
    async for debtor in Debtor.objects.filter(city="Utrecht"):
        assert_type(debtor, Debtor)
