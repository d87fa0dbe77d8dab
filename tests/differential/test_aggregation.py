"""Aggregates, annotate (GROUP BY, related aggregates) and F expressions against Django.

Averages of decimals are left out: SQLite averages through floating point (see the README).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from differential.harness import Case, Outcome


def case(name: str, call: Case, *marks: pytest.MarkDecorator) -> Any:
    return pytest.param(call, id=name, marks=marks)


AGGREGATES = [
    case(
        "aggregate-totals",
        lambda ns: ns.Invoice.objects.aggregate(
            ns.Sum("amount_incl_vat"),
            n=ns.Count("id"),
            rows=ns.Count("*"),
            top=ns.Max("amount_incl_vat"),
            first=ns.Min("date"),
            debtors=ns.Count("debtor", distinct=True),
            statuses=ns.Avg("status"),
        ),
    ),
    case(
        "aggregate-filter-distinct",
        lambda ns: ns.Invoice.objects.aggregate(
            open=ns.Sum("amount_incl_vat", filter=ns.Q(status=1)),
            closed=ns.Count("id", filter=~ns.Q(status=1)),
            amounts=ns.Sum("amount_incl_vat", distinct=True),
            mean=ns.Avg("status", distinct=True),
        ),
    ),
    case(
        "aggregate-of-nothing",
        lambda ns: ns.Invoice.objects.filter(id__lt=0).aggregate(
            total=ns.Sum("amount_incl_vat"),
            n=ns.Count("id"),
            top=ns.Max("amount_incl_vat", default=Decimal("0.00")),
            low=ns.Min("status", default=0),
        ),
    ),
    case("aggregate-count-alone", lambda ns: ns.Debtor.objects.aggregate(n=ns.Count("id"))),
    case(
        "aggregate-of-a-slice",
        lambda ns: ns.Invoice.objects.order_by("-amount_incl_vat", "id")[:7].aggregate(
            ns.Sum("amount_incl_vat"), ns.Min("id")
        ),
    ),
    case(
        "aggregate-of-groups",
        lambda ns: (
            ns.Invoice.objects.values("debtor")
            .annotate(total=ns.Sum("amount_incl_vat"))
            .aggregate(ns.Max("total"), groups=ns.Count("*"))
        ),
    ),
    case(
        "aggregate-of-an-expression",
        lambda ns: ns.Invoice.objects.aggregate(
            doubled=ns.Sum(ns.F("amount_incl_vat") * 2), plus=ns.Max(ns.F("status") + 1)
        ),
    ),
    case(
        "aggregate-of-an-annotation",
        lambda ns: ns.Debtor.objects.annotate(n=ns.Count("sales_invoices")).aggregate(
            ns.Sum("n"), ns.Max("n")
        ),
    ),
]

GROUP_BY = [
    case(
        "values-annotate-order",
        lambda ns: (
            ns.Invoice.objects.values("debtor")
            .annotate(total=ns.Sum("amount_incl_vat"), n=ns.Count("id"))
            .order_by("debtor")
        ),
    ),
    case(
        "values-annotate-unordered",
        lambda ns: ns.Invoice.objects.values("status").annotate(n=ns.Count("id")),
    ),
    case(
        "having-order-by-annotation",
        lambda ns: (
            ns.Invoice.objects.values("debtor")
            .annotate(total=ns.Sum("amount_incl_vat"), n=ns.Count("id"))
            .filter(n__gte=2)
            .exclude(total__lt=100)
            .order_by("-total", "debtor")
        ),
    ),
    case(
        "having-or-a-group-field",
        lambda ns: (
            ns.Invoice.objects.values("status")
            .annotate(n=ns.Count("id"))
            .filter(ns.Q(n__gt=5) | ns.Q(status=1))
            .order_by("status")
        ),
    ),
    case(
        "order-by-field-joins-group-by",
        lambda ns: (
            ns.Invoice.objects.values("debtor")
            .annotate(n=ns.Count("id"))
            .order_by("status", "debtor")
        ),
    ),
    case(
        "order-by-unselected-annotation-joins-group-by",
        lambda ns: (
            ns.Invoice.objects.annotate(x=ns.F("status") * 2)
            .values("debtor")
            .annotate(n=ns.Count("id"))
            .order_by("-x", "debtor")
        ),
    ),
    case(
        "aggregate-annotation-then-values-groups-again",
        lambda ns: (
            ns.Invoice.objects.annotate(n=ns.Count("id"))
            .values("debtor")
            .annotate(m=ns.Count("id"))
            .order_by("debtor")
        ),
    ),
    case(
        "group-by-a-field-of-related-rows",
        lambda ns: (
            ns.Invoice.objects.values("debtor__city")
            .annotate(total=ns.Sum("amount_incl_vat"), n=ns.Count("id"))
            .filter(n__gte=2)
            .order_by("-total", "debtor__city")
        ),
    ),
    case(
        "order-by-a-field-of-related-rows-joins-the-group-by",
        lambda ns: (
            ns.Invoice.objects.values("status")
            .annotate(n=ns.Count("id"))
            .order_by("debtor__city", "status")[2:9]
        ),
    ),
    case(
        "aggregate-of-groups-by-a-related-field",
        lambda ns: (
            ns.Invoice.objects.values("debtor__payment_condition")
            .annotate(n=ns.Count("id"))
            .aggregate(ns.Max("n"), groups=ns.Count("*"))
        ),
    ),
    case(
        "having-on-a-key-expression",
        lambda ns: (
            ns.Invoice.objects.annotate(odd=ns.F("status") % 2)
            .values("odd")
            .annotate(n=ns.Count("id"))
            .filter(ns.Q(n__gt=1000) | ns.Q(odd=0))
            .order_by("odd")
        ),
    ),
    case(
        "where-after-annotate",
        lambda ns: (
            ns.Invoice.objects.values("status")
            .annotate(total=ns.Sum("amount_incl_vat"))
            .filter(amount_incl_vat__gt=50)
            .order_by("status")
        ),
    ),
    case(
        "values-list-groups-sliced",
        lambda ns: (
            ns.Invoice.objects.values_list("debtor")
            .annotate(ns.Count("id"), ns.Max("date"))
            .order_by("-id__count", "debtor")[1:4]
        ),
    ),
    case(
        "annotate-before-values-is-per-row",
        lambda ns: (
            ns.Invoice.objects.annotate(n=ns.Count("id")).values("debtor", "n").order_by("id")
        ),
    ),
    case(
        "expression-of-groups",
        lambda ns: (
            ns.Invoice.objects.values("debtor")
            .annotate(total=ns.Sum("amount_incl_vat"))
            .annotate(double=ns.F("total") * 2, again=ns.F("debtor"))
            .values("double", "debtor", "again")
            .order_by("debtor")
        ),
    ),
    case(
        "count-of-groups",
        lambda ns: ns.Invoice.objects.values("debtor").annotate(n=ns.Count("id")).count(),
    ),
    case(
        "group-by-a-non-aggregate-annotation",
        lambda ns: (
            ns.Invoice.objects.annotate(big=ns.F("status") * 10)
            .values("big")
            .annotate(n=ns.Count("id"))
            .order_by("big")
        ),
    ),
]

RELATED = [
    case(
        "related-sum-and-count",
        lambda ns: (
            ns.Debtor.objects.annotate(
                total=ns.Sum("sales_invoices__amount_incl_vat"), n=ns.Count("sales_invoices")
            )
            .order_by("id")
            .values_list("id", "total", "n")
        ),
    ),
    case(
        "related-with-filter",
        lambda ns: (
            ns.Debtor.objects.annotate(
                open=ns.Sum(
                    "sales_invoices__amount_incl_vat", filter=ns.Q(sales_invoices__status=1)
                ),
                n=ns.Count("sales_invoices", distinct=True),
            )
            .order_by("id")
            .values_list("id", "open", "n")
        ),
    ),
    case(
        "related-after-a-filter-on-the-relation-with-the-same-filter",
        lambda ns: (
            ns.Debtor.objects.filter(sales_invoices__status=1)
            .annotate(
                open=ns.Sum(
                    "sales_invoices__amount_incl_vat", filter=ns.Q(sales_invoices__status=1)
                )
            )
            .distinct()
            .order_by("id")
            .values_list("id", "open")
        ),
    ),
    case(
        "related-having",
        lambda ns: (
            ns.Debtor.objects.annotate(n=ns.Count("sales_invoices")).filter(n=0).order_by("id")
        ),
    ),
    case(
        "related-order-by",
        lambda ns: (
            ns.Debtor.objects.annotate(top=ns.Max("sales_invoices__amount_incl_vat"))
            .order_by(ns.F("top").desc(nulls_last=True), "id")
            .values_list("id", "top")[:10]
        ),
    ),
    case(
        "related-exclude-null-annotation",
        lambda ns: (
            ns.Debtor.objects.annotate(total=ns.Sum("sales_invoices__amount_incl_vat"))
            .exclude(total__gt=500)
            .order_by("id")
        ),
    ),
    case(
        "per-row-aggregate-of-own-field",
        lambda ns: (
            ns.Invoice.objects.annotate(total=ns.Sum("amount_incl_vat"), n=ns.Count("id"))
            .filter(total__gt=100)
            .order_by("id")
            .values_list("id", "total", "n")
        ),
    ),
    case(
        "related-aggregate-grouped-by-values",
        lambda ns: (
            ns.Debtor.objects.values("city").annotate(n=ns.Count("sales_invoices")).order_by("city")
        ),
    ),
    case(
        "related-and-own-aggregates-count-the-join",
        lambda ns: (
            ns.Debtor.objects.values("city")
            .annotate(
                n=ns.Count("sales_invoices"), rows=ns.Count("id"), d=ns.Count("id", distinct=True)
            )
            .order_by("city")
        ),
    ),
    case(
        "own-aggregate-per-object-counts-the-join",
        lambda ns: (
            ns.Debtor.objects.annotate(
                rows=ns.Count("id"),
                n=ns.Count("sales_invoices"),
                top=ns.Max("sales_invoices__date"),
            )
            .order_by("id")
            .values_list("id", "rows", "n", "top")
        ),
    ),
    case(
        "two-relations-multiply",
        lambda ns: (
            ns.PaymentCondition.objects.annotate(
                d=ns.Count("debtors"),
                i=ns.Count("sales_invoices"),
                di=ns.Count("debtors", distinct=True),
            )
            .order_by("id")
            .values_list("id", "d", "i", "di")
        ),
    ),
    case(
        "aggregate-across-a-relation",
        lambda ns: ns.Debtor.objects.filter(blocked=False).aggregate(
            ns.Sum("sales_invoices__amount_incl_vat"),
            n=ns.Count("sales_invoices"),
            rows=ns.Count("id"),
            debtors=ns.Count("id", distinct=True),
        ),
    ),
    case(
        "related-filter-with-own-aggregate",
        lambda ns: (
            ns.Debtor.objects.annotate(
                open=ns.Count("sales_invoices", filter=ns.Q(sales_invoices__status=1)),
                rows=ns.Count("id"),
            )
            .order_by("id")
            .values_list("id", "open", "rows")
        ),
    ),
    case(
        "payment-condition-invoices",
        lambda ns: (
            ns.PaymentCondition.objects.annotate(n=ns.Count("sales_invoices"))
            .order_by("id")
            .values_list("id", "n")
        ),
    ),
]

EXPRESSIONS = [
    case(
        "filter-against-expression",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__gt=ns.F("status") * 100).order_by(
            "id"
        ),
    ),
    case(
        "exclude-against-nullable-field",
        lambda ns: ns.Article.objects.exclude(price__gt=ns.F("purchase_price")).order_by("id"),
    ),
    case(
        "exclude-against-nullable-expression",
        lambda ns: ns.Article.objects.exclude(price__gt=ns.F("purchase_price") * 2).order_by("id"),
    ),
    case(
        "annotate-arithmetic",
        lambda ns: (
            ns.Invoice.objects.annotate(
                net=ns.F("amount_incl_vat") - ns.F("status"),
                neg=-ns.F("status"),
                half=ns.F("status") / 2,
                rest=ns.F("status") % 2,
                scaled=ns.F("amount_incl_vat") * ns.Value(Decimal("1.5")),
            )
            .order_by("id")
            .values_list("id", "net", "neg", "half", "rest", "scaled")
        ),
    ),
    case(
        "annotate-again-after-a-filter",
        lambda ns: (
            ns.Invoice.objects.annotate(x=ns.F("amount_incl_vat") * 2)
            .filter(x__gt=100)
            .annotate(x=ns.F("status"))
            .order_by("id")
            .values_list("id", "x")
        ),
    ),
    case(
        "annotate-again-after-an-order-by-it",
        lambda ns: (
            ns.Invoice.objects.annotate(x=-ns.F("status") / 2)
            .order_by("-x", "id")
            .annotate(x=ns.F("amount_incl_vat") * 2)
            .values_list("id", "x")
        ),
    ),
    case(
        "annotate-again-in-values",
        lambda ns: (
            ns.Invoice.objects.values("id", "status")
            .annotate(x=ns.F("status") * 2)
            .annotate(x=ns.F("status") + 1)
            .order_by("id")
            .values_list("id", "x")
        ),
    ),
    case(
        "annotate-filter-order",
        lambda ns: (
            ns.Invoice.objects.annotate(double=ns.F("amount_incl_vat") * 2)
            .filter(double__gt=1000)
            .order_by("-double", "id")
            .values_list("id", "double")
        ),
    ),
    case(
        "order-by-nulls",
        lambda ns: ns.Article.objects.order_by(
            ns.F("price").asc(nulls_last=True), "id"
        ).values_list("id", flat=True),
    ),
    case(
        "order-by-nulls-reversed",
        lambda ns: (
            ns.Article.objects.order_by(ns.F("price").desc(nulls_first=True), "id")
            .reverse()
            .values_list("id", flat=True)
        ),
    ),
    case(
        "float-with-decimal-refused",
        lambda ns: list(ns.Invoice.objects.annotate(x=ns.F("amount_incl_vat") + 1.5)),
    ),
    case(
        "expression-wrapper",
        lambda ns: (
            ns.Invoice.objects.annotate(
                x=ns.ExpressionWrapper(ns.F("status") * 2, output_field=_integer(ns))
            )
            .order_by("id")
            .values_list("id", "x")
        ),
    ),
    case(
        "annotation-clashes-with-a-field",
        lambda ns: ns.Debtor.objects.annotate(name=ns.Count("id")),
    ),
    case(
        "annotation-clashes-with-a-reverse-relation",
        lambda ns: ns.Debtor.objects.annotate(sales_invoices=ns.Count("id")),
    ),
    case("count-takes-no-default", lambda ns: ns.Count("id", default=1)),
    case("max-takes-no-distinct", lambda ns: ns.Max("id", distinct=True)),
    case(
        "positional-needs-alias",
        lambda ns: ns.Invoice.objects.aggregate(ns.Sum(ns.F("status") * 2)),
    ),
    case("not-an-aggregate", lambda ns: ns.Invoice.objects.aggregate(x=ns.F("status"))),
    case(
        "aggregate-of-an-aggregate",
        lambda ns: (
            ns.Invoice.objects.values("debtor").annotate(n=ns.Count("id")).annotate(m=ns.Sum("n"))
        ),
    ),
]


def _integer(ns: Any) -> Any:
    if ns.side == "django":
        from django.db import models

        return models.IntegerField()
    from asperion_orm import fields

    return fields.Integer()


@pytest.mark.parametrize("call", [*AGGREGATES, *GROUP_BY, *RELATED, *EXPRESSIONS])
def test_aggregation_as_django(same: Callable[[Case], Outcome], call: Case) -> None:
    same(call)


def test_update_with_f_as_django(same: Callable[[Case], Outcome]) -> None:
    same(lambda ns: ns.Article.objects.filter(id__lte=0).update(price=ns.F("price") + 1))
    same(lambda ns: ns.Article.objects.update(price=ns.F("debtor__name")))
