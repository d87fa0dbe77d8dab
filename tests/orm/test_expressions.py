"""F, Value, aggregates and annotate without the network: arithmetic, errors, plans, streaming.

Expected values are Django 5.2's over SQLite, noted next to each case.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from asperion_orm import Avg, Count, ExpressionWrapper, F, Max, Min, Q, Sum, Value, fields
from asperion_orm.exceptions import FieldError
from asperion_orm.orm.expressions import Expression
from asperion_orm.orm.model import Model
from asperion_orm.orm.planner import plan
from asperion_orm.orm.query import Query
from asperion_orm.orm.rows import RowReader

from .models import SampleCountry, SampleDebtor, SampleInvoice


class Branch(Model):
    """A row pointing at a country by a key the server cannot filter by."""

    id = fields.Integer(read_only=True)
    country = fields.ForeignKey(SampleCountry, related_name="branches")
    staff = fields.Integer()

    class Meta:
        path = "creditors"


pytestmark = pytest.mark.filterwarnings("error")


def value(expression: Expression, **raw: Any) -> Any:
    """Return an expression's value on one SampleInvoice row given in API names."""
    return expression.resolve(Query(SampleInvoice)).evaluate(RowReader(raw))


def matches(queryset: Any, **raw: Any) -> bool:
    return bool(queryset.query.where.matches(RowReader(raw)))


# -- arithmetic ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (F("amount_incl_vat") - F("vat_amount"), Decimal("8.25")),
        (F("amount_incl_vat") * 2, Decimal("20.50")),  # Decimal with an integer: Decimal
        (-F("vat_amount"), Decimal("-2.00")),
        (F("amount_incl_vat") / F("vat_amount"), Decimal("5.125")),
        (F("amount_incl_vat") % 3, Decimal("1.25")),
        (F("amount_incl_vat") + Value(None), None),  # NULL propagates
        (F("amount_excl_vat") + 1, None),
        (F("amount_incl_vat") / 0, None),  # SQLite: NULL, not an error
        (F("id") / 2, -3),  # integers truncate towards zero: -7 / 2 is -3 in Django
        (F("id") % 2, -1),  # the remainder takes the dividend's sign: -7 % 2 is -1
        (10 - F("id"), 17),
        (ExpressionWrapper(F("amount_incl_vat") * 1.5, output_field=fields.Decimal()), None),
    ],
    ids=repr,
)
def test_arithmetic_follows_django(expression: Expression, expected: Any) -> None:
    row = {"id": -7, "amountInclVat": "10.25", "vatAmount": "2.00", "amountExclVat": None}
    if isinstance(expression, ExpressionWrapper):
        expected = Decimal("15.375")
    assert value(expression, **row) == expected
    assert type(value(expression, **row)) is type(expected)


def test_types_django_cannot_infer_need_an_output_field() -> None:
    with pytest.raises(FieldError, match="Cannot infer type of '\\+' expression"):
        SampleInvoice.objects.annotate(x=F("amount_incl_vat") + 1.5)
    with pytest.raises(FieldError, match="Cannot infer type"):
        SampleInvoice.objects.annotate(x=F("reference") + F("id"))


def test_expressions_refuse_what_the_api_cannot_join() -> None:
    with pytest.raises(FieldError, match="cannot join"):
        SampleInvoice.objects.annotate(x=F("debtor__credit_limit") * 2)
    with pytest.raises(FieldError, match="Cannot resolve keyword 'amount'"):
        SampleInvoice.objects.filter(amount_incl_vat__gt=F("amount"))
    with pytest.raises(FieldError, match="cannot take an expression"):
        SampleInvoice.objects.filter(reference__icontains=F("description"))


# -- filter() with an expression: three-valued, as SQL ------------------------------------------


def test_exclude_against_an_expression_keeps_null_fields_but_not_null_results() -> None:
    # Django adds "vat_amount IS NOT NULL" inside exclude() for a plain F(), so a row with a
    # NULL there is kept; against F() * 10 the comparison is unknown and the row is left out.
    plain = SampleInvoice.objects.exclude(amount_incl_vat__gt=F("vat_amount"))
    computed = SampleInvoice.objects.exclude(amount_incl_vat__gt=F("vat_amount") * 10)
    row = {"amountInclVat": "5.00", "vatAmount": None}
    assert matches(plain, **row)
    assert not matches(computed, **row)
    assert not matches(SampleInvoice.objects.filter(amount_incl_vat__gt=F("vat_amount")), **row)
    assert matches(computed, amountInclVat="5.00", vatAmount="1.00")


def test_exclude_on_a_null_annotation_leaves_the_row_out() -> None:
    annotated = SampleInvoice.objects.annotate(net=F("amount_incl_vat") - F("vat_amount"))
    row = {"amountInclVat": "5.00", "vatAmount": None, "@net": None}
    assert not matches(annotated.exclude(net__gt=1), **row)
    assert not matches(annotated.filter(net__gt=1), **row)
    assert matches(annotated.filter(net__isnull=True), **row)


# -- annotate() and aggregate(): what Django refuses ---------------------------------------------


def test_a_lookup_on_an_annotation_of_a_field_leaves_the_field_as_it_was() -> None:
    queryset = SampleInvoice.objects.annotate(x=F("amount_incl_vat")).filter(x__gt=Decimal("1E+30"))
    assert SampleInvoice.amount_incl_vat.name == "amount_incl_vat"
    assert not matches(queryset, amountInclVat="5.00")
    with pytest.raises(TypeError, match="refuses float"):
        SampleInvoice.objects.annotate(x=F("amount_incl_vat")).filter(x__gt=1.5)


def test_annotation_clashing_with_a_field_is_refused() -> None:
    with pytest.raises(ValueError, match="The annotation 'reference' conflicts with a field"):
        SampleInvoice.objects.annotate(reference=Count("id"))


def test_aggregate_arguments_checked_as_django_does() -> None:
    with pytest.raises(TypeError, match="Count does not allow default"):
        Count("id", default=0)
    with pytest.raises(TypeError, match="Max does not allow distinct"):
        Max("id", distinct=True)
    with pytest.raises(TypeError, match="Complex aggregates require an alias"):
        SampleInvoice.objects.aggregate(Sum(F("id") * 2))
    with pytest.raises(TypeError, match="x is not an aggregate expression"):
        SampleInvoice.objects.aggregate(x=F("id"))
    with pytest.raises(TypeError, match="Complex annotations require an alias"):
        SampleInvoice.objects.annotate(F("id") * 2)
    with pytest.raises(FieldError, match="Sum needs a number"):
        SampleInvoice.objects.annotate(x=Sum("reference"))
    with pytest.raises(FieldError, match="is an aggregate"):
        SampleInvoice.objects.values("debtor").annotate(n=Count("id")).annotate(m=Sum("n"))


def test_positional_aggregates_are_named_as_django_names_them() -> None:
    queryset = SampleInvoice.objects.values("debtor").annotate(Sum("amount_incl_vat"), Min("id"))
    assert list(queryset.query.annotations) == ["amount_incl_vat__sum", "id__min"]


def test_the_filter_of_a_related_aggregate_names_the_relation() -> None:
    with pytest.raises(FieldError, match="names that relation's fields"):
        SampleDebtor.objects.annotate(n=Count("invoices", filter=Q(city="Utrecht")))


def test_related_aggregate_in_a_group_by_reads_the_related_rows_per_page() -> None:
    queryset = SampleDebtor.objects.values("city").annotate(n=Count("invoices"))
    assert queryset.explain().splitlines()[2:] == [
        "then, per page of 100 rows: GET /salesinvoices?fields=id%2CdebtorId&debtorId=<their "
        "ids> (debtorId in URL-length-bounded chunks, pages concurrently when answers are slow)",
        "local: group by city; n=Count(F(id)) (streamed: one entry per group)",
    ]


# -- plans: requests and local steps, without I/O -----------------------------------------------


def test_group_by_plan_asks_only_the_fields_it_reads() -> None:
    queryset = (
        SampleInvoice.objects.values("debtor")
        .annotate(total=Sum("amount_incl_vat"), n=Count("id"))
        .filter(total__gt=100)
        .order_by("-total")
    )
    assert queryset.explain().splitlines() == [
        "GET /salesinvoices?fields=id%2CdebtorId%2CamountInclVat&page=1&pageSize=100",
        "  ...then the remaining pages, concurrently when answers are slow",
        "local: group by debtor; total=Sum(F(amount_incl_vat)), n=Count(F(id)) "
        "(streamed: one entry per group)",
        "local: having (total__gt)",
        "local: order groups by -F(total)",
    ]


def test_meta_ordering_neither_groups_nor_orders_a_group_by() -> None:
    queryset = SampleInvoice.objects.values("debtor").annotate(n=Count("id"))
    assert "orderby" not in str(queryset.query)  # SampleInvoice is ordered by id
    assert "group by debtor;" in queryset.explain()
    assert not queryset.ordered
    ordered = queryset.order_by("invoice_date")
    assert "group by debtor, invoice_date;" in ordered.explain()
    assert ordered.ordered


def test_related_aggregate_plan_names_the_batched_requests() -> None:
    queryset = SampleDebtor.objects.annotate(
        total=Sum("invoices__amount_incl_vat", filter=Q(invoices__status="open"))
    )
    assert queryset.explain().splitlines()[2:] == [
        "then, per page of 100 rows: GET /salesinvoices?fields=id%2CdebtorId%2CamountInclVat"
        "%2Cstatus&status=open&status_comparison=Equals&debtorId=<their ids> (debtorId in "
        "URL-length-bounded chunks, pages concurrently when answers are slow)",
        "local: annotate total=Sum(F(amount_incl_vat), filter=(status__exact))",
    ]


def test_related_aggregate_over_a_key_the_server_cannot_filter_reads_it_once() -> None:
    queryset = SampleCountry.objects.annotate(staff=Sum("branches__staff"))
    assert queryset.explain().splitlines()[2:] == [
        "then, once: GET /creditors?fields=id%2CcountryId%2Cstaff, every page (the API cannot "
        "filter by countryId; matched here)",
        "local: annotate staff=Sum(F(staff))",
    ]


def test_expression_filter_is_a_local_step_and_server_filters_still_go() -> None:
    queryset = SampleInvoice.objects.filter(debtor=5, amount_incl_vat__gt=F("vat_amount") * 10)
    assert str(queryset.query) == "GET /salesinvoices?debtorId=5&orderby=id&page=1&pageSize=100"
    assert plan(queryset.query).local_steps() == ["filter (amount_incl_vat__gt)"]


def test_order_by_a_plain_f_goes_to_the_server_and_nulls_last_does_not() -> None:
    assert "orderby=-city" in str(SampleDebtor.objects.order_by(F("city").desc()).query)
    queryset = SampleDebtor.objects.order_by(F("city").desc(nulls_last=True))
    assert "orderby" not in str(queryset.query)
    assert plan(queryset.query).local_steps() == ["order by -F(city) nulls last"]
    reverse = plan(queryset.reverse().query).local_steps()
    assert reverse == ["order by F(city) nulls first"]  # as Django's reverse_ordering()
    with pytest.raises(ValueError, match="mutually exclusive"):
        F("city").asc(nulls_first=True, nulls_last=True)


def test_aggregate_of_a_count_alone_plans_one_meta_only_request() -> None:
    queryset = SampleInvoice.objects.filter(debtor=5)
    query = queryset.query.clone()
    assert plan(query).count_requests()[0].params[-1] == ("MetaOnly", "true")
    assert Avg("amount_incl_vat").default_alias == "amount_incl_vat__avg"


# -- streaming: the grouping holds groups, never rows --------------------------------------------


class Row(dict[str, Any]):
    """A raw row that can be weakly referenced, to see which rows are still held."""

    __hash__ = object.__hash__  # type: ignore[assignment]


def test_grouping_consumes_rows_one_at_a_time() -> None:
    queryset = SampleInvoice.objects.values("debtor").annotate(total=Sum("amount_incl_vat"))
    grouping = plan(queryset.query).grouping
    assert grouping is not None
    alive: weakref.WeakSet[Row] = weakref.WeakSet()
    most = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal most
        for number in range(300):
            most = max(most, len(alive))
            row = Row(id=number, debtorId=number % 3, amountInclVat=Decimal("1.10"))
            alive.add(row)
            yield row

    groups = list(grouping.rows(rows()))
    assert most <= 1  # no row outlives the step that reads it (freed by refcount)
    assert sorted((g["debtorId"], g["@total"]) for g in groups) == [
        (0, Decimal("110.00")),
        (1, Decimal("110.00")),
        (2, Decimal("110.00")),
    ]


def test_groups_are_by_value_not_by_how_the_api_wrote_it() -> None:
    queryset = SampleInvoice.objects.values("amount_incl_vat").annotate(n=Count("id"))
    grouping = plan(queryset.query).grouping
    assert grouping is not None
    rows = [
        {"id": 1, "amountInclVat": "1.5"},
        {"id": 2, "amountInclVat": Decimal("1.50")},
        {"id": 3, "amountInclVat": "2"},
    ]
    assert [g["@n"] for g in grouping.rows(iter(rows))] == [2, 1]
