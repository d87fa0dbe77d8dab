"""What a cached repeat shares, and that nothing a caller does to its results reaches the cache.

A repeated chain reuses the query it made (no lookup is built again); a repeat whose rows the
cached page 1 settles hands its instances the cached rows themselves (no copy). An instance
copies its row, nested values included, before anything of it can change or be handed out.
"""

from __future__ import annotations

import copy
import datetime as dt
import zoneinfo
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest

from asperion_orm import Q
from asperion_orm.http.cache import Decoded
from asperion_orm.orm import fields
from asperion_orm.orm.model import Model
from asperion_orm.orm.shapes import value_shape
from asperion_orm.resources import Debtor
from asperion_orm.session import Session

from .models import SampleInvoice

Requests = Callable[[int], AbstractContextManager[None]]


class Holder(Model):
    """A row with a JSON value that no field converts (returned as the row holds it)."""

    id = fields.Integer(read_only=True)
    data = fields.Field()

    class Meta:
        path = "holders"


@pytest.fixture
def utrecht(asperion_session: Session) -> Session:
    """Four debtors in Utrecht and one in a place whose name contains it."""
    for n in range(4):
        Debtor.objects.create(name=f"Utrecht {n}", city="Utrecht")
    Debtor.objects.create(name="Buiten", city="Nieuw-Utrecht")
    return asperion_session


def newest() -> Any:
    return Debtor.objects.filter(city="Utrecht").order_by("-id")[:3]


def test_a_repeated_chain_builds_its_lookups_once() -> None:
    first, again = newest(), newest()
    assert first is not again
    assert first._query is again._query  # the query made the first time: no lookup built
    other = Debtor.objects.filter(city="Delft").order_by("-id")[:3]
    assert other._query is not first._query
    assert "city=Delft" in str(other.query)


def test_a_repeat_hands_its_instances_the_cached_rows_uncopied(
    utrecht: Session, assert_requests: Requests
) -> None:
    with assert_requests(1):
        first = list(newest())
    with assert_requests(0):
        second, third = list(newest()), list(newest())
    assert (
        [d.name for d in second]
        == [d.name for d in first]
        == ["Utrecht 3", "Utrecht 2", "Utrecht 1"]
    )
    assert all(a is not b and a._raw is b._raw for a, b in zip(second, third, strict=True))
    assert utrecht.client.cache.choices == 1  # the rows were picked once, as the page came


def test_nothing_done_to_a_repeats_instances_reaches_the_cache(utrecht: Session) -> None:
    list(newest())
    debtor = newest()[0]
    shared = debtor._raw
    debtor.name = "Changed"
    raw = debtor._state.raw  # the instance's own copy from here on
    raw["city"] = "Elsewhere"
    raw["_meta"]["changed"] = True
    assert raw is not shared and raw["_meta"] is not shared["_meta"]
    again = newest()[0]
    assert again._raw is shared
    assert (again.name, again.city) == ("Utrecht 3", "Utrecht")
    assert "changed" not in again._raw["_meta"]


def test_a_nested_value_of_a_shared_row_is_the_instances_own() -> None:
    rows = [{"id": 1, "data": {"tags": ["a"]}, "_meta": {"links": []}}]
    entry = Decoded({"_data": rows, "_meta": {"totalCount": 1}})
    owner = object()
    entry.remember(owner, 1, [0])
    kept = entry.kept_rows(owner, 1)
    assert kept is not None and kept[0] is entry.value["_data"][0]  # shared, not copied
    holder = next(Holder._shared_rows(kept, None))
    holder.data["tags"].append("b")  # read through a field that converts nothing
    holder._state.raw["_meta"]["links"].append("x")
    assert entry.value["_data"][0] == {"id": 1, "data": {"tags": ["a"]}, "_meta": {"links": []}}
    assert holder.data == {"tags": ["a", "b"]}  # the change stays with the instance


def test_nested_objects_of_a_shared_row_are_the_instances_own() -> None:
    row = {"id": 7, "lines": [{"description": "one", "quantity": "2"}]}
    pristine = copy.deepcopy(row)
    invoice = next(SampleInvoice._shared_rows([row], None))
    invoice.lines[0].description = "changed"
    invoice.lines.append(invoice.lines[0])
    assert row == pristine


def test_a_query_changed_in_place_is_not_taken_for_the_remembered_one(utrecht: Session) -> None:
    list(newest())
    query = Debtor.objects.filter(city="Utrecht")
    query.query.add_q(Q(name="Utrecht 1"))  # in place: the QuerySet forgets its number
    assert [d.name for d in query.order_by("-id")[:3]] == ["Utrecht 1"]
    assert [d.name for d in newest()] == ["Utrecht 3", "Utrecht 2", "Utrecht 1"]


def test_a_list_changed_after_filter_makes_another_lookup(utrecht: Session) -> None:
    ids = [d.pk for d in Debtor.objects.filter(city="Utrecht").order_by("id")]
    wanted = ids[:2]
    first = Debtor.objects.filter(id__in=wanted)
    wanted.append(ids[2])
    second = Debtor.objects.filter(id__in=wanted)
    assert sorted(d.pk for d in first) == ids[:2]
    assert sorted(d.pk for d in second) == ids[:3]


def test_value_shapes_tell_apart_what_a_lookup_tells_apart() -> None:
    shapes = [value_shape(v) for v in (1, True, "1", Decimal("1.0"), Decimal("1.00"), None)]
    assert None not in shapes and len(set(shapes)) == len(shapes)
    assert value_shape([1, 2]) != value_shape((1, 2)) != value_shape([2, 1])
    amsterdam = zoneinfo.ZoneInfo("Europe/Amsterdam")
    assert value_shape(dt.datetime(2025, 1, 1, tzinfo=amsterdam)) is not None

    class Zone(dt.tzinfo):
        def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
            return dt.timedelta(hours=1)

    # A value without a sure key makes its lookup every time: a custom zone, a set, an object.
    for value in (dt.datetime(2025, 1, 1, tzinfo=Zone()), {1}, frozenset({1}), object(), 1.5):
        assert value_shape(value) is None
