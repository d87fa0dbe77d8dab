"""The FastAPI example: a per-request tenant, sync and async, that never leaks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import httpx2
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

import asperion_orm as asp
from asperion_orm.exceptions import NoSessionError
from asperion_orm.resources import Debtor
from asperion_orm.testing import Sandbox

Example = Callable[[str], ModuleType]


@pytest.fixture
def module(example: Example) -> ModuleType:
    return example("fastapi_app")


@pytest.fixture
def two_tenants(private_sandbox: Sandbox) -> tuple[int, int]:
    return (
        private_sandbox.add_administration(records={"debtors": 7}),
        private_sandbox.add_administration(records={"debtors": 12}),
    )


@pytest.fixture
def app(module: ModuleType, client: asp.Client) -> FastAPI:
    app: FastAPI = module.create_app(client)
    return app


def _debtors(sandbox: Sandbox, tenant: int) -> list[dict[str, Any]]:
    rows = sorted(sandbox.state.rows(tenant, "debtors"), key=lambda row: row["id"])
    return [{"id": row["id"], "name": row["name"]} for row in rows]


def test_each_request_reads_its_own_tenant(
    app: FastAPI, private_sandbox: Sandbox, two_tenants: tuple[int, int]
) -> None:
    first, second = two_tenants
    with TestClient(app) as browser:
        private_sandbox.clear_log()
        one = browser.get(f"/tenants/{first}/debtors", params={"limit": 3}).json()
        two = browser.get(f"/tenants/{second}/debtors/count").json()
    assert one == {"tenant": first, "debtors": _debtors(private_sandbox, first)[:3]}
    assert two == {"tenant": second, "count": 12}
    assert [entry.tenant for entry in private_sandbox.requests("GET", "/v1/debtors")] == [
        first,
        second,
    ]  # one request each: a page of 3 and a MetaOnly count
    with pytest.raises(NoSessionError):
        asp.Session.current()  # nothing left active in the test's context


def test_two_tenants_in_parallel_each_see_their_own(
    app: FastAPI, private_sandbox: Sandbox, two_tenants: tuple[int, int]
) -> None:
    first, second = two_tenants
    private_sandbox.set_latency(0.2)  # the requests overlap on the server

    async def both() -> list[dict[str, Any]]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://app") as browser:
            paths = [f"/tenants/{tenant}/debtors/count" for tenant in (first, second) * 4]
            paths += [f"/tenants/{tenant}/debtors?limit=50" for tenant in (first, second) * 4]
            answers = await asyncio.gather(*(browser.get(path) for path in paths))
        return [answer.json() for answer in answers]

    try:
        answers = asyncio.run(both())
    finally:
        private_sandbox.reset_knobs()
    counts = {first: 7, second: 12}
    for answer in answers[:8]:
        assert answer["count"] == counts[answer["tenant"]]
    for answer in answers[8:]:
        assert answer["debtors"] == _debtors(private_sandbox, answer["tenant"])
    assert [answer["tenant"] for answer in answers] == [first, second] * 8


def test_the_sync_yield_dependency_trap(client: asp.Client, tenant: int) -> None:
    """A sync generator that activates the session is not seen by the endpoint."""

    def activating(tenant_id: int) -> Iterator[asp.Session]:
        with client.tenant(tenant_id) as session:  # entered in a threadpool's copied context
            yield session

    app = FastAPI()

    @app.get("/{tenant_id}")
    def count(session: asp.Session = Depends(activating)) -> dict[str, str]:  # noqa: B008
        try:
            Debtor.objects.count()
        except NoSessionError:
            return {"error": "NoSessionError"}
        return {"error": ""}

    with TestClient(app) as browser:
        assert browser.get(f"/{tenant}").json() == {"error": "NoSessionError"}
        with pytest.raises(NoSessionError):
            asp.Session.current()
