"""The Sandbox around the emulator app: URLs, the code flow, faults that commit or not, the log."""

from __future__ import annotations

import os

import pytest
import requests

from asperion_orm.client import Client
from asperion_orm.testing import Sandbox

from support.oauth import code_flow, code_form, token_call

DEBTOR = {"name": "Bakkerij De Korenschoof", "city": "Zwolle"}


def test_urls_and_credentials(asperion_sandbox: Sandbox) -> None:
    sandbox = asperion_sandbox
    assert sandbox.identity_url == f"https://127.0.0.1:{sandbox.port}"
    assert sandbox.base_url == f"{sandbox.identity_url}/v1"
    assert os.path.exists(sandbox.ca_bundle)
    assert sandbox.client_id and sandbox.client_secret and sandbox.username and sandbox.password
    assert len(sandbox.tenants) >= 3
    assert sandbox.client_secret not in repr(sandbox)


def test_code_flow_and_an_api_call(
    asperion_sandbox: Sandbox, authorized_http: requests.Session
) -> None:
    response = authorized_http.get(
        f"{asperion_sandbox.base_url}/administrations", verify=asperion_sandbox.ca_bundle, timeout=5
    )
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["_data"]]
    assert set(asperion_sandbox.tenants) <= set(ids)


def test_reset_after_commit_commits_the_row(
    asperion_sandbox: Sandbox, authorized_http: requests.Session, sandbox_tenant: int
) -> None:
    sandbox = asperion_sandbox
    before = sandbox.state.count(sandbox_tenant, "debtors")
    sandbox.inject("POST", "/v1/debtors", fault="reset_after_commit")
    with pytest.raises(requests.ConnectionError):
        authorized_http.post(
            f"{sandbox.base_url}/debtors",
            json=DEBTOR,
            headers={"X-Tenant-Id": str(sandbox_tenant)},
            verify=sandbox.ca_bundle,
            timeout=5,
        )
    assert sandbox.state.count(sandbox_tenant, "debtors") == before + 1
    assert DEBTOR["name"] in [row["name"] for row in sandbox.state.rows(sandbox_tenant, "debtors")]
    [entry] = sandbox.requests("POST", "/v1/debtors")
    assert (entry.status, entry.tenant, entry.fault) == (201, sandbox_tenant, "reset_after_commit")


def test_reset_before_commits_nothing(
    asperion_sandbox: Sandbox, authorized_http: requests.Session, asperion_tenant: int
) -> None:
    sandbox = asperion_sandbox
    before = sandbox.state.count(asperion_tenant, "debtors")
    sandbox.inject("POST", "/v1/debtors", fault="reset_before")
    with pytest.raises(requests.ConnectionError):
        authorized_http.post(
            f"{sandbox.base_url}/debtors",
            json=DEBTOR,
            headers={"X-Tenant-Id": str(asperion_tenant)},
            verify=sandbox.ca_bundle,
            timeout=5,
        )
    assert sandbox.state.count(asperion_tenant, "debtors") == before


def test_request_log_records_the_resolved_tenant(
    asperion_sandbox: Sandbox, authorized_http: requests.Session
) -> None:
    sandbox = asperion_sandbox
    other = sandbox.tenants[1]
    for headers in ({}, {"X-Tenant-Id": str(other)}, {"X-TenantId": str(other)}):
        authorized_http.get(
            f"{sandbox.base_url}/debtors",
            params={"pageSize": 1},
            headers=headers,
            verify=sandbox.ca_bundle,
            timeout=5,
        )
    entries = sandbox.requests("GET", "/v1/debtors")
    assert [e.tenant for e in entries] == [sandbox.tenants[0], other, other]
    assert all(e.params == [("pageSize", "1")] and e.status == 200 for e in entries)


def test_request_log_never_holds_a_secret(
    asperion_sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox = asperion_sandbox
    tokens = code_flow(sandbox, http=http)
    access = str(tokens["access_token"])
    http.get(
        f"{sandbox.base_url}/debtors",
        params={"access_token": access},
        headers={"Authorization": f"Bearer {access}"},
        verify=sandbox.ca_bundle,
        timeout=5,
    )
    refreshed = http.post(
        f"{sandbox.identity_url}/connect/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
        verify=sandbox.ca_bundle,
        timeout=5,
    )
    assert refreshed.status_code == 200
    logged = repr(sandbox.request_log)
    secrets = [access, tokens["refresh_token"], sandbox.client_secret, sandbox.password]
    secrets.append(refreshed.json()["access_token"])
    assert not [s for s in secrets if str(s) in logged]
    assert [e.path for e in sandbox.request_log] == [
        "/connect/authorize",
        "/connect/token",
        "/v1/debtors",
        "/connect/token",
    ]


def test_token_lifetime_knob(asperion_sandbox: Sandbox, http: requests.Session) -> None:
    asperion_sandbox.set_token_lifetime(120)
    assert code_flow(asperion_sandbox, http=http)["expires_in"] == 120


def test_rate_limit_knob(asperion_sandbox: Sandbox, authorized_http: requests.Session) -> None:
    sandbox = asperion_sandbox
    sandbox.set_rate_limit(0.1)
    url = f"{sandbox.base_url}/countries"
    statuses = [
        authorized_http.get(url, verify=sandbox.ca_bundle, timeout=5).status_code for _ in range(3)
    ]
    assert statuses[0] == 200 and statuses[1:] == [429, 429]


def test_knobs_are_restored_between_tests(asperion_sandbox: Sandbox) -> None:
    assert asperion_sandbox.middleware.rate_limit is None
    assert asperion_sandbox.middleware.faults == []
    assert asperion_sandbox.state.token_lifetime == 3600


def test_tenants_are_fresh_per_test(asperion_sandbox: Sandbox, asperion_tenant: int) -> None:
    assert asperion_tenant not in asperion_sandbox.tenants[:3]
    assert asperion_sandbox.state.count(asperion_tenant, "debtors") >= 0


def test_a_second_sandbox_runs_alongside(asperion_sandbox: Sandbox, http: requests.Session) -> None:
    with Sandbox(seed=1) as other:
        assert other.port != asperion_sandbox.port
        assert code_flow(other, http=http)["token_type"] == "Bearer"
    assert not os.path.exists(other.ca_bundle)
    thread = other.server.thread
    assert thread is not None and not thread.is_alive()


def test_client_is_authorized_through_the_code_flow(
    asperion_sandbox: Sandbox, sandbox_user_client: Client
) -> None:
    ids = [row["id"] for row in sandbox_user_client.administrations()]
    assert asperion_sandbox.tenants[0] in ids
    paths = [e.path for e in asperion_sandbox.request_log]
    assert paths[:2] == ["/connect/authorize", "/connect/token"]


def test_log_in_authorizes_a_client_built_elsewhere(asperion_sandbox: Sandbox) -> None:
    sandbox = asperion_sandbox
    with Client(
        sandbox.client_id,
        sandbox.client_secret,
        sandbox.redirect_uri,
        base_url=sandbox.base_url,
        identity_url=sandbox.identity_url,
        ca_bundle=sandbox.ca_bundle,
    ) as client:
        code = sandbox.log_in(client, state="mine")
        assert sandbox.tenants[0] in [row["id"] for row in client.administrations()]
    assert [(e.method, e.path) for e in sandbox.request_log[:2]] == [
        ("GET", "/connect/authorize"),
        ("POST", "/connect/token"),
    ]
    spent = token_call(sandbox, code_form(sandbox, code))
    assert (spent.status_code, spent.json()["error"]) == (400, "invalid_grant")


def test_client_reads_a_fresh_tenant(
    asperion_sandbox: Sandbox, asperion_client: Client, asperion_tenant: int
) -> None:
    page = asperion_client.tenant(asperion_tenant).get("debtors", [("pageSize", "5")])
    assert page["_meta"]["administrationId"] == asperion_tenant
    assert page["_meta"]["totalCount"] == asperion_sandbox.state.count(asperion_tenant, "debtors")
    assert asperion_sandbox.requests("GET", "/v1/debtors")[-1].tenant == asperion_tenant


def test_requests_filter_the_log_by_method_and_path_glob(
    asperion_sandbox: Sandbox, asperion_client: Client, asperion_tenant: int
) -> None:
    session = asperion_client.tenant(asperion_tenant)
    session.get("countries", [("pageSize", "1")])
    session.get("debtors", [("pageSize", "1")])
    every = asperion_sandbox.requests()
    assert [e.path for e in every] == [
        "/connect/authorize",
        "/connect/token",
        "/v1/countries",
        "/v1/debtors",
    ]
    assert asperion_sandbox.requests(path="/v1/*") == every[2:]
    assert asperion_sandbox.requests("get", "/V1/DEBTOR*") == every[3:]
    # This test's user signs in through the login form: a POST, then the token request.
    assert asperion_sandbox.requests("POST") == every[:2]
    assert asperion_sandbox.requests("POST", "/v1/*") == []


def test_client_kwargs_are_passed_on(asperion_sandbox: Sandbox) -> None:
    client = asperion_sandbox.client(language="nl-NL", max_concurrency=3)
    assert client.max_concurrency == 3


def test_interactive_sandbox_logs_in_through_the_form(asperion_sandbox: Sandbox) -> None:
    asperion_sandbox.set_interactive(True)
    client = asperion_sandbox.client()
    assert client.administrations()
    methods = [(e.method, e.path) for e in asperion_sandbox.request_log[:3]]
    assert methods == [
        ("GET", "/connect/authorize"),
        ("POST", "/connect/authorize"),
        ("POST", "/connect/token"),
    ]
    assert asperion_sandbox.password not in repr(asperion_sandbox.request_log)
