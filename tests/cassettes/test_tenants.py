"""Replayed cassettes: switching between administrations (tenants)."""

from __future__ import annotations

import pytest

from asperion_orm import Client
from asperion_orm.exceptions import NotFound

from .conftest import ids, tenants

pytestmark = pytest.mark.asperion_cassette


def test_switching_tenants_reads_each_administration(client: Client) -> None:
    first, second = tenants(client)[:2]
    one = client.tenant(first).get("debtor", [("pageSize", "5")])
    two = client.tenant(second).get("debtor", [("pageSize", "5")])
    assert one["_meta"]["administrationId"] == first
    assert two["_meta"]["administrationId"] == second
    assert one["_meta"]["administrationName"] != two["_meta"]["administrationName"]


def test_writes_stay_in_their_tenant(client: Client) -> None:
    first, second = tenants(client)[:2]
    created = client.tenant(second).post("debtor", {"name": "Alleen Hier B.V."})
    path = client.tenant(second).path("debtor", created["id"])
    assert client.tenant(second).get(path)["_meta"]["administrationId"] == second
    with pytest.raises(NotFound):
        client.tenant(first).get(path)


def test_nested_sessions_switch_back(client: Client) -> None:
    from asperion_orm import Session

    first, second = tenants(client)[:2]
    with client.tenant(first):
        with client.tenant(second):
            inner = Session.current().get("countries", [("pageSize", "1")])
        outer = Session.current().get("countries", [("pageSize", "1")])
    assert inner["_meta"]["administrationId"] == second
    assert outer["_meta"]["administrationId"] == first
    assert ids(inner) == ids(outer)
