"""Transforms (``date__year``, ``created__date``, ``__week_day``): parsing, values, pushdown, reads.

Expected values are worked out by hand in the tables below, or from ``strftime`` (the C
library's calendar, not the library's code); the sandbox tests compare with rows read from the
emulator's own store.
"""

from __future__ import annotations

import datetime as dt
import pickle
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asperion_orm import LocalEvaluationWarning
from asperion_orm.capabilities import Capabilities
from asperion_orm.client import Client
from asperion_orm.exceptions import FieldError, QueryError
from asperion_orm.orm.planner import Plan, _warn_once, plan
from asperion_orm.orm.rows import RowReader
from asperion_orm.resources import Debtor, SalesInvoice
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

from .models import SampleDebtor, SampleInvoice

pytestmark = pytest.mark.filterwarnings("ignore::asperion_orm.LocalEvaluationWarning")

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Counter = Callable[[int], AbstractContextManager[None]]


def planned(queryset: Any, time_zone: dt.tzinfo = AMSTERDAM, **capabilities: Any) -> Plan:
    return plan(queryset.query, time_zone=time_zone, capabilities=Capabilities(**capabilities))


def bounds(queryset: Any, time_zone: dt.tzinfo = AMSTERDAM) -> dict[str, str]:
    """Return the filter parameters of the first request, decoded, without paging."""
    request = str(planned(queryset, time_zone).first_requests()[0])
    params = dict(parse_qsl(urlsplit(request).query))
    return {k: v for k, v in params.items() if k not in ("page", "pageSize", "orderby")}


def steps(queryset: Any, time_zone: dt.tzinfo = AMSTERDAM) -> list[str]:
    return planned(queryset, time_zone).local_steps()


def matches(queryset: Any, raw: dict[str, Any], time_zone: dt.tzinfo = AMSTERDAM) -> bool:
    return bool(queryset.query.where.matches(RowReader(raw, time_zone)))


# -- parsing: field, transforms, lookup -----------------------------------------------------------


def test_a_bare_transform_means_exact() -> None:
    bare = SampleDebtor.objects.filter(created_date__month=3)
    assert steps(bare) == ["filter (created_date__month__exact)"]
    assert steps(SampleDebtor.objects.filter(created_date__month__exact=3)) == steps(bare)


@pytest.mark.parametrize(
    ("key", "value", "step"),
    [
        ("created_date__month__in", [1, 2], "created_date__month__in"),
        ("created_date__hour__gte", 17, "created_date__hour__gte"),
        ("created_date__time__lt", dt.time(8, 30), "created_date__time__lt"),
        ("created_date__time__hour", 8, "created_date__time__hour__exact"),
        ("created_date__date__week_day", 1, "created_date__date__week_day__exact"),
        ("invoice_date__quarter__range", (2, 3), "invoice_date__quarter__range"),
        ("invoice_date__week__in", [1, 53], "invoice_date__week__in"),
        ("invoice_date__year__isnull", True, "invoice_date__year__isnull"),
        ("invoice_date__year", None, "invoice_date__year__isnull"),
    ],
)
def test_transforms_chain_with_lookups_and_other_transforms(
    key: str, value: Any, step: str
) -> None:
    queryset = SampleInvoice.objects if key.startswith("invoice") else SampleDebtor.objects
    assert steps(queryset.filter(**{key: value})) == [f"filter ({step})"]


def test_an_unknown_transform_names_the_choices() -> None:
    with pytest.raises(FieldError) as caught:
        SampleInvoice.objects.filter(invoice_date__yaer=2026)
    assert str(caught.value) == (
        "Unsupported lookup 'yaer' for Date field SampleInvoice.invoice_date. Choices are: day, "
        "exact, gt, gte, in, isnull, iso_week_day, iso_year, lt, lte, month, quarter, range, "
        "week, week_day, year."
    )


def test_clock_transforms_are_for_datetimes_only() -> None:
    with pytest.raises(FieldError, match=r"'hour' for Date field .*Choices are: day, exact"):
        SampleInvoice.objects.filter(invoice_date__hour=3)
    with pytest.raises(FieldError, match=r"'date' for Date field"):
        SampleInvoice.objects.filter(invoice_date__date=dt.date(2026, 1, 1))
    choices = "Choices are: date, day, exact, gt, gte, hour, in, isnull, iso_week_day, iso_year"
    with pytest.raises(FieldError, match=choices):
        SampleDebtor.objects.filter(created_date__hours=3)


def test_a_lookup_ends_the_key() -> None:
    message = r"'exact__gt' for Integer field SampleInvoice.invoice_date__year. Choices are: exact"
    with pytest.raises(FieldError, match=message):
        SampleInvoice.objects.filter(invoice_date__year__exact__gt=1)
    with pytest.raises(FieldError, match=r"'month' for Integer field .*invoice_date__year\."):
        SampleInvoice.objects.filter(invoice_date__year__month=1)
    with pytest.raises(FieldError, match=r"'year' for String field SampleDebtor.name\."):
        SampleDebtor.objects.filter(name__year=2026)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"invoice_date__year": dt.date(2026, 1, 1)}, TypeError),
        ({"invoice_date__month__in": 3}, TypeError),
        ({"invoice_date__month__gt": None}, ValueError),
        ({"invoice_date__year": 10_000}, ValueError),  # as Django: no such year
        ({"invoice_date__year__gte": 0}, ValueError),
        ({"invoice_date__iso_year__lt": 10_000}, ValueError),
        ({"invoice_date__quarter__range": (1,)}, TypeError),
    ],
)
def test_wrong_values_are_refused_while_building(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        SampleInvoice.objects.filter(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"created_date__date": "2026-02-30"}, ValueError),
        ({"created_date__date": [2026, 1, 1]}, TypeError),
        ({"created_date__time": dt.time(8, tzinfo=dt.UTC)}, ValueError),
        ({"created_date__time__gte": "8 o'clock"}, ValueError),
    ],
)
def test_date_and_time_values_are_checked(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        SampleDebtor.objects.filter(**kwargs)


def test_a_year_range_beyond_the_calendar_is_no_error_but_runs_here() -> None:
    queryset = SampleInvoice.objects.filter(invoice_date__year__range=(0, 10_000))
    assert steps(queryset) == ["filter (invoice_date__year__range)"]
    assert matches(queryset, {"invoiceDate": "2026-05-01"})


# -- values: what each transform returns -------------------------------------------------------

NEW_YEAR_UTC = "2025-12-31T23:30:00.000Z"  # 00:30 on 1 January 2026 in Amsterdam

# Worked out by hand: 1 January 2026 is a Thursday, in ISO week 1 of 2026; so is 31 December
# 2025 (a Wednesday), which makes its ISO year 2026 while its year is 2025.
NEW_YEAR_VALUES = [
    ("year", 2026, 2025),
    ("iso_year", 2026, 2026),
    ("quarter", 1, 4),
    ("month", 1, 12),
    ("week", 1, 1),
    ("day", 1, 31),
    ("week_day", 5, 4),  # 1 = Sunday
    ("iso_week_day", 4, 3),  # 1 = Monday
    ("hour", 0, 23),
    ("minute", 30, 30),
    ("second", 0, 0),
    ("date", dt.date(2026, 1, 1), dt.date(2025, 12, 31)),
    ("time", dt.time(0, 30), dt.time(23, 30)),
]


@pytest.mark.parametrize(("name", "amsterdam", "utc"), NEW_YEAR_VALUES)
def test_a_datetime_is_transformed_in_the_clients_time_zone(
    name: str, amsterdam: Any, utc: Any
) -> None:
    row = {"createdDate": NEW_YEAR_UTC}
    in_amsterdam = SampleDebtor.objects.filter(**{f"created_date__{name}": amsterdam})
    in_utc = SampleDebtor.objects.filter(**{f"created_date__{name}": utc})
    assert matches(in_amsterdam, row, AMSTERDAM)
    assert matches(in_utc, row, dt.UTC)
    if amsterdam != utc:
        assert not matches(in_amsterdam, row, dt.UTC)
        assert not matches(in_utc, row, AMSTERDAM)


@pytest.mark.parametrize(
    ("day", "values"),
    [
        # 1 January 2027 is a Friday in week 53 of ISO year 2026 (2026 starts on a Thursday).
        (
            "2027-01-01",
            {"year": 2027, "iso_year": 2026, "week": 53, "week_day": 6, "iso_week_day": 5},
        ),
        ("2026-03-29", {"quarter": 1, "week": 13, "week_day": 1, "iso_week_day": 7}),
        ("2024-02-29", {"quarter": 1, "month": 2, "day": 29, "week": 9, "week_day": 5}),
        ("2026-07-01", {"quarter": 3, "iso_year": 2026, "week": 27, "iso_week_day": 3}),
    ],
)
def test_a_date_field_is_transformed(day: str, values: dict[str, int]) -> None:
    row = {"invoiceDate": day}
    for name, value in values.items():
        assert matches(SampleInvoice.objects.filter(**{f"invoice_date__{name}": value}), row)
        other = SampleInvoice.objects.filter(**{f"invoice_date__{name}": value + 1})
        assert not matches(other, row), name


ZONES = st.sampled_from(
    ["Europe/Amsterdam", "UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati"]
)
MOMENTS = st.datetimes(dt.datetime(1901, 1, 1), dt.datetime(2099, 12, 31))


def _by_strftime(local: dt.datetime) -> dict[str, Any]:
    """Return each transform's value as the C library's calendar formats it."""

    def part(code: str) -> int:
        return int(local.strftime(code))

    return {
        "year": part("%Y"),
        "iso_year": part("%G"),
        "quarter": {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 2, 7: 3, 8: 3, 9: 3}.get(part("%m"), 4),
        "month": part("%m"),
        "week": part("%V"),
        "day": part("%d"),
        "week_day": part("%w") + 1,
        "iso_week_day": part("%u"),
        "hour": part("%H"),
        "minute": part("%M"),
        "second": part("%S"),
        "date": dt.date.fromisoformat(local.strftime("%Y-%m-%d")),
        "time": dt.time.fromisoformat(local.strftime("%H:%M:%S.%f")),
    }


@given(naive=MOMENTS, zone=ZONES)
def test_every_transform_agrees_with_strftime(naive: dt.datetime, zone: str) -> None:
    moment = naive.replace(tzinfo=dt.UTC, microsecond=naive.microsecond // 1000 * 1000)
    row = {"createdDate": moment.isoformat().replace("+00:00", "Z")}
    time_zone = ZoneInfo(zone)
    for name, value in _by_strftime(moment.astimezone(time_zone)).items():
        queryset = SampleDebtor.objects.filter(**{f"created_date__{name}": value})
        assert matches(queryset, row, time_zone), (name, value)


def test_a_missing_value_matches_only_isnull() -> None:
    row = {"createdDate": None}
    assert matches(SampleDebtor.objects.filter(created_date__year=None), row)
    assert matches(SampleDebtor.objects.filter(created_date__date__isnull=True), row)
    assert not matches(SampleDebtor.objects.filter(created_date__hour__lt=24), row)
    assert not matches(SampleDebtor.objects.filter(created_date__month__in=[1]), row)


def test_a_condition_on_a_transform_pickles() -> None:
    queryset = SampleDebtor.objects.filter(
        created_date__date__year__in=[2025, 2026], created_date__time__hour__lt=1
    )
    where = pickle.loads(pickle.dumps(queryset.query.where))
    assert [repr(lookup) for lookup in where.lookups()] == [
        "created_date__date__year__in=(2025, 2026)",
        "created_date__time__hour__lt=1",
    ]
    assert where.matches(RowReader({"createdDate": NEW_YEAR_UTC}, AMSTERDAM))  # 00:30 in 2026
    assert not where.matches(RowReader({"createdDate": NEW_YEAR_UTC}, dt.UTC))  # 23:30
    years = SampleInvoice.objects.filter(invoice_date__year__gte=2025, invoice_date__month=2)
    query = pickle.loads(pickle.dumps(years.query))
    assert str(query) == str(years.query)
    assert plan(query).local_steps() == ["filter (invoice_date__month__exact)"]


# -- what the server is sent ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"invoice_date__year": 2026}, ("2026-01-01", "2026-12-31")),
        ({"invoice_date__year__exact": 2024}, ("2024-01-01", "2024-12-31")),
        ({"invoice_date__year__gte": 2025}, ("2025-01-01", None)),
        ({"invoice_date__year__gt": 2025}, ("2026-01-01", None)),
        ({"invoice_date__year__lte": 2025}, (None, "2025-12-31")),
        ({"invoice_date__year__lt": 2025}, (None, "2024-12-31")),
        ({"invoice_date__year__range": (2024, 2025)}, ("2024-01-01", "2025-12-31")),
        (
            {"invoice_date__year__gt": 2024, "invoice_date__year__lt": 2026},
            ("2025-01-01", "2025-12-31"),
        ),
        # ISO year 2026 runs from Monday 29 December 2025 to Sunday 3 January 2027.
        ({"invoice_date__iso_year": 2026}, ("2025-12-29", "2027-01-03")),
        ({"invoice_date__iso_year__gt": 2025}, ("2025-12-29", None)),
    ],
)
def test_a_year_of_a_date_becomes_date_bounds(
    kwargs: dict[str, Any], expected: tuple[str | None, str | None]
) -> None:
    queryset = SampleInvoice.objects.filter(**kwargs)
    sent = {"invoiceDate_from": expected[0], "invoiceDate_to": expected[1]}
    assert bounds(queryset) == {k: v for k, v in sent.items() if v is not None}
    assert steps(queryset) == []


@pytest.mark.parametrize(
    ("kwargs", "time_zone", "expected"),
    [
        (
            {"created_date__year": 2026},
            AMSTERDAM,
            ("2025-12-31T23:00:00+00:00", "2026-12-31T22:59:59.999000+00:00"),
        ),
        (
            {"created_date__year": 2026},
            dt.UTC,
            ("2026-01-01T00:00:00+00:00", "2026-12-31T23:59:59.999000+00:00"),
        ),
        (  # summer time starts: a day of 23 hours
            {"created_date__date": dt.date(2026, 3, 29)},
            AMSTERDAM,
            ("2026-03-28T23:00:00+00:00", "2026-03-29T21:59:59.999000+00:00"),
        ),
        (  # and ends: 25 hours
            {"created_date__date": "2026-10-25"},
            AMSTERDAM,
            ("2026-10-24T22:00:00+00:00", "2026-10-25T22:59:59.999000+00:00"),
        ),
        (
            {"created_date__date__gte": dt.date(2026, 1, 1)},
            AMSTERDAM,
            ("2025-12-31T23:00:00+00:00", None),
        ),
        (
            {"created_date__date__gt": dt.date(2026, 1, 1)},
            AMSTERDAM,
            ("2026-01-01T23:00:00+00:00", None),
        ),
        (
            {"created_date__date__lt": dt.date(2026, 7, 1)},
            AMSTERDAM,
            (None, "2026-06-30T21:59:59.999000+00:00"),
        ),
        (
            {"created_date__date__range": (dt.date(2026, 1, 1), dt.date(2026, 1, 31))},
            ZoneInfo("America/New_York"),
            ("2026-01-01T05:00:00+00:00", "2026-02-01T04:59:59.999000+00:00"),
        ),
        (
            {"created_date__date__year__lte": 2025},
            AMSTERDAM,
            (None, "2025-12-31T22:59:59.999000+00:00"),
        ),
    ],
)
def test_a_day_or_year_of_a_datetime_becomes_instants_in_the_clients_zone(
    kwargs: dict[str, Any], time_zone: dt.tzinfo, expected: tuple[str | None, str | None]
) -> None:
    queryset = SampleDebtor.objects.filter(**kwargs)
    sent = {"createdDate_from": expected[0], "createdDate_to": expected[1]}
    assert bounds(queryset, time_zone) == {k: v for k, v in sent.items() if v is not None}
    assert steps(queryset, time_zone) == []


def test_years_or_days_in_a_list_send_their_span_and_are_verified() -> None:
    years = SampleInvoice.objects.filter(invoice_date__year__in=[2026, 2024, 2025])
    assert bounds(years) == {"invoiceDate_from": "2024-01-01", "invoiceDate_to": "2026-12-31"}
    assert steps(years) == ["verify invoice_date__year__in (first to last value)"]
    assert planned(years).explain().splitlines()[-1] == (
        "server narrows: invoiceDate_from=2024-01-01; invoiceDate_to=2026-12-31; "
        "verified here: invoice_date__year__in (first to last value)"
    )
    one = SampleInvoice.objects.filter(invoice_date__year__in=[2026, None])
    assert bounds(one) == {"invoiceDate_from": "2026-01-01", "invoiceDate_to": "2026-12-31"}
    assert steps(one) == []
    days = SampleDebtor.objects.filter(
        created_date__date__in=[dt.date(2026, 1, 2), dt.date(2025, 12, 31)]
    )
    assert bounds(days, dt.UTC) == {
        "createdDate_from": "2025-12-31T00:00:00+00:00",
        "createdDate_to": "2026-01-02T23:59:59.999000+00:00",
    }
    assert planned(SampleInvoice.objects.filter(invoice_date__year__in=[])).empty


def test_the_query_string_and_explain_show_the_bounds() -> None:
    queryset = SampleInvoice.objects.filter(invoice_date__year=2026)
    expected = "GET /salesinvoices?invoiceDate_from=2026-01-01&invoiceDate_to=2026-12-31"
    assert str(queryset.query).startswith(expected + "&orderby=id&page=1")
    assert planned(queryset).explain().splitlines()[0].startswith(expected)


@pytest.mark.parametrize(
    ("queryset", "step"),
    [
        (SampleInvoice.objects.filter(due_date__year=2026), "due_date__year__exact"),
        (SampleInvoice.objects.filter(invoice_date__month=2), "invoice_date__month__exact"),
        (SampleInvoice.objects.filter(due_date__year__in=[2026]), "due_date__year__in"),
        (SampleDebtor.objects.filter(changed_date__week_day__lt=3), "changed_date__week_day__lt"),
        (
            SampleDebtor.objects.filter(created_date__time__hour=9),
            "created_date__time__hour__exact",
        ),
    ],
)
def test_what_is_not_a_range_of_the_field_runs_here(queryset: Any, step: str) -> None:
    assert bounds(queryset) == {}
    assert steps(queryset) == [f"filter ({step})"]
    assert f"local: filter ({step})" in planned(queryset).explain()


def test_without_server_ranges_a_year_runs_here() -> None:
    queryset = SampleInvoice.objects.filter(invoice_date__year=2026)
    result = planned(queryset, range_filters=False)
    assert "invoiceDate" not in str(result)
    assert result.local_steps() == ["filter (invoice_date__year__exact)"]


def test_a_second_condition_on_a_pushed_bound_runs_here() -> None:
    queryset = SampleInvoice.objects.filter(invoice_date__year=2026).filter(
        invoice_date__gte=dt.date(2026, 3, 1)
    )
    assert bounds(queryset) == {
        "invoiceDate_from": "2026-01-01",
        "invoiceDate_to": "2026-12-31",
    }
    assert steps(queryset) == ["filter (invoice_date__gte)"]


def test_bounds_past_the_calendar() -> None:
    after_the_last_day = SampleDebtor.objects.filter(created_date__date__gt=dt.date.max)
    assert planned(after_the_last_day).empty  # no day is left: no request
    assert steps(SampleInvoice.objects.filter(invoice_date__year__gt=9999)) == [
        "filter (invoice_date__year__gt)"
    ]


def test_values_are_converted_as_django_converts_them() -> None:
    # A year is an int as Django's int() makes it; a fraction is compared as given.
    text = SampleInvoice.objects.filter(invoice_date__year="2026")
    assert bounds(text) == {"invoiceDate_from": "2026-01-01", "invoiceDate_to": "2026-12-31"}
    after = SampleInvoice.objects.filter(invoice_date__year__gt=2025.5)
    assert bounds(after) == {"invoiceDate_from": "2026-01-01"}
    assert planned(SampleInvoice.objects.filter(invoice_date__year=2025.5)).empty
    # The date of an aware datetime is its date in the client's zone (23:30 UTC is 00:30).
    moment = dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)
    assert bounds(SampleDebtor.objects.filter(created_date__date=moment)) == {
        "createdDate_from": "2026-01-01T23:00:00+00:00",
        "createdDate_to": "2026-01-02T22:59:59.999000+00:00",
    }


def test_only_asks_for_the_field_a_local_transform_reads() -> None:
    queryset = SampleDebtor.objects.only("name").filter(created_date__month=1)
    assert ("fields", "id,name,createdDate") in planned(queryset).params


def test_strict_mode_refuses_local_transforms_and_allows_pushed_ones() -> None:
    planned(SampleInvoice.objects.filter(invoice_date__year=2026)).check_local(strict=True)
    local = planned(SampleInvoice.objects.filter(invoice_date__month=1))
    with pytest.raises(QueryError, match=r"filter \(invoice_date__month__exact\)"):
        local.check_local(strict=True)


# -- against the sandbox --------------------------------------------------------------------------

# Instants around new year in Amsterdam (UTC+1): the last millisecond of 2025, the first of
# 2026, half past midnight, and noon on 2 January.
STAMPS = [
    "2025-12-31T22:59:59.999Z",
    "2025-12-31T23:00:00.000Z",
    "2025-12-31T23:30:00.000Z",
    "2026-01-02T11:00:00.000Z",
]


@pytest.fixture(scope="module")
def new_year(asperion_sandbox: Sandbox) -> Iterator[tuple[int, list[int]]]:
    """Return an administration whose debtors were added at ``STAMPS``, and their ids."""
    tenant = asperion_sandbox.add_administration(records={"debtors": len(STAMPS)})
    ids = [row["id"] for row in asperion_sandbox.state.rows(tenant, "debtors")]
    for pk, stamp in zip(ids, STAMPS, strict=True):
        asperion_sandbox.state.change_row(tenant, "debtors", pk, dateAdded=stamp)
    yield tenant, ids


def _sent(sandbox: Sandbox) -> dict[str, str]:
    return dict(sandbox.requests(path="/v1/*")[-1].params)


def test_a_year_of_invoices_is_one_request_with_date_bounds(
    shared_session: Session, assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    rows = asperion_sandbox.state.rows(shared_session.tenant, "salesinvoiceswithlines")
    expected = sorted(row["id"] for row in rows if row["date"].startswith("2025"))
    with assert_requests(1):
        assert SalesInvoice.objects.filter(date__year=2025).count() == len(expected)
    assert _sent(asperion_sandbox)["date_from"] == "2025-01-01"
    assert _sent(asperion_sandbox)["date_to"] == "2025-12-31"
    assert _sent(asperion_sandbox)["MetaOnly"] == "true"
    with assert_requests(3):  # 227 invoices: three pages of 100
        found = list(SalesInvoice.objects.filter(date__year=2025).values_list("id", flat=True))
    assert sorted(found) == expected


def test_a_year_range_of_invoices_is_exact_on_the_server(
    shared_session: Session, assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    rows = asperion_sandbox.state.rows(shared_session.tenant, "salesinvoiceswithlines")
    before = sum(row["date"] < "2025" for row in rows)
    with assert_requests(1):
        assert SalesInvoice.objects.filter(date__year__lt=2025).count() == before
    with assert_requests(1):
        assert SalesInvoice.objects.filter(date__year__gte=2025).count() == len(rows) - before
    with assert_requests(1):
        assert SalesInvoice.objects.filter(date__year__range=(2024, 2025)).count() == len(rows)


def test_a_month_of_invoices_is_filtered_here(
    shared_session: Session, assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    _warn_once.cache_clear()
    rows = asperion_sandbox.state.rows(shared_session.tenant, "salesinvoiceswithlines")
    expected = sorted(row["id"] for row in rows if row["date"][5:7] in ("01", "02"))
    queryset = SalesInvoice.objects.filter(date__month__in=[1, 2]).values_list("id", flat=True)
    with assert_requests(5), pytest.warns(LocalEvaluationWarning, match="date__month__in"):
        assert sorted(queryset) == expected  # every page of 500 invoices
    first_quarter_of_2025 = [
        row["id"] for row in rows if row["date"].startswith("2025") and row["date"][5:7] < "04"
    ]
    both = SalesInvoice.objects.filter(date__year=2025, date__quarter=1)
    with assert_requests(3):  # only the pages of 2025
        assert sorted(both.values_list("id", flat=True)) == first_quarter_of_2025


def test_strict_mode_refuses_a_local_transform_before_any_request(
    asperion_sandbox: Sandbox, shared_tenant: int
) -> None:
    client = asperion_sandbox.client(strict=True)
    with client.tenant(shared_tenant):
        assert SalesInvoice.objects.filter(date__year=2024).exists()
        with pytest.raises(QueryError, match=r"date__week_day__exact.*strict mode"):
            list(SalesInvoice.objects.filter(date__week_day=2))
    assert len(asperion_sandbox.requests(path="/v1/*")) == 1


@pytest.mark.parametrize(
    ("time_zone", "in_2026"),
    [("Europe/Amsterdam", STAMPS[1:]), ("UTC", STAMPS[3:]), ("America/New_York", STAMPS[3:])],
)
def test_the_year_of_a_datetime_is_the_year_in_the_clients_zone(
    asperion_sandbox: Sandbox,
    new_year: tuple[int, list[int]],
    assert_requests: Counter,
    time_zone: str,
    in_2026: list[str],
) -> None:
    tenant, ids = new_year
    expected = [pk for pk, stamp in zip(ids, STAMPS, strict=True) if stamp in in_2026]
    client: Client = asperion_sandbox.client(time_zone=time_zone)
    with client.tenant(tenant), assert_requests(1):
        found = Debtor.objects.filter(date_added__year=2026).order_by("id")
        assert [debtor.id for debtor in found] == expected
    sent = _sent(asperion_sandbox)
    assert set(sent) == {"dateAdded_from", "dateAdded_to", "orderby", "page", "pageSize"}
    in_year = Debtor.objects.filter(date_added__year=2026)
    with client.tenant(tenant), assert_requests(1):  # GET /debtors/{id}, checked here
        if STAMPS[2] in in_2026:
            assert in_year.get(pk=ids[2]).id == ids[2]
        else:
            with pytest.raises(Debtor.DoesNotExist):
                in_year.get(pk=ids[2])
    assert asperion_sandbox.requests(path="/v1/*")[-1].path.endswith(f"/debtors/{ids[2]}")


def test_the_date_of_a_datetime_is_the_day_in_amsterdam(
    asperion_sandbox: Sandbox, new_year: tuple[int, list[int]], assert_requests: Counter
) -> None:
    tenant, ids = new_year
    with asperion_sandbox.client().tenant(tenant):
        new_years_day = Debtor.objects.filter(date_added__date=dt.date(2026, 1, 1))
        with assert_requests(1):
            assert sorted(new_years_day.values_list("id", flat=True)) == ids[1:3]
        with assert_requests(1):
            assert Debtor.objects.filter(date_added__date__lt="2026-01-01").count() == 1
        with assert_requests(1):
            assert Debtor.objects.filter(date_added__date__gte="2026-01-02").count() == 1
        around = [dt.date(2025, 12, 31), dt.date(2026, 1, 2)]
        with assert_requests(1):  # the span of both days, verified here
            found = Debtor.objects.filter(date_added__date__in=around).values_list("id", flat=True)
            assert sorted(found) == [ids[0], ids[3]]
        _warn_once.cache_clear()
        with assert_requests(1), pytest.warns(LocalEvaluationWarning):
            at_midnight = Debtor.objects.filter(date_added__hour=0).values_list("id", flat=True)
            assert sorted(at_midnight) == ids[1:3]


@pytest.mark.parametrize("mode", ["contains-ci", "exact-cs"])
@pytest.mark.parametrize(
    ("conditions", "wanted"),
    [
        ({"name__regex": r"^\w+ \w+ B\.V\.$"}, {}),  # a trade, a one-word surname, B.V.
        ({"name__iregex": r"holding b\.v\.$"}, {}),
        ({"city__regex": r"^(Gouda|Hoorn)$"}, {}),
        ({"city__regex": r"^goud"}, {}),  # case-sensitive: nothing
        ({"city": "Gouda", "name__iregex": r"(bv|b\.v\.)$"}, {"city": "Gouda"}),
    ],
)
def test_regular_expressions_run_here_in_both_text_match_modes(
    asperion_sandbox: Sandbox,
    shared_session: Session,
    assert_requests: Counter,
    mode: str,
    conditions: dict[str, str],
    wanted: dict[str, str],
) -> None:
    asperion_sandbox.set_text_match(mode)
    regex = [
        (key.split("__")[0], key.endswith("__iregex"), p)
        for key, p in conditions.items()
        if "regex" in key
    ]
    rows = asperion_sandbox.state.rows(shared_session.tenant, "debtors")
    expected = sorted(
        row["id"]
        for row in rows
        if all(row[name] == value for name, value in wanted.items())
        and all(
            row[name] is not None and re.search(p, row[name], re.IGNORECASE if fold else 0)
            for name, fold, p in regex
        )
    )
    assert expected or conditions == {"city__regex": "^goud"}
    queryset = Debtor.objects.filter(**conditions).values_list("id", flat=True)
    with assert_requests(1 if wanted else 3):  # 250 debtors, or the 14 in Gouda
        assert sorted(queryset) == expected


@pytest.mark.filterwarnings("ignore::asperion_orm.LocalEvaluationWarning")
def test_a_transform_compared_with_an_f_expression_reads_both_per_row(
    asperion_sandbox: Sandbox, shared_session: Session
) -> None:
    from asperion_orm import F

    rows = asperion_sandbox.state.rows(shared_session.tenant, "salesinvoices")
    same = {r["id"] for r in rows if int(r["date"][:4]) == r["bookyear"]}
    later = {r["id"] for r in rows if int(r["date"][8:10]) > r["bookperiod"]}
    assert later and len(later) < len(rows)  # the data holds both kinds of row
    years = SalesInvoice.objects.filter(date__year=F("bookyear")).values_list("id", flat=True)
    assert set(years) == same
    found = SalesInvoice.objects.filter(date__day__gt=F("bookperiod")).values_list("id", flat=True)
    assert set(found) == later
