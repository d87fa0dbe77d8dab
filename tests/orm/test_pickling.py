"""Pickling like Django: instances and evaluated QuerySets travel (Celery, a cache) without the
session, its client or any secret, and find a session again when they next need one."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from asperion_orm import Client, NoSessionError
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.resources import Debtor, SalesInvoice
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

Counter = Callable[[int], AbstractContextManager[None]]


def secrets(sandbox: Sandbox, client: Client) -> list[bytes]:
    token = client.token_store.load()
    assert token is not None and token.refresh_token
    values = [token.access_token, token.refresh_token, sandbox.client_secret, sandbox.password]
    return [value.encode() for value in values]


def test_pickled_instances_and_querysets_hold_no_session_or_secret(
    asperion_sandbox: Sandbox, sandbox_user_client: Client, shared_tenant: int
) -> None:
    with sandbox_user_client.tenant(shared_tenant):
        debtor = Debtor.objects.order_by("id")[0]
        invoice = SalesInvoice.objects.order_by("id")[0]
        assert invoice.lines  # nested objects remember the session too
        queryset = Debtor.objects.filter(id__lte=debtor.pk + 4)
        rows = Debtor.objects.values_list("id", "city", named=True).order_by("id")[:3]
        data = pickle.dumps((debtor, invoice, queryset, rows))
    for secret in secrets(asperion_sandbox, sandbox_user_client):
        assert secret not in data
    assert b"Session" not in data and b"Client" not in data
    debtor2, invoice2, queryset2, rows2 = pickle.loads(data)
    assert debtor2 == debtor and debtor2.name == debtor.name
    assert debtor2._state.session is None and invoice2.lines[0]._state.session is None
    assert invoice2.lines[0].description == invoice.lines[0].description
    assert [d.pk for d in queryset2] == [debtor.pk + n for n in range(5)]
    assert [tuple(row) for row in rows2] == [tuple(row) for row in rows]
    assert rows2[0].city == rows[0].city


def test_an_unpickled_object_asks_for_a_session_when_it_needs_one(
    sandbox_user_client: Client, shared_tenant: int, assert_requests: Counter
) -> None:
    with sandbox_user_client.tenant(shared_tenant):
        debtor = Debtor.objects.only("name").order_by("id")[0]
        queryset = Debtor.objects.filter(id__lte=debtor.pk + 2)
        expected = [d.pk for d in queryset.all()]
        data = pickle.dumps((debtor, queryset))
    debtor2, queryset2 = pickle.loads(data)
    with assert_requests(0):
        assert debtor2.name == debtor.name and len(queryset2) == len(expected)
    with pytest.raises(NoSessionError):
        debtor2.city  # noqa: B018  # deferred: loading it needs a session
    with pytest.raises(NoSessionError):
        queryset2.filter(id__gte=1).count()
    with sandbox_user_client.tenant(shared_tenant):
        with assert_requests(1):
            city = debtor2.city
        assert city == Debtor.objects.cache(False).get(pk=debtor.pk).city
        assert [d.pk for d in queryset2.filter(id__gte=1)] == expected


def test_an_unpickled_object_stays_in_its_administration(
    asperion_sandbox: Sandbox, sandbox_user_client: Client, shared_tenant: int
) -> None:
    with sandbox_user_client.tenant(shared_tenant):
        debtor = Debtor.objects.order_by("id")[0]
    copy = pickle.loads(pickle.dumps(debtor))
    other = asperion_sandbox.add_administration(records={"debtors": 1})
    copy.city = "Elders"
    with (
        sandbox_user_client.tenant(other),
        pytest.raises(ConfigurationError, match="administration"),
    ):
        copy.save()


def test_pickling_an_unevaluated_queryset_evaluates_it_as_django(
    sandbox_user_client: Client, shared_tenant: int, assert_requests: Counter
) -> None:
    queryset = Debtor.objects.filter(id__lte=10003)
    with pytest.raises(NoSessionError):
        pickle.dumps(queryset)
    with sandbox_user_client.tenant(shared_tenant), assert_requests(1):
        data = pickle.dumps(queryset)
    with assert_requests(0):
        assert [d.pk for d in pickle.loads(data)] == [10001, 10002, 10003]


def test_a_query_pickles_alone_without_evaluating(shared_session: Session) -> None:
    queryset = Debtor.objects.filter(city="Ede", id__gte=3).order_by("-name").only("name")
    query: Any = pickle.loads(pickle.dumps(queryset.query))
    assert str(query) == str(queryset.query)
    assert query.where.children[0].field is Debtor._meta.fields["city"]
