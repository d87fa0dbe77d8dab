"""Compile-only tests: what each query sends, as ``str(qs.query)``, with no network at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asperion_orm as asp
from asperion_orm import Q, fields
from asperion_orm.exceptions import FieldError, QueryError
from asperion_orm.orm.lookups import LOOKUPS
from asperion_orm.orm.planner import MAX_URL_BYTES, plan, window_pages
from asperion_orm.orm.where import field_reader

from .models import SampleCountry, SampleDebtor, SampleInvoice

pytestmark = pytest.mark.filterwarnings("error")


def sql(queryset: object) -> str:
    return str(queryset.query)  # type: ignore[attr-defined]


def steps(queryset: object) -> list[str]:
    return plan(queryset.query).local_steps()  # type: ignore[attr-defined]


# -- one test per lookup: its server form (if any) and that nothing else is sent ----------------


def test_every_lookup_is_covered_here() -> None:
    tested = {"exact", "iexact", "in", "gt", "gte", "lt", "lte", "range", "isnull"}
    tested |= {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
    tested |= {"regex", "iregex"}
    assert set(LOOKUPS) == tested


def test_exact_on_a_filterable_field_goes_to_the_server() -> None:
    delft = SampleDebtor.objects.filter(city="Delft")
    assert sql(delft) == "GET /debtor?city=Delft&city_comparison=Equals&page=1&pageSize=100"
    assert sql(SampleDebtor.objects.filter(city__exact="Delft")) == sql(delft)


def test_exact_on_an_unfilterable_field_runs_locally() -> None:
    queryset = SampleDebtor.objects.filter(phone="06")
    assert sql(queryset) == "GET /debtor?page=1&pageSize=100"
    assert steps(queryset) == ["filter (phone__exact)"]


def test_exact_none_is_isnull() -> None:
    assert steps(SampleDebtor.objects.filter(city=None)) == ["filter (city__isnull)"]
    assert steps(SampleDebtor.objects.filter(city__iexact=None)) == ["filter (city__isnull)"]


def test_iexact_runs_locally() -> None:
    queryset = SampleDebtor.objects.filter(city__iexact="delft")
    assert sql(queryset) == "GET /debtor?page=1&pageSize=100"
    assert steps(queryset) == ["filter (city__iexact)"]


def test_in_repeats_the_parameter() -> None:
    queryset = SampleDebtor.objects.filter(id__in=[3, 1, 3, 2])
    assert sql(queryset) == "GET /debtor?id=1&id=2&id=3&page=1&pageSize=100"
    assert steps(queryset) == []


def test_in_empty_sends_nothing() -> None:
    assert plan(SampleDebtor.objects.filter(id__in=[]).query).empty
    assert plan(SampleDebtor.objects.filter(id__in=[None]).query).empty


def test_gte_and_lte_use_from_and_to() -> None:
    queryset = SampleDebtor.objects.filter(credit_limit__gte=Decimal("10"), credit_limit__lte=100)
    expected = "GET /debtor?creditLimit_from=10.00&creditLimit_to=100.00&page=1&pageSize=100"
    assert sql(queryset) == expected
    assert steps(queryset) == []


def test_gt_and_lt_on_integers_are_exact_on_the_server() -> None:
    queryset = SampleDebtor.objects.filter(id__gt=5, id__lt=9)
    assert sql(queryset) == "GET /debtor?id_from=6&id_to=8&page=1&pageSize=100"
    assert steps(queryset) == []


def test_gt_and_lt_on_foreign_keys_are_exact_on_the_server() -> None:
    queryset = SampleDebtor.objects.filter(country__gt=1, country_id__lt=4)
    assert sql(queryset) == "GET /debtor?countryId_from=2&countryId_to=3&page=1&pageSize=100"
    assert steps(queryset) == []


def test_gt_and_lt_on_dates_send_the_next_and_previous_day() -> None:
    queryset = SampleInvoice.objects.filter(
        invoice_date__gt=dt.date(2024, 2, 28), invoice_date__lt=dt.date(2024, 3, 2)
    )
    assert sql(queryset) == (
        "GET /salesinvoices?invoiceDate_from=2024-02-29&invoiceDate_to=2024-03-01"
        "&orderby=id&page=1&pageSize=100"
    )
    assert steps(queryset) == []


def test_gt_on_the_last_date_matches_nothing_without_a_request() -> None:
    queryset = SampleInvoice.objects.filter(invoice_date__gt=dt.date.max)
    assert sql(queryset) == "(no request: the query matches nothing)"


def test_gt_and_lt_on_cents_and_milliseconds_send_the_next_value() -> None:
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    queryset = SampleDebtor.objects.filter(credit_limit__gt=5, created_date__lt=moment)
    assert sql(queryset) == (
        "GET /debtor?createdDate_to=2023-12-31T23%3A59%3A59.999000%2B00%3A00"
        "&creditLimit_from=5.01&page=1&pageSize=100"
    )
    assert steps(queryset) == []


def test_range_uses_both_bounds() -> None:
    queryset = SampleInvoice.objects.filter(invoice_date__range=("2024-01-01", dt.date(2024, 2, 1)))
    assert sql(queryset) == (
        "GET /salesinvoices?invoiceDate_from=2024-01-01&invoiceDate_to=2024-02-01"
        "&orderby=id&page=1&pageSize=100"
    )


def test_range_on_a_field_without_range_support_runs_locally() -> None:
    assert steps(SampleDebtor.objects.filter(name__gte="M")) == ["filter (name__gte)"]


def test_isnull_runs_locally() -> None:
    assert steps(SampleDebtor.objects.filter(email__isnull=True)) == ["filter (email__isnull)"]


@pytest.mark.parametrize("lookup", ["icontains", "istartswith", "iendswith"])
def test_case_insensitive_substring_lookups_run_locally(lookup: str) -> None:
    queryset = SampleDebtor.objects.filter(**{f"name__{lookup}": "bv"})
    assert sql(queryset) == "GET /debtor?page=1&pageSize=100"
    assert steps(queryset) == [f"filter (name__{lookup})"]


@pytest.mark.parametrize(
    ("lookup", "comparison"),
    [("contains", "Contains"), ("startswith", "StartsWith"), ("endswith", "EndsWith")],
)
def test_substring_lookups_are_sent_with_their_comparison(lookup: str, comparison: str) -> None:
    queryset = SampleDebtor.objects.filter(**{f"name__{lookup}": "bv"})
    assert sql(queryset) == (
        f"GET /debtor?name=bv&name_comparison={comparison}&page=1&pageSize=100"
    )
    assert steps(queryset) == [f"verify name__{lookup} (case)"]


@pytest.mark.parametrize("lookup", ["regex", "iregex"])
def test_regular_expressions_run_locally(lookup: str) -> None:
    queryset = SampleDebtor.objects.filter(**{f"name__{lookup}": r"^b\w+ (bv|nv)$"})
    assert sql(queryset) == "GET /debtor?page=1&pageSize=100"
    assert steps(queryset) == [f"filter (name__{lookup})"]


@pytest.mark.parametrize(
    ("lookup", "name", "hit"),
    [
        ("regex", "Bakker BV", True),  # re.search: anywhere in the text
        ("regex", "bakker bv", False),
        ("iregex", "bakker bv", True),
        ("regex", "Bakker B.V.", False),
        ("iregex", "BAKKERIJ", False),
    ],
)
def test_regular_expressions_search_the_text(lookup: str, name: str, hit: bool) -> None:
    where = SampleDebtor.objects.filter(**{f"name__{lookup}": r"er BV$"}).query.where
    assert where.matches(field_reader({"name": name})) is hit


@pytest.mark.parametrize("pattern", ["(", "[a-", "a{2,1}", "(?P<x>a)(?P<x>b)"])
def test_an_invalid_regular_expression_is_refused_while_building(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"'name__regex' needs a valid regular expression"):
        SampleDebtor.objects.filter(name__regex=pattern)


# -- Q trees, exclude, ordering, slices, only ----------------------------------------------------


def test_same_field_or_is_pushed_down_and_text_verified() -> None:
    queryset = SampleDebtor.objects.filter(Q(city="Delft") | Q(city="Ede") | Q(city__in=["Epe"]))
    assert (
        sql(queryset)
        == "GET /debtor?city=Delft&city=Ede&city=Epe&city_comparison=Equals&page=1&pageSize=100"
    )
    assert steps(queryset) == ["verify city__exact or city__in (case)"]
    numbers = SampleDebtor.objects.filter(Q(id=1) | Q(id__in=[2]))
    assert sql(numbers) == "GET /debtor?id=1&id=2&page=1&pageSize=100"
    assert steps(numbers) == []


def test_cross_field_or_runs_locally() -> None:
    queryset = SampleDebtor.objects.filter(Q(city="Delft") | Q(name="X"))
    assert steps(queryset) == ["filter ((city__exact OR name__exact))"]


def test_exclude_runs_locally_while_filters_still_go_to_the_server() -> None:
    queryset = SampleDebtor.objects.filter(city="Ede").exclude(name__startswith="A")
    assert sql(queryset) == "GET /debtor?city=Ede&city_comparison=Equals&page=1&pageSize=100"
    assert steps(queryset) == ["verify city__exact (case)", "filter (NOT (name__startswith))"]


def test_chained_filters_on_one_parameter_never_become_an_or() -> None:
    queryset = SampleDebtor.objects.filter(city="Ede").filter(city="Epe")
    assert sql(queryset) == "GET /debtor?city=Ede&city_comparison=Equals&page=1&pageSize=100"
    assert steps(queryset) == ["verify city__exact (case)", "filter (city__exact)"]


def test_single_field_order_goes_to_the_server() -> None:
    assert sql(SampleDebtor.objects.order_by("-postal_code")) == (
        "GET /debtor?orderby=-postalCode&page=1&pageSize=100"
    )


def test_a_trailing_id_needs_no_local_sort() -> None:
    queryset = SampleDebtor.objects.order_by("city", "id")
    assert sql(queryset) == "GET /debtor?orderby=city&page=1&pageSize=100"


def test_multi_field_order_runs_locally() -> None:
    queryset = SampleDebtor.objects.order_by("city", "-name")
    assert sql(queryset) == "GET /debtor?page=1&pageSize=100"
    assert steps(queryset) == ["order by city, -name"]


def test_reverse_and_default_ordering() -> None:
    assert "orderby=id" in sql(SampleInvoice.objects.all())
    assert "orderby=-id" in sql(SampleInvoice.objects.reverse())
    assert "orderby" not in sql(SampleInvoice.objects.order_by())


def test_a_slice_asks_for_the_page_that_covers_it() -> None:
    assert sql(SampleDebtor.objects.all()[250:260]) == "GET /debtor?page=26&pageSize=10"
    assert sql(SampleDebtor.objects.all()[:1]) == "GET /debtor?page=1&pageSize=1"
    assert sql(SampleDebtor.objects.all()[5:15]) == "GET /debtor?page=1&pageSize=15"
    assert sql(SampleDebtor.objects.all()[0:250]).splitlines() == [
        f"GET /debtor?page={n}&pageSize=84" for n in (1, 2, 3)
    ]


def test_an_open_slice_starts_at_its_page() -> None:
    assert sql(SampleDebtor.objects.all()[250:]) == "GET /debtor?page=3&pageSize=100"


@pytest.mark.parametrize(("low", "high"), [(0, 1), (99, 101), (250, 260), (7, 7000), (3, 4)])
def test_window_pages_cover_the_window(low: int, high: int) -> None:
    size, first, last = window_pages(low, high, 100)
    assert (first - 1) * size <= low and last * size >= high and size <= 100


def test_slicing_composes_like_django() -> None:
    queryset = SampleDebtor.objects.all()[10:50][5:10]
    assert (queryset.query.low_mark, queryset.query.high_mark) == (15, 20)


def test_only_becomes_fields_with_the_id() -> None:
    queryset = SampleDebtor.objects.only("name")
    assert sql(queryset) == "GET /debtor?fields=id%2Cname&page=1&pageSize=100"


def test_only_widens_to_what_local_steps_read() -> None:
    queryset = SampleDebtor.objects.only("name").filter(phone__contains="6")
    assert "fields=id%2Cname%2Cphone" in sql(queryset)


def test_foreign_keys_filter_by_raw_id_or_instance() -> None:
    country = SampleCountry.from_api({"id": 7, "name": "NL", "code": "NL"})
    expected = "GET /debtor?countryId=7&page=1&pageSize=100"
    assert sql(SampleDebtor.objects.filter(country=country)) == expected
    assert sql(SampleDebtor.objects.filter(country_id=7)) == expected


def test_values_ask_for_the_fields() -> None:
    assert "fields=id%2Cname" in sql(SampleDebtor.objects.values_list("id", "name"))


def test_none_sends_nothing() -> None:
    assert "no request" in sql(SampleDebtor.objects.none())


def test_explain_lists_requests_and_local_steps() -> None:
    queryset = SampleDebtor.objects.filter(city="Ede", name__icontains="bv")
    text = queryset.order_by("city", "name")[:5]
    assert text.explain().splitlines() == [
        "GET /debtor?city=Ede&city_comparison=Equals&page=1&pageSize=100",
        "  ...then the remaining pages, concurrently when answers are slow",
        "server narrows: city=Ede; city_comparison=Equals; verified here: city__exact (case)",
        "local: filter (name__icontains)",
        "local: order by city, name",
        "local: slice [0:5]",
    ]


def test_explain_of_a_page_of_ids_says_one_page() -> None:
    queryset = SampleDebtor.objects.filter(id__in=range(1, 101), name__icontains="bv")
    assert "remaining pages" not in queryset.explain()
    assert "remaining pages" not in SampleDebtor.objects.filter(pk=4).explain()
    assert "remaining pages" in SampleDebtor.objects.filter(city="Ede").explain()


def test_explain_of_many_ids_in_chunks_of_a_page_says_one_page_each() -> None:
    text = SampleDebtor.objects.filter(id__in=range(1, 251)).explain()
    assert "merge 3 chunks" in text
    assert "remaining pages" not in text


def test_explain_of_a_slice_within_one_page_says_one_request() -> None:
    assert SampleDebtor.objects.all()[20:30].explain() == "GET /debtor?page=3&pageSize=10"
    assert "remaining pages" in SampleDebtor.objects.all()[20:].explain()


# -- server parameters that are not filters --------------------------------------------------------


def test_with_params_are_sent_and_shown() -> None:
    queryset = SampleDebtor.objects.with_params(Mode="x", Level=2, Flag=True).filter(city="Ede")
    assert sql(queryset) == (
        "GET /debtor?Flag=true&Level=2&Mode=x&city=Ede&city_comparison=Equals&page=1&pageSize=100"
    )
    assert "Mode=x" in queryset.explain()
    assert "Mode" not in sql(SampleDebtor.objects.all())


def test_with_params_are_on_every_chunk_and_count_request() -> None:
    queryset = SampleDebtor.objects.with_params(Mode="x").filter(id__in=range(1, 251))
    result = plan(queryset.query)
    requests = [*result.first_requests(), *result.count_requests()]
    assert len(requests) == 6
    assert all(("Mode", "x") in request.params for request in requests)


def test_with_params_chain_by_cloning_and_replace_a_name() -> None:
    base = SampleDebtor.objects.with_params(Mode="x")
    again = base.with_params(Mode="y")
    assert "Mode=x" in sql(base)
    assert "Mode=y" in sql(again) and "Mode=x" not in sql(again)


@pytest.mark.parametrize(
    "params",
    [
        {"page": 2},
        {"PageSize": 5},
        {"orderby": "name"},
        {"fields": "id"},
        {"MetaOnly": True},
        {"city": "Ede"},
        {"creditLimit_from": 5},
        {"ID": 1},
    ],
)
def test_with_params_refuses_paging_ordering_and_filter_names(params: dict[str, object]) -> None:
    with pytest.raises(QueryError, match="paging, ordering or filter"):
        SampleDebtor.objects.with_params(**params)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1.5, None, [1], Decimal("1")])
def test_with_params_refuses_other_value_types(value: object) -> None:
    with pytest.raises(QueryError, match="str, int or bool"):
        SampleDebtor.objects.with_params(Mode=value)  # type: ignore[arg-type]


def test_with_params_refuses_an_empty_name() -> None:
    with pytest.raises(QueryError, match="non-empty str"):
        SampleDebtor.objects.with_params(**{"": "x"})


# -- values are encoded, never pasted ------------------------------------------------------------


@pytest.mark.parametrize("value", ["A & B", "x=y", "#1", "100%", "a b", "Zoë ñ 日本", "+"])
def test_special_values_are_encoded(value: str) -> None:
    request = plan(SampleDebtor.objects.filter(city=value).query).first_requests()[0]
    query = urlsplit(request.url("https://api.asperion.nl/v1")).query
    assert ("city", value) in parse_qsl(query)


# -- long id lists are split under the URL budget --------------------------------------------------


def test_long_id_lists_are_split_under_the_url_budget() -> None:
    base_url = "https://127.0.0.1:4443/v1"
    query = SampleDebtor.objects.filter(id__in=range(100_000, 105_000)).order_by("-name").query
    result = plan(query, base_url)
    assert len(result.chunks) == 50
    for request in result.first_requests():
        assert len(request.url(base_url)) <= MAX_URL_BYTES
    sent = [value for chunk in result.chunks for _, value in chunk]
    assert sent == [str(n) for n in range(100_000, 105_000)]


def test_the_budget_depends_on_the_base_url() -> None:
    query = SampleDebtor.objects.filter(name__in=[f"name {n:04}" for n in range(150)]).query
    short = plan(query, "https://a.nl/v1")
    long = plan(query, "https://" + "x" * 1200 + ".nl/v1")
    assert len(long.chunks) > len(short.chunks) > 1


def test_a_value_too_long_for_any_url_is_refused() -> None:
    with pytest.raises(QueryError, match="too long"):
        plan(SampleDebtor.objects.filter(city__in=["x" * 3000, "y"]).query)


# -- bad input fails while building the query ------------------------------------------------------


def test_unknown_field_names_the_choices() -> None:
    with pytest.raises(FieldError, match=r"'nmae'.*Choices are: name, "):
        SampleDebtor.objects.filter(nmae="x")


def test_unknown_lookup_names_the_choices() -> None:
    with pytest.raises(FieldError, match=r"'likes'.*Choices are: contains, endswith"):
        SampleDebtor.objects.filter(name__likes="x")


def test_lookup_not_supported_by_the_field_type() -> None:
    with pytest.raises(FieldError, match="Choices are: exact, in, isnull"):
        SampleDebtor.objects.filter(active__contains=True)


def test_unknown_order_field() -> None:
    with pytest.raises(FieldError, match="Choices are"):
        SampleDebtor.objects.order_by("-nope")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"credit_limit": 1.5}, TypeError),
        ({"credit_limit__gt": "abc"}, ValueError),
        ({"id": "x"}, ValueError),
        ({"id": [1]}, TypeError),
        ({"id": float("nan")}, ValueError),
        ({"active": "yes"}, ValueError),
        ({"name__iregex": None}, ValueError),
        ({"id__in": 5}, TypeError),
        ({"id__in": "123"}, TypeError),
        ({"id__range": (1,)}, TypeError),
        ({"email__isnull": 1}, ValueError),
        ({"id__gt": None}, ValueError),
        ({"created_date__gte": "yesterday"}, ValueError),
    ],
)
def test_wrong_value_types_are_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        SampleDebtor.objects.filter(**kwargs)


def test_float_for_decimal_names_the_fix() -> None:
    with pytest.raises(TypeError, match=r"Decimal\('0.1'\)"):
        SampleDebtor.objects.filter(credit_limit=0.1)


@pytest.mark.parametrize("key", [slice(-1, None), slice(None, -2), slice(-3, None, -1)])
def test_negative_slices_are_refused(key: slice) -> None:
    with pytest.raises(ValueError, match="Negative indexing"):
        SampleDebtor.objects.all()[key]


@pytest.mark.parametrize("key", [slice("a", 3), "1", 1.0, True])
def test_non_integer_indexes_are_refused(key: object) -> None:
    with pytest.raises(TypeError, match="integers or slices"):
        SampleDebtor.objects.all()[key]  # type: ignore[index]


def test_negative_index_is_refused() -> None:
    with pytest.raises(ValueError, match="Negative indexing"):
        SampleDebtor.objects.all()[-1]


def test_filter_after_slice_is_refused() -> None:
    with pytest.raises(TypeError, match="slice"):
        SampleDebtor.objects.all()[:5].filter(city="Ede")


def test_prefetch_of_a_non_relation_names_the_choices() -> None:
    with pytest.raises(FieldError, match="Choices are: country, invoices"):
        SampleDebtor.objects.prefetch_related("city")


def test_chaining_clones() -> None:
    base = SampleDebtor.objects.filter(city="Ede")
    narrowed = base.filter(name="X")
    assert sql(base) == "GET /debtor?city=Ede&city_comparison=Equals&page=1&pageSize=100"
    assert "name=X" in sql(narrowed)


@settings(max_examples=300, deadline=None, database=None)
@given(value=st.text(st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_any_text_reaches_the_server_unchanged(value: str) -> None:
    request = plan(SampleDebtor.objects.filter(city=value).query).first_requests()[0]
    query = urlsplit(request.url("https://api.asperion.nl/v1")).query
    assert ("city", value) in parse_qsl(query, keep_blank_values=True)


def test_default_filters_apply_to_every_queryset() -> None:
    class Article(asp.Model):
        id = fields.Integer(read_only=True)
        active = fields.Boolean()

        class Meta:
            path = "articles"
            filterable = ("id", "active")
            default_filters = {"active": True}

    assert sql(Article.objects.all()) == "GET /articles?active=true&page=1&pageSize=100"
    assert "active=true" in sql(Article.objects.filter(id=3))
