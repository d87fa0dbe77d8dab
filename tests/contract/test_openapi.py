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
]
SEEN_LIVE = [
    "debtors",
    "salesinvoices",
    "salesinvoiceswithlines",
    "journalentrieswithlines",
    "journals",
    "ledgeraccounts",
    "vatcodes",
    "paymentconditions",
    "costcenters",
    "costunits",
]
ASSUMED = ["creditors", "purchaseinvoices"]
READ_ONLY = {
    "administrations",
    "approvalroutes",
    "salestypes",
    "ledgergrouped",
    "journalentrylog",
    "salesinvoices",
    "journals",
    "ledgeraccounts",
    "vatcodes",
    "paymentconditions",
    "costcenters",
    "costunits",
}
READ_AND_CREATE = {"salesinvoiceswithlines", "journalentrieswithlines"}
DEBTOR_FIELDS = [
    "id", "name", "customerNumber", "address", "addressLine2", "addressLine3", "attentionTo",
    "postCode", "city", "countryCode", "phoneNumber", "faxNumber", "mobileNumber",
    "emailAddress", "iban", "bic", "bban", "directDebit", "cocNumber", "vatNumber",
    "debtorKindId", "paymentConditionId", "paymentMethodId", "comments", "characteristic4",
    "characteristic5", "blocked", "noReminder", "dateAdded", "dateLastChange",
]  # fmt: skip
SALES_INVOICE_FIELDS = [
    "id", "invoiceNumber", "date", "description", "debtorId", "debtorCustomerNumber",
    "journalId", "bookyear", "bookperiod", "status", "paymentConditionId", "paymentDueDate",
    "amountExclVat", "vatAmount", "amountInclVat",
]  # fmt: skip
SALES_LINE_FIELDS = [
    "id", "description", "amount", "ledgerAccountId", "vatCode", "vatAmount", "costCenterId",
    "costUnitId",
]  # fmt: skip
JOURNAL_ENTRY_FIELDS = [
    "id", "bookyear", "bookperiod", "date", "journalId", "description", "sourceDocumentNumber",
    "state", "openingBalance", "closingBalance", "lines",
]  # fmt: skip
JOURNAL_LINE_FIELDS = [
    "id", "amount", "bookingDate", "description", "ledgerAccountId", "debtorId", "creditorId",
    "salesInvoiceId", "purchaseInvoiceId", "vatAmount", "vatCode", "costCenterId",
]  # fmt: skip


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text("utf-8"))
    return loaded


def test_document_is_openapi_3(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.0")
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert set(flows) == {"authorizationCode"}


@pytest.mark.parametrize("resource", DOCUMENTED + SEEN_LIVE + ASSUMED)
def test_every_resource_has_a_schema_and_paths(document: dict[str, Any], resource: str) -> None:
    spec = load_spec()
    assert resource in spec.resources
    assert f"/v1/{resource}" in document["paths"]


def test_the_resources_are_those_of_the_contract() -> None:
    assert set(load_spec().resources) == {*DOCUMENTED, *SEEN_LIVE, *ASSUMED}


@pytest.mark.parametrize(
    ("resources", "source"), [(DOCUMENTED, "doc"), (SEEN_LIVE, "int"), (ASSUMED, "assumed")]
)
def test_every_resource_says_where_it_comes_from(
    document: dict[str, Any], resources: list[str], source: str
) -> None:
    schemas = document["components"]["schemas"]
    tags = {s["x-asperion-path"]: s["x-asperion-source"] for s in schemas.values()
            if "x-asperion-path" in s}  # fmt: skip
    assert {tags[name] for name in resources} == {source}


@pytest.mark.parametrize("resource", sorted(READ_ONLY))
def test_read_only_resources_document_only_get(document: dict[str, Any], resource: str) -> None:
    paths = document["paths"]
    assert {k for k in paths[f"/v1/{resource}"] if not k.startswith("x-")} == {"get", "description"}
    item = {k for k in paths[f"/v1/{resource}/{{id}}"] if not k.startswith("x-")}
    assert item == {"get", "parameters", "description"}
    assert load_spec().resources[resource].read_only


@pytest.mark.parametrize("resource", sorted(READ_AND_CREATE))
def test_read_and_create_resources(document: dict[str, Any], resource: str) -> None:
    paths = document["paths"]
    assert {"get", "post"} <= set(paths[f"/v1/{resource}"])
    assert not {"put", "patch", "delete"} & set(paths[f"/v1/{resource}/{{id}}"])
    found = load_spec().resources[resource]
    assert found.collection_methods == ("GET", "HEAD", "POST")
    assert found.item_methods == ("GET", "HEAD")
    assert not found.read_only and not found.create_only


def test_sales_order_is_create_only(document: dict[str, Any]) -> None:
    item = document["paths"]["/v1/SalesOrderWithLines"]
    assert "post" in item and "get" not in item
    assert "/v1/SalesOrderWithLines/{id}" not in document["paths"]
    lines = load_spec().resources["SalesOrderWithLines"].fields["lines"]
    assert lines.kind == "envelope"
    assert lines.items is not None and lines.items.fields["articleId"].required


def test_debtor_fields_are_those_seen_live() -> None:
    fields = load_spec().resources["debtors"].fields
    assert list(fields) == DEBTOR_FIELDS
    assert fields["name"].required and fields["name"].max_length == 100
    assert fields["emailAddress"].email
    assert fields["directDebit"].kind == fields["blocked"].kind == "boolean"
    assert fields["dateAdded"].read_only and fields["dateAdded"].kind == "date-time"
    assert fields["dateAdded"].range_filterable
    assert fields["paymentConditionId"].references == "paymentconditions"
    assert all(fields[name].kind == "string" for name in ("debtorKindId", "paymentMethodId"))
    assert all(fld.filterable for name, fld in fields.items())


def test_creditors_are_shaped_like_debtors() -> None:
    debtors = load_spec().resources["debtors"].fields
    creditors = load_spec().resources["creditors"].fields
    renamed = {"customerNumber": "creditorNumber", "debtorKindId": "creditorKindId"}
    assert list(creditors) == [renamed.get(name, name) for name in debtors]


def test_sales_invoice_fields_are_those_seen_live() -> None:
    spec = load_spec()
    with_lines = spec.resources["salesinvoiceswithlines"].fields
    without = spec.resources["salesinvoices"].fields
    assert list(without) == SALES_INVOICE_FIELDS
    assert list(with_lines) == [*SALES_INVOICE_FIELDS, "lines", "files"]
    assert with_lines["journalId"].kind == "string" and with_lines["journalId"].references == (
        "journals"
    )
    assert with_lines["status"].enum == (1, 2, 3, 6, 7, 8) and with_lines["status"].kind == (
        "integer"
    )
    assert all(with_lines[name].read_only for name in ("amountExclVat", "vatAmount",
                                                      "amountInclVat", "files"))  # fmt: skip
    lines = with_lines["lines"]
    assert lines.kind == "envelope" and lines.items is not None
    assert list(lines.items.fields) == SALES_LINE_FIELDS
    assert lines.items.fields["id"].read_only
    assert lines.items.fields["vatCode"].references == "vatcodes"
    assert all(fld.read_only for fld in without.values())
    assert spec.resources["salesinvoices"].storage == "salesinvoiceswithlines"


def test_journal_entry_fields_are_those_seen_live() -> None:
    fields = load_spec().resources["journalentrieswithlines"].fields
    assert list(fields) == JOURNAL_ENTRY_FIELDS
    assert fields["journalId"].kind == "string" and fields["journalId"].required
    items = fields["lines"].items
    assert items is not None and list(items.fields) == JOURNAL_LINE_FIELDS
    assert items.fields["salesInvoiceId"].references == "salesinvoiceswithlines"


@pytest.mark.parametrize(
    ("resource", "names"),
    [
        ("journals", ["id", "description", "type"]),
        ("vatcodes", ["id", "description", "salesCode", "percentage", "isDefault", "validFrom",
                      "validUntil", "countryCode"]),
        ("ledgeraccounts", ["id", "description", "type", "vatCode", "disabled", "rcsfi"]),
        ("paymentconditions", ["id", "description"]),
        ("costcenters", ["id", "description", "conversionCode"]),
        ("costunits", ["id", "description", "conversionCode"]),
    ],
)  # fmt: skip
def test_reference_data_fields_are_those_seen_live(resource: str, names: list[str]) -> None:
    assert list(load_spec().resources[resource].fields) == names


def test_journals_and_vat_codes_have_string_ids(document: dict[str, Any]) -> None:
    spec = load_spec()
    assert {name for name, r in spec.resources.items() if r.string_ids} == {"journals", "vatcodes"}
    for name in ("journals", "vatcodes"):
        (param,) = document["paths"][f"/v1/{name}/{{id}}"]["parameters"]
        assert param["schema"]["type"] == "string"
    ledger = spec.resources["ledgeraccounts"].fields
    assert ledger["type"].kind == "integer" and ledger["vatCode"].kind == "string"
    assert spec.resources["salestypes"].fields["vatCode"].references == "vatcodes"


def test_the_debtor_alias_is_documented(document: dict[str, Any]) -> None:
    for suffix in ("", "/{id}"):
        alias, real = (
            document["paths"][f"/v1/debtor{suffix}"],
            document["paths"][f"/v1/debtors{suffix}"],
        )
        assert alias["x-asperion-alias-of"] == "debtors"
        verbs = {k for k in real if k in ("get", "post", "put", "patch", "delete")}
        assert verbs and all(alias[verb]["deprecated"] for verb in verbs)
    assert load_spec().find("debtor") is load_spec().resources["debtors"]


def test_lines_are_documented_as_an_envelope(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("SalesInvoice", "JournalEntry", "PurchaseInvoice", "SalesOrderWithLines"):
        lines = schemas[name]["properties"]["lines"]
        assert lines["type"] == "object" and lines["x-asperion-envelope"] is True
        assert lines["required"] == ["_data"]
        assert lines["properties"]["_data"]["type"] == "array"
        assert lines["properties"]["_meta"]["properties"]["totalCount"]["type"] == "integer"


def test_text_filters_are_documented_with_their_comparison(document: dict[str, Any]) -> None:
    spec = load_spec()
    for resource in spec.resources.values():
        if "GET" not in resource.collection_methods:
            continue
        params = resource.query_params
        for fld in resource.fields.values():
            if fld.filterable:
                assert fld.name.lower() in params, (resource.name, fld.name)
                assert (f"{fld.name.lower()}_comparison" in params) == fld.text
    operation = document["paths"]["/v1/salesinvoices"]["get"]
    comparison = next(
        p for p in operation["parameters"] if p.get("name") == "invoiceNumber_comparison"
    )
    assert comparison["schema"]["enum"] == ["Contains", "Equals", "NotEquals", "StartsWith",
                                            "EndsWith"]  # fmt: skip


def test_every_post_documents_validate_only(document: dict[str, Any]) -> None:
    posts = [(path, item["post"]) for path, item in document["paths"].items() if "post" in item]
    assert len(posts) >= 8
    for path, post in posts:
        refs = [p.get("$ref", "") for p in post["parameters"]]
        assert "#/components/parameters/validateOnly" in refs, path
        assert "200" in post["responses"], path


def test_the_invoice_file_upload_is_documented(document: dict[str, Any]) -> None:
    upload = document["paths"]["/v1/salesinvoiceswithlines/{id}/file"]
    assert set(upload) - {"parameters", "description"} == {"post", "x-asperion-allowed-methods"}
    body = upload["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["File"] == {**body["properties"]["File"], "format": "binary"}
    assert {"201", "200", "400", "404"} <= set(upload["post"]["responses"])
    assert load_spec().resources["salesinvoiceswithlines"].upload_methods == ("POST",)


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
        "metaOnly",
        "orderBy",
        "fields",
        "changedDate_from",
        "changedDate_to",
        "action",
        "journalEntryId",
    } <= names


def test_problem_responses_are_documented(document: dict[str, Any]) -> None:
    post = document["paths"]["/v1/debtors"]["post"]["responses"]
    assert {"201", "400", "401", "403"} <= set(post)
    assert "Location" in post["201"]["headers"]
    not_allowed = document["components"]["responses"]["MethodNotAllowed"]
    assert "Allow" in not_allowed["headers"]
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert problem["required"] == ["type", "title", "status", "traceId"]


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
    tenant = asperion_sandbox.add_administration(
        records={"debtors": 20, "salesinvoiceswithlines": 20, "journalentrieswithlines": 10}
    )
    problems: list[str] = []
    for result in schema.get_all_operations():
        problems.extend(_conformance(result.ok(), asperion_sandbox, http, tenant))
    assert problems == []
