"""POST, PUT, PATCH and DELETE, validation ProblemDetails in two languages, read-only 405s."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body

DEBTOR = {
    "name": "Bakkerij Van Dijk B.V.",
    "customerNumber": "D-2001",
    "address": "Kerkstraat 12",
    "attentionTo": "Anouk van Dijk",
    "postCode": "3512 AB",
    "city": "Utrecht",
    "countryCode": "NL",
    "phoneNumber": "030-1234567",
    "emailAddress": "info@bakkerijvandijk.nl",
    "iban": "NL91ABNA0417164300",
    "bic": "ABNANL2A",
    "directDebit": True,
    "cocNumber": "12345678",
    "vatNumber": "NL123456789B01",
    "paymentConditionId": 1,
    "blocked": False,
}


def article(api: Api, **values: Any) -> Any:
    """POST an article (prices have two decimals and may not be negative)."""
    return api.post("articles", {"code": "A", "description": "Artikel", "salesTypeId": 1, **values})


def lines_of(*lines: dict[str, Any]) -> dict[str, Any]:
    """Return lines as the API takes them: an embedded envelope."""
    return {"_data": list(lines), "_meta": {"totalCount": len(lines)}}


def errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.text
    problem = body(response)
    assert problem["status"] == 400
    assert problem["type"].startswith("https://")
    assert response.headers["Content-Type"].startswith("application/problem+json")
    result: dict[str, list[str]] = problem["errors"]
    return result


# --- create -------------------------------------------------------------------------------------


def test_post_returns_201_location_and_the_object(
    asperion_sandbox: Sandbox, tenant_api: Api
) -> None:
    response = tenant_api.post("debtors", DEBTOR)
    assert response.status_code == 201
    created = body(response)
    assert response.headers["Location"] == f"{asperion_sandbox.base_url}/debtors/{created['id']}"
    assert created["_meta"]["self"] == response.headers["Location"]
    assert created["_meta"]["administrationId"] == tenant_api.tenant
    assert {k: created[k] for k in DEBTOR} == DEBTOR


def test_created_row_can_be_read_back(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", DEBTOR))
    again = body(tenant_api.get(f"debtors/{created['id']}"))
    assert again == created


def test_post_sets_read_only_timestamps(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", {"name": "X"}))
    assert created["dateAdded"] == created["dateLastChange"]
    assert created["dateAdded"].endswith("Z") and "T" in created["dateAdded"]


def test_post_fills_missing_optional_fields_with_null_or_default(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", {"name": "Alleen Naam"}))
    assert created["emailAddress"] is None
    assert created["blocked"] is False and created["directDebit"] is False


def test_post_increases_the_count(tenant_api: Api) -> None:
    before = body(tenant_api.get("debtors", {"MetaOnly": "true"}))["_meta"]["totalCount"]
    tenant_api.post("debtors", {"name": "Nieuw"})
    assert (
        body(tenant_api.get("debtors", {"MetaOnly": "true"}))["_meta"]["totalCount"] == before + 1
    )


def test_new_ids_are_larger_than_existing(tenant_api: Api) -> None:
    top = tenant_api.rows("debtors", {"orderby": "-id", "pageSize": 1})[0]["id"]
    assert body(tenant_api.post("debtors", {"name": "Nieuw"}))["id"] > top


def test_non_ascii_round_trips_exactly(tenant_api: Api) -> None:
    name = "Zoë’s Crème Brûlée — 東京 😀 & ? # % = +"  # noqa: RUF001
    created = body(tenant_api.post("debtors", {"name": name, "city": "Śląsk"}))
    assert body(tenant_api.get(f"debtors/{created['id']}"))["name"] == name
    assert [r["name"] for r in tenant_api.rows("debtors", {"name": name})] == [name]


def test_decimals_are_exact_with_two_places(tenant_api: Api) -> None:
    created = body(article(tenant_api, price=Decimal("0.1")))
    assert created["price"] == Decimal("0.10")
    response = tenant_api.get(f"articles/{created['id']}")
    assert b'"price":0.10' in response.content


def test_integer_money_is_accepted(tenant_api: Api) -> None:
    assert body(article(tenant_api, price=5))["price"] == 5


def test_many_invoices_over_few_debtors(tenant_api: Api) -> None:
    debtors = [body(tenant_api.post("debtors", {"name": f"Klant {i}"}))["id"] for i in range(4)]
    for index in range(12):
        invoice = {
            "debtorId": debtors[index % 4],
            "date": "2025-03-01",
            "lines": lines_of({"amount": Decimal("10.00"), "ledgerAccountId": 8000}),
        }
        assert tenant_api.post("salesinvoiceswithlines", invoice).status_code == 201
    rows = tenant_api.all_rows("salesinvoices", [("debtorId", str(d)) for d in debtors])
    assert len(rows) == 12


# --- replace and patch ---------------------------------------------------------------------------


def test_put_replaces_every_writable_field(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", DEBTOR))
    response = tenant_api.put(f"debtors/{created['id']}", {"name": "Vervangen"})
    assert response.status_code == 200
    replaced = body(response)
    assert replaced["name"] == "Vervangen"
    assert replaced["emailAddress"] is None  # not sent: cleared
    assert replaced["dateAdded"] == created["dateAdded"]
    assert replaced["dateLastChange"] > created["dateLastChange"]


def test_put_requires_the_required_fields(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", DEBTOR))
    assert "name" in errors(tenant_api.put(f"debtors/{created['id']}", {"city": "Delft"}))


def test_patch_changes_only_the_given_fields(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", DEBTOR))
    changed = body(tenant_api.patch(f"debtors/{created['id']}", {"city": "Delft"}))
    assert changed["city"] == "Delft"
    assert changed["emailAddress"] == DEBTOR["emailAddress"]
    assert changed["customerNumber"] == DEBTOR["customerNumber"]
    assert changed["dateLastChange"] > created["dateLastChange"]


def test_patch_can_clear_an_optional_field(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", DEBTOR))
    path = f"debtors/{created['id']}"
    assert body(tenant_api.patch(path, {"emailAddress": None}))["emailAddress"] is None


def test_patch_cannot_null_a_required_field(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", DEBTOR))
    assert "name" in errors(tenant_api.patch(f"debtors/{created['id']}", {"name": None}))


def test_patch_and_put_on_unknown_id_are_404(tenant_api: Api) -> None:
    assert tenant_api.patch("debtors/999999", {"city": "X"}).status_code == 404
    assert tenant_api.put("debtors/999999", DEBTOR).status_code == 404


# --- delete -------------------------------------------------------------------------------------


def test_delete_is_204_then_404(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", {"name": "Weg"}))
    response = tenant_api.delete(f"debtors/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert tenant_api.get(f"debtors/{created['id']}").status_code == 404
    assert tenant_api.delete(f"debtors/{created['id']}").status_code == 404


# --- validation ---------------------------------------------------------------------------------


def test_required_field_message_matches_the_contract(tenant_api: Api) -> None:
    response = tenant_api.post("debtors", {"city": "Delft"})
    problem = body(response)
    assert problem["title"] == "One or more validation errors occurred."
    assert problem["errors"] == {"name": ["The Name field is required."]}


def test_empty_required_string_is_refused(tenant_api: Api) -> None:
    assert "name" in errors(tenant_api.post("debtors", {"name": ""}))


def test_messages_in_dutch(tenant_api: Api) -> None:
    problem = body(tenant_api.using(language="nl-NL").post("debtors", {"city": "Delft"}))
    assert problem["title"] == "Er zijn een of meer validatiefouten opgetreden."
    assert problem["errors"]["name"] == ["Het veld Name is verplicht."]


def test_language_falls_back_to_english(tenant_api: Api) -> None:
    problem = body(tenant_api.using(language="fr-FR").post("debtors", {}))
    assert problem["errors"]["name"] == ["The Name field is required."]


def test_language_with_quality_values(tenant_api: Api) -> None:
    problem = body(tenant_api.using(language="de;q=0.9, nl;q=0.8").post("debtors", {}))
    assert problem["errors"]["name"] == ["Het veld Name is verplicht."]


def test_dutch_for_404_and_405(asperion_sandbox: Sandbox, tenant_api: Api) -> None:
    dutch = tenant_api.using(language="nl-NL")
    assert body(dutch.get("debtors/999999"))["title"] == "Niet gevonden"
    assert "niet toegestaan" in body(dutch.post("salestypes", {}))["detail"]


def test_max_length(tenant_api: Api) -> None:
    problems = errors(tenant_api.post("debtors", {"name": "x" * 101}))
    assert problems["name"] == ["The field Name must be a string with a maximum length of 100."]


def test_max_length_counts_characters_not_bytes(tenant_api: Api) -> None:
    assert tenant_api.post("debtors", {"name": "ë" * 100}).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("paymentConditionId", "1"),
        ("paymentConditionId", Decimal("1.5")),
        ("paymentConditionId", True),
        ("name", 42),
        ("blocked", "true"),
        ("directDebit", 1),
        ("name", ["a"]),
        ("name", {"a": 1}),
        ("paymentConditionId", 2**31),
        ("paymentConditionId", 999),
        ("emailAddress", "not-an-email"),
        ("cocNumber", 12345678),
        ("countryCode", "NLD"),
        ("iban", "NL91" + "0" * 31),
    ],
)
def test_wrong_types_and_values_are_400_naming_the_field(
    tenant_api: Api, field: str, value: Any
) -> None:
    assert field in errors(tenant_api.post("debtors", {"name": "X", field: value}))


@pytest.mark.parametrize("value", ["12.00", True, Decimal("1.234"), -1, Decimal("1E+30")])
def test_wrong_money_is_400_naming_the_field(tenant_api: Api, value: Any) -> None:
    assert "price" in errors(article(tenant_api, price=value))


def test_several_errors_at_once(tenant_api: Api) -> None:
    problems = errors(tenant_api.post("debtors", {"paymentConditionId": "x", "emailAddress": 5}))
    assert set(problems) == {"name", "paymentConditionId", "emailAddress"}


@pytest.mark.parametrize("field", ["id", "dateAdded", "dateLastChange", "_meta"])
def test_read_only_field_in_body_is_400(tenant_api: Api, field: str) -> None:
    problems = errors(tenant_api.post("debtors", {"name": "X", field: 1}))
    assert "read-only" in problems[field][0]


def test_read_only_field_in_patch_is_400(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", {"name": "X"}))
    assert "id" in errors(tenant_api.patch(f"debtors/{created['id']}", {"id": 5}))


def test_unknown_body_field_is_400(tenant_api: Api) -> None:
    assert errors(tenant_api.post("debtors", {"name": "X", "shoeSize": 44}))["shoeSize"] == [
        "The field ShoeSize is not known."
    ]


@pytest.mark.parametrize(
    "raw", [b"{", b"", b"not json", b'{"name": "X",}', b"\xff\xfe", b'{"name": NaN}']
)
def test_malformed_json_is_400(tenant_api: Api, raw: bytes) -> None:
    problems = errors(
        tenant_api.call("POST", "debtors", data=raw, headers={"Content-Type": "application/json"})
    )
    assert list(problems) in (["$"], ["name"])


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null"])
def test_non_object_body_is_400(tenant_api: Api, raw: bytes) -> None:
    assert list(errors(tenant_api.call("POST", "debtors", data=raw))) == ["$"]


def test_reference_to_a_missing_row_is_400(tenant_api: Api) -> None:
    line = {"amount": Decimal("1.00"), "ledgerAccountId": 8000}
    invoice = {"debtorId": 1, "date": "2025-01-01", "lines": lines_of(line)}
    problems = errors(tenant_api.post("salesinvoiceswithlines", invoice))
    assert problems["debtorId"] == ["The Debtor with id 1 does not exist."]


def test_nested_line_errors_name_the_line(tenant_api: Api) -> None:
    debtor = body(tenant_api.post("debtors", {"name": "X"}))["id"]
    invoice = {
        "debtorId": debtor,
        "date": "2025-01-01",
        "lines": lines_of({"amount": 1, "ledgerAccountId": 8000}, {"vatAmount": "x"}),
    }
    problems = errors(tenant_api.post("salesinvoiceswithlines", invoice))
    assert set(problems) == {
        "lines._data[1].amount",
        "lines._data[1].ledgerAccountId",
        "lines._data[1].vatAmount",
    }


@pytest.mark.parametrize("value", ["2025-02-30", "01-02-2025", "2025-1-1", "tomorrow", ""])
def test_garbage_dates_in_bodies_are_400(tenant_api: Api, value: str) -> None:
    payload = {"date": value, "journalId": "90", "lines": lines_of()}
    problems = errors(tenant_api.post("journalentrieswithlines", payload))
    assert "date" in problems


def test_query_parameters_on_writes_are_refused(tenant_api: Api) -> None:
    response = tenant_api.call("POST", "debtors", params={"x": "1"}, body={"name": "X"})
    assert "x" in errors(response)


# --- lines: an embedded envelope in bodies too ---------------------------------------------------

LINES = {
    "salesinvoiceswithlines": (
        {"debtorId": 10001, "date": "2025-01-01"},
        [{"amount": Decimal("5.00"), "ledgerAccountId": 8000}],
    ),
    "journalentrieswithlines": (
        {"date": "2025-01-01", "journalId": "90"},
        [
            {"amount": Decimal("5.00"), "ledgerAccountId": 4700},
            {"amount": Decimal("-5.00"), "ledgerAccountId": 1000},
        ],
    ),
    "purchaseinvoices": (
        {"creditorId": 20001, "invoiceDate": "2025-01-01"},
        [{"quantity": 1, "price": Decimal("5.00")}],
    ),
    "SalesOrderWithLines": (
        {"debtorId": 10001, "orderDate": "2025-01-01"},
        [{"articleId": 1001, "quantity": 1}],
    ),
}


@pytest.mark.parametrize("resource", sorted(LINES))
def test_a_bare_list_of_lines_is_400_saying_what_to_send(tenant_api: Api, resource: str) -> None:
    header, lines = LINES[resource]
    problems = errors(tenant_api.post(resource, {**header, "lines": lines}))
    assert problems == {
        "lines": [
            'The field Lines must be an envelope {"_data": [...], "_meta": {"totalCount": n}}, '
            "not a bare list."
        ]
    }


@pytest.mark.parametrize("resource", sorted(LINES))
def test_lines_in_an_envelope_are_created(tenant_api: Api, resource: str) -> None:
    header, lines = LINES[resource]
    created = body(tenant_api.post(resource, {**header, "lines": lines_of(*lines)}))
    assert created["lines"]["_meta"] == {"totalCount": len(lines)}
    assert len(created["lines"]["_data"]) == len(lines)


def test_the_envelope_meta_is_optional_and_ignored(tenant_api: Api) -> None:
    header, lines = LINES["journalentrieswithlines"]
    for envelope in ({"_data": lines}, {"_data": lines, "_meta": {"totalCount": 0}}):
        created = body(tenant_api.post("journalentrieswithlines", {**header, "lines": envelope}))
        assert created["lines"]["_meta"] == {"totalCount": 2}


@pytest.mark.parametrize(
    ("lines", "key"),
    [
        ({}, "lines._data"),
        ({"_data": None}, "lines._data"),
        ({"_data": "x"}, "lines._data"),
        ({"_data": [], "_meta": []}, "lines._meta"),
        ({"_data": [], "rows": []}, "lines.rows"),
        ("lines", "lines"),
        (None, "lines"),
    ],
)
def test_a_malformed_envelope_is_400_naming_the_part(tenant_api: Api, lines: Any, key: str) -> None:
    header, _ = LINES["salesinvoiceswithlines"]
    assert key in errors(tenant_api.post("salesinvoiceswithlines", {**header, "lines": lines}))


def test_lines_are_required_where_the_document_says_so(tenant_api: Api) -> None:
    header, _ = LINES["salesinvoiceswithlines"]
    assert errors(tenant_api.post("salesinvoiceswithlines", header))["lines"] == [
        "The Lines field is required."
    ]


# --- validateOnly -------------------------------------------------------------------------------

VALID = {
    "debtors": DEBTOR,
    "articles": {"code": "A", "description": "Artikel", "salesTypeId": 1},
    **{name: {**header, "lines": lines_of(*lines)} for name, (header, lines) in LINES.items()},
}
INVALID = {
    "debtors": {"name": "", "emailAddress": "x"},
    "articles": {"code": "A", "salesTypeId": 99},
    "salesinvoiceswithlines": {"debtorId": 1, "lines": lines_of({"amount": "x"})},
    "journalentrieswithlines": {"date": "2025-01-01", "journalId": "90", "lines": lines_of(
        {"amount": Decimal("1.00"), "ledgerAccountId": 4700}
    )},
    "purchaseinvoices": {"invoiceDate": "gisteren"},
    "SalesOrderWithLines": {"debtorId": 10001, "orderDate": "2025-01-01", "lines": []},
}  # fmt: skip


def total(api: Api, resource: str) -> int:
    if resource == "SalesOrderWithLines":
        return 0  # create-only: nothing to count, the stock shows what happened
    meta = body(api.get(resource, {"metaOnly": "true", "ActiveState": "All"}
                        if resource == "articles" else {"metaOnly": "true"}))["_meta"]  # fmt: skip
    count: int = meta["totalCount"]
    return count


@pytest.mark.parametrize("resource", sorted(VALID))
def test_validate_only_answers_200_with_the_object_and_stores_nothing(
    tenant_api: Api, resource: str
) -> None:
    before, log = total(tenant_api, resource), total(tenant_api, "journalentrylog")
    stock = body(tenant_api.get("articles/1001"))["currentStock"]
    response = tenant_api.post(f"{resource}?validateOnly=true", VALID[resource])
    assert response.status_code == 200, response.text
    assert "Location" not in response.headers
    draft = body(response)
    assert "id" not in draft
    assert draft["_meta"]["self"].endswith(f"/v1/{resource}")
    assert draft["_meta"]["administrationId"] == tenant_api.tenant
    for line in (draft.get("lines") or {}).get("_data", []):
        assert "id" not in line
    assert total(tenant_api, resource) == before
    assert total(tenant_api, "journalentrylog") == log
    assert body(tenant_api.get("articles/1001"))["currentStock"] == stock


def test_validate_only_shows_what_the_server_would_fill_in(tenant_api: Api) -> None:
    header, _ = LINES["salesinvoiceswithlines"]
    line = {"amount": Decimal("100.00"), "ledgerAccountId": 8000, "vatCode": "VH21"}
    payload = {**header, "lines": lines_of(line)}
    draft = body(
        tenant_api.post("salesinvoiceswithlines", payload, params={"validateOnly": "true"})
    )
    created = body(tenant_api.post("salesinvoiceswithlines", payload))
    same = {k: v for k, v in created.items() if k not in ("id", "_meta", "lines")}
    assert {k: v for k, v in draft.items() if k not in ("_meta", "lines")} == same
    assert draft["vatAmount"] == Decimal("21.00") and draft["debtorCustomerNumber"]
    assert draft["lines"]["_data"] == [
        {k: v for k, v in created_line.items() if k != "id"}
        for created_line in created["lines"]["_data"]
    ]
    new_debtor = body(
        tenant_api.post("debtors", {"name": "Proef"}, params={"validateOnly": "true"})
    )
    assert new_debtor["customerNumber"] and new_debtor["dateAdded"] is None


@pytest.mark.parametrize("resource", sorted(INVALID))
def test_validate_only_refuses_exactly_like_a_real_post(tenant_api: Api, resource: str) -> None:
    before = total(tenant_api, resource)
    real = body(tenant_api.post(resource, INVALID[resource]))
    dry = body(tenant_api.post(resource, INVALID[resource], params={"ValidateOnly": "TRUE"}))
    assert real["status"] == dry["status"] == 400
    assert real["errors"] == dry["errors"] and real["errors"]
    assert total(tenant_api, resource) == before


def test_validate_only_false_is_a_real_post(tenant_api: Api) -> None:
    response = tenant_api.post("debtors", {"name": "Echt"}, params={"validateOnly": "false"})
    assert response.status_code == 201


@pytest.mark.parametrize("value", ["yes", "1", ""])
def test_validate_only_must_be_true_or_false(tenant_api: Api, value: str) -> None:
    response = tenant_api.post("debtors", {"name": "X"}, params={"validateOnly": value})
    assert "validateOnly" in errors(response)


def test_validate_only_is_for_post(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtors", {"name": "X"}))
    path = f"debtors/{created['id']}"
    response = tenant_api.patch(path, {"city": "Delft"}, params={"validateOnly": "true"})
    assert "validateOnly" in errors(response)
    assert body(tenant_api.get(path))["city"] is None


# --- ProblemDetails everywhere -------------------------------------------------------------------

TRACE_ID = r"00-[0-9a-f]{32}-[0-9a-f]{16}-00"


def test_every_api_error_is_problem_details_with_a_trace_id(
    asperion_sandbox: Sandbox, tenant_api: Api
) -> None:
    asperion_sandbox.inject("GET", "/v1/countries", 503)
    answers = [
        tenant_api.post("debtors", {}),  # 400
        tenant_api.using(token="").get("debtors"),  # 401
        tenant_api.using(tenant=1).get("debtors"),  # 403
        tenant_api.get("debtors/1"),  # 404
        tenant_api.get("unicorns"),  # 404
        tenant_api.post("salestypes", {}),  # 405
        tenant_api.get("countries"),  # 503, from the fault injector
    ]
    asperion_sandbox.set_rate_limit(0.001)
    tenant_api.get("countries")
    answers.append(tenant_api.get("countries"))  # 429
    assert [a.status_code for a in answers] == [400, 401, 403, 404, 404, 405, 503, 429]
    traces = set()
    for answer in answers:
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        problem = body(answer)
        assert {"type", "title", "status", "traceId"} <= set(problem), problem
        assert problem["status"] == answer.status_code
        assert re.fullmatch(TRACE_ID, problem["traceId"])
        traces.add(problem["traceId"])
    assert len(traces) == len(answers)
    assert "errors" in body(answers[0]) and "detail" in body(answers[3])


# --- read-only resources: 405 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "resource",
    [
        "administrations",
        "approvalroutes",
        "salestypes",
        "ledgergrouped",
        "journalentrylog",
        "salesinvoices",
        "journals",
        "vatcodes",
        "ledgeraccounts",
        "paymentconditions",
        "costcenters",
        "costunits",
    ],
)
def test_post_to_a_read_only_resource_is_405_with_allow(tenant_api: Api, resource: str) -> None:
    response = tenant_api.post(resource, {})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert body(response)["status"] == 405


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_item_writes_to_a_read_only_resource_are_405(tenant_api: Api, method: str) -> None:
    row = tenant_api.rows("salestypes")[0]
    response = tenant_api.call(method, f"salestypes/{row['id']}", body={})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_post_to_an_item_is_405(tenant_api: Api) -> None:
    row = tenant_api.rows("debtors")[0]
    response = tenant_api.post(f"debtors/{row['id']}", {"name": "X"})
    assert response.status_code == 405
    assert "PATCH" in response.headers["Allow"]


def test_unknown_method_is_405(tenant_api: Api) -> None:
    assert tenant_api.call("OPTIONS", "debtors").status_code == 405


def test_negative_zero_is_written_as_zero(tenant_api: Api) -> None:
    raw = b'{"code": "X", "description": "X", "salesTypeId": 1, "purchasePrice": -0.00}'
    response = tenant_api.call(
        "POST", "articles", data=raw, headers={"Content-Type": "application/json"}
    )
    assert b'"purchasePrice":0.00' in response.content
