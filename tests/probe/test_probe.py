"""The probe against the sandbox configured in several ways: it finds what was configured."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pytest

from asperion_orm import Client
from asperion_orm.capabilities import Capabilities
from asperion_orm.exceptions import ConfigurationError, PermissionDenied, TenantMismatchError
from asperion_orm.probe import (
    MAX_API_READS,
    Api,
    check_page_size,
    check_refresh_rotation,
    check_url_length,
    probe,
)
from asperion_orm.testing.sandbox import Sandbox

from .conftest import configured

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "only X-TenantId": {"tenant_headers": ("X-TenantId",)},
    "only X-Tenant-Id": {"tenant_headers": ("X-Tenant-Id",)},
    "small pages": {"max_page_size": 25},
    "large pages": {"max_page_size": 250},
    "multi-field orderby": {"multi_field_order_by": True},
    "1 KiB queries": {"max_query_length": 1024},
    "4 KiB queries": {"max_query_length": 4096},
    "no query limit": {"max_query_length": None},
    "PKCE required": {"pkce_required": True},
    "no rotation": {"rotate_refresh_tokens": False},
    "exact text": {"text_match": "exact-cs"},
    "contains text": {"text_match": "contains-ci"},
    "all different": {
        "text_match": "exact-cs",
        "tenant_headers": ("X-TenantId",),
        "max_page_size": 60,
        "multi_field_order_by": True,
        "max_query_length": 3072,
        "pkce_required": True,
        "rotate_refresh_tokens": False,
    },
}


def configure(sandbox: Sandbox, knobs: dict[str, Any]) -> None:
    """Set knobs on the shared sandbox (the plugin restores them after the test)."""
    for name, value in knobs.items():
        setattr(sandbox.state, name, value)


def found(caps: Any) -> dict[str, Any]:
    """Return the capabilities' values without the evidence."""
    values = dataclasses.asdict(caps)
    del values["evidence"]
    return values


@pytest.mark.parametrize("knobs", CONFIGURATIONS.values(), ids=CONFIGURATIONS.keys())
def test_every_answer_equals_the_configuration(
    asperion_sandbox: Sandbox, probed_tenant: int, knobs: dict[str, Any]
) -> None:
    configure(asperion_sandbox, knobs)
    with asperion_sandbox.client() as client:
        result = probe(client, probed_tenant)
    assert found(result.capabilities) == configured(asperion_sandbox)
    assert all(finding.measured for finding in result.findings)


@pytest.mark.parametrize("knobs", CONFIGURATIONS.values(), ids=CONFIGURATIONS.keys())
def test_no_probe_writes_without_allow_writes(
    asperion_sandbox: Sandbox, probed_tenant: int, knobs: dict[str, Any]
) -> None:
    configure(asperion_sandbox, knobs)
    with asperion_sandbox.client() as client:
        asperion_sandbox.clear_log()
        probe(client, probed_tenant)
    api = asperion_sandbox.requests(path="/v1/*")
    assert {entry.method for entry in api} == {"GET"}
    assert 0 < len(api) <= MAX_API_READS
    others = [(e.method, e.path) for e in asperion_sandbox.request_log if e not in api]
    assert others == [("GET", "/connect/authorize"), ("POST", "/connect/token")]


def test_the_request_bound_is_reached_on_the_default_administration(
    asperion_sandbox: Sandbox,
) -> None:
    # The default administration needs the list of administrations to find another one, a
    # third header spelling is tried, the default 40 countries fit one page so debtors are
    # read too, and the query limit takes the whole binary search: every check at its most.
    # More administrations than a page holds must not cost more requests.
    while len(asperion_sandbox.state.administrations_of(asperion_sandbox.username)) <= 100:
        asperion_sandbox.add_administration()
    with asperion_sandbox.client(tenant_header="X-Administration") as client:
        asperion_sandbox.clear_log()
        result = probe(client, asperion_sandbox.tenants[0])
    assert len(asperion_sandbox.requests("GET", "/v1/*")) == MAX_API_READS
    assert len(asperion_sandbox.requests("GET", "/v1/administrations")) == 1
    assert result.capabilities.max_page_size == 100
    assert result.capabilities.tenant_header == "X-Tenant-Id"


def test_every_read_goes_to_the_probed_administration(
    asperion_sandbox: Sandbox, probed_tenant: int
) -> None:
    with asperion_sandbox.client() as client:
        asperion_sandbox.clear_log()
        probe(client, probed_tenant)
    # A request refused for its length logs the raw header: the tenant as text.
    tenants = [str(e.tenant) for e in asperion_sandbox.requests("GET", "/v1/*")]
    default = str(asperion_sandbox.tenants[0])
    assert tenants.count(default) == 1  # the request without the header: the default answers
    assert set(tenants) == {default, str(probed_tenant)}


def test_with_allow_writes_one_create_and_one_delete_go_to_the_named_administration(
    asperion_sandbox: Sandbox, probed_tenant: int
) -> None:
    asperion_tenant = asperion_sandbox.add_administration(records={"debtors": 20})
    before = asperion_sandbox.state.count(asperion_tenant, "debtors")
    with asperion_sandbox.client() as client:
        asperion_sandbox.clear_log()
        result = probe(client, probed_tenant, allow_writes=True, write_tenant=asperion_tenant)
    writes = [e for e in asperion_sandbox.requests(path="/v1/*") if e.method in WRITES]
    assert [(e.method, e.status, e.tenant) for e in writes] == [
        ("POST", 201, asperion_tenant),
        ("DELETE", 204, asperion_tenant),
    ]
    assert writes[1].path == f"{writes[0].path}/{writes[1].path.rsplit('/', 1)[1]}"
    assert asperion_sandbox.state.count(asperion_tenant, "debtors") == before
    assert result.finding("writes").value == "create 201, delete 204"
    assert "writes" in result.capabilities.evidence


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"allow_writes": True}, "allow_writes=True needs write_tenant"),
        ({"write_tenant": 41201}, "write_tenant is only used with allow_writes=True"),
        ({"allow_writes": True, "write_tenant": 0}, "positive integer"),
    ],
)
def test_write_arguments_are_checked_before_any_request(
    asperion_sandbox: Sandbox, probed_tenant: int, kwargs: dict[str, Any], message: str
) -> None:
    with asperion_sandbox.client() as client:
        asperion_sandbox.clear_log()
        with pytest.raises(ConfigurationError, match=message):
            probe(client, probed_tenant, **kwargs)
    assert asperion_sandbox.request_log == []


def test_an_administration_the_user_cannot_reach_stops_the_probe(
    asperion_sandbox: Sandbox,
) -> None:
    state = asperion_sandbox.state
    theirs = state.defaults[state.second_username]
    with asperion_sandbox.client() as client:
        asperion_sandbox.clear_log()
        with pytest.raises(PermissionDenied, match="HTTP 403"):
            probe(client, theirs)
    statuses = [entry.status for entry in asperion_sandbox.requests(path="/v1/*")]
    assert statuses == [200, 403]  # the default answered, then the first spelling was refused


def test_a_tenant_that_is_no_administration_id_is_refused(asperion_sandbox: Sandbox) -> None:
    with asperion_sandbox.client() as client, pytest.raises(ConfigurationError, match="list"):
        probe(client, 0)


def test_the_file_it_builds_loads_into_a_client_for_this_environment_only(
    asperion_sandbox: Sandbox, probed_tenant: int, tmp_path: Any
) -> None:
    with asperion_sandbox.client() as client:
        caps = probe(client, probed_tenant).capabilities
    path = tmp_path / "probe.json"
    caps.save(path)
    kwargs = {
        "client_id": asperion_sandbox.client_id,
        "client_secret": asperion_sandbox.client_secret,
        "redirect_uri": asperion_sandbox.redirect_uri,
        "identity_url": asperion_sandbox.identity_url,
        "ca_bundle": asperion_sandbox.ca_bundle,
    }
    with Client(**kwargs, base_url=asperion_sandbox.base_url, capabilities=path) as loaded:
        assert loaded.capabilities == caps
        assert loaded.capabilities.evidence == caps.evidence
    with pytest.raises(ConfigurationError, match="probe this environment"):
        Client(**kwargs, base_url="https://api-sandbox.asperion.nl/v1", capabilities=path)


def test_the_evidence_names_each_request_and_never_a_secret(
    asperion_sandbox: Sandbox,
    probed_tenant: int,
    asperion_tenant: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="asperion_orm")
    with asperion_sandbox.client() as client:
        before = client.token_store.load()
        result = probe(client, probed_tenant, allow_writes=True, write_tenant=asperion_tenant)
        after = client.token_store.load()
    assert before is not None and after is not None
    text = json.dumps(result.capabilities.to_json())
    assert "code=" not in text and "state=" not in text
    text += caplog.text
    assert "/connect/token" in caplog.text  # the library's own log was captured
    secrets = [asperion_sandbox.client_secret, asperion_sandbox.password]
    secrets += [before.access_token, before.refresh_token, after.access_token, after.refresh_token]
    assert not [secret for secret in secrets if secret and secret in text]
    for finding in result.findings:
        assert finding.exchanges, finding.name
        assert all(e.method in ("GET", "POST", "DELETE") for e in finding.exchanges)
    evidence = result.capabilities.evidence
    assert evidence["max_page_size"].startswith(
        "GET /v1/countries?pageSize=1000 -> 200: 40 rows of 40\n"
    )
    assert "&name_comparison=Equals -> " in evidence["text_comparison"]
    assert "... (8192-byte query) -> 404: " in evidence["max_url_bytes"]


# -- the checks one by one -------------------------------------------------------------------


def test_page_size_falls_back_to_the_default_when_every_row_fits(
    asperion_sandbox: Sandbox,
) -> None:
    tenant = asperion_sandbox.add_administration(records={"countries": 5, "debtors": 7})
    with asperion_sandbox.client() as client:
        finding, sample = check_page_size(Api(client, tenant, "X-Tenant-Id"))
    assert (finding.value, finding.measured) == (100, False)
    assert "too few rows" in finding.note and "kept the default 100" in finding.note
    assert len(finding.exchanges) == 2 and len(sample) == 5


def test_without_countries_the_row_checks_keep_their_defaults(asperion_sandbox: Sandbox) -> None:
    tenant = asperion_sandbox.add_administration(records={"countries": 0, "debtors": 5})
    with asperion_sandbox.client() as client:
        asperion_sandbox.clear_log()
        result = probe(client, tenant)
    kept = ["range_filters", "text_comparison", "text_default", "text_case_sensitive"]
    assert [result.finding(name).measured for name in kept] == [False] * 4
    defaults = Capabilities()
    assert [getattr(result.capabilities, n) for n in kept] == [getattr(defaults, n) for n in kept]
    sent = {name for e in asperion_sandbox.requests("GET", "/v1/countries") for name, _ in e.params}
    assert sent == {"pageSize", "orderby", "id"}  # no range or text filter was sent
    assert len(asperion_sandbox.requests("GET", "/v1/debtors")) == 1  # for the page size only


def test_page_size_keeps_a_size_the_server_answered_when_it_is_above_the_default(
    asperion_sandbox: Sandbox,
) -> None:
    asperion_sandbox.state.max_page_size = 500
    tenant = asperion_sandbox.add_administration(records={"debtors": 180})
    with asperion_sandbox.client() as client:
        finding, _ = check_page_size(Api(client, tenant, "X-Tenant-Id"))
    assert (finding.value, finding.measured) == (180, True)
    assert "at least 180" in finding.note


@pytest.mark.parametrize("limit", [1000, 2047, 3000, 5555])
def test_a_query_limit_between_steps_is_rounded_down(
    asperion_sandbox: Sandbox, probed_tenant: int, limit: int
) -> None:
    asperion_sandbox.state.max_query_length = limit
    with asperion_sandbox.client() as client:
        asperion_sandbox.clear_log()
        finding = check_url_length(Api(client, probed_tenant, "X-Tenant-Id"))
    longest = finding.value - len(asperion_sandbox.base_url) - len("/?")
    assert longest <= limit < longest + 64
    assert len(asperion_sandbox.requests(path="/v1/*")) == len(finding.exchanges) == 8


def test_a_server_that_ignores_every_tenant_header_stops_a_probe_of_another_administration(
    asperion_sandbox: Sandbox, probed_tenant: int
) -> None:
    asperion_sandbox.state.ignore_tenant_header = True
    with asperion_sandbox.client() as client, pytest.raises(TenantMismatchError):
        probe(client, probed_tenant)


def test_a_server_that_ignores_every_tenant_header_keeps_the_default_spelling(
    asperion_sandbox: Sandbox,
) -> None:
    asperion_sandbox.state.ignore_tenant_header = True
    with asperion_sandbox.client(tenant_header="X-TenantId") as client:
        result = probe(client, asperion_sandbox.tenants[0])
    header = result.finding("tenant_header")
    assert (header.value, header.measured) == ("X-TenantId", False)
    assert "no spelling selected administration" in header.note


def test_rotation_is_unknown_without_a_refresh_token(asperion_sandbox: Sandbox) -> None:
    with asperion_sandbox.client() as client:
        token = client.token_store.load()
        assert token is not None
        client.token_store.save(dataclasses.replace(token, refresh_token=None))
        asperion_sandbox.clear_log()
        finding = check_refresh_rotation(client)
    assert (finding.value, finding.measured) == (None, False)
    assert asperion_sandbox.request_log == []


def test_the_client_keeps_working_after_the_forced_refresh(
    asperion_sandbox: Sandbox, probed_tenant: int
) -> None:
    with asperion_sandbox.client() as client:
        asperion_sandbox.clear_log()
        old = client.token_store.load()
        finding = check_refresh_rotation(client)
        new = client.token_store.load()
        assert old is not None and new is not None and finding.value is True
        assert new.refresh_token != old.refresh_token
        assert client.tenant(probed_tenant).get("countries", cache=False)["_data"]
    assert len(asperion_sandbox.requests("POST", "/connect/token")) == 1
