"""Transforms and regular expressions against Django: dates and datetimes at year boundaries.

The rows' datetimes include the last millisecond of 2025 in Amsterdam and its first of 2026
(``data.INSTANTS``), and their dates the turn of 2024, 2025 and 2026 (``data.DATES``): both
sides read them in Europe/Amsterdam, the library's default zone and the reference's
``TIME_ZONE``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from differential.harness import Outcome

Case = Callable[[Any], Any]


def case(name: str, call: Case) -> Any:
    return pytest.param(call, id=name)


NEW_YEAR = dt.date(2026, 1, 1)

DATE_PARTS = [
    case("year", lambda ns: ns.Invoice.objects.filter(date__year=2025)),
    case("year-gt", lambda ns: ns.Invoice.objects.filter(date__year__gt=2024).count()),
    case("year-lt", lambda ns: ns.Invoice.objects.filter(date__year__lt=2025)),
    case("year-range", lambda ns: ns.Invoice.objects.filter(date__year__range=(2025, 2026))),
    case("year-in", lambda ns: ns.Invoice.objects.filter(date__year__in=[2024, 2026])),
    case("year-out-of-range", lambda ns: ns.Invoice.objects.filter(date__year=10000).count()),
    case(
        "year-range-past-the-calendar",
        lambda ns: ns.Invoice.objects.filter(date__year__range=(0, 2025)),
    ),
    case("iso-year", lambda ns: ns.Invoice.objects.filter(date__iso_year=2025)),
    case("iso-year-gte", lambda ns: ns.Invoice.objects.filter(date__iso_year__gte=2026).count()),
    case("quarter", lambda ns: ns.Invoice.objects.filter(date__quarter=4)),
    case("month-in", lambda ns: ns.Invoice.objects.filter(date__month__in=[1, 2, 3])),
    case("week", lambda ns: ns.Invoice.objects.filter(date__week=1)),
    case("week-range", lambda ns: ns.Invoice.objects.filter(date__week__range=(10, 30))),
    case("day", lambda ns: ns.Invoice.objects.filter(date__day__gte=30)),
    case("week-day", lambda ns: ns.Invoice.objects.filter(date__week_day=1)),
    case("iso-week-day", lambda ns: ns.Invoice.objects.filter(date__iso_week_day=7)),
    case("year-and-month", lambda ns: ns.Invoice.objects.filter(date__year=2025, date__month=12)),
    case("exclude-year", lambda ns: ns.Invoice.objects.exclude(date__year=2025)),
    case(
        "or-of-years",
        lambda ns: ns.Invoice.objects.filter(ns.Q(date__year=2024) | ns.Q(date__quarter=2)),
    ),
    case("year-as-text", lambda ns: ns.Invoice.objects.filter(date__year="2025")),
    case("year-as-whole-float", lambda ns: ns.Invoice.objects.filter(date__year__lt=2025.0)),
    case("year-not-a-number", lambda ns: ns.Invoice.objects.filter(date__year="MMXXV")),
    case("unknown-transform", lambda ns: ns.Invoice.objects.filter(date__yaer=2025)),
    case("clock-on-a-date", lambda ns: ns.Invoice.objects.filter(date__hour=1)),
    case("lookup-before-transform", lambda ns: ns.Invoice.objects.filter(date__year__exact__gt=1)),
    case("none-on-a-transform", lambda ns: ns.Invoice.objects.filter(date__month__gt=None)),
]

DATETIME_PARTS = [
    case("year-in-amsterdam", lambda ns: ns.Debtor.objects.filter(date_added__year=2026)),
    case("year-lte", lambda ns: ns.Debtor.objects.filter(date_added__year__lte=2025).count()),
    case("date", lambda ns: ns.Debtor.objects.filter(date_added__date=NEW_YEAR)),
    case("date-lt", lambda ns: ns.Debtor.objects.filter(date_added__date__lt=NEW_YEAR)),
    case(
        "date-gt", lambda ns: ns.Debtor.objects.filter(date_added__date__gt=dt.date(2025, 12, 31))
    ),
    case(
        "date-range-summer-time",
        lambda ns: ns.Debtor.objects.filter(
            date_added__date__range=(dt.date(2025, 3, 30), dt.date(2025, 6, 15))
        ),
    ),
    case(
        "date-in",
        lambda ns: ns.Debtor.objects.filter(date_added__date__in=[dt.date(2025, 3, 30), NEW_YEAR]),
    ),
    case(
        "date-of-an-aware-datetime",  # 23:30 UTC is 00:30 on 1 January in Amsterdam
        lambda ns: ns.Debtor.objects.filter(
            date_added__date=dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)
        ),
    ),
    case("date-year", lambda ns: ns.Debtor.objects.filter(date_added__date__year=2025).count()),
    case("date-isnull", lambda ns: ns.Debtor.objects.filter(date_added__date__isnull=True)),
    case("year-none", lambda ns: ns.Debtor.objects.filter(date_added__year=None).count()),
    case("hour", lambda ns: ns.Debtor.objects.filter(date_added__hour=0)),
    case("hour-gte", lambda ns: ns.Debtor.objects.filter(date_added__hour__gte=12)),
    case(
        "minute-second",
        lambda ns: ns.Debtor.objects.filter(date_added__minute=0, date_added__second=44),
    ),
    case("time", lambda ns: ns.Debtor.objects.filter(date_added__time__lt=dt.time(3))),
    case("time-hour", lambda ns: ns.Debtor.objects.filter(date_added__time__hour=3)),
    case("week-day", lambda ns: ns.Debtor.objects.filter(date_added__week_day__in=[1, 5])),
    case("iso-year", lambda ns: ns.Debtor.objects.filter(date_added__iso_year=2026)),
    case("week", lambda ns: ns.Debtor.objects.filter(date_added__week=13)),
    case(
        "month-and-year",
        lambda ns: ns.Debtor.objects.filter(date_added__year=2025, date_added__month=3),
    ),
    case("exclude-date", lambda ns: ns.Debtor.objects.exclude(date_added__date=NEW_YEAR)),
    case("article-quarter", lambda ns: ns.Article.objects.filter(created_date__quarter=1)),
    case("article-year", lambda ns: ns.Article.objects.filter(created_date__year=2025).count()),
]

ACROSS_RELATIONS = [
    case("forward-year", lambda ns: ns.Invoice.objects.filter(debtor__date_added__year=2026)),
    case(
        "forward-date-and-year",
        lambda ns: ns.Invoice.objects.filter(
            debtor__date_added__date=NEW_YEAR, date__year__gte=2025
        ),
    ),
    case(
        "reverse-month",  # Django repeats a debtor per matching invoice: compare the ids
        lambda ns: sorted(
            set(
                ns.Debtor.objects.filter(sales_invoices__date__month=12).values_list(
                    "id", flat=True
                )
            )
        ),
    ),
    case(
        "exclude-reverse-year",
        lambda ns: ns.Debtor.objects.exclude(sales_invoices__date__year=2025).count(),
    ),
]

REGEX = [
    case("regex", lambda ns: ns.Debtor.objects.filter(name__regex=r"^A")),
    case("regex-anywhere", lambda ns: ns.Debtor.objects.filter(name__regex=r"ph")),
    case("regex-case", lambda ns: ns.Debtor.objects.filter(name__regex=r"[ÉE]")),
    case("iregex", lambda ns: ns.Debtor.objects.filter(name__iregex=r"^é|bv$")),
    case("regex-empty-text", lambda ns: ns.Debtor.objects.filter(city__regex=r"^$")),
    case("exclude-regex", lambda ns: ns.Debtor.objects.exclude(city__iregex=r"^e")),
    case("regex-and-exact", lambda ns: ns.Debtor.objects.filter(city="Ede", name__regex=r"a")),
]


@pytest.mark.parametrize("call", [*DATE_PARTS, *DATETIME_PARTS, *ACROSS_RELATIONS, *REGEX])
def test_transforms_answer_as_django_does(same: Callable[[Case], Outcome], call: Case) -> None:
    same(call)
