"""The server narrows, the client verifies: what each capability lets the planner send.

Every test plans with explicit ``Capabilities``, so it says which server it is about.
"""

from __future__ import annotations

import datetime as dt

import pytest

from asperion_orm.capabilities import Capabilities
from asperion_orm.orm.planner import Plan, plan
from asperion_orm.session import DEFAULT_BASE_URL

from .models import SampleDebtor

LIVE = Capabilities()  # the defaults: _comparison taken, Contains without it, case unknown
CASE_SENSITIVE = Capabilities(text_comparison=True, text_case_sensitive=True)
CASE_INSENSITIVE = Capabilities(text_comparison=True, text_case_sensitive=False)
EQUALS_NO_COMPARISON = Capabilities(
    text_comparison=False, text_default="equals", text_case_sensitive=True
)


def planned(queryset: object, caps: Capabilities) -> Plan:
    return plan(queryset.query, DEFAULT_BASE_URL, caps)  # type: ignore[attr-defined]


def sent(queryset: object, caps: Capabilities) -> str:
    return str(planned(queryset, caps))


def test_exact_on_text_says_equals_and_is_verified_while_case_is_unknown() -> None:
    queryset = SampleDebtor.objects.filter(name="ACME")
    assert sent(queryset, LIVE) == (
        "GET /debtor?name=ACME&name_comparison=Equals&page=1&pageSize=100"
    )
    assert planned(queryset, LIVE).local_steps() == ["verify name__exact (case)"]
    assert planned(queryset, CASE_INSENSITIVE).local_steps() == ["verify name__exact (case)"]
    assert planned(queryset, CASE_SENSITIVE).local_steps() == []


def test_without_comparison_a_contains_server_only_narrows_an_equality() -> None:
    queryset = SampleDebtor.objects.filter(name="ACME")
    contains = Capabilities(text_comparison=False, text_case_sensitive=True)
    assert sent(queryset, contains) == "GET /debtor?name=ACME&page=1&pageSize=100"
    assert planned(queryset, contains).local_steps() == ["verify name__exact (contains)"]
    assert planned(queryset, EQUALS_NO_COMPARISON).local_steps() == []


@pytest.mark.parametrize(
    ("lookup", "comparison"),
    [("contains", "Contains"), ("startswith", "StartsWith"), ("endswith", "EndsWith")],
)
def test_substring_lookups_are_sent_with_their_comparison(lookup: str, comparison: str) -> None:
    queryset = SampleDebtor.objects.filter(**{f"name__{lookup}": "bv"})
    assert sent(queryset, LIVE) == (
        f"GET /debtor?name=bv&name_comparison={comparison}&page=1&pageSize=100"
    )
    assert planned(queryset, LIVE).local_steps() == [f"verify name__{lookup} (case)"]
    assert planned(queryset, CASE_SENSITIVE).local_steps() == []
    # A server without comparisons would answer them as something else: they run here.
    assert planned(queryset, EQUALS_NO_COMPARISON).local_steps() == [f"filter (name__{lookup})"]


@pytest.mark.parametrize("lookup", ["iexact", "icontains", "istartswith", "iendswith"])
def test_case_insensitive_lookups_always_run_here(lookup: str) -> None:
    queryset = SampleDebtor.objects.filter(**{f"name__{lookup}": "bv"})
    for caps in (LIVE, CASE_SENSITIVE, CASE_INSENSITIVE):
        assert sent(queryset, caps) == "GET /debtor?page=1&pageSize=100"
        assert planned(queryset, caps).local_steps() == [f"filter (name__{lookup})"]


def test_exclude_is_not_equals_only_where_the_server_answers_it_exactly() -> None:
    never_null = SampleDebtor.objects.exclude(name="ACME")
    assert sent(never_null, CASE_SENSITIVE) == (
        "GET /debtor?name=ACME&name_comparison=NotEquals&page=1&pageSize=100"
    )
    assert planned(never_null, CASE_SENSITIVE).local_steps() == []
    # Case unknown: NotEquals could drop "acme", which Django keeps.
    assert planned(never_null, LIVE).local_steps() == ["filter (NOT (name__exact))"]
    # A nullable field: the server's <> would drop the null rows Django's exclude keeps.
    nullable = SampleDebtor.objects.exclude(city="Ede")
    assert planned(nullable, CASE_SENSITIVE).local_steps() == ["filter (NOT (city__exact))"]


def test_one_comparison_per_field_so_a_second_text_condition_runs_here() -> None:
    queryset = SampleDebtor.objects.filter(name__startswith="A", name__endswith="v")
    steps = planned(queryset, CASE_SENSITIVE).local_steps()
    assert sent(queryset, CASE_SENSITIVE).count("name_comparison=") == 1
    assert len(steps) == 1 and steps[0].startswith("filter (name__")


def test_a_same_field_or_of_text_values_is_one_equals() -> None:
    queryset = SampleDebtor.objects.filter(city__in=["Ede", "Epe"])
    assert sent(queryset, LIVE) == (
        "GET /debtor?city=Ede&city=Epe&city_comparison=Equals&page=1&pageSize=100"
    )
    assert planned(queryset, LIVE).local_steps() == ["verify city__in (case)"]


def test_explain_says_what_the_server_narrows_and_what_is_verified_here() -> None:
    queryset = SampleDebtor.objects.filter(name__startswith="Ac", id__gte=3)
    lines = planned(queryset, LIVE).explain().splitlines()
    assert lines[0] == (
        "GET /debtor?id_from=3&name=Ac&name_comparison=StartsWith&page=1&pageSize=100"
    )
    assert lines[-1] == (
        "server narrows: name=Ac; name_comparison=StartsWith; verified here: "
        "name__startswith (case)"
    )


def test_verification_is_no_local_evaluation_for_strict_mode() -> None:
    queryset = SampleDebtor.objects.filter(name="ACME")
    result = planned(queryset, LIVE)
    assert result.checked_here and not result.local
    result.check_local(strict=True)  # narrowing by the server is allowed in strict mode


def test_a_datetime_below_the_millisecond_is_sent_as_the_next_millisecond() -> None:
    moment = dt.datetime(2024, 1, 1, 12, 0, 0, 500, tzinfo=dt.UTC)
    queryset = SampleDebtor.objects.filter(created_date__gte=moment)
    assert "createdDate_from=2024-01-01T12%3A00%3A00.001000%2B00%3A00" in sent(queryset, LIVE)
    assert planned(queryset, LIVE).local_steps() == []


def test_page_size_order_ranges_and_url_length_follow_the_capabilities() -> None:
    small = Capabilities(max_page_size=50, multi_field_order_by=True, range_filters=False)
    queryset = SampleDebtor.objects.filter(id__gte=3).order_by("city", "-name")
    assert sent(queryset, small) == "GET /debtor?orderby=city%2C-name&page=1&pageSize=50"
    assert planned(queryset, small).local_steps() == ["filter (id__gte)"]
    ids = SampleDebtor.objects.filter(id__in=range(10_000, 10_200))
    assert len(planned(ids, LIVE).chunks) == 2  # 200 ids: two pages of ids
    assert len(planned(ids, Capabilities(max_url_bytes=600)).chunks) > 2


def test_a_verified_slice_asks_for_little_more_than_its_rows() -> None:
    queryset = SampleDebtor.objects.filter(name="ACME").order_by("-id")
    assert "pageSize=30" in sent(queryset[:30], LIVE)
    assert "pageSize=25" in sent(queryset[:3], LIVE)  # the floor: the API's default page
    assert "pageSize=100" in sent(queryset, LIVE)
    assert "pageSize=3&" in sent(queryset[:3], CASE_SENSITIVE) + "&"  # nothing verified: a window
