"""Aggregates, annotate (GROUP BY, related aggregates) and F expressions against the sandbox.

Every expected value is computed in the test from the sandbox's rows with plain Python; Avg of
decimals follows Django's path on SQLite (a float average read back with 15 digits).
"""

from __future__ import annotations

import decimal
import math
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest

from asperion_orm import Avg, Count, F, Max, Min, Q, Sum, Value
from asperion_orm.exceptions import FieldError, NotSupportedError, QueryError
from asperion_orm.resources import Article, Debtor, SalesInvoice
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

pytestmark = pytest.mark.filterwarnings("ignore::asperion_orm.LocalEvaluationWarning")

Counter = Callable[[int], AbstractContextManager[None]]


@pytest.fixture
def invoices(asperion_sandbox: Sandbox, shared_session: Session) -> list[dict[str, Any]]:
    """Return the shared administration's invoices as the server holds them."""
    return asperion_sandbox.state.rows(shared_session.tenant, "salesinvoices")


@pytest.fixture
def debtors(asperion_sandbox: Sandbox, shared_session: Session) -> list[dict[str, Any]]:
    return asperion_sandbox.state.rows(shared_session.tenant, "debtors")


def sent(sandbox: Sandbox) -> list[dict[str, list[str]]]:
    """Return the query parameters of the API requests sent so far, one dict per request."""
    requests = []
    for entry in sandbox.requests(path="/v1/*"):
        params: dict[str, list[str]] = defaultdict(list)
        for name, value in entry.params:
            params[name].append(value)
        requests.append(dict(params))
    return requests


def django_avg(values: list[Decimal]) -> Decimal:
    """Return Avg of a DecimalField as Django on SQLite: a float, read back to 15 digits."""
    return decimal.Context(prec=15).create_decimal_from_float(float(sum(values)) / len(values))


# -- aggregate() -----------------------------------------------------------------------------------


def test_aggregate_sums_money_exactly_asking_only_the_fields_it_reads(
    invoices: list[dict[str, Any]], assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    with assert_requests(math.ceil(len(invoices) / 100)):
        result = SalesInvoice.objects.aggregate(Sum("amount_incl_vat"), n=Count("id"))
    assert result == {
        "amount_incl_vat__sum": sum(row["amountInclVat"] for row in invoices),
        "n": len(invoices),
    }
    assert isinstance(result["amount_incl_vat__sum"], Decimal)
    assert all(params["fields"] == ["id,amountInclVat"] for params in sent(asperion_sandbox))


def test_aggregate_of_count_alone_is_one_meta_only_request(
    invoices: list[dict[str, Any]], assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    debtor = invoices[0]["debtorId"]
    with assert_requests(1):
        result = SalesInvoice.objects.filter(debtor=debtor).aggregate(n=Count("id"), m=Count("*"))
    mine = sum(row["debtorId"] == debtor for row in invoices)
    assert result == {"n": mine, "m": mine}
    assert sent(asperion_sandbox)[-1]["MetaOnly"] == ["true"]


def test_aggregate_filter_distinct_default_min_max_avg(invoices: list[dict[str, Any]]) -> None:
    status = invoices[0]["status"]
    result = SalesInvoice.objects.aggregate(
        paid=Sum("amount_incl_vat", filter=Q(status=status)),
        debtors=Count("debtor", distinct=True),
        years=Count("bookyear", distinct=True),
        first=Min("date"),
        last=Max("invoice_number"),
        mean=Avg("amount_incl_vat"),
        period=Avg("bookperiod"),
        distinct_mean=Avg("bookyear", distinct=True),
    )
    years = {row["bookyear"] for row in invoices}
    assert result == {
        "paid": sum(row["amountInclVat"] for row in invoices if row["status"] == status),
        "debtors": len({row["debtorId"] for row in invoices}),
        "years": len(years),
        "first": min(SalesInvoice.date.to_python(row["date"]) for row in invoices),
        "last": max(row["invoiceNumber"] for row in invoices if row["invoiceNumber"]),
        "mean": django_avg([row["amountInclVat"] for row in invoices]),
        "period": sum(row["bookperiod"] for row in invoices) / len(invoices),
        "distinct_mean": sum(years) / len(years),
    }
    assert isinstance(result["mean"], Decimal) and isinstance(result["period"], float)


def test_a_choice_of_integers_counts_as_an_integer(invoices: list[dict[str, Any]]) -> None:
    statuses = [row["status"] for row in invoices]
    result = SalesInvoice.objects.aggregate(Sum("status"), Avg("status"), top=Max("status"))
    assert result == {
        "status__sum": sum(statuses),
        "status__avg": sum(statuses) / len(statuses),
        "top": max(statuses),
    }
    scaled = SalesInvoice.objects.annotate(x=F("status") * 10).filter(x__gt=30)
    assert {i.pk for i in scaled} == {row["id"] for row in invoices if row["status"] * 10 > 30}


def test_aggregate_of_nothing_is_none_default_or_zero(
    shared_session: Session, assert_requests: Counter
) -> None:
    empty = SalesInvoice.objects.filter(bookyear=1900)
    with assert_requests(1):
        result = empty.aggregate(
            total=Sum("amount_incl_vat"), n=Count("id"), top=Max("bookyear", default=0)
        )
    assert result == {"total": None, "n": 0, "top": 0}
    with assert_requests(0):
        assert SalesInvoice.objects.none().aggregate(Sum("amount_incl_vat"), n=Count("id")) == {
            "amount_incl_vat__sum": None,
            "n": 0,
        }


def test_aggregate_of_a_slice_reads_the_slice(invoices: list[dict[str, Any]]) -> None:
    first = sorted(invoices, key=lambda row: row["id"])[:10]
    result = SalesInvoice.objects.order_by("id")[:10].aggregate(Sum("amount_incl_vat"))
    assert result == {"amount_incl_vat__sum": sum(row["amountInclVat"] for row in first)}


# -- values().annotate(): GROUP BY -------------------------------------------------------------


def totals_by_debtor(invoices: list[dict[str, Any]]) -> dict[int, tuple[Decimal, int]]:
    totals: dict[int, tuple[Decimal, int]] = {}
    for row in invoices:
        total, n = totals.get(row["debtorId"], (Decimal(0), 0))
        totals[row["debtorId"]] = (total + row["amountInclVat"], n + 1)
    return totals


def test_values_then_annotate_groups_by_the_values(
    invoices: list[dict[str, Any]], assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    queryset = (
        SalesInvoice.objects.values("debtor")
        .annotate(total=Sum("amount_incl_vat"), n=Count("id"))
        .order_by("-total")
    )
    with assert_requests(math.ceil(len(invoices) / 100)):
        groups = list(queryset)
    expected = totals_by_debtor(invoices)
    assert {g["debtor"]: (g["total"], g["n"]) for g in groups} == expected
    assert len(groups) == len(expected)
    assert [g["total"] for g in groups] == sorted((t for t, _ in expected.values()), reverse=True)
    assert list(groups[0]) == ["debtor", "total", "n"]
    assert all(p["fields"] == ["id,debtorId,amountInclVat"] for p in sent(asperion_sandbox))


def test_having_filters_groups_and_a_slice_takes_groups(invoices: list[dict[str, Any]]) -> None:
    expected = totals_by_debtor(invoices)
    queryset = (
        SalesInvoice.objects.values("debtor")
        .annotate(total=Sum("amount_incl_vat"), n=Count("id"))
        .filter(n__gte=3)
        .exclude(total__lt=Decimal("10000"))
        .order_by("debtor")
    )
    kept = sorted(d for d, (total, n) in expected.items() if n >= 3 and total >= 10000)
    assert [g["debtor"] for g in queryset] == kept
    assert queryset.count() == len(kept)
    assert [g["debtor"] for g in queryset[1:3]] == kept[1:3]


@pytest.mark.parametrize("text_match", ["contains-ci", "exact-cs"])
def test_groups_of_a_text_filter_in_both_text_match_modes(
    asperion_sandbox: Sandbox, invoices: list[dict[str, Any]], text_match: str
) -> None:
    asperion_sandbox.set_text_match(text_match)  # the plugin restores the default afterwards
    description = invoices[0]["description"]
    groups = (
        SalesInvoice.objects.filter(description=description)
        .values("debtor")
        .annotate(total=Sum("amount_incl_vat"), n=Count("id"))
    )
    mine = [row for row in invoices if row["description"] == description]
    assert {g["debtor"]: (g["total"], g["n"]) for g in groups} == totals_by_debtor(mine)
    assert groups.aggregate(Sum("n")) == {"n__sum": len(mine)}


def test_a_field_in_order_by_joins_the_group_by(invoices: list[dict[str, Any]]) -> None:
    groups = list(
        SalesInvoice.objects.values("debtor").annotate(n=Count("id")).order_by("bookyear", "debtor")
    )
    pairs = Tally((row["bookyear"], row["debtorId"]) for row in invoices)
    assert [(g["debtor"], g["n"]) for g in groups] == [
        (d, n) for (_, d), n in sorted(pairs.items())
    ]
    assert all(list(group) == ["debtor", "n"] for group in groups)


def test_group_by_a_field_of_related_rows(
    debtors: list[dict[str, Any]],
    invoices: list[dict[str, Any]],
    assert_requests: Counter,
) -> None:
    city = {row["id"]: row["city"] for row in debtors}
    expected: dict[Any, Decimal] = {}
    for row in invoices:
        key = city[row["debtorId"]]
        expected[key] = expected.get(key, Decimal(0)) + row["amountInclVat"]
    queryset = SalesInvoice.objects.values("debtor__city").annotate(total=Sum("amount_incl_vat"))
    used = {row["debtorId"] for row in invoices}
    with assert_requests(math.ceil(len(invoices) / 100) + math.ceil(len(used) / 100)):
        groups = list(queryset.order_by("-total"))
    assert {g["debtor__city"]: g["total"] for g in groups} == expected
    assert [g["total"] for g in groups] == sorted(expected.values(), reverse=True)


def test_groups_of_a_values_list_and_an_aggregate_of_groups(
    invoices: list[dict[str, Any]],
) -> None:
    expected = totals_by_debtor(invoices)
    rows = SalesInvoice.objects.values_list("debtor").annotate(total=Sum("amount_incl_vat"))
    assert dict(rows) == {debtor: total for debtor, (total, _) in expected.items()}
    assert rows.aggregate(top=Max("total"), groups=Count("*")) == {
        "top": max(total for total, _ in expected.values()),
        "groups": len(expected),
    }
    assert not rows.ordered  # a GROUP BY query ignores Meta.ordering, as in Django


def test_expressions_of_groups_and_values_in_the_order_given(
    invoices: list[dict[str, Any]],
) -> None:
    expected = totals_by_debtor(invoices)
    groups = (
        SalesInvoice.objects.values("debtor")
        .annotate(total=Sum("amount_incl_vat"), again=F("debtor"))
        .annotate(double=F("total") * 2)
        .filter(double__gt=20000)
        .values("double", "debtor", "again")
    )
    assert sorted((g["debtor"], g["again"], g["double"]) for g in groups) == sorted(
        (d, d, total * 2) for d, (total, _) in expected.items() if total * 2 > 20000
    )
    assert all(list(group) == ["double", "debtor", "again"] for group in groups)


def test_annotate_before_values_is_per_row(invoices: list[dict[str, Any]]) -> None:
    rows = SalesInvoice.objects.annotate(n=Count("id")).values("debtor", "n")
    assert sorted((r["debtor"], r["n"]) for r in rows) == sorted(
        (row["debtorId"], 1) for row in invoices
    )


# -- annotate() on model rows ------------------------------------------------------------------


def test_annotate_an_expression_per_row_filter_and_order_by_it(
    invoices: list[dict[str, Any]],
) -> None:
    queryset = (
        SalesInvoice.objects.annotate(net=F("amount_incl_vat") - F("vat_amount"))
        .filter(net__gt=5000)
        .order_by("-net", "id")
    )
    nets = {row["id"]: row["amountInclVat"] - row["vatAmount"] for row in invoices}
    expected = sorted((pk for pk, net in nets.items() if net > 5000), key=lambda pk: -nets[pk])
    found = list(queryset)
    assert [invoice.pk for invoice in found] == expected
    assert all(invoice.net == nets[invoice.pk] for invoice in found)  # type: ignore[attr-defined]
    values = queryset.values("id", "net")[:2]
    assert [row["net"] for row in values] == [nets[pk] for pk in expected[:2]]


def test_related_aggregate_is_one_batched_request_series(
    debtors: list[dict[str, Any]],
    invoices: list[dict[str, Any]],
    assert_requests: Counter,
    asperion_sandbox: Sandbox,
) -> None:
    first = sorted(row["id"] for row in debtors)[:30]
    status = invoices[0]["status"]
    queryset = Debtor.objects.filter(id__lte=first[-1]).annotate(
        open_total=Sum("sales_invoices__amount_incl_vat", filter=Q(sales_invoices__status=status)),
        n=Count("sales_invoices"),
    )
    theirs = [row for row in invoices if row["debtorId"] in first]
    with assert_requests(1 + math.ceil(len(theirs) / 100)):
        found = {d.pk: (d.open_total, d.n) for d in queryset}  # type: ignore[attr-defined]
    expected = {}
    for pk in first:
        mine = [row for row in theirs if row["debtorId"] == pk]
        amounts = [row["amountInclVat"] for row in mine if row["status"] == status]
        expected[pk] = (sum(amounts) if amounts else None, len(mine))
    assert found == expected
    assert any(n == 0 for _, n in expected.values())  # debtors without invoices: None and 0
    related = sent(asperion_sandbox)[1]
    assert related["fields"] == ["id,debtorId,amountInclVat,status"]
    assert sorted(map(int, related["debtorId"])) == first


def test_count_of_annotated_objects_is_still_one_meta_only_request(
    debtors: list[dict[str, Any]], assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    annotated = Debtor.objects.annotate(n=Count("sales_invoices"), x=F("id") * 2)
    with assert_requests(1):
        assert annotated.count() == len(debtors)
    assert sent(asperion_sandbox)[-1]["MetaOnly"] == ["true"]


def test_a_filter_every_related_aggregate_shares_goes_to_the_server(
    debtors: list[dict[str, Any]], invoices: list[dict[str, Any]], asperion_sandbox: Sandbox
) -> None:
    first = sorted(row["id"] for row in debtors)[:20]
    status = invoices[0]["status"]
    mine = Q(sales_invoices__status=status)
    queryset = Debtor.objects.filter(id__lte=first[-1]).annotate(
        total=Sum("sales_invoices__amount_incl_vat", filter=mine),
        n=Count("sales_invoices", filter=mine),
    )
    found = {d.pk: (d.total, d.n) for d in queryset}  # type: ignore[attr-defined]
    expected = {}
    for pk in first:
        amounts = [
            r["amountInclVat"] for r in invoices if r["debtorId"] == pk and r["status"] == status
        ]
        expected[pk] = (sum(amounts) if amounts else None, len(amounts))
    assert found == expected
    assert sent(asperion_sandbox)[1]["status"] == [str(int(status))]


def test_group_by_over_a_relation_counts_the_join_as_django(
    debtors: list[dict[str, Any]],
    invoices: list[dict[str, Any]],
    assert_requests: Counter,
    asperion_sandbox: Sandbox,
) -> None:
    queryset = Debtor.objects.values("city").annotate(
        n=Count("sales_invoices"), rows=Count("id"), total=Sum("sales_invoices__amount_incl_vat")
    )
    pages = [sorted(row["id"] for row in debtors)[i : i + 100] for i in range(0, len(debtors), 100)]
    series = [math.ceil(sum(row["debtorId"] in page for row in invoices) / 100) for page in pages]
    with assert_requests(len(pages) + sum(series)):
        groups = {g["city"]: (g["n"], g["rows"], g["total"]) for g in queryset}
    expected: dict[Any, tuple[int, int, Any]] = {}
    for debtor in debtors:  # a LEFT JOIN: a debtor without invoices is one row of NULLs
        mine = [row["amountInclVat"] for row in invoices if row["debtorId"] == debtor["id"]]
        n, rows, total = expected.get(debtor["city"], (0, 0, None))
        if mine:
            total = (total or 0) + sum(mine)
        expected[debtor["city"]] = (n + len(mine), rows + max(1, len(mine)), total)
    assert groups == expected
    related = [p for p in sent(asperion_sandbox) if "debtorId" in p]
    assert [len(p["debtorId"]) for p in related if p["page"] == ["1"]] == [len(p) for p in pages]


def test_aggregate_across_a_relation(
    debtors: list[dict[str, Any]], invoices: list[dict[str, Any]]
) -> None:
    result = Debtor.objects.aggregate(
        Sum("sales_invoices__amount_incl_vat"),
        n=Count("sales_invoices"),
        d=Count("id", distinct=True),
    )
    assert result == {
        "sales_invoices__amount_incl_vat__sum": sum(row["amountInclVat"] for row in invoices),
        "n": len(invoices),
        "d": len(debtors),
    }


def test_filter_and_order_by_a_related_aggregate(
    debtors: list[dict[str, Any]], invoices: list[dict[str, Any]]
) -> None:
    counts = Tally(row["debtorId"] for row in invoices)
    queryset = Debtor.objects.annotate(n=Count("sales_invoices")).filter(n=0)
    assert sorted(d.pk for d in queryset) == sorted(
        row["id"] for row in debtors if not counts[row["id"]]
    )
    busiest = Debtor.objects.annotate(n=Count("sales_invoices")).order_by("-n", "id")[:3]
    ranked = sorted((row["id"] for row in debtors), key=lambda pk: (-counts[pk], pk))
    assert [d.pk for d in busiest] == ranked[:3]


# -- F() in filter(), exclude() and order_by() ---------------------------------------------------


def test_filter_and_exclude_against_an_expression(invoices: list[dict[str, Any]]) -> None:
    big = {row["id"] for row in invoices if row["amountInclVat"] > row["vatAmount"] * 10}
    found = SalesInvoice.objects.filter(amount_incl_vat__gt=F("vat_amount") * 10)
    assert {invoice.pk for invoice in found} == big
    rest = SalesInvoice.objects.exclude(amount_incl_vat__gt=F("vat_amount") * 10)
    assert {invoice.pk for invoice in rest} == {row["id"] for row in invoices} - big
    assert found.count() == len(big)


def test_strict_mode_refuses_an_expression_filter(
    asperion_sandbox: Sandbox, shared_tenant: int, assert_requests: Counter
) -> None:
    queryset = SalesInvoice.objects.filter(amount_incl_vat__gt=F("vat_amount"))
    with assert_requests(0), pytest.raises(QueryError, match="strict mode"):
        list(queryset.server_only().using(asperion_sandbox.client().tenant(shared_tenant)))
    strict = asperion_sandbox.client(strict=True)
    with assert_requests(0), pytest.raises(QueryError, match="strict mode"):
        queryset.using(strict.tenant(shared_tenant)).count()


def test_order_by_an_expression_places_nulls_as_asked(debtors: list[dict[str, Any]]) -> None:
    queryset = Debtor.objects.order_by(F("mobile_number").desc(nulls_last=True), "id")
    phones = [(row["mobileNumber"], row["id"]) for row in debtors]
    known = sorted((p for p in phones if p[0] is not None), key=lambda p: (p[0], -p[1]))
    unknown = sorted(p[1] for p in phones if p[0] is None)
    expected = [pk for _, pk in reversed(known)] + unknown
    assert [d.pk for d in queryset] == expected
    assert unknown  # some debtors have no mobile number
    ascending = Debtor.objects.order_by(F("mobile_number").asc(), "id").values_list("id", flat=True)
    assert list(ascending)[: len(unknown)] == unknown  # NULL is the smallest, as in SQLite


# -- update() with F() ---------------------------------------------------------------------------


def test_update_with_an_expression_patches_each_computed_value(
    asperion_session: Session, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    articles = asperion_sandbox.state.rows(asperion_session.tenant, "articles")
    chosen = sorted(articles, key=lambda row: row["id"])[:3]
    ids = [row["id"] for row in chosen]
    before = {row["id"]: row["price"] for row in chosen}
    queryset = Article.objects.filter(id__in=ids)
    with assert_requests(1 + len(ids)):
        assert queryset.update(price=F("price") * 2 + Value(Decimal("0.50"))) == len(ids)
    after = {
        row["id"]: row["price"]
        for row in asperion_sandbox.state.rows(asperion_session.tenant, "articles")
        if row["id"] in before
    }
    assert after == {pk: price * 2 + Decimal("0.50") for pk, price in before.items()}


def test_update_with_an_expression_across_a_relation_is_refused(
    asperion_session: Session, assert_requests: Counter
) -> None:
    with assert_requests(0), pytest.raises(FieldError, match="Joined field references"):
        Article.objects.filter(id=1).update(price=F("sales_type__price"))


def test_aggregate_of_a_slice_ordered_across_a_relation_takes_the_ordered_rows(
    asperion_sandbox: Sandbox, shared_session: Session, debtors: list[dict[str, Any]]
) -> None:
    conditions = {
        row["id"]: row["description"]
        for row in asperion_sandbox.state.rows(shared_session.tenant, "paymentconditions")
    }

    def description(row: dict[str, Any]) -> tuple[bool, str]:
        text = conditions.get(row["paymentConditionId"])
        return (text is not None, text or "")  # None first ascending, as Django

    ordered = sorted(sorted(debtors, key=lambda row: row["id"]), key=description)
    qs = Debtor.objects.order_by("payment_condition__description", "id")[3:]
    assert ordered[:3] != sorted(debtors, key=lambda row: row["id"])[:3]  # the order matters
    assert qs.aggregate(total=Sum("id"), n=Count("id")) == {
        "total": sum(row["id"] for row in ordered[3:]),
        "n": len(ordered) - 3,
    }


def test_an_aggregate_over_a_relation_an_earlier_filter_crossed_says_how_to_write_it(
    shared_session: Session, assert_requests: Counter
) -> None:
    # Django would aggregate only the invoices the filter matched (it reuses the join).
    with assert_requests(0), pytest.raises(NotSupportedError, match="filter=Q\\(sales_invoices"):
        Debtor.objects.filter(sales_invoices__status=1).annotate(n=Count("sales_invoices"))
    with assert_requests(0), pytest.raises(NotSupportedError, match="only the related rows"):
        Debtor.objects.filter(sales_invoices__status=1).aggregate(Sum("sales_invoices__id"))
    # After annotate() the filter is a new join in Django too, and one with filter= is explicit.
    Debtor.objects.annotate(n=Count("sales_invoices")).filter(sales_invoices__status=1)
    opened = Q(sales_invoices__status=1)
    Debtor.objects.filter(opened).annotate(n=Count("sales_invoices", filter=opened))
