"""The async FastAPI example: endpoints per administration, checked against the sandbox rows."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

import asperion_orm as asp
from asperion_orm.testing import Sandbox

Example = Callable[[str], ModuleType]


@pytest.fixture
def browser(example: Example, client: asp.Client) -> TestClient:
    return TestClient(example("fastapi_async").create_app(client))


def test_each_administration_answers_from_its_own_rows(
    browser: TestClient, private_sandbox: Sandbox, tenant: int
) -> None:
    other = private_sandbox.add_administration(records={"debtors": 3, "salesinvoices": 2})
    for administration in (tenant, other):
        rows = private_sandbox.state.rows(administration, "debtors")
        answer = browser.get(f"/administrations/{administration}/summary").json()
        invoices = private_sandbox.state.count(administration, "salesinvoices")
        assert answer == {"debtors": len(rows), "invoices": invoices}
        listed = browser.get(f"/administrations/{administration}/debtors").json()
        names = [row["name"] for row in sorted(rows, key=lambda r: (r["name"], r["id"]))]
        assert listed == {"count": len(rows), "names": names[:10]}
    served = {entry.tenant for entry in private_sandbox.requests(path="/v1/*")}
    assert {tenant, other} <= served


def test_filter_get_and_create(browser: TestClient, private_sandbox: Sandbox, tenant: int) -> None:
    rows = private_sandbox.state.rows(tenant, "debtors")
    city = rows[0]["city"]
    in_city = [row for row in rows if row["city"] == city]
    answer = browser.get(f"/administrations/{tenant}/debtors", params={"city": city}).json()
    assert answer["count"] == len(in_city)
    one = browser.get(f"/administrations/{tenant}/debtors/{rows[0]['id']}").json()
    assert one == {"id": rows[0]["id"], "name": rows[0]["name"], "city": city}
    missing = max(row["id"] for row in rows) + 1000
    assert browser.get(f"/administrations/{tenant}/debtors/{missing}").status_code == 404
    made = browser.post(f"/administrations/{tenant}/debtors", json={"name": "Web Ltd"})
    assert made.status_code == 201
    stored = [
        row for row in private_sandbox.state.rows(tenant, "debtors") if row["name"] == "Web Ltd"
    ]
    assert [row["id"] for row in stored] == [made.json()["id"]]
    assert browser.get("/administrations/0/summary").status_code == 404
