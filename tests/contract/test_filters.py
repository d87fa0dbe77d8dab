"""Equality filters, OR within a field, AND across fields, ranges and ordering."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body


@pytest.fixture
def people(asperion_sandbox: Sandbox, user_api: Api) -> Api:
    """Return a tenant whose debtors are exactly a few known rows."""
    people_api = user_api.using(tenant=asperion_sandbox.add_administration(records={"debtor": 0}))
    for values in ROWS:
        response = people_api.post("debtor", values)
        assert response.status_code == 201, response.text
    return people_api


ROWS: list[dict[str, Any]] = [
    {"name": "alpha", "city": "Utrecht", "creditLimit": Decimal("100.00"), "active": True},
    {"name": "Beta", "city": "Utrecht", "creditLimit": Decimal("250.50"), "active": False},
    {"name": "Ærø", "city": "Delft", "creditLimit": None, "active": True},
    {"name": "beta", "city": "'s-Hertogenbosch", "creditLimit": Decimal("250.50")},
    {"name": "Zed", "city": None, "creditLimit": Decimal("999.99"), "active": True},
]


def names(api: Api, params: Any) -> list[str]:
    return [row["name"] for row in api.rows("debtor", params)]


def test_equality_filter(people: Api) -> None:
    assert names(people, {"city": "Delft"}) == ["Ærø"]


def test_string_equality_is_exact_and_case_sensitive(people: Api) -> None:
    assert names(people, {"name": "beta"}) == ["beta"]
    assert names(people, {"name": "BETA"}) == []
    assert names(people, {"name": "bet"}) == []


def test_repeated_parameter_is_or(people: Api) -> None:
    assert names(people, [("city", "Delft"), ("city", "Utrecht")]) == ["alpha", "Beta", "Ærø"]


def test_repeated_parameter_in_different_case_is_still_or(people: Api) -> None:
    assert len(names(people, [("City", "Delft"), ("city", "Utrecht")])) == 3


def test_repeated_id_is_or(people: Api) -> None:
    ids = [row["id"] for row in people.rows("debtor")][:2]
    assert [r["id"] for r in people.rows("debtor", [("Id", ids[0]), ("Id", ids[1])])] == ids


def test_different_fields_are_and(people: Api) -> None:
    assert names(people, {"city": "Utrecht", "active": "true"}) == ["alpha"]


def test_boolean_filter(people: Api) -> None:
    assert names(people, {"active": "false"}) == ["Beta"]


def test_decimal_equality_is_numeric(people: Api) -> None:
    assert names(people, {"creditLimit": "250.5"}) == ["Beta", "beta"]


def test_non_ascii_filter_value(people: Api) -> None:
    assert names(people, {"name": "Ærø"}) == ["Ærø"]


def test_special_characters_in_filter_values(people: Api) -> None:
    assert names(people, {"city": "'s-Hertogenbosch"}) == ["beta"]


def test_decimal_range_is_inclusive(people: Api) -> None:
    params = {"creditLimit_from": "100", "creditLimit_to": "250.50"}
    assert names(people, params) == ["alpha", "Beta", "beta"]


def test_range_skips_nulls(people: Api) -> None:
    assert "Ærø" not in names(people, {"creditLimit_from": "0"})


def test_integer_range(people: Api) -> None:
    ids = [row["id"] for row in people.rows("debtor")]
    rows = people.rows("debtor", {"id_from": ids[1], "id_to": ids[3]})
    assert [row["id"] for row in rows] == ids[1:4]


def test_range_suffix_is_case_insensitive(people: Api) -> None:
    assert names(people, {"CreditLimit_FROM": "999"}) == ["Zed"]


def test_datetime_range_from_and_to(people: Api) -> None:
    rows = people.rows("debtor")
    stamps = sorted(row["createdDate"] for row in rows)
    middle = stamps[2]
    after = people.rows("debtor", {"createdDate_from": middle})
    assert sorted(r["createdDate"] for r in after) == stamps[2:]
    before = people.rows("debtor", {"createdDate_to": middle})
    assert sorted(r["createdDate"] for r in before) == stamps[:3]


@pytest.mark.parametrize(
    "value", ["2024-01-01 00:00:00", "2024-01-01T00:00:00", "2024-01-01T00:00:00Z", "2024-01-01"]
)
def test_datetime_accepts_t_or_space(seeded_api: Api, value: str) -> None:
    response = seeded_api.get("journalentrylog", {"ChangedDate_from": value, "MetaOnly": "true"})
    assert response.status_code == 200
    assert body(response)["_meta"]["totalCount"] > 0


def test_changed_date_from_narrows_the_log(seeded_api: Api) -> None:
    everything = body(seeded_api.get("journalentrylog", {"MetaOnly": "true"}))
    since = {"ChangedDate_from": "2025-06-01 00:00", "MetaOnly": "true"}
    later = body(seeded_api.get("journalentrylog", since))
    assert 0 < later["_meta"]["totalCount"] < everything["_meta"]["totalCount"]
    rows = seeded_api.all_rows("journalentrylog", [("ChangedDate_from", "2025-06-01 00:00")])
    assert all(row["changedDate"] >= "2025-06-01T00:00:00" for row in rows)


def test_date_range_on_invoices(seeded_api: Api) -> None:
    rows = seeded_api.all_rows(
        "salesinvoices", [("invoiceDate_from", "2024-06-01"), ("invoiceDate_to", "2024-12-31")]
    )
    assert rows
    assert all("2024-06-01" <= row["invoiceDate"] <= "2024-12-31" for row in rows)


def test_enum_filter(seeded_api: Api) -> None:
    rows = seeded_api.all_rows("journalentrylog", [("Action", "Delete")])
    assert rows and {row["action"] for row in rows} == {"Delete"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("createdDate_from", "yesterday"),
        ("createdDate_to", "2024-13-45"),
        ("createdDate", "2024-02-30T10:00"),
        ("creditLimit", "lots"),
        ("id", "1.5"),
        ("active", "maybe"),
        ("id_from", "99999999999"),
        ("countryId", ""),
        ("creditLimit_to", "NaN"),
        ("creditLimit", "Infinity"),
    ],
)
def test_garbage_filter_values_are_400(seeded_api: Api, name: str, value: str) -> None:
    response = seeded_api.get("debtor", {name: value})
    assert response.status_code == 400
    assert name in body(response)["errors"]


def test_unknown_enum_value_is_400(seeded_api: Api) -> None:
    assert seeded_api.get("journalentrylog", {"action": "Upsert"}).status_code == 400


def test_unfilterable_field_is_an_unknown_parameter(seeded_api: Api) -> None:
    response = seeded_api.get("debtor", {"address": "Kerkstraat 1"})
    assert response.status_code == 400


def test_range_on_a_text_field_is_unknown(seeded_api: Api) -> None:
    assert seeded_api.get("debtor", {"name_from": "A"}).status_code == 400


# --- ordering ---------------------------------------------------------------------------------


def test_orderby_ascending_uses_code_points(people: Api) -> None:
    assert names(people, {"orderby": "name"}) == ["Beta", "Zed", "alpha", "beta", "Ærø"]


def test_orderby_descending(people: Api) -> None:
    assert names(people, {"orderby": "-name"}) == ["Ærø", "beta", "alpha", "Zed", "Beta"]


def test_orderby_ties_break_on_id_ascending(people: Api) -> None:
    rows = people.rows("debtor", {"orderby": "-creditLimit"})
    pairs = [(row["creditLimit"], row["id"]) for row in rows]
    tied = [row_id for limit, row_id in pairs if limit == Decimal("250.50")]
    assert tied == sorted(tied)


def test_nulls_sort_first_ascending_and_last_descending(people: Api) -> None:
    assert names(people, {"orderby": "city"})[0] == "Zed"
    assert names(people, {"orderby": "-city"})[-1] == "Zed"
    assert names(people, {"orderby": "creditLimit"})[0] == "Ærø"


def test_orderby_id_descending(seeded_api: Api) -> None:
    ids = [row["id"] for row in seeded_api.rows("debtor", {"orderby": "-id", "pageSize": 100})]
    assert ids == sorted(ids, reverse=True)


def test_orderby_field_name_is_case_insensitive(people: Api) -> None:
    assert names(people, {"OrderBy": "-NAME"}) == names(people, {"orderby": "-name"})


def test_orderby_with_filter_and_paging(people: Api) -> None:
    first = names(people, {"orderby": "name", "active": "true", "pageSize": 2})
    second = names(people, {"orderby": "name", "active": "true", "pageSize": 2, "page": 2})
    assert first + second == ["Zed", "alpha", "beta", "Ærø"]


@pytest.mark.parametrize("value", ["shoeSize", "-shoeSize", "name,id", "", "lines"])
def test_unknown_orderby_field_is_400(seeded_api: Api, value: str) -> None:
    response = seeded_api.get("debtor" if value != "lines" else "salesinvoices", {"orderby": value})
    assert response.status_code == 400
    assert "orderby" in body(response)["errors"]


def test_orderby_dates_sort_chronologically(seeded_api: Api) -> None:
    rows = seeded_api.all_rows("salesinvoices", [("orderby", "invoiceDate")])
    dates = [row["invoiceDate"] for row in rows]
    assert dates == sorted(dates)


@pytest.mark.parametrize(
    ("name", "value"),
    [("id", "\uff11"), ("id", "\u0663"), ("creditLimit", "1_000"), ("creditLimit", " 5")],
)
def test_only_ascii_numbers_are_numbers(seeded_api: Api, name: str, value: str) -> None:
    assert seeded_api.get("debtor", {name: value}).status_code == 400


def test_page_with_non_ascii_digits_is_400(seeded_api: Api) -> None:
    assert seeded_api.get("debtor", {"page": "٣"}).status_code == 400


def test_active_filter_alone_decides_for_articles(tenant_api: Api) -> None:
    inactive = tenant_api.rows("articles", {"active": "false"})
    assert inactive and not any(row["active"] for row in inactive)
    both = tenant_api.rows("articles", {"active": "false", "ActiveState": "Active"})
    assert both == []
