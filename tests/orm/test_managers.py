"""Managers declared in the class body, server parameters, create-only models, base managers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest

from asperion_orm import fields
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.orm.manager import BaseManager, Manager
from asperion_orm.orm.model import Model
from asperion_orm.orm.queryset import QuerySet
from asperion_orm.resources import (
    Country,
    Creditor,
    Debtor,
    JournalEntry,
    PurchaseInvoice,
    PurchaseInvoiceLine,
    SalesInvoice,
)
from asperion_orm.session import Session
from asperion_orm.testing import Sandbox

Counter = Callable[[int], AbstractContextManager[None]]


class ItemQuerySet(QuerySet[Any]):
    """Custom QuerySet methods, reachable from the manager through ``from_queryset``."""

    def coded(self, code: str) -> ItemQuerySet:
        """Return the items with this code."""
        return self.filter(code=code)  # type: ignore[return-value]


class EveryItem(BaseManager[Any]):
    """Every row, inactive ones too."""

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().with_params(ActiveState="All")


ItemManager = Manager.from_queryset(ItemQuerySet)


class Item(Model):
    """Articles, paged two at a time so every query needs several requests."""

    id = fields.Integer(read_only=True)
    code = fields.String(max_length=20)
    description = fields.String(max_length=100)
    active = fields.Boolean()

    items = ItemManager()
    every = EveryItem()

    class Meta:
        path = "articles"
        max_page_size = 2
        base_manager_name = "every"
        filterable = ("id", "code", "active")
        range_filterable = ("id",)


class ItemView(Model):
    """Articles again, pointing at themselves as ``Item`` (a relation to follow)."""

    id = fields.Integer(read_only=True)
    item = fields.ForeignKey(Item, api_name="id")

    class Meta:
        path = "articles"
        filterable = ("id",)


class Greeting(Model):
    """A create-only resource."""

    id = fields.Integer(read_only=True)
    name = fields.String(max_length=100)
    code = fields.String(max_length=3)

    class Meta:
        path = "countries"
        create_only = True


def deactivate(session: Session, count: int) -> list[int]:
    """Make the first ``count`` articles inactive; return their ids."""
    chosen = list(Item.items.order_by("id")[:count])
    for item in chosen:
        item.active = False
        item.save()
    return [item.pk for item in chosen]


def with_active_state(entries: list[Any]) -> list[bool]:
    return ["ActiveState=All" in entry.url for entry in entries]


# -- managers declared in the class body -----------------------------------------------------------


def test_managers_are_bound_to_their_model() -> None:
    assert Item.items.model is Item
    assert Item.every.model is Item
    assert Item._meta.default_manager is Item.items
    assert Item._meta.base_manager is Item.every
    assert list(Item._meta.managers) == ["items", "every"]


def test_a_model_without_managers_gets_objects() -> None:
    assert isinstance(Country.objects, Manager)
    assert Country.objects.model is Country
    assert Country._meta.default_manager is Country.objects


def test_a_model_with_its_own_managers_has_no_objects() -> None:
    with pytest.raises(AttributeError, match="objects"):
        Item.objects  # noqa: B018


def test_managers_are_not_reachable_from_instances() -> None:
    with pytest.raises(AttributeError, match="instances"):
        Item.from_api({"id": 1}).items  # noqa: B018
    with pytest.raises(AttributeError, match="instances"):
        Country.from_api({"id": 1}).objects  # noqa: B018


def test_from_queryset_puts_queryset_methods_on_the_manager() -> None:
    queryset = Item.items.coded("X")
    assert isinstance(queryset, ItemQuerySet)
    assert str(queryset.query) == "GET /articles?code=X&code_comparison=Equals&page=1&pageSize=2"
    chained = Item.items.filter(active=True).coded("Y")
    assert isinstance(chained, ItemQuerySet)
    assert "active=true&code=Y" in str(chained.query)
    assert ItemManager.coded.__doc__ == "Return the items with this code."


def test_a_subclass_gets_its_own_copies_of_inherited_managers() -> None:
    class Special(Item):
        pass

    assert Special.items.model is Special
    assert Item.items.model is Item
    assert isinstance(Special.items.all(), ItemQuerySet)


def test_an_unknown_base_manager_name_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="base_manager_name 'nope'"):

        class Broken(Model):
            id = fields.Integer(read_only=True)

            class Meta:
                path = "countries"
                base_manager_name = "nope"


# -- server parameters: sent on every request ------------------------------------------------------


def test_with_params_go_on_every_page_count_and_chunk(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    hidden = deactivate(asperion_session, 2)
    before = len(asperion_sandbox.requests(path="/v1/*"))
    every = Item.every.cache(False)
    listed = list(every.all())
    assert set(hidden) <= {item.pk for item in listed}
    assert every.count() == len(listed)
    assert every.filter(pk__in=hidden).exists()
    by_id = every.filter(pk__in=[item.pk for item in listed])
    assert {item.pk for item in by_id} == {item.pk for item in listed}
    sent = asperion_sandbox.requests(path="/v1/*")[before:]
    pages = len(listed) // 2 + 1  # two rows a page, and a last page that may be short
    assert len(sent) >= pages + 3
    assert all(with_active_state(sent))


def test_without_with_params_inactive_rows_stay_hidden(asperion_session: Session) -> None:
    hidden = deactivate(asperion_session, 1)
    assert not Item.items.filter(pk__in=hidden).exists()
    assert Item.every.filter(pk__in=hidden).exists()


# -- create-only models ----------------------------------------------------------------------------


def test_create_only_models_refuse_every_read_before_any_request(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    manager = Greeting.objects
    reads: list[Callable[[], object]] = [
        lambda: list(manager.all()),
        manager.count,
        manager.exists,
        manager.first,
        manager.last,
        lambda: manager.get(pk=1),
        lambda: manager.in_bulk([1]),
        lambda: list(manager.values_list("id", flat=True)),
        lambda: manager.all()[0],
        lambda: list(manager.iterator()),
        manager.explain,
        lambda: Greeting.from_api({"id": 1}, asperion_session).refresh_from_db(),
    ]
    for read in reads:
        with pytest.raises(ConfigurationError, match="create-only"):
            read()
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_create_only_models_refuse_changes_and_deletes(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    loaded = Greeting.from_api({"id": 1, "name": "Hallo"}, asperion_session)
    loaded.name = "Dag"
    with pytest.raises(ConfigurationError, match="create-only"):
        loaded.save()
    with pytest.raises(ConfigurationError, match="create-only"):
        loaded.delete()
    with pytest.raises(ConfigurationError, match="create-only"):
        Greeting.objects.update(name="x")
    with pytest.raises(ConfigurationError, match="create-only"):
        Greeting.objects.all().delete()
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_create_only_models_create(asperion_session: Session, assert_requests: Counter) -> None:
    with assert_requests(1):
        created = Greeting.objects.create(name="Groenland", code="GL")
    assert created.pk is not None
    new = Greeting(name="IJsland", code="IS")
    with assert_requests(1):
        new.save()
    with assert_requests(2):
        Greeting.objects.bulk_create([Greeting(name="A", code="AA"), Greeting(name="B", code="BB")])


# -- relations follow the base manager -------------------------------------------------------------


def test_a_relation_to_an_inactive_row_is_found(
    asperion_session: Session, assert_requests: Counter
) -> None:
    (hidden,) = deactivate(asperion_session, 1)
    view = ItemView.from_api({"id": hidden}, asperion_session)
    with assert_requests(1):
        assert view.item.pk == hidden
    with assert_requests(0):
        assert view.item.active is False


def test_prefetch_reaches_inactive_rows(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    hidden = deactivate(asperion_session, 2)
    views = ItemView.objects.with_params(ActiveState="All").filter(pk__in=hidden)
    found = list(views.prefetch_related("item"))
    assert {view.item.pk for view in found} == set(hidden)
    sent = asperion_sandbox.requests(path="/v1/*")[-2:]
    assert [e.path for e in sent] == ["/v1/articles", "/v1/articles"]
    assert all(with_active_state(sent))


# -- only(): deferred fields load on access --------------------------------------------------------


def test_a_deferred_field_loads_on_first_access(
    shared_session: Session, assert_requests: Counter
) -> None:
    with assert_requests(1):
        debtor = Debtor.objects.only("name").order_by("id")[0]
    with assert_requests(0):
        assert debtor.name
    with assert_requests(1):
        city = debtor.city
    with assert_requests(0):
        assert debtor.city == city
        email = debtor.email_address
    full = Debtor.objects.get(pk=debtor.pk)
    assert (city, email) == (full.city, full.email_address)
    assert debtor._state.deferred == frozenset()


def test_the_deferred_load_is_one_get_by_id(
    shared_session: Session, asperion_sandbox: Sandbox
) -> None:
    debtor = Debtor.objects.only("name").order_by("id")[3]
    debtor.payment_condition  # noqa: B018
    assert [(e.method, e.path) for e in asperion_sandbox.requests(path="/v1/*")[-2:]] == [
        ("GET", f"/v1/debtors/{debtor.pk}"),
        ("GET", f"/v1/paymentconditions/{debtor.payment_condition_id}"),
    ]


def test_values_and_full_rows_defer_nothing(
    shared_session: Session, assert_requests: Counter
) -> None:
    with assert_requests(2):
        debtor = Debtor.objects.order_by("id")[0]
        assert debtor._state.deferred == frozenset()
        names = list(Debtor.objects.values_list("name", flat=True)[:3])
        assert debtor.city is None or debtor.city
    assert len(names) == 3


# -- the cache lifetime applies to every page ------------------------------------------------------


def test_cache_ttl_applies_to_every_page(shared_session: Session, assert_requests: Counter) -> None:
    uncached = Debtor.objects.filter(id__gte=1).cache(ttl=0)
    with assert_requests(3):
        assert len(list(uncached)) > 200
    with assert_requests(3):
        list(uncached.all())
    cached = Debtor.objects.filter(id__gte=1).cache(ttl=60)
    with assert_requests(3):
        list(cached)
    with assert_requests(0):
        list(cached.all())


# -- changes inside nested values ------------------------------------------------------------------


def test_a_change_inside_a_nested_list_is_saved(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    creditor = Creditor.objects.order_by("id")[0]
    invoice = PurchaseInvoice.objects.create(
        creditor=creditor,
        invoice_date=dt.date(2025, 1, 2),
        lines=[PurchaseInvoiceLine(description="a", quantity=Decimal("1"), price=Decimal("2.00"))],
    )
    assert invoice.lines is not None
    invoice.lines[0].quantity = Decimal("3")
    invoice.save()
    patch = asperion_sandbox.requests(path="/v1/*")[-1]
    assert (patch.method, patch.path) == ("PATCH", f"/v1/purchaseinvoices/{invoice.pk}")
    fresh = PurchaseInvoice.objects.cache(False).get(pk=invoice.pk)
    assert fresh.lines is not None and fresh.lines[0].quantity == Decimal("3")
    assert fresh.amount_excl_vat == Decimal("6.00")


def test_reading_a_nested_list_changes_nothing(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    invoice = PurchaseInvoice.objects.order_by("id")[0]
    assert invoice.lines
    sent = len(asperion_sandbox.requests(path="/v1/*"))
    invoice.save()
    assert len(asperion_sandbox.requests(path="/v1/*")) == sent
    for model in (SalesInvoice, JournalEntry):  # append-only: nothing may be sent at all
        obj = model.objects.order_by("id")[0]
        assert obj.lines and obj._changed_fields() == set()
