"""Replayed cassettes: switching between administrations (tenants)."""

from __future__ import annotations

import pytest

from asperion_orm import Client
from asperion_orm.exceptions import NotFound

from .conftest import ids, tenants

pytestmark = pytest.mark.asperion_cassette


def test_switching_tenants_reads_each_administration(recorded_client: Client) -> None:
    first, second = tenants(recorded_client)[:2]
    one = recorded_client.tenant(first).get("debtors", [("pageSize", "5")])
    two = recorded_client.tenant(second).get("debtors", [("pageSize", "5")])
    assert one["_meta"]["administrationId"] == first
    assert two["_meta"]["administrationId"] == second
    assert one["_meta"]["administrationName"] != two["_meta"]["administrationName"]


def test_writes_stay_in_their_tenant(recorded_client: Client) -> None:
    first, second = tenants(recorded_client)[:2]
    created = recorded_client.tenant(second).post("debtors", {"name": "Alleen Hier B.V."})
    path = recorded_client.tenant(second).path("debtors", created["id"])
    assert recorded_client.tenant(second).get(path)["_meta"]["administrationId"] == second
    with pytest.raises(NotFound):
        recorded_client.tenant(first).get(path)


def test_nested_sessions_switch_back(recorded_client: Client) -> None:
    from asperion_orm import Session

    first, second = tenants(recorded_client)[:2]
    with recorded_client.tenant(first):
        with recorded_client.tenant(second):
            inner = Session.current().get("countries", [("pageSize", "1")])
        outer = Session.current().get("countries", [("pageSize", "1")])
    assert inner["_meta"]["administrationId"] == second
    assert outer["_meta"]["administrationId"] == first
    assert ids(inner) == ids(outer)
