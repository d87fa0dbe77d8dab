"""TenantMiddleware: the tenant from the URL, a header or a resolver; sync and async views."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.test import AsyncClient, override_settings
from django.test import Client as Browser

from asperion_orm import NoSessionError
from asperion_orm.contrib.django.conf import get_client
from asperion_orm.resources import Debtor
from asperion_orm.testing import Sandbox

from .conftest import RECORDS


def resolve_from_query(request: HttpRequest) -> Any:
    """A TENANT_RESOLVER: the tenant in ``?org=``."""
    return request.GET.get("org")


def _debtor_ids(sandbox: Sandbox, tenant: int) -> list[int]:
    """Return the tenant's debtor ids from the emulator's own rows, in id order."""
    return sorted(int(row["id"]) for row in sandbox.state.rows(tenant, "debtors"))


def test_a_paginated_list_per_tenant_from_the_url(connected: Browser, sandbox: Sandbox) -> None:
    tenant = sandbox.add_administration(records=RECORDS)
    ids = _debtor_ids(sandbox, tenant)
    sandbox.clear_log()
    page = connected.get(f"/t/{tenant}/debtors/?page=3").json()
    assert page == {"tenant": tenant, "count": 25, "pages": 3, "number": 3, "ids": ids[20:25]}
    # Paginator asks count() (one request reading the total) and then the slice (one request)
    assert len(sandbox.requests("GET", "/v1/debtors")) == 2
    assert len(sandbox.request_log) == 2


def test_two_tenants_get_their_own_rows(connected: Browser, sandbox: Sandbox) -> None:
    first, second = (sandbox.add_administration(records={"debtors": n}) for n in (3, 12))
    assert connected.get(f"/t/{first}/debtors/").json()["ids"] == _debtor_ids(sandbox, first)
    page = connected.get(f"/t/{second}/debtors/?page=2").json()
    assert page["ids"] == _debtor_ids(sandbox, second)[10:]
    assert (page["tenant"], page["count"]) == (second, 12)


def test_the_tenant_from_a_header(connected: Browser, sandbox: Sandbox) -> None:
    tenant = sandbox.add_administration(records={"debtors": 4})
    page = connected.get("/h/debtors/", headers={"X-Asperion-Tenant": str(tenant)}).json()
    assert page["ids"] == _debtor_ids(sandbox, tenant)


def test_the_tenant_from_a_resolver(
    connected: Browser, sandbox: Sandbox, configured: dict[str, Any]
) -> None:
    tenant = sandbox.add_administration(records={"debtors": 2})
    resolver = f"{__name__}.resolve_from_query"
    with override_settings(ASPERION={**configured, "TENANT_RESOLVER": resolver}):
        page = connected.get(f"/h/debtors/?org={tenant}").json()
    assert page["ids"] == _debtor_ids(sandbox, tenant)


def test_an_async_view_sees_the_tenant(connected: Browser, sandbox: Sandbox) -> None:
    tenant = sandbox.add_administration(records={"debtors": 7})

    async def fetch() -> Any:
        return (await AsyncClient().get(f"/a/{tenant}/count/")).json()

    assert asyncio.run(fetch()) == {"tenant": tenant, "count": 7}


def test_no_tenant_passes_through_without_a_session(configured: dict[str, Any]) -> None:
    assert Browser().get("/active/").json() == {"tenant": None}


def test_the_session_ends_when_the_view_raises(connected: Browser, sandbox: Sandbox) -> None:
    browser = Browser(raise_request_exception=True)
    with pytest.raises(RuntimeError, match="the view failed"):
        browser.get(f"/t/{sandbox.tenants[0]}/fails/")
    assert browser.get("/active/").json() == {"tenant": None}
    with pytest.raises(NoSessionError):
        Debtor.objects.count()  # nothing left active in this thread


@pytest.mark.parametrize("value", ["abc", "-3", "0", "99999999999"])
def test_a_tenant_that_is_not_an_id_answers_400(
    configured: dict[str, Any], sandbox: Sandbox, value: str
) -> None:
    sandbox.clear_log()
    answer = Browser().get("/h/debtors/", headers={"X-Asperion-Tenant": value})
    assert answer.status_code == 400 and b"administration id" in answer.content
    assert sandbox.request_log == []


def test_paginator_over_a_library_queryset(connected: Browser, sandbox: Sandbox) -> None:
    """Django's Paginator takes a library QuerySet as it is: count, slices, last page."""
    tenant = sandbox.add_administration(records={"debtors": 23})
    ids = _debtor_ids(sandbox, tenant)
    with get_client().tenant(tenant):
        pages = Paginator(Debtor.objects.order_by("-id"), 5, orphans=3)
        assert (pages.count, pages.num_pages) == (23, 4)
        assert [d.id for d in pages.page(4)] == sorted(ids, reverse=True)[15:]
        assert [d.id for d in pages.get_page("nope")] == sorted(ids, reverse=True)[:5]
