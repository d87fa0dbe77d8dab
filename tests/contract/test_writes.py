"""POST, PUT, PATCH and DELETE, validation ProblemDetails in two languages, read-only 405s."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body

DEBTOR = {
    "name": "Bakkerij Van Dijk B.V.",
    "contact": "Anouk van Dijk",
    "email": "info@bakkerijvandijk.nl",
    "phone": "030-1234567",
    "address": "Kerkstraat 12",
    "postalCode": "3512 AB",
    "city": "Utrecht",
    "countryId": 1,
    "vatNumber": "NL123456789B01",
    "chamberOfCommerceNumber": "12345678",
    "paymentConditionId": 1,
    "creditLimit": Decimal("2500.00"),
    "active": True,
}


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
    response = tenant_api.post("debtor", DEBTOR)
    assert response.status_code == 201
    created = body(response)
    assert response.headers["Location"] == f"{asperion_sandbox.base_url}/debtor/{created['id']}"
    assert created["_meta"]["self"] == response.headers["Location"]
    assert created["_meta"]["administrationId"] == tenant_api.tenant
    assert {k: created[k] for k in DEBTOR} == DEBTOR


def test_created_row_can_be_read_back(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", DEBTOR))
    again = body(tenant_api.get(f"debtor/{created['id']}"))
    assert again == created


def test_post_sets_read_only_timestamps(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", {"name": "X"}))
    assert created["createdDate"] == created["changedDate"]
    assert created["createdDate"].endswith("Z") and "T" in created["createdDate"]


def test_post_fills_missing_optional_fields_with_null_or_default(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", {"name": "Alleen Naam"}))
    assert created["email"] is None
    assert created["active"] is True


def test_post_increases_the_count(tenant_api: Api) -> None:
    before = body(tenant_api.get("debtor", {"MetaOnly": "true"}))["_meta"]["totalCount"]
    tenant_api.post("debtor", {"name": "Nieuw"})
    assert body(tenant_api.get("debtor", {"MetaOnly": "true"}))["_meta"]["totalCount"] == before + 1


def test_new_ids_are_larger_than_existing(tenant_api: Api) -> None:
    top = tenant_api.rows("debtor", {"orderby": "-id", "pageSize": 1})[0]["id"]
    assert body(tenant_api.post("debtor", {"name": "Nieuw"}))["id"] > top


def test_non_ascii_round_trips_exactly(tenant_api: Api) -> None:
    name = "Zoë’s Crème Brûlée — 東京 😀 & ? # % = +"  # noqa: RUF001
    created = body(tenant_api.post("debtor", {"name": name, "city": "Śląsk"}))
    assert body(tenant_api.get(f"debtor/{created['id']}"))["name"] == name
    assert [r["name"] for r in tenant_api.rows("debtor", {"name": name})] == [name]


def test_decimals_are_exact_with_two_places(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", {"name": "X", "creditLimit": Decimal("0.1")}))
    assert created["creditLimit"] == Decimal("0.10")
    response = tenant_api.get(f"debtor/{created['id']}")
    assert b'"creditLimit":0.10' in response.content


def test_integer_money_is_accepted(tenant_api: Api) -> None:
    assert body(tenant_api.post("debtor", {"name": "X", "creditLimit": 5}))["creditLimit"] == 5


def test_many_invoices_over_few_debtors(tenant_api: Api) -> None:
    debtors = [body(tenant_api.post("debtor", {"name": f"Klant {i}"}))["id"] for i in range(4)]
    for index in range(12):
        invoice = {
            "debtorId": debtors[index % 4],
            "invoiceDate": "2025-03-01",
            "lines": [{"quantity": 1, "price": Decimal("10.00")}],
        }
        assert tenant_api.post("salesinvoices", invoice).status_code == 201
    rows = tenant_api.all_rows("salesinvoices", [(("debtorId"), str(d)) for d in debtors])
    assert len(rows) == 12


# --- replace and patch ---------------------------------------------------------------------------


def test_put_replaces_every_writable_field(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", DEBTOR))
    response = tenant_api.put(f"debtor/{created['id']}", {"name": "Vervangen"})
    assert response.status_code == 200
    replaced = body(response)
    assert replaced["name"] == "Vervangen"
    assert replaced["email"] is None  # not sent: cleared
    assert replaced["createdDate"] == created["createdDate"]
    assert replaced["changedDate"] > created["changedDate"]


def test_put_requires_the_required_fields(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", DEBTOR))
    assert "name" in errors(tenant_api.put(f"debtor/{created['id']}", {"city": "Delft"}))


def test_patch_changes_only_the_given_fields(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", DEBTOR))
    changed = body(tenant_api.patch(f"debtor/{created['id']}", {"city": "Delft"}))
    assert changed["city"] == "Delft"
    assert changed["email"] == DEBTOR["email"]
    assert changed["changedDate"] > created["changedDate"]


def test_patch_can_clear_an_optional_field(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", DEBTOR))
    assert body(tenant_api.patch(f"debtor/{created['id']}", {"email": None}))["email"] is None


def test_patch_cannot_null_a_required_field(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", DEBTOR))
    assert "name" in errors(tenant_api.patch(f"debtor/{created['id']}", {"name": None}))


def test_patch_and_put_on_unknown_id_are_404(tenant_api: Api) -> None:
    assert tenant_api.patch("debtor/999999", {"city": "X"}).status_code == 404
    assert tenant_api.put("debtor/999999", DEBTOR).status_code == 404


# --- delete -------------------------------------------------------------------------------------


def test_delete_is_204_then_404(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", {"name": "Weg"}))
    response = tenant_api.delete(f"debtor/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert tenant_api.get(f"debtor/{created['id']}").status_code == 404
    assert tenant_api.delete(f"debtor/{created['id']}").status_code == 404


# --- validation ---------------------------------------------------------------------------------


def test_required_field_message_matches_the_contract(tenant_api: Api) -> None:
    response = tenant_api.post("debtor", {"city": "Delft"})
    problem = body(response)
    assert problem["title"] == "One or more validation errors occurred."
    assert problem["errors"] == {"name": ["The Name field is required."]}


def test_empty_required_string_is_refused(tenant_api: Api) -> None:
    assert "name" in errors(tenant_api.post("debtor", {"name": ""}))


def test_messages_in_dutch(tenant_api: Api) -> None:
    problem = body(tenant_api.using(language="nl-NL").post("debtor", {"city": "Delft"}))
    assert problem["title"] == "Er zijn een of meer validatiefouten opgetreden."
    assert problem["errors"]["name"] == ["Het veld Name is verplicht."]


def test_language_falls_back_to_english(tenant_api: Api) -> None:
    problem = body(tenant_api.using(language="fr-FR").post("debtor", {}))
    assert problem["errors"]["name"] == ["The Name field is required."]


def test_language_with_quality_values(tenant_api: Api) -> None:
    problem = body(tenant_api.using(language="de;q=0.9, nl;q=0.8").post("debtor", {}))
    assert problem["errors"]["name"] == ["Het veld Name is verplicht."]


def test_dutch_for_404_and_405(asperion_sandbox: Sandbox, tenant_api: Api) -> None:
    dutch = tenant_api.using(language="nl-NL")
    assert body(dutch.get("debtor/999999"))["title"] == "Niet gevonden"
    assert "niet toegestaan" in body(dutch.post("salestypes", {}))["detail"]


def test_max_length(tenant_api: Api) -> None:
    problems = errors(tenant_api.post("debtor", {"name": "x" * 101}))
    assert problems["name"] == ["The field Name must be a string with a maximum length of 100."]


def test_max_length_counts_characters_not_bytes(tenant_api: Api) -> None:
    assert tenant_api.post("debtor", {"name": "ë" * 100}).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("countryId", "1"),
        ("countryId", Decimal("1.5")),
        ("countryId", True),
        ("name", 42),
        ("active", "true"),
        ("creditLimit", "12.00"),
        ("creditLimit", True),
        ("name", ["a"]),
        ("name", {"a": 1}),
        ("countryId", 2**31),
        ("creditLimit", Decimal("1.234")),
        ("creditLimit", -1),
        ("creditLimit", Decimal("1E+30")),
        ("email", "not-an-email"),
    ],
)
def test_wrong_types_and_values_are_400_naming_the_field(
    tenant_api: Api, field: str, value: Any
) -> None:
    assert field in errors(tenant_api.post("debtor", {"name": "X", field: value}))


def test_several_errors_at_once(tenant_api: Api) -> None:
    problems = errors(tenant_api.post("debtor", {"countryId": "x", "email": 5}))
    assert set(problems) == {"name", "countryId", "email"}


@pytest.mark.parametrize("field", ["id", "createdDate", "changedDate", "_meta"])
def test_read_only_field_in_body_is_400(tenant_api: Api, field: str) -> None:
    problems = errors(tenant_api.post("debtor", {"name": "X", field: 1}))
    assert "read-only" in problems[field][0]


def test_read_only_field_in_patch_is_400(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", {"name": "X"}))
    assert "id" in errors(tenant_api.patch(f"debtor/{created['id']}", {"id": 5}))


def test_unknown_body_field_is_400(tenant_api: Api) -> None:
    assert errors(tenant_api.post("debtor", {"name": "X", "shoeSize": 44}))["shoeSize"] == [
        "The field ShoeSize is not known."
    ]


@pytest.mark.parametrize(
    "raw", [b"{", b"", b"not json", b'{"name": "X",}', b"\xff\xfe", b'{"name": NaN}']
)
def test_malformed_json_is_400(tenant_api: Api, raw: bytes) -> None:
    problems = errors(
        tenant_api.call("POST", "debtor", data=raw, headers={"Content-Type": "application/json"})
    )
    assert list(problems) in (["$"], ["name"])


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null"])
def test_non_object_body_is_400(tenant_api: Api, raw: bytes) -> None:
    assert list(errors(tenant_api.call("POST", "debtor", data=raw))) == ["$"]


def test_reference_to_a_missing_row_is_400(tenant_api: Api) -> None:
    problems = errors(
        tenant_api.post("salesinvoices", {"debtorId": 1, "invoiceDate": "2025-01-01"})
    )
    assert problems["debtorId"] == ["The Debtor with id 1 does not exist."]


def test_nested_line_errors_name_the_line(tenant_api: Api) -> None:
    debtor = body(tenant_api.post("debtor", {"name": "X"}))["id"]
    invoice = {
        "debtorId": debtor,
        "invoiceDate": "2025-01-01",
        "lines": [{"quantity": 1, "price": 1}, {"price": "x"}],
    }
    problems = errors(tenant_api.post("salesinvoices", invoice))
    assert set(problems) == {"lines[1].quantity", "lines[1].price"}


@pytest.mark.parametrize("value", ["2025-02-30", "01-02-2025", "2025-1-1", "tomorrow", ""])
def test_garbage_dates_in_bodies_are_400(tenant_api: Api, value: str) -> None:
    problems = errors(tenant_api.post("journalentries", {"entryDate": value}))
    assert "entryDate" in problems


def test_query_parameters_on_writes_are_refused(tenant_api: Api) -> None:
    response = tenant_api.call("POST", "debtor", params={"x": "1"}, body={"name": "X"})
    assert "x" in errors(response)


# --- read-only resources: 405 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "resource",
    ["administrations", "approvalroutes", "salestypes", "ledgergrouped", "journalentrylog"],
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
    row = tenant_api.rows("debtor")[0]
    response = tenant_api.post(f"debtor/{row['id']}", {"name": "X"})
    assert response.status_code == 405
    assert "PATCH" in response.headers["Allow"]


def test_unknown_method_is_405(tenant_api: Api) -> None:
    assert tenant_api.call("OPTIONS", "debtor").status_code == 405


def test_negative_zero_is_written_as_zero(tenant_api: Api) -> None:
    raw = b'{"name": "X", "creditLimit": -0.00}'
    response = tenant_api.call(
        "POST", "debtor", data=raw, headers={"Content-Type": "application/json"}
    )
    assert b'"creditLimit":0.00' in response.content
