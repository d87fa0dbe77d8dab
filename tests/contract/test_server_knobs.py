"""The knobs that make the sandbox behave like another server: what `asperion probe` measures."""

from __future__ import annotations

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body, browser, redirect_query
from support.oauth import authorize_params, code_flow, pkce_pair, token_call


def administration(api: Api, header: str, tenant: int) -> int:
    response = api.using(tenant=tenant, header=header).get("countries", {"pageSize": "1"})
    assert response.status_code == 200, response.text
    return int(body(response)["_meta"]["administrationId"])


# --- tenant headers ----------------------------------------------------------------------------


@pytest.mark.parametrize("honoured", ["X-Tenant-Id", "X-TenantId"])
def test_tenant_headers_knob_honours_only_the_given_spelling(
    asperion_sandbox: Sandbox, user_api: Api, honoured: str
) -> None:
    default, other = asperion_sandbox.tenants[:2]
    asperion_sandbox.state.tenant_headers = (honoured,)
    ignored = "X-TenantId" if honoured == "X-Tenant-Id" else "X-Tenant-Id"
    assert administration(user_api, honoured, other) == other
    assert administration(user_api, ignored, other) == default


def test_both_tenant_header_spellings_are_honoured_by_default(
    asperion_sandbox: Sandbox, user_api: Api
) -> None:
    other = asperion_sandbox.tenants[1]
    assert administration(user_api, "X-Tenant-Id", other) == other
    assert administration(user_api, "X-TenantId", other) == other


# --- page size -------------------------------------------------------------------------------


def test_max_page_size_knob_clamps_pages(asperion_sandbox: Sandbox, seeded_api: Api) -> None:
    asperion_sandbox.state.max_page_size = 7
    page = body(seeded_api.get("debtors", {"pageSize": "50"}))
    assert len(page["_data"]) == 7
    assert page["_meta"]["pageCount"] == -(-page["_meta"]["totalCount"] // 7)


def test_pages_hold_at_most_100_rows_by_default(seeded_api: Api) -> None:
    page = body(seeded_api.get("countries", {"pageSize": "1000"}))
    assert len(page["_data"]) == min(100, page["_meta"]["totalCount"])


# --- orderby with several fields ---------------------------------------------------------------


def test_a_comma_list_in_orderby_is_refused_by_default(seeded_api: Api) -> None:
    response = seeded_api.get("debtors", {"orderby": "city,-id"})
    assert response.status_code == 400
    assert "orderby" in body(response)["errors"]


def test_multi_field_order_by_knob_sorts_by_every_key(
    asperion_sandbox: Sandbox, seeded_api: Api, seeded_tenant: int
) -> None:
    asperion_sandbox.state.multi_field_order_by = True
    rows = asperion_sandbox.state.rows(seeded_tenant, "debtors")
    by_city = sorted(rows, key=lambda row: -row["id"])
    by_city.sort(key=lambda row: (row["city"] is not None, row["city"] or ""))
    got = [row["id"] for row in seeded_api.all_rows("debtors", [("orderby", "city,-id")])]
    assert got == [row["id"] for row in by_city]
    cities = [row["city"] for row in by_city]
    assert len(set(cities)) < len(cities), "the data must hold ties for the second key to show"


def test_multi_field_order_by_knob_still_refuses_an_unknown_key(
    asperion_sandbox: Sandbox, seeded_api: Api
) -> None:
    asperion_sandbox.state.multi_field_order_by = True
    assert seeded_api.get("debtors", {"orderby": "city,nonsense"}).status_code == 400
    assert seeded_api.get("debtors", {"orderby": "-name"}).status_code == 200


# --- PKCE ------------------------------------------------------------------------------------


def authorize(sandbox: Sandbox, params: dict[str, str]) -> dict[str, str]:
    response = browser(sandbox).get(
        f"{sandbox.identity_url}/connect/authorize",
        params=params,
        allow_redirects=False,
        verify=sandbox.ca_bundle,
        timeout=10,
    )
    return redirect_query(response)


def test_pkce_required_knob_refuses_an_authorization_without_a_challenge(
    asperion_sandbox: Sandbox,
) -> None:
    asperion_sandbox.state.pkce_required = True
    params = authorize_params(asperion_sandbox)
    query = authorize(asperion_sandbox, params)
    assert query["error"] == "invalid_request"
    assert "code_challenge" in query["error_description"]
    assert query["state"] == params["state"] and "code" not in query


def test_pkce_required_knob_accepts_an_authorization_with_a_challenge(
    asperion_sandbox: Sandbox,
) -> None:
    asperion_sandbox.state.pkce_required = True
    _, challenge = pkce_pair()
    params = authorize_params(
        asperion_sandbox, code_challenge=challenge, code_challenge_method="S256"
    )
    assert "code" in authorize(asperion_sandbox, params)


def test_pkce_is_optional_by_default(asperion_sandbox: Sandbox) -> None:
    assert "code" in authorize(asperion_sandbox, authorize_params(asperion_sandbox))


# --- refresh-token rotation ------------------------------------------------------------------


def refresh(sandbox: Sandbox, refresh_token: str) -> dict[str, str]:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    response = token_call(sandbox, form)
    assert response.status_code == 200, response.text
    answer: dict[str, str] = response.json()
    return answer


def test_without_rotation_the_same_refresh_token_comes_back_and_stays_valid(
    asperion_sandbox: Sandbox,
) -> None:
    asperion_sandbox.state.rotate_refresh_tokens = False
    first = code_flow(asperion_sandbox)
    second = refresh(asperion_sandbox, first["refresh_token"])
    third = refresh(asperion_sandbox, first["refresh_token"])
    assert second["refresh_token"] == third["refresh_token"] == first["refresh_token"]
    assert len({first["access_token"], second["access_token"], third["access_token"]}) == 3
    assert Api(asperion_sandbox, third["access_token"]).get("countries").status_code == 200


def test_refresh_tokens_rotate_by_default(asperion_sandbox: Sandbox) -> None:
    first = code_flow(asperion_sandbox)
    second = refresh(asperion_sandbox, first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]


# --- Sandbox(...) and reset_knobs ------------------------------------------------------------


def test_sandbox_takes_the_knobs_and_reset_restores_them() -> None:
    sandbox = Sandbox(
        tenant_headers=["X-TenantId"],
        max_page_size=40,
        multi_field_order_by=True,
        max_query_length=1024,
        pkce_required=True,
        rotate_refresh_tokens=False,
    )
    state = sandbox.state
    given = ("X-TenantId",), 40, True, 1024, True, False

    def knobs() -> tuple[object, ...]:
        return (
            state.tenant_headers,
            state.max_page_size,
            state.multi_field_order_by,
            state.max_query_length,
            state.pkce_required,
            state.rotate_refresh_tokens,
        )

    try:
        assert knobs() == given
        state.tenant_headers, state.max_page_size, state.multi_field_order_by = ("X",), 3, False
        state.max_query_length, state.pkce_required, state.rotate_refresh_tokens = None, False, True
        state.ignore_tenant_header = True
        sandbox.reset_knobs()
        assert knobs() == given and state.ignore_tenant_header is False
    finally:
        sandbox.stop()  # never started: this only removes its CA file


def test_the_shared_sandbox_has_the_default_knobs(asperion_sandbox: Sandbox) -> None:
    state = asperion_sandbox.state
    assert state.tenant_headers == ("X-Tenant-Id", "X-TenantId")
    assert (state.max_page_size, state.multi_field_order_by, state.max_query_length) == (
        100,
        False,
        2048,
    )
    assert (state.pkce_required, state.rotate_refresh_tokens) == (False, True)
