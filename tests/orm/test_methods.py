"""Django's other QuerySet methods against the sandbox: answers computed from the stored rows.

distinct, dates/datetimes, latest/earliest, contains, union/intersection/difference,
values_list(named=True), in_bulk(field_name=), defer, and the number of requests each sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import asperion_orm as asp
from asperion_orm import Count, NotSupportedError, Q, fields
from asperion_orm.exceptions import FieldError
from asperion_orm.resources import Country, Debtor, SalesInvoiceHeader
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

pytestmark = pytest.mark.filterwarnings("ignore::asperion_orm.LocalEvaluationWarning")

Counter = Callable[[int], AbstractContextManager[None]]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class LatestDebtor(asp.Model):
    """A debtor with ``Meta.get_latest_by`` and a unique customer number."""

    id = fields.Integer(read_only=True)
    name = fields.String(max_length=100, required=True, null=False)
    customer_number = fields.String(max_length=20)
    city = fields.String(max_length=60)
    date_added = fields.DateTime(read_only=True)

    class Meta:
        path = "debtors"
        get_latest_by = "date_added"
        unique = ("customer_number",)
        filterable = ("id", "customer_number", "city")
        range_filterable = ("id", "date_added")


def rows(sandbox: Sandbox, session: Session, resource: str) -> list[dict[str, Any]]:
    return sandbox.state.rows(session.tenant, resource)


def sent(sandbox: Sandbox) -> list[Any]:
    return sandbox.requests(path="/v1/*")


def by_name_then_id(row: dict[str, Any]) -> tuple[str, int]:
    return (row["name"], row["id"])


def none_first(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def moment(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


# -- distinct -----------------------------------------------------------------------------------


def test_distinct_on_models_changes_nothing_but_is_recorded(
    shared_session: Session, assert_requests: Counter
) -> None:
    queryset = Debtor.objects.filter(id__gte=1).distinct()
    assert queryset.query.distinct and not Debtor.objects.all().query.distinct
    assert str(queryset.query) == str(Debtor.objects.filter(id__gte=1).query)
    with assert_requests(3):
        assert [d.pk for d in queryset] == [d.pk for d in Debtor.objects.filter(id__gte=1)[:300]]


def test_distinct_values_keep_the_first_of_each_in_order(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    cities = [row["city"] for row in rows(asperion_sandbox, shared_session, "debtors")]
    expected = sorted(set(cities), key=none_first)
    queryset = Debtor.objects.values_list("city", flat=True).order_by("city").distinct()
    with assert_requests(3):
        assert list(queryset) == expected
    assert ("fields", "id,city") in sent(asperion_sandbox)[-1].params
    assert len(expected) < len(cities)
    with assert_requests(0):  # the same pages again: the response cache answers
        assert list(queryset[2:5]) == expected[2:5]
        assert queryset.count() == len(expected)
    with assert_requests(1):  # the first row settles it
        assert queryset.cache(False).exists()


def test_distinct_values_count_the_ordering_fields_as_django_does(
    asperion_sandbox: Sandbox, shared_session: Session
) -> None:
    # Django selects the ordering columns too: DISTINCT city, name ... ORDER BY name.
    ordered = sorted(rows(asperion_sandbox, shared_session, "debtors"), key=by_name_then_id)
    pairs = list(dict.fromkeys((row["city"], row["name"]) for row in ordered))
    got = list(Debtor.objects.values("city").order_by("name").distinct())
    assert got == [{"city": city} for city, _ in pairs]
    unordered = Debtor.objects.values("city").order_by().distinct()
    assert len(list(unordered)) == len({row["city"] for row in ordered})
    # Django's count() drops the ordering, and with it the ordering fields from DISTINCT.
    counted = Debtor.objects.values("city").order_by("name").distinct()
    assert counted.count() == len({row["city"] for row in ordered}) < len(pairs)
    assert counted[:300].count() == len(pairs)  # a slice keeps the ordering


def test_distinct_refuses_fields_and_slices(shared_session: Session) -> None:
    with pytest.raises(NotSupportedError, match="DISTINCT ON fields is not supported"):
        Debtor.objects.values("city").distinct("city")
    with pytest.raises(TypeError, match="once a slice has been taken"):
        Debtor.objects.all()[:5].distinct()


# -- latest / earliest --------------------------------------------------------------------------


def test_latest_and_earliest_are_one_request_of_one_row(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    added = [moment(row["dateAdded"]) for row in rows(asperion_sandbox, shared_session, "debtors")]
    with assert_requests(1):
        latest = Debtor.objects.latest("date_added")
    params = dict(sent(asperion_sandbox)[-1].params)
    assert (params["orderby"], params["pageSize"]) == ("-dateAdded", "1")
    assert latest.date_added == max(a for a in added if a is not None)
    with assert_requests(1):
        earliest = Debtor.objects.earliest("date_added")
    # As in SQLite, NULL sorts first ascending: earliest() may find an object without a date.
    assert earliest.date_added == min(added, key=none_first)
    with assert_requests(0):  # Meta.get_latest_by: the request above, answered by the cache
        assert LatestDebtor.objects.latest().pk == latest.pk


def test_latest_without_a_field_or_a_match(shared_session: Session) -> None:
    with pytest.raises(ValueError, match="require either fields as positional arguments"):
        Debtor.objects.latest()
    with pytest.raises(Debtor.DoesNotExist):
        Debtor.objects.filter(id__gt=10**6).earliest("id")
    with pytest.raises(TypeError, match="Cannot change a query once a slice"):
        Debtor.objects.all()[:3].latest("id")


# -- dates / datetimes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "truncate"),
    [
        ("year", lambda d: d.replace(month=1, day=1)),
        ("month", lambda d: d.replace(day=1)),
        ("week", lambda d: d - dt.timedelta(days=d.weekday())),
        ("day", lambda d: d),
    ],
)
def test_dates_are_distinct_truncated_and_sorted(
    asperion_sandbox: Sandbox,
    shared_session: Session,
    assert_requests: Counter,
    kind: str,
    truncate: Callable[[dt.date], dt.date],
) -> None:
    stored = [row["date"] for row in rows(asperion_sandbox, shared_session, "salesinvoices")]
    expected = sorted({truncate(dt.date.fromisoformat(d)) for d in stored if d is not None})
    with assert_requests(5):
        assert list(SalesInvoiceHeader.objects.dates("date", kind)) == expected
    assert ("fields", "id,date") in sent(asperion_sandbox)[-1].params
    descending = SalesInvoiceHeader.objects.dates("date", kind, order="DESC")
    assert list(descending) == expected[::-1]
    assert descending.first() == expected[-1] and descending[1:3] == expected[-2:-4:-1]


def test_datetimes_truncate_in_the_client_time_zone_or_the_given_one(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    added = [moment(row["dateAdded"]) for row in rows(asperion_sandbox, shared_session, "debtors")]
    hours = {a.astimezone(AMSTERDAM).replace(minute=0, second=0, microsecond=0) for a in added if a}
    with assert_requests(3):
        got = list(Debtor.objects.datetimes("date_added", "hour"))
    assert got == sorted(hours) and all(value.tzinfo is AMSTERDAM for value in got)
    days_utc = {dt.datetime.combine(a.date(), dt.time(), dt.UTC) for a in added if a}
    got = list(Debtor.objects.datetimes("date_added", "day", "DESC", tzinfo=dt.UTC))
    assert got == sorted(days_utc, reverse=True) and got[0].tzinfo is dt.UTC
    amsterdam_days = {a.astimezone(AMSTERDAM).date() for a in added if a}
    assert list(Debtor.objects.dates("date_added", "day")) == sorted(amsterdam_days)


def test_dates_refuse_bad_arguments_before_any_request(
    shared_session: Session, assert_requests: Counter
) -> None:
    with assert_requests(0):
        with pytest.raises(ValueError, match="'kind' must be one of"):
            SalesInvoiceHeader.objects.dates("date", "hour")
        with pytest.raises(ValueError, match="'order' must be either 'ASC' or 'DESC'"):
            SalesInvoiceHeader.objects.dates("date", "day", order="up")
        with pytest.raises(TypeError, match="isn't a Date or DateTime field"):
            Debtor.objects.dates("name", "year")
        with pytest.raises(ValueError, match="Cannot truncate Date field 'date'"):
            SalesInvoiceHeader.objects.datetimes("date", "day")
        with pytest.raises(FieldError):
            Debtor.objects.dates("no_such_field", "day")


# -- contains -----------------------------------------------------------------------------------


def test_contains_is_one_request_of_one_row_with_the_filters(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    first = rows(asperion_sandbox, shared_session, "debtors")[0]
    debtor = Debtor.from_api(first)
    queryset = Debtor.objects.filter(payment_condition=first["paymentConditionId"])
    with assert_requests(1):
        assert queryset.contains(debtor)
    params = dict(sent(asperion_sandbox)[-1].params)
    assert params["id"] == str(debtor.pk) and params["pageSize"] == "1"
    assert params["paymentConditionId"] == str(first["paymentConditionId"])
    with assert_requests(1):
        assert not queryset.exclude(pk=debtor.pk).contains(debtor)
    evaluated = Debtor.objects.filter(id__lte=debtor.pk)
    list(evaluated)
    with assert_requests(0):
        assert evaluated.contains(debtor)


def test_contains_refuses_what_django_refuses(shared_session: Session) -> None:
    assert Debtor.objects.contains(Country.from_api({"id": 1})) is False
    with pytest.raises(ValueError, match="cannot be used on unsaved objects"):
        Debtor.objects.contains(Debtor(name="x"))
    with pytest.raises(TypeError, match="'obj' must be a model instance"):
        Debtor.objects.contains(5)
    with pytest.raises(TypeError, match=r"after \.values\(\)"):
        Debtor.objects.values("id").contains(Debtor.from_api({"id": 1}))


# -- union / intersection / difference ----------------------------------------------------------


def test_combinators_run_each_query_and_combine_by_id(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    ids = [row["id"] for row in rows(asperion_sandbox, shared_session, "debtors")]
    low = Debtor.objects.filter(id__lte=ids[59])
    high = Debtor.objects.filter(id__gte=ids[40], id__lte=ids[99])
    with assert_requests(2):
        assert [d.pk for d in low.union(high)] == ids[:100]
    with assert_requests(2):
        assert [d.pk for d in low.intersection(high).cache(False)] == ids[40:60]
    with assert_requests(0):  # the same two requests: the response cache answers
        assert [d.pk for d in low.difference(high)] == ids[:40]
        assert len(low.union(high, all=True)) == 120
        assert low.union(high).count() == 100
    with assert_requests(0):
        assert "query 2: GET /debtors?id_from=" in low.union(high).explain()


def test_a_combined_query_orders_and_slices_here(
    asperion_sandbox: Sandbox, shared_session: Session
) -> None:
    stored = rows(asperion_sandbox, shared_session, "debtors")
    ids = [row["id"] for row in stored]
    chosen = sorted(
        [row for row in stored if row["id"] <= ids[9] or row["id"] >= ids[-10]],
        key=lambda row: (row["name"], row["id"]),
        reverse=True,
    )
    small = Debtor.objects.filter(id__lte=ids[9])
    big = Debtor.objects.filter(id__gte=ids[-10])
    combined = small.union(big).order_by("-name")
    assert [d.pk for d in combined[2:7]] == [row["id"] for row in chosen][2:7]
    assert combined.first() is not None and combined.first().pk == chosen[0]["id"]  # type: ignore[union-attr]
    names = small.values_list("city", flat=True).union(big.values_list("city", flat=True))
    assert list(names) == sorted(
        {row["city"] for row in stored if row["id"] <= ids[9] or row["id"] >= ids[-10]},
        key=none_first,
    )


def test_after_a_combinator_only_reading_is_allowed(shared_session: Session) -> None:
    combined = Debtor.objects.filter(id__lte=5).union(Debtor.objects.filter(id__gte=9))
    with pytest.raises(NotSupportedError, match=r"QuerySet\.filter\(\) after union\(\)"):
        combined.filter(name="x")
    with pytest.raises(NotSupportedError, match=r"QuerySet\.exclude\(\) after union\(\)"):
        combined.exclude(name="x")
    with pytest.raises(NotSupportedError, match=r"get\(\.\.\.\) with filters after union\(\)"):
        combined.get(pk=1)
    with pytest.raises(NotSupportedError, match="one model"):
        Debtor.objects.union(Country.objects.all())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes QuerySets"):
        Debtor.objects.union([1])  # type: ignore[arg-type]
    none = Debtor.objects.none()
    assert none.union(none) is none
    assert none.union(combined) is combined
    assert Debtor.objects.intersection(none) is none


# -- values_list(named=True), in_bulk(field_name=) ----------------------------------------------


def test_named_rows(asperion_sandbox: Sandbox, shared_session: Session) -> None:
    first = rows(asperion_sandbox, shared_session, "debtors")[0]
    row = Debtor.objects.values_list("id", "city", named=True).order_by("id")[0]
    assert type(row).__name__ == "Row" and row.id == first["id"] and row.city == first["city"]
    assert row == (first["id"], first["city"])
    with pytest.raises(TypeError, match="'flat' and 'named' can't be used together"):
        Debtor.objects.values_list("id", flat=True, named=True)


def test_in_bulk_by_a_unique_field(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    stored = rows(asperion_sandbox, shared_session, "debtors")[:3]
    numbers = [row["customerNumber"] for row in stored]
    with assert_requests(1):
        found = LatestDebtor.objects.in_bulk(numbers, field_name="customer_number")
    assert {number: obj.pk for number, obj in found.items()} == {
        row["customerNumber"]: row["id"] for row in stored
    }
    assert Debtor.objects.in_bulk([stored[0]["id"]], field_name="id")[stored[0]["id"]].pk
    with pytest.raises(ValueError, match="must be a unique field but 'city' isn't"):
        Debtor.objects.in_bulk(["Ede"], field_name="city")
    with pytest.raises(TypeError, match="cannot be used with values"):
        Debtor.objects.values("id").in_bulk([1])
    with assert_requests(0):
        assert LatestDebtor.objects.in_bulk([], field_name="customer_number") == {}


# -- defer / only -------------------------------------------------------------------------------


def test_defer_leaves_fields_out_and_loads_them_with_one_get(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    stored = rows(asperion_sandbox, shared_session, "debtors")[0]
    with assert_requests(1):
        debtor = Debtor.objects.defer("city", "comments").order_by("id")[0]
    fetched = dict(sent(asperion_sandbox)[-1].params)["fields"].split(",")
    assert "city" not in fetched and "comments" not in fetched and "name" in fetched
    assert debtor.get_deferred_fields() == {"city", "comments"}
    with assert_requests(1):
        assert debtor.city == stored["city"]
    assert sent(asperion_sandbox)[-1].path == f"/v1/debtors/{debtor.pk}"
    with assert_requests(0):
        assert debtor.comments == stored["comments"]
    assert debtor.get_deferred_fields() == set()


def test_defer_and_only_compose_as_in_django(shared_session: Session) -> None:
    def fetched(queryset: asp.QuerySet[Any]) -> set[str]:
        return set(queryset.query.only)

    assert fetched(Debtor.objects.only("name", "city").defer("city")) == {"name"}
    assert fetched(Debtor.objects.defer("city").only("name", "city")) == {"name"}
    every = set(Debtor._meta.fields) - {"city"}
    assert fetched(Debtor.objects.defer("city")) == every
    assert "fields=" not in str(Debtor.objects.defer("city").defer(None).query)
    assert fetched(Debtor.objects.defer("id", "city")) == every  # the id is always loaded
    with pytest.raises(TypeError, match="Cannot pass None as an argument to only"):
        Debtor.objects.only(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Cannot call defer\(\) after \.values\(\)"):
        Debtor.objects.values("id").defer("city")
    with pytest.raises(FieldError, match="related objects"):
        Debtor.objects.defer("payment_condition__description")


def test_an_assigned_deferred_field_is_not_loaded_over(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    stored = rows(asperion_sandbox, shared_session, "debtors")[1]
    debtor = Debtor.objects.only("name").order_by("id")[1]
    debtor.city = "Zelf gezet"
    with assert_requests(1):
        assert debtor.comments == stored["comments"]
    assert debtor.city == "Zelf gezet"


# -- what the API cannot do ---------------------------------------------------------------------


def test_what_the_api_cannot_do_names_the_alternative(
    shared_session: Session, assert_requests: Counter
) -> None:
    with assert_requests(0):
        with pytest.raises(NotSupportedError, match="no transactions or row locks"):
            Debtor.objects.select_for_update()
        with pytest.raises(NotSupportedError, match="takes no SQL"):
            Debtor.objects.raw("SELECT 1")
        with pytest.raises(NotSupportedError, match="takes no SQL"):
            Debtor.objects.all().extra(where=["1=1"])
        with pytest.raises(NotSupportedError, match=r"Use annotate\(\)"):
            Debtor.objects.alias(n=Count("sales_invoices"))


def test_every_public_django_queryset_method_exists_here() -> None:
    from django.db.models.query import QuerySet as DjangoQuerySet

    from asperion_orm import QuerySet

    names = {name for name in dir(DjangoQuerySet) if not name.startswith("_")}
    missing = names - {name for name in dir(QuerySet) if not name.startswith("_")}
    # ``db`` names a database connection, ``resolve_expression`` is for SQL subqueries, and
    # ``query`` is set on each instance.
    assert missing <= {"db", "resolve_expression", "query"}


def test_complex_filter_takes_a_q_or_a_dict(shared_session: Session) -> None:
    by_q = Debtor.objects.complex_filter(Q(id__lte=10005) | Q(id=10010))
    by_dict = Debtor.objects.complex_filter({"id__lte": 10003})
    assert str(by_dict.query) == str(Debtor.objects.filter(id__lte=10003).query)
    assert [d.pk for d in by_q] == [10001, 10002, 10003, 10004, 10005, 10010]
    with pytest.raises(TypeError, match="takes a Q object or a dict"):
        Debtor.objects.complex_filter([1])  # type: ignore[arg-type]


# -- both text-match modes of the emulator ------------------------------------------------------


@pytest.mark.parametrize("text_match", ["contains-ci", "exact-cs"])
def test_text_filters_give_django_answers_in_both_text_modes(
    asperion_sandbox: Sandbox, shared_session: Session, text_match: str
) -> None:
    asperion_sandbox.set_text_match(text_match)  # the plugin restores the default afterwards
    stored = rows(asperion_sandbox, shared_session, "debtors")
    city = stored[0]["city"]
    in_city = [row for row in stored if row["city"] == city]
    others = [row for row in stored if row["city"] != city]
    queryset = Debtor.objects.filter(city=city)
    assert queryset.contains(Debtor.from_api(in_city[-1]))
    assert not queryset.contains(Debtor.from_api(others[0]))
    numbers = [row["customerNumber"] for row in stored[:5]]
    found = LatestDebtor.objects.in_bulk(numbers, field_name="customer_number")
    assert {n: d.pk for n, d in found.items()} == {r["customerNumber"]: r["id"] for r in stored[:5]}
    names = queryset.values_list("name", flat=True).order_by("name").distinct()
    assert list(names) == sorted({row["name"] for row in in_city})
    lower = Debtor.objects.filter(city=city.lower())
    expected_lower = {row["id"] for row in stored if row["city"] == city.lower()}
    assert {d.pk for d in queryset.union(lower)} == {r["id"] for r in in_city} | expected_lower
    assert not queryset.intersection(Debtor.objects.filter(city=city.swapcase())).exists()


def test_explain_shows_the_local_steps_of_distinct_and_dates(shared_session: Session) -> None:
    explained = Debtor.objects.values("city").distinct()[:5].explain().splitlines()
    assert explained == [
        "GET /debtors?fields=id%2Ccity&page=1&pageSize=100",
        "  ...then the remaining pages, concurrently when answers are slow",
        "local: distinct rows (the selected and ordering fields)",
        "local: slice [0:5]",
    ]
    dates = SalesInvoiceHeader.objects.dates("date", "month").explain()
    assert dates.endswith("local: truncate to month, distinct, sort")


def test_and_or_operators_make_one_query(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    stored = rows(asperion_sandbox, shared_session, "debtors")
    city, other = (
        stored[0]["city"],
        next(r["city"] for r in stored if r["city"] != stored[0]["city"]),
    )
    either = Debtor.objects.filter(city=city) | Debtor.objects.filter(city=other)
    with assert_requests(1):  # a same-field OR: repeated city= parameters
        assert {d.pk for d in either} == {r["id"] for r in stored if r["city"] in (city, other)}
    both = Debtor.objects.filter(city=city) & Debtor.objects.filter(id__gte=stored[100]["id"])
    assert {d.pk for d in both} == {
        r["id"] for r in stored if r["city"] == city and r["id"] >= stored[100]["id"]
    }
    everything = Debtor.objects.all() | Debtor.objects.filter(city=city)
    assert everything.count() == len(stored)
    none = Debtor.objects.none()
    assert (none | either) is either and (either & none) is none
    with pytest.raises(NotSupportedError, match="with a sliced query"):
        Debtor.objects.all()[:3] | either
    with pytest.raises(TypeError, match="two different base models"):
        either | Country.objects.all()  # type: ignore[operator]
    with pytest.raises(TypeError, match="combined queryset"):
        either | either.union(both)
    with pytest.raises(NotSupportedError, match=r"\^ operator"):
        either ^ both
