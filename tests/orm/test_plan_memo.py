"""Plans are remembered per query shape: a repeated query is planned once, and only exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from asperion_orm import F, Q
from asperion_orm.orm.planner import plan
from asperion_orm.orm.query import Query

from .models import SampleDebtor


def newest(city: str) -> Query:
    return SampleDebtor.objects.filter(city=city, active=True).order_by("-id")[:20].query


def test_queries_of_one_shape_share_one_plan() -> None:
    first, again = newest("Delft"), newest("Delft")
    assert first is not again
    assert plan(first) is plan(again)
    assert str(plan(first)) == (
        "GET /debtor?active=true&city=Delft&city_comparison=Equals&orderby=-id&page=1&pageSize=25"
    )


def test_a_different_value_zone_or_address_is_another_plan() -> None:
    delft, leiden = newest("Delft"), newest("Leiden")
    assert plan(leiden) is not plan(delft) and "city=Leiden" in str(plan(leiden))
    amsterdam = dt.timezone(dt.timedelta(hours=1))
    assert plan(delft, time_zone=amsterdam) is not plan(delft)
    assert plan(delft, "https://other/v1") is not plan(delft)


def test_values_equal_but_written_differently_are_different_shapes() -> None:
    one = SampleDebtor.objects.filter(credit_limit__gte=Decimal("1.0")).query
    same = SampleDebtor.objects.filter(credit_limit__gte=Decimal("1.00")).query
    number = SampleDebtor.objects.filter(id=1).query
    flag = SampleDebtor.objects.filter(active=True).query
    assert plan(one) is not plan(same)
    assert plan(number) is not plan(flag)


def test_a_query_without_a_sure_key_is_planned_each_time() -> None:
    for query in (
        SampleDebtor.objects.filter(name=F("city")).query,
        SampleDebtor.objects.filter(Q(city="Delft") | Q(country__name="Nederland")).query,
        SampleDebtor.objects.annotate(town=F("city")).query,
    ):
        assert plan(query) is not plan(query)
