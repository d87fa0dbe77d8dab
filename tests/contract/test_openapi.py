"""The shipped OpenAPI document: complete, valid, and what the emulator really answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks

import asperion_orm.testing.emulator
from asperion_orm.testing.emulator.spec import load_spec
from asperion_orm.testing.sandbox import Sandbox

DOCUMENT = Path(asperion_orm.testing.emulator.__file__).with_name("openapi.json")
DOCUMENTED = [
    "administrations",
    "approvalroutes",
    "articles",
    "salestypes",
    "SalesOrderWithLines",
    "ledgergrouped",
    "journalentrylog",
    "countries",
    "debtor",
]
ASSUMED = [
    "creditors",
    "salesinvoices",
    "purchaseinvoices",
    "journalentries",
    "ledgeraccounts",
    "vatcodes",
    "paymentconditions",
]
READ_ONLY = {"administrations", "approvalroutes", "salestypes", "ledgergrouped", "journalentrylog"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text("utf-8"))
    return loaded


def test_document_is_openapi_3(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.0")
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert set(flows) == {"authorizationCode"}


@pytest.mark.parametrize("resource", DOCUMENTED + ASSUMED)
def test_every_resource_has_a_schema_and_paths(document: dict[str, Any], resource: str) -> None:
    spec = load_spec()
    assert resource in spec.resources
    assert f"/v1/{resource}" in document["paths"]


@pytest.mark.parametrize("resource", sorted(READ_ONLY))
def test_read_only_resources_document_only_get(document: dict[str, Any], resource: str) -> None:
    paths = document["paths"]
    assert {k for k in paths[f"/v1/{resource}"] if not k.startswith("x-")} == {"get", "description"}
    assert load_spec().resources[resource].read_only


def test_sales_order_is_create_only(document: dict[str, Any]) -> None:
    item = document["paths"]["/v1/SalesOrderWithLines"]
    assert "post" in item and "get" not in item
    assert "/v1/SalesOrderWithLines/{id}" not in document["paths"]
    lines = load_spec().resources["SalesOrderWithLines"].fields["lines"]
    assert lines.items is not None and lines.items.fields["articleId"].required


def test_debtor_fields(document: dict[str, Any]) -> None:
    fields = load_spec().resources["debtor"].fields
    assert {
        "name",
        "contact",
        "email",
        "phone",
        "address",
        "postalCode",
        "city",
        "countryId",
        "vatNumber",
        "chamberOfCommerceNumber",
        "paymentConditionId",
        "creditLimit",
        "active",
        "createdDate",
        "changedDate",
    } <= set(fields)
    assert fields["creditLimit"].places == 2 and fields["creditLimit"].kind == "number"
    assert fields["createdDate"].read_only and fields["createdDate"].kind == "date-time"
    assert fields["name"].required and fields["name"].max_length == 100


def test_article_current_stock_is_read_only() -> None:
    resource = load_spec().resources["articles"]
    assert resource.fields["currentStock"].read_only
    assert resource.active_state and "activestate" in resource.query_params


def test_list_operations_document_paging_and_filters(document: dict[str, Any]) -> None:
    params = document["paths"]["/v1/journalentrylog"]["get"]["parameters"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in params}
    assert {
        "page",
        "pageSize",
        "MetaOnly",
        "orderby",
        "fields",
        "changedDate_from",
        "changedDate_to",
        "action",
        "journalEntryId",
    } <= names


def test_problem_responses_are_documented(document: dict[str, Any]) -> None:
    post = document["paths"]["/v1/debtor"]["post"]["responses"]
    assert {"201", "400", "401", "403"} <= set(post)
    assert "Location" in post["201"]["headers"]
    not_allowed = document["components"]["responses"]["MethodNotAllowed"]
    assert "Allow" in not_allowed["headers"]


# --- the document against the running emulator ---------------------------------------------------


def _conformance(
    operation: Any, sandbox: Sandbox, http: requests.Session, tenant: int
) -> list[str]:
    problems: list[str] = []

    @settings(
        max_examples=3,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def check(case: schemathesis.Case) -> None:
        case.headers = {**(case.headers or {}), "X-Tenant-Id": str(tenant)}
        response = case.call(
            base_url=sandbox.identity_url, session=http, verify=sandbox.ca_bundle, timeout=10
        )
        for check_ in (
            checks.response_schema_conformance,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_headers_conformance,
        ):
            try:
                case.validate_response(response, checks=[check_])
            except Exception as exc:
                problems.append(f"{operation.label}: {str(exc)[:400]}")
        assert response.status_code < 500

    check()
    return problems


@pytest.mark.slow
def test_answers_match_the_document(asperion_sandbox: Sandbox, access_token: str) -> None:
    schema = schemathesis.openapi.from_path(str(DOCUMENT))
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {access_token}"
    tenant = asperion_sandbox.add_administration(records={"debtor": 20, "salesinvoices": 20})
    problems: list[str] = []
    for result in schema.get_all_operations():
        problems.extend(_conformance(result.ok(), asperion_sandbox, http, tenant))
    assert problems == []
