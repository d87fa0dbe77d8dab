"""Hand-written cases at the edges the issue lists, each answered as Django answers it.

Cases the library gets wrong today are marked ``xfail(strict=True)``: once fixed they fail
as XPASS, and the marker goes. ``PENDING`` marks the issue's list; ``DIFFERS`` other answers
that are not Django's (an exception of another kind, or a value Django coerces refused), and
``REFUSES_FLOAT`` the one difference the library keeps on purpose.
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


def case(name: str, call: Case, *marks: pytest.MarkDecorator) -> Any:
    return pytest.param(call, id=name, marks=marks)


DECIMALS = [
    case(
        "decimal-exact-extra-places",
        lambda ns: ns.Article.objects.filter(price=Decimal("500.001")),
        PENDING,
    ),
    case(
        "decimal-gt-extra-places",
        lambda ns: ns.Article.objects.filter(price__gt=Decimal("499.995")),
        PENDING,
    ),
    case(
        "decimal-lte-extra-places",
        lambda ns: ns.Article.objects.filter(price__lte=Decimal("500.005")),
        PENDING,
    ),
    case(
        "decimal-lt-extra-places",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__lt=Decimal("-0.005")),
        PENDING,
    ),
    case(
        "decimal-in-extra-places",
        lambda ns: ns.Article.objects.filter(price__in=[Decimal("500.001"), Decimal("10.50")]),
        PENDING,
    ),
    case(
        "decimal-range-extra-places",
        lambda ns: ns.Article.objects.filter(price__range=(Decimal("499.995"), Decimal("500.005"))),
        PENDING,
    ),
    case(
        "decimal-exclude-extra-places",
        lambda ns: ns.Invoice.objects.exclude(amount_incl_vat=Decimal("500.001")).count(),
        PENDING,
    ),
    case(
        "decimal-huge-lt", lambda ns: ns.Article.objects.filter(price__lt=Decimal("1E+30")), PENDING
    ),
    case(
        "decimal-huge-exact", lambda ns: ns.Article.objects.filter(price=Decimal("1E+30")), PENDING
    ),
    case(
        "decimal-huge-gt-negative",
        lambda ns: ns.Invoice.objects.filter(amount_incl_vat__gt=Decimal("-1E+30")).count(),
        PENDING,
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
        PENDING,
    ),
    case(
        "datetime-exact-a-date",
        lambda ns: ns.Debtor.objects.filter(date_added=dt.date(2025, 6, 15)).count(),
        PENDING,
    ),
    case(
        "datetime-naive",
        lambda ns: ns.Debtor.objects.filter(date_added__lt=dt.datetime(2025, 6, 15, 12, 0, 44)),
        PENDING,
    ),
    case(
        "datetime-naive-exact",
        lambda ns: ns.Article.objects.filter(created_date=dt.datetime(2026, 1, 1)).count(),
        PENDING,
    ),
]

BIG = 2**31
INTEGERS = [
    case("int-gt-beyond-int32", lambda ns: ns.Debtor.objects.filter(id__gt=BIG), PENDING),
    case("int-lt-beyond-int32", lambda ns: ns.Debtor.objects.filter(id__lt=BIG).count()),
    case("int-in-beyond-int32", lambda ns: ns.Debtor.objects.filter(id__in=[BIG, 10001]), PENDING),
    case("int-exact-beyond-int32", lambda ns: ns.Debtor.objects.filter(id=BIG).exists(), PENDING),
    case("fk-beyond-int32", lambda ns: ns.Invoice.objects.filter(debtor__lte=BIG).count(), PENDING),
    case("get-pk-beyond-int32", lambda ns: ns.Debtor.objects.get(pk=BIG)),
]

EMPTY_Q = [
    case("filter-empty-q", lambda ns: ns.Debtor.objects.filter(ns.Q()).count()),
    case("filter-not-empty-q", lambda ns: ns.Debtor.objects.filter(~ns.Q()), PENDING),
    case("exclude-empty-q", lambda ns: ns.Debtor.objects.exclude(ns.Q()), PENDING),
    case("exclude-not-empty-q", lambda ns: ns.Debtor.objects.exclude(~ns.Q()).count()),
    case("empty-q-or-condition", lambda ns: ns.Debtor.objects.filter(ns.Q() | ns.Q(city="Ede"))),
]

SLICES = [
    case("slice-reversed", lambda ns: ns.Debtor.objects.order_by("name", "id")[::-1], PENDING),
    case(
        "slice-negative-step", lambda ns: ns.Invoice.objects.order_by("-date", "id")[::-3], PENDING
    ),
    case(
        "slice-window-negative-step", lambda ns: ns.Debtor.objects.order_by("id")[3:12:-2], PENDING
    ),
    case("slice-step", lambda ns: ns.Debtor.objects.order_by("id")[1:20:4]),
    case("slice-negative-index", lambda ns: ns.Debtor.objects.order_by("id")[-1]),
    case("slice-negative-start", lambda ns: ns.Debtor.objects.order_by("id")[-3:]),
    case("slice-empty", lambda ns: ns.Debtor.objects.order_by("id")[0:0]),
    case("slice-negative-stop", lambda ns: ns.Debtor.objects.order_by("id")[:-1]),
    case("index-of-a-slice", lambda ns: ns.Debtor.objects.order_by("id")[5:10][2]),
    case("reverse-first-unordered", lambda ns: ns.Debtor.objects.reverse().first()),
    case("reverse-last-unordered", lambda ns: ns.Debtor.objects.reverse().last()),
    case("in-bulk-repeated-and-missing", lambda ns: ns.Debtor.objects.in_bulk([10001, 10001, 99])),
    case("none-ordered", lambda ns: ns.Debtor.objects.none().ordered, PENDING),
    case("none-count", lambda ns: ns.Debtor.objects.none().count()),
]

COERCION = [
    case("get-pk-string", lambda ns: ns.Debtor.objects.get(pk="10005"), PENDING),
    case(
        "filter-pk-string-in", lambda ns: ns.Debtor.objects.filter(pk__in=["10005", 10006]), PENDING
    ),
    # Django 5.2 refuses a model instance for a plain (non-relational) field, the primary key
    # included: TypeError "Field 'id' expected a number but got <Debtor: ...>".
    case(
        "filter-pk-object", lambda ns: ns.Debtor.objects.filter(pk=ns.Debtor.objects.get(pk=10005))
    ),
    case(
        "filter-fk-object",
        lambda ns: ns.Debtor.objects.filter(
            payment_condition=ns.PaymentCondition.objects.get(pk=2)
        ).count(),
    ),
    case("filter-fk-string", lambda ns: ns.Invoice.objects.filter(debtor="10005").count(), PENDING),
    case("decimal-from-text", lambda ns: ns.Article.objects.filter(price="500.00")),
    case("decimal-from-int", lambda ns: ns.Article.objects.filter(price__gte=500)),
    case("date-from-text", lambda ns: ns.Invoice.objects.filter(date__lt="2025-06-15")),
    case(
        "datetime-from-text",
        lambda ns: ns.Debtor.objects.filter(date_added__gte="2025-06-15T10:00:44Z"),
    ),
    case("int-from-float", lambda ns: ns.Debtor.objects.filter(id=10005.0), DIFFERS),
    case("bool-from-int", lambda ns: ns.Debtor.objects.filter(blocked=1).count(), DIFFERS),
    case("text-from-int", lambda ns: ns.Debtor.objects.filter(name=5).count(), DIFFERS),
    case(
        "date-from-datetime",
        lambda ns: ns.Invoice.objects.filter(date=dt.datetime(2025, 6, 15, 12, tzinfo=UTC)),
        DIFFERS,
    ),
    case("status-not-a-choice", lambda ns: ns.Invoice.objects.filter(status=5).count(), DIFFERS),
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
    case("fk-range", lambda ns: ns.Invoice.objects.filter(debtor__range=(1, 10005)), DIFFERS),
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
    case("bool-from-text", lambda ns: ns.Debtor.objects.filter(blocked="yes"), DIFFERS),
    case("in-with-a-bad-value", lambda ns: ns.Debtor.objects.filter(id__in=[10001, "x"]), DIFFERS),
    case("flat-without-fields", lambda ns: ns.Debtor.objects.values_list(flat=True), DIFFERS),
    case("int-from-text", lambda ns: ns.Debtor.objects.filter(id="abc"), DIFFERS),
    case("isnull-not-a-bool", lambda ns: ns.Debtor.objects.filter(city__isnull="yes"), DIFFERS),
    case(
        "fk-object-of-another-model",
        lambda ns: ns.Invoice.objects.filter(debtor=ns.PaymentCondition.objects.get(pk=1)),
        DIFFERS,
    ),
]


ALL = [*DECIMALS, *DATETIMES, *INTEGERS, *EMPTY_Q, *SLICES, *COERCION, *BAD_INPUT]


@pytest.mark.parametrize("call", ALL)
def test_edge_cases_answer_as_django_does(same: Callable[[Case], Outcome], call: Case) -> None:
    same(call)
