"""Hand-written cases at the edges the issue lists, each answered as Django answers it.

Cases the library gets wrong today are marked ``xfail(strict=True)``: once fixed they fail
as XPASS, and the marker goes. ``PENDING`` marks the issue's list; ``DIFFERS`` other answers
that are not Django's (an exception of another kind, or a value Django coerces refused), and
``REFUSES_FLOAT``, ``TAKES_INSTANCE`` and ``KEEPS_FRACTION`` the differences the library
keeps on purpose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from differential.harness import Case, Outcome

UTC = dt.UTC
PENDING = pytest.mark.xfail(strict=True, reason="edge fix pending")
DIFFERS = pytest.mark.xfail(strict=True, reason="differs from Django (not in the issue's list)")
REFUSES_FLOAT = pytest.mark.xfail(
    strict=True, reason="on purpose: a float for a Decimal field raises TypeError (exact money)"
)
KEEPS_FRACTION = pytest.mark.xfail(
    strict=True,
    reason="on purpose: id=10005.5 is compared as given (no row); Django truncates it to 10005",
)
TAKES_INSTANCE = pytest.mark.xfail(
    strict=True,
    reason="on purpose: issue 14 asks filter(pk=obj) to take obj.pk; Django 5.2 raises TypeError",
)


def case(name: str, call: Case, *marks: pytest.MarkDecorator) -> Any:
    return pytest.param(call, id=name, marks=marks)


DECIMALS = [
    case(
        "decimal-exact-extra-places",
        lambda ns: ns.Article.objects.filter(price=Decimal("500.001")),
    ),
    case(
        "decimal-gt-extra-places",
        lambda ns: ns.Article.objects.filter(price__gt=Decimal("499.995")),
    ),
    case(
        "decimal-lte-extra-places",
        lambda ns: ns.Article.objects.filter(price__lte=Decimal("500.005")),
    ),
    case(
        "decimal-lt-extra-places",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__lt=Decimal("-0.005")),
    ),
    case(
        "decimal-in-extra-places",
        lambda ns: ns.Article.objects.filter(price__in=[Decimal("500.001"), Decimal("10.50")]),
    ),
    case(
        "decimal-range-extra-places",
        lambda ns: ns.Article.objects.filter(price__range=(Decimal("499.995"), Decimal("500.005"))),
    ),
    case(
        "decimal-exclude-extra-places",
        lambda ns: ns.Invoice.objects.exclude(amount_incl_vat=Decimal("500.001")).count(),
    ),
    case("decimal-huge-lt", lambda ns: ns.Article.objects.filter(price__lt=Decimal("1E+30"))),
    case("decimal-huge-exact", lambda ns: ns.Article.objects.filter(price=Decimal("1E+30"))),
    case(
        "decimal-huge-gt-negative",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__gt=Decimal("-1E+30")).count(),
    ),
]

SUB_MILLISECOND = dt.datetime(2025, 6, 15, 10, 0, 44, 500, UTC)
DATETIMES = [
    case(
        "datetime-gte-sub-millisecond",
        lambda ns: ns.Article.objects.filter(created_date__gte=SUB_MILLISECOND),
    ),
    case(
        "datetime-lt-sub-millisecond",
        lambda ns: ns.Debtor.objects.filter(date_added__lt=SUB_MILLISECOND),
    ),
    case(
        "datetime-exact-sub-millisecond",
        lambda ns: ns.Debtor.objects.filter(date_added=SUB_MILLISECOND),
    ),
    case(
        "datetime-range-sub-millisecond",
        lambda ns: ns.Article.objects.filter(
            created_date__range=(SUB_MILLISECOND, SUB_MILLISECOND + dt.timedelta(seconds=1))
        ),
    ),
    case(
        "datetime-given-a-date",
        lambda ns: ns.Debtor.objects.filter(date_added__gte=dt.date(2025, 6, 15)),
    ),
    case(
        "datetime-exact-a-date",
        lambda ns: ns.Debtor.objects.filter(date_added=dt.date(2025, 6, 15)).count(),
    ),
    case(
        "datetime-naive",
        lambda ns: ns.Debtor.objects.filter(date_added__lt=dt.datetime(2025, 6, 15, 12, 0, 44)),
    ),
    case(
        "datetime-naive-exact",
        lambda ns: ns.Article.objects.filter(created_date=dt.datetime(2026, 1, 1)).count(),
    ),
]

BIG = 2**31
INTEGERS = [
    case("int-gt-beyond-int32", lambda ns: ns.Debtor.objects.filter(id__gt=BIG)),
    case("int-lt-beyond-int32", lambda ns: ns.Debtor.objects.filter(id__lt=BIG).count()),
    case("int-in-beyond-int32", lambda ns: ns.Debtor.objects.filter(id__in=[BIG, 10001])),
    case("int-exact-beyond-int32", lambda ns: ns.Debtor.objects.filter(id=BIG).exists()),
    case("fk-beyond-int32", lambda ns: ns.Invoice.objects.filter(debtor__lte=BIG).count()),
    case("get-pk-beyond-int32", lambda ns: ns.Debtor.objects.get(pk=BIG)),
]

EMPTY_Q = [
    case("filter-empty-q", lambda ns: ns.Debtor.objects.filter(ns.Q()).count()),
    case("filter-not-empty-q", lambda ns: ns.Debtor.objects.filter(~ns.Q())),
    case("exclude-empty-q", lambda ns: ns.Debtor.objects.exclude(ns.Q())),
    case("exclude-not-empty-q", lambda ns: ns.Debtor.objects.exclude(~ns.Q()).count()),
    case("empty-q-or-condition", lambda ns: ns.Debtor.objects.filter(ns.Q() | ns.Q(city="Ede"))),
]

SLICES = [
    case("slice-reversed", lambda ns: ns.Debtor.objects.order_by("name", "id")[::-1]),
    case("slice-negative-step", lambda ns: ns.Invoice.objects.order_by("-date", "id")[::-3]),
    case("slice-window-negative-step", lambda ns: ns.Debtor.objects.order_by("id")[3:12:-2]),
    case("slice-step", lambda ns: ns.Debtor.objects.order_by("id")[1:20:4]),
    case("slice-negative-index", lambda ns: ns.Debtor.objects.order_by("id")[-1]),
    case("slice-negative-start", lambda ns: ns.Debtor.objects.order_by("id")[-3:]),
    case("slice-empty", lambda ns: ns.Debtor.objects.order_by("id")[0:0]),
    case("slice-negative-stop", lambda ns: ns.Debtor.objects.order_by("id")[:-1]),
    case("index-of-a-slice", lambda ns: ns.Debtor.objects.order_by("id")[5:10][2]),
    case("reverse-first-unordered", lambda ns: ns.Debtor.objects.reverse().first()),
    case("reverse-last-unordered", lambda ns: ns.Debtor.objects.reverse().last()),
    case("in-bulk-repeated-and-missing", lambda ns: ns.Debtor.objects.in_bulk([10001, 10001, 99])),
    case("none-ordered", lambda ns: ns.Debtor.objects.none().ordered),
    case("none-count", lambda ns: ns.Debtor.objects.none().count()),
]

COERCION = [
    case("get-pk-string", lambda ns: ns.Debtor.objects.get(pk="10005")),
    case("filter-pk-string-in", lambda ns: ns.Debtor.objects.filter(pk__in=["10005", 10006])),
    # Django 5.2 refuses a model instance for a plain (non-relational) field, the primary key
    # included: TypeError "Field 'id' expected a number but got <Debtor: ...>".
    case(
        "filter-pk-object",
        lambda ns: ns.Debtor.objects.filter(pk=ns.Debtor.objects.get(pk=10005)),
        TAKES_INSTANCE,
    ),
    case(
        "filter-fk-object",
        lambda ns: ns.Debtor.objects.filter(
            payment_condition=ns.PaymentCondition.objects.get(pk=2)
        ).count(),
    ),
    case("filter-fk-string", lambda ns: ns.Invoice.objects.filter(debtor="10005").count()),
    case("decimal-from-text", lambda ns: ns.Article.objects.filter(price="500.00")),
    case("decimal-from-int", lambda ns: ns.Article.objects.filter(price__gte=500)),
    case("date-from-text", lambda ns: ns.Invoice.objects.filter(date__lt="2025-06-15")),
    case(
        "datetime-from-text",
        lambda ns: ns.Debtor.objects.filter(date_added__gte="2025-06-15T10:00:44Z"),
    ),
    case("int-from-float", lambda ns: ns.Debtor.objects.filter(id=10005.0)),
    case("bool-from-int", lambda ns: ns.Debtor.objects.filter(blocked=1).count()),
    case("text-from-int", lambda ns: ns.Debtor.objects.filter(name=5).count()),
    case(
        "date-from-datetime",
        lambda ns: ns.Invoice.objects.filter(date=dt.datetime(2025, 6, 15, 12, tzinfo=UTC)),
    ),
    case("status-not-a-choice", lambda ns: ns.Invoice.objects.filter(status=5).count()),
    case("decimal-from-float", lambda ns: ns.Article.objects.filter(price=10.5), REFUSES_FLOAT),
]

BAD_INPUT = [
    case("unknown-field", lambda ns: ns.Debtor.objects.filter(nmae="x")),
    case("unknown-lookup", lambda ns: ns.Debtor.objects.filter(name__foo="x")),
    case("order-by-unknown-field", lambda ns: ns.Debtor.objects.order_by("nmae")),
    case("values-unknown-field", lambda ns: ns.Debtor.objects.values("nmae")),
    case("contains-none", lambda ns: ns.Debtor.objects.filter(name__contains=None)),
    case("in-not-a-list", lambda ns: ns.Debtor.objects.filter(id__in=5)),
    case("flat-with-two-fields", lambda ns: ns.Debtor.objects.values_list("id", "name", flat=True)),
    case("filter-after-slice", lambda ns: ns.Debtor.objects.order_by("id")[2:5].filter(city="Ede")),
    case("in-bulk-after-slice", lambda ns: ns.Debtor.objects.order_by("id")[:3].in_bulk()),
    case("index-past-the-end", lambda ns: ns.Debtor.objects.order_by("id")[100]),
    case("fk-range", lambda ns: ns.Invoice.objects.filter(debtor__range=(1, 10005))),
    case("date-bad-text", lambda ns: ns.Invoice.objects.filter(date="2025-13-01")),
    case("datetime-bad-text", lambda ns: ns.Debtor.objects.filter(date_added__gt="yesterday")),
    case("decimal-bad-text", lambda ns: ns.Article.objects.filter(price="abc")),
    case("decimal-nan", lambda ns: ns.Article.objects.filter(price=Decimal("NaN"))),
    case("decimal-infinity", lambda ns: ns.Article.objects.filter(price__lt=Decimal("Infinity"))),
    case("order-by-a-lookup", lambda ns: ns.Debtor.objects.order_by("name__exact")),
    case("get-no-match", lambda ns: ns.Debtor.objects.get(city="Nergens")),
    case("exclude-after-slice", lambda ns: ns.Debtor.objects.order_by("id")[1:3].exclude(id=1)),
    case("reverse-after-slice", lambda ns: ns.Debtor.objects.order_by("id")[1:3].reverse()),
    case("last-after-slice", lambda ns: ns.Debtor.objects.order_by("id")[1:3].last()),
    case("first-after-unordered-slice", lambda ns: ns.Debtor.objects.all()[1:3].first()),
    case("get-after-slice", lambda ns: ns.Debtor.objects.order_by("id")[1:2].get()),
    case("bool-from-text", lambda ns: ns.Debtor.objects.filter(blocked="yes")),
    case("in-with-a-bad-value", lambda ns: ns.Debtor.objects.filter(id__in=[10001, "x"])),
    case("flat-without-fields", lambda ns: ns.Debtor.objects.values_list(flat=True), DIFFERS),
    case("int-from-text", lambda ns: ns.Debtor.objects.filter(id="abc")),
    case("isnull-not-a-bool", lambda ns: ns.Debtor.objects.filter(city__isnull="yes")),
    case(
        "fk-object-of-another-model",
        lambda ns: ns.Invoice.objects.filter(debtor=ns.PaymentCondition.objects.get(pk=1)),
    ),
]


# More cases at each edge: both directions, both signs, exclude(), and values Django converts.
HALF_CENT = Decimal("0.005")
ON_THE_MILLISECOND = dt.datetime(2025, 6, 15, 10, 0, 44, 1000, UTC)
MORE_EDGES = [
    case(
        "decimal-gte-half-cent",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__gte=HALF_CENT),
    ),
    case(
        "decimal-gt-negative-half-cent",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__gt=-HALF_CENT).count(),
    ),
    case(
        "decimal-lte-negative-extra",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__lte=Decimal("-0.001")),
    ),
    case(
        "decimal-range-between-cents",
        lambda ns: ns.Article.objects.filter(
            price__range=(Decimal("0.001"), Decimal("0.009"))
        ).count(),
    ),
    case(
        "decimal-range-reversed",
        lambda ns: ns.Article.objects.filter(price__range=(Decimal("500"), Decimal("10"))).count(),
    ),
    case(
        "decimal-in-none-held",
        lambda ns: ns.Article.objects.filter(
            price__in=[Decimal("0.001"), Decimal("1E+30")]
        ).count(),
    ),
    case(
        "decimal-exclude-huge",
        lambda ns: ns.Article.objects.exclude(price=Decimal("1E+30")).count(),
    ),
    case(
        "decimal-huge-lte",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__lte=Decimal("1E+30")).count(),
    ),
    case(
        "decimal-huge-gte",
        lambda ns: ns.Article.objects.filter(price__gte=Decimal("1E+30")).exists(),
    ),
    case(
        "decimal-huge-negative-lt",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__lt=Decimal("-1E+30")).count(),
    ),
    case(
        "decimal-huge-negative-gte",
        lambda ns: ns.Article.objects.filter(price__gte=Decimal("-1E+30")).count(),
    ),
    case(
        "decimal-huge-range",
        lambda ns: ns.Article.objects.filter(
            price__range=(Decimal("-1E+30"), Decimal("1E+30"))
        ).count(),
    ),
    case(
        "decimal-extra-places-or",
        lambda ns: ns.Article.objects.filter(
            ns.Q(price=Decimal("500.001")) | ns.Q(price=Decimal("10.50"))
        ),
    ),
    case(
        "datetime-gt-sub-millisecond",
        lambda ns: ns.Debtor.objects.filter(date_added__gt=SUB_MILLISECOND),
    ),
    case(
        "datetime-lte-sub-millisecond",
        lambda ns: ns.Article.objects.filter(created_date__lte=SUB_MILLISECOND).count(),
    ),
    case(
        "datetime-gt-on-the-millisecond",
        lambda ns: ns.Debtor.objects.filter(date_added__gt=ON_THE_MILLISECOND),
    ),
    case(
        "datetime-lt-on-the-millisecond",
        lambda ns: ns.Article.objects.filter(created_date__lt=ON_THE_MILLISECOND).count(),
    ),
    case(
        "datetime-in-sub-millisecond",
        lambda ns: ns.Debtor.objects.filter(date_added__in=[SUB_MILLISECOND, ON_THE_MILLISECOND]),
    ),
    case(
        "datetime-exclude-sub-millisecond",
        lambda ns: ns.Debtor.objects.exclude(date_added=SUB_MILLISECOND).count(),
    ),
    case(
        "datetime-naive-in-dst",
        lambda ns: ns.Debtor.objects.filter(date_added__gte=dt.datetime(2025, 3, 30, 3, 0)).count(),
    ),
    case(
        "datetime-date-new-year",
        lambda ns: ns.Article.objects.filter(created_date__lt=dt.date(2026, 1, 1)).count(),
    ),
    case("int-gte-beyond-int32", lambda ns: ns.Debtor.objects.filter(id__gte=BIG).count()),
    case("int-lte-far-beyond", lambda ns: ns.Debtor.objects.filter(id__lte=2**40).count()),
    case("int-gt-far-below", lambda ns: ns.Debtor.objects.filter(id__gt=-(2**40)).count()),
    case("int-lt-far-below", lambda ns: ns.Debtor.objects.filter(id__lt=-(2**40)).exists()),
    case(
        "int-range-beyond", lambda ns: ns.Debtor.objects.filter(id__range=(-(2**40), 10010)).count()
    ),
    case("int-in-none-held", lambda ns: ns.Debtor.objects.filter(id__in=[BIG, 2**40]).count()),
    case("int-exclude-beyond", lambda ns: ns.Debtor.objects.exclude(id=2**40).count()),
    case("int-or-beyond", lambda ns: ns.Debtor.objects.filter(ns.Q(id=BIG) | ns.Q(id=10003))),
    case("fk-exact-beyond", lambda ns: ns.Invoice.objects.filter(debtor=2**40).count()),
    case("fk-in-beyond", lambda ns: ns.Invoice.objects.filter(debtor_id__in=[BIG, 10005]).count()),
    case(
        "condition-gt-beyond",
        lambda ns: ns.Debtor.objects.filter(payment_condition__gt=BIG).count(),
    ),
    case("int-gte-float", lambda ns: ns.Debtor.objects.filter(id__gte=10004.5).count()),
    case("int-lt-float", lambda ns: ns.Debtor.objects.filter(id__lt=10004.5).count()),
    case("int-exact-fraction", lambda ns: ns.Debtor.objects.filter(id=10005.5), KEEPS_FRACTION),
    case("int-exact-true", lambda ns: ns.Debtor.objects.filter(id=True).count()),
    case("int-in-strings", lambda ns: ns.Debtor.objects.filter(id__in=["10003", "10004"])),
    case("get-pk-float", lambda ns: ns.Debtor.objects.get(pk=10005.0)),
    case("get-pk-string-beyond", lambda ns: ns.Debtor.objects.get(pk=str(2**40))),
    case("bool-from-string", lambda ns: ns.Debtor.objects.filter(blocked="t").count()),
    case("bool-not-a-bool", lambda ns: ns.Debtor.objects.filter(blocked="yes")),
    case(
        "text-contains-from-int",
        lambda ns: ns.Invoice.objects.filter(description__contains=2025).count(),
    ),
    case(
        "status-in-with-a-non-choice",
        lambda ns: ns.Invoice.objects.filter(status__in=[5, 7]).count(),
    ),
    case(
        "date-from-naive-datetime",
        lambda ns: ns.Invoice.objects.filter(date__gte=dt.datetime(2025, 6, 15, 23)).count(),
    ),
    case(
        "date-from-aware-datetime-next-day-here",
        lambda ns: ns.Invoice.objects.filter(
            date=dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
        ).count(),
    ),
    case(
        "empty-q-nested-negations",
        lambda ns: ns.Debtor.objects.filter(ns.Q(ns.Q(), ~ns.Q(ns.Q()))).count(),
    ),
    case(
        "exclude-empty-q-beside-condition",
        lambda ns: ns.Debtor.objects.exclude(ns.Q(ns.Q(), city="Ede")).count(),
    ),
    case("double-negated-empty-q", lambda ns: ns.Debtor.objects.filter(~~ns.Q()).count()),
    case("slice-step-after-window", lambda ns: ns.Debtor.objects.order_by("-id")[2:][::-3]),
    case(
        "slice-step-values-list",
        lambda ns: ns.Debtor.objects.order_by("id").values_list("id", flat=True)[::-2],
    ),
    case("slice-empty-first", lambda ns: ns.Debtor.objects.all()[3:3].first()),
    case("slice-empty-ordered", lambda ns: ns.Debtor.objects.order_by("id")[5:2].ordered),
    case(
        "relation-decimal-extra-places",
        lambda ns: ns.Debtor.objects.filter(sales_invoices__amount_incl_vat=Decimal("500.001")),
    ),
    case(
        "relation-exclude-huge",
        lambda ns: ns.Debtor.objects.exclude(
            sales_invoices__amount_incl_vat__gt=Decimal("1E+30")
        ).count(),
    ),
    case(
        "relation-id-beyond-int32",
        lambda ns: ns.Invoice.objects.filter(debtor__id__gt=BIG).count(),
    ),
    case(
        "relation-sub-millisecond",
        lambda ns: ns.Invoice.objects.filter(debtor__date_added__gte=SUB_MILLISECOND).count(),
    ),
    case(
        "relation-naive-datetime",
        lambda ns: ns.Invoice.objects.filter(
            debtor__date_added__lt=dt.datetime(2025, 6, 15, 12, 0, 44)
        ).count(),
    ),
    case(
        "relation-empty-q",
        lambda ns: ns.Invoice.objects.filter(ns.Q(debtor__city="Ede") | ~ns.Q()).count(),
    ),
]

ALL = [*DECIMALS, *DATETIMES, *INTEGERS, *EMPTY_Q, *SLICES, *COERCION, *BAD_INPUT, *MORE_EDGES]


@pytest.mark.parametrize("call", ALL)
def test_edge_cases_answer_as_django_does(same: Callable[[Case], Outcome], call: Case) -> None:
    same(call)
