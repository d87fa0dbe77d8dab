"""List pages reuse each row's cached JSON until a write changes the row."""

from __future__ import annotations

import json
from typing import Any

import requests

from asperion_orm.testing import Sandbox
from asperion_orm.testing.emulator import fragments
from asperion_orm.testing.emulator.fragments import FragmentCache


def _page(
    sandbox: Sandbox, http: requests.Session, tenant: int, path: str, **params: Any
) -> dict[str, Any]:
    headers = {"X-Tenant-Id": str(tenant), **params.pop("headers", {})}
    response = http.get(
        f"{sandbox.base_url}/{path}",
        params=params,
        headers=headers,
        verify=sandbox.ca_bundle,
        timeout=5,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_repeated_page_encodes_no_row_again(
    asperion_sandbox: Sandbox, authorized_http: requests.Session, sandbox_tenant: int
) -> None:
    state = asperion_sandbox.state
    first = _page(asperion_sandbox, authorized_http, sandbox_tenant, "debtors", pageSize=5)
    encoded = state.rows_encoded(sandbox_tenant, "debtors")
    again = _page(asperion_sandbox, authorized_http, sandbox_tenant, "debtors", pageSize=5)
    assert state.rows_encoded(sandbox_tenant, "debtors") == encoded
    assert again["_data"] == first["_data"] and len(first["_data"]) == 5
    other = _page(asperion_sandbox, authorized_http, sandbox_tenant, "debtors", pageSize=5, page=2)
    assert state.rows_encoded(sandbox_tenant, "debtors") == encoded + 5
    assert {row["id"] for row in other["_data"]}.isdisjoint(row["id"] for row in first["_data"])


def test_a_write_through_the_api_shows_in_the_next_page(
    asperion_sandbox: Sandbox, authorized_http: requests.Session, sandbox_tenant: int
) -> None:
    sandbox, state = asperion_sandbox, asperion_sandbox.state
    first = _page(sandbox, authorized_http, sandbox_tenant, "debtors", pageSize=5)
    changed = first["_data"][2]
    response = authorized_http.patch(
        changed["_meta"]["self"],
        json={"city": "Harderwijk"},
        headers={"X-Tenant-Id": str(sandbox_tenant)},
        verify=sandbox.ca_bundle,
        timeout=5,
    )
    assert response.status_code == 200, response.text
    encoded = state.rows_encoded(sandbox_tenant, "debtors")
    after = _page(sandbox, authorized_http, sandbox_tenant, "debtors", pageSize=5)
    assert state.rows_encoded(sandbox_tenant, "debtors") == encoded + 1  # only the changed row
    assert after["_data"][2]["city"] == "Harderwijk"
    assert [row for i, row in enumerate(after["_data"]) if i != 2] == [
        row for i, row in enumerate(first["_data"]) if i != 2
    ]


def test_a_change_outside_the_api_and_a_delete_show_in_the_next_page(
    asperion_sandbox: Sandbox, authorized_http: requests.Session, sandbox_tenant: int
) -> None:
    sandbox, state = asperion_sandbox, asperion_sandbox.state
    first = _page(sandbox, authorized_http, sandbox_tenant, "debtors", pageSize=4)
    ids = [row["id"] for row in first["_data"]]
    state.change_row(sandbox_tenant, "debtors", ids[0], name="Fietsenmaker Anders")
    state.delete_row(sandbox_tenant, "debtors", ids[1])
    after = _page(sandbox, authorized_http, sandbox_tenant, "debtors", pageSize=4)
    assert after["_data"][0]["name"] == "Fietsenmaker Anders"
    assert ids[1] not in [row["id"] for row in after["_data"]]


def test_fields_views_and_hosts_are_cached_apart(
    asperion_sandbox: Sandbox, authorized_http: requests.Session, sandbox_tenant: int
) -> None:
    sandbox, http = asperion_sandbox, authorized_http
    full = _page(sandbox, http, sandbox_tenant, "debtors", pageSize=3)
    narrow = _page(sandbox, http, sandbox_tenant, "debtors", pageSize=3, fields="id,name")
    assert [set(row) for row in narrow["_data"]] == [{"id", "name", "_meta"}] * 3
    assert len(full["_data"][0]) > 3
    host = {"Host": f"localhost:{sandbox.port}"}
    local = _page(sandbox, http, sandbox_tenant, "debtors", pageSize=3, headers=host)
    assert local["_data"][0]["_meta"]["self"].startswith(f"https://localhost:{sandbox.port}/v1/")
    assert full["_data"][0]["_meta"]["self"].startswith(f"https://127.0.0.1:{sandbox.port}/v1/")
    view = _page(sandbox, http, sandbox_tenant, "salesinvoices", pageSize=3)
    lines = _page(sandbox, http, sandbox_tenant, "salesinvoiceswithlines", pageSize=3)
    assert "lines" not in view["_data"][0] and "lines" in lines["_data"][0]


def test_the_cache_keeps_few_shapes_and_starts_again_past_its_budget() -> None:
    rows = {n: {"id": n, "text": "x" * 1000} for n in range(1, 41)}
    cache = FragmentCache()
    for shape in range(fragments.SHAPES + 1):  # the first shape is the least recently used
        cache.texts(shape, [1], rows, json.dumps)
    cache.texts(fragments.SHAPES, [1], rows, json.dumps)
    assert cache.encodes == fragments.SHAPES + 1  # the last shape was kept
    cache.texts(0, [1], rows, json.dumps)
    assert cache.encodes == fragments.SHAPES + 2  # the first one was not
    small = FragmentCache(budget=10_000)  # room for nine of these rows
    assert small.texts("all", list(rows), rows, json.dumps) == [
        json.dumps(r) for r in rows.values()
    ]
    small.texts("all", [37, 40], rows, json.dumps)
    assert small.encodes == 40  # the last rows are kept
    small.texts("all", [1], rows, json.dumps)
    assert small.encodes == 41  # the first ones made room for them
