"""Bearer tokens, administrations, the tenant header and the default administration."""

from __future__ import annotations

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body


def test_missing_token_is_401_with_www_authenticate(user_api: Api) -> None:
    response = user_api.using(token="").get("countries")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert body(response)["status"] == 401


def test_unknown_token_is_401(user_api: Api) -> None:
    assert user_api.using(token="forged").get("debtors").status_code == 401


def test_non_bearer_scheme_is_401(user_api: Api) -> None:
    response = user_api.using(token="").get("debtors", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401


def test_user_has_at_least_three_administrations(asperion_sandbox: Sandbox, user_api: Api) -> None:
    rows = user_api.rows("administrations")
    ids = [row["id"] for row in rows]
    assert len(asperion_sandbox.tenants) >= 3
    assert set(asperion_sandbox.tenants) <= set(ids)


def test_default_administration_is_listed_first_in_tenants(
    asperion_sandbox: Sandbox, user_api: Api
) -> None:
    rows = {row["id"]: row for row in user_api.rows("administrations")}
    assert rows[asperion_sandbox.tenants[0]]["isDefault"] is True
    assert sum(row["isDefault"] for row in rows.values()) == 1


def test_one_administration_requires_approval_routing(
    asperion_sandbox: Sandbox, user_api: Api
) -> None:
    rows = user_api.rows("administrations")
    assert any(row["approvalRoutingRequired"] for row in rows)


def test_administration_by_id(asperion_sandbox: Sandbox, user_api: Api) -> None:
    response = user_api.get(f"administrations/{asperion_sandbox.tenants[1]}")
    assert response.status_code == 200
    assert body(response)["id"] == asperion_sandbox.tenants[1]


def test_administrations_are_read_only(user_api: Api) -> None:
    response = user_api.post("administrations", {"name": "x"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_without_header_the_default_administration_answers(
    asperion_sandbox: Sandbox, user_api: Api
) -> None:
    meta = body(user_api.get("countries"))["_meta"]
    assert meta["administrationId"] == asperion_sandbox.tenants[0]


@pytest.mark.parametrize("header", ["X-Tenant-Id", "X-TenantId", "x-tenant-id"])
def test_both_tenant_header_spellings_are_accepted(
    asperion_sandbox: Sandbox, user_api: Api, header: str
) -> None:
    tenant = asperion_sandbox.tenants[1]
    meta = body(user_api.using(tenant=tenant, header=header).get("debtors"))["_meta"]
    assert meta["administrationId"] == tenant


def test_meta_names_administration_and_profile(asperion_sandbox: Sandbox, user_api: Api) -> None:
    meta = body(user_api.using(tenant=asperion_sandbox.tenants[2]).get("debtors"))["_meta"]
    admins = {row["id"]: row for row in user_api.rows("administrations")}
    assert meta["administrationName"] == admins[asperion_sandbox.tenants[2]]["name"]
    assert meta["profileName"] == "Sandbox User"


def test_administrations_have_different_data(asperion_sandbox: Sandbox, user_api: Api) -> None:
    first = user_api.using(tenant=asperion_sandbox.tenants[0]).rows("debtors")
    second = user_api.using(tenant=asperion_sandbox.tenants[1]).rows("debtors")
    assert [row["name"] for row in first] != [row["name"] for row in second]


def test_writes_stay_in_their_administration(asperion_sandbox: Sandbox, user_api: Api) -> None:
    one, two = asperion_sandbox.add_administration(), asperion_sandbox.add_administration()
    created = body(user_api.using(tenant=one).post("countries", {"name": "Atlantis", "code": "AT"}))
    assert user_api.using(tenant=two).get(f"countries/{created['id']}").status_code == 404
    state = asperion_sandbox.state
    assert state.count(one, "countries") == state.count(two, "countries") + 1


def test_inaccessible_administration_is_403(asperion_sandbox: Sandbox, user_api: Api) -> None:
    other = asperion_sandbox.add_administration(users=[asperion_sandbox.state.second_username])
    response = user_api.using(tenant=other).get("debtors")
    assert response.status_code == 403
    assert body(response)["status"] == 403


def test_unknown_administration_is_403(user_api: Api) -> None:
    assert user_api.using(tenant=999999).get("debtors").status_code == 403


@pytest.mark.parametrize("value", ["abc", "1.5", "-3", "", "99999999999"])
def test_non_integer_tenant_header_is_400(user_api: Api, value: str) -> None:
    response = user_api.get("debtors", headers={"X-Tenant-Id": value})
    assert response.status_code == 400
    assert "X-Tenant-Id" in body(response)["errors"]


def test_ignore_tenant_header_knob(asperion_sandbox: Sandbox, user_api: Api) -> None:
    asperion_sandbox.state.ignore_tenant_header = True
    meta = body(user_api.using(tenant=asperion_sandbox.tenants[1]).get("debtors"))["_meta"]
    assert meta["administrationId"] == asperion_sandbox.tenants[0]


def test_request_log_records_the_tenant(asperion_sandbox: Sandbox, user_api: Api) -> None:
    asperion_sandbox.clear_log()
    user_api.using(tenant=asperion_sandbox.tenants[1]).get("debtors")
    assert asperion_sandbox.requests("GET", "/v1/debtors")[-1].tenant == asperion_sandbox.tenants[1]
