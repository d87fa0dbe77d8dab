"""A cached repeat of a query whose text filter the server answers loosely (Contains).

The first run checks page 1's rows here and caches the page; a repeat takes the rows that
check chose, kept with the cached page, so it neither asks the server nor checks a row again,
and still returns instances of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from asperion_orm.client import Client
from asperion_orm.resources import Debtor
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

Requests = Callable[[int], AbstractContextManager[None]]


@pytest.fixture
def utrecht(asperion_session: Session) -> Session:
    """Five debtors in Utrecht, two in places whose name contains it."""
    for n in range(5):
        Debtor.objects.create(name=f"Utrecht {n}", city="Utrecht")
    Debtor.objects.create(name="Buiten", city="Utrechtse Heuvelrug")
    Debtor.objects.create(name="Ook buiten", city="Nieuw-Utrecht")
    return asperion_session


def newest(limit: int = 3) -> list[Debtor]:
    return list(Debtor.objects.filter(city="Utrecht").order_by("-id")[:limit])


def test_a_repeat_asks_nothing_and_checks_no_row_again(
    utrecht: Session, assert_requests: Requests
) -> None:
    cache = utrecht.client.cache
    with assert_requests(1):
        first = newest()
    assert cache.choices == 1  # the first run checked its rows as it cached the page
    with assert_requests(0):
        second, third = newest(), newest()
    assert cache.choices == 1  # kept with the cached page, not checked again
    names = [[debtor.name for debtor in run] for run in (first, second, third)]
    assert names == [["Utrecht 4", "Utrecht 3", "Utrecht 2"]] * 3


def test_a_repeat_returns_rows_of_its_own(utrecht: Session) -> None:
    newest()
    second = newest()
    second[0].city = "Amersfoort"
    second[0].save()  # a write: the next read goes to the server again
    third = newest()
    assert [debtor.name for debtor in third] == ["Utrecht 3", "Utrecht 2", "Utrecht 1"]
    fourth = newest()
    fourth[0].name = "Changed here only"
    assert [debtor.name for debtor in newest()] == ["Utrecht 3", "Utrecht 2", "Utrecht 1"]
    assert {id(debtor) for debtor in fourth}.isdisjoint(id(debtor) for debtor in third)


def test_a_write_is_seen_by_the_next_repeat(utrecht: Session, assert_requests: Requests) -> None:
    newest()
    newest()
    Debtor.objects.create(name="Nieuwste", city="Utrecht")
    with assert_requests(1):
        assert [debtor.name for debtor in newest(2)] == ["Nieuwste", "Utrecht 4"]


def test_another_slice_of_the_same_page_is_chosen_from_it(
    utrecht: Session, assert_requests: Requests
) -> None:
    # Only the debtors made here: the administration's generated ones vary with its number.
    page = Debtor.objects.filter(city="Utrecht", name__startswith="Utrecht ").order_by("id")
    assert [d.name for d in page[:5]] == [f"Utrecht {n}" for n in range(5)]
    with assert_requests(0):
        assert [d.name for d in page[1:4]] == ["Utrecht 1", "Utrecht 2", "Utrecht 3"]
        assert [d.name for d in page[3:5]] == ["Utrecht 3", "Utrecht 4"]


def test_an_uncached_query_still_asks(utrecht: Session, assert_requests: Requests) -> None:
    newest()
    newest()
    query = Debtor.objects.filter(city="Utrecht").order_by("-id")[:3]
    with assert_requests(2):
        names = [debtor.name for debtor in query.cache(False)]
        list(query.cache(ttl=0))
    assert names == ["Utrecht 4", "Utrecht 3", "Utrecht 2"]


def test_another_tenant_reads_its_own_rows(
    asperion_sandbox: Sandbox, sandbox_user_client: Client, assert_requests: Requests
) -> None:
    tenants = [asperion_sandbox.add_administration() for _ in range(2)]
    for tenant in tenants:
        with sandbox_user_client.tenant(tenant):
            Debtor.objects.create(name=f"Only in {tenant}", city="Utrecht")
    for tenant in tenants:
        with sandbox_user_client.tenant(tenant), assert_requests(1):
            assert newest()[0].name == newest()[0].name == f"Only in {tenant}"


def test_a_slice_page_1_cannot_fill_reads_on_first_and_repeated(
    asperion_session: Session, assert_requests: Requests
) -> None:
    cities = ["Utrecht"] * 3 + ["UTRECHT"] * 30 + ["Utrecht"] * 3  # the server ignores case
    for n, city in enumerate(cities):
        Debtor.objects.create(name=f"D{n}", city=city)
    query = Debtor.objects.filter(city="Utrecht").order_by("-id")[:5]
    expected = ["D35", "D34", "D33", "D2", "D1"]
    with assert_requests(2):  # page 1 (25 rows) keeps three: page 2 is read
        assert [debtor.name for debtor in query.all()] == expected
    with assert_requests(0):
        assert [debtor.name for debtor in query.all()] == expected
        assert [debtor.name for debtor in query.all()] == expected
