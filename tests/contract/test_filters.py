"""Equality filters, OR within a field, AND across fields, ranges and ordering.

Text filters have their own module (``test_text_filters``); here they run with the exact,
case-sensitive matching of ``text_match="exact-cs"`` where a test needs a single row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body


@pytest.fixture
def people(asperion_sandbox: Sandbox, user_api: Api) -> Api:
    """Return a tenant whose debtors are exactly a few known rows (texts compared exactly)."""
    asperion_sandbox.set_text_match("exact-cs")
    people_api = user_api.using(tenant=asperion_sandbox.add_administration(records={"debtors": 0}))
    for values in ROWS:
        response = people_api.post("debtors", values)
        assert response.status_code == 201, response.text
    return people_api


ROWS: list[dict[str, Any]] = [
    {"name": "alpha", "city": "Utrecht", "paymentConditionId": 1, "blocked": False},
    {"name": "Beta", "city": "Utrecht", "paymentConditionId": 2, "blocked": True},
    {"name": "Ærø", "city": "Delft", "paymentConditionId": None, "blocked": False},
    {"name": "beta", "city": "'s-Hertogenbosch", "paymentConditionId": 2},
    {"name": "Zed", "city": None, "paymentConditionId": 4, "blocked": False},
]


@pytest.fixture
def priced(asperion_sandbox: Sandbox, user_api: Api) -> Api:
    """Return a tenant whose articles are exactly a few known rows, with prices."""
    priced_api = user_api.using(tenant=asperion_sandbox.add_administration(records={"articles": 0}))
    for code, price in PRICES:
        values = {"code": code, "description": code, "salesTypeId": 1, "price": price}
        response = priced_api.post("articles", values)
        assert response.status_code == 201, response.text
    return priced_api


PRICES = [
    ("alpha", Decimal("100.00")),
    ("Beta", Decimal("250.50")),
    ("Ærø", None),
    ("beta", Decimal("250.50")),
    ("Zed", Decimal("999.99")),
]


def names(api: Api, params: Any) -> list[str]:
    return [row["name"] for row in api.rows("debtors", params)]


def codes(api: Api, params: Any) -> list[str]:
    return [row["code"] for row in api.rows("articles", params)]


def test_equality_filter(people: Api) -> None:
    assert names(people, {"city": "Delft"}) == ["Ærø"]


def test_string_equality_is_exact_and_case_sensitive_with_exact_cs(people: Api) -> None:
    assert names(people, {"name": "beta"}) == ["beta"]
    assert names(people, {"name": "BETA"}) == []
    assert names(people, {"name": "bet"}) == []


def test_repeated_parameter_is_or(people: Api) -> None:
    assert names(people, [("city", "Delft"), ("city", "Utrecht")]) == ["alpha", "Beta", "Ærø"]


def test_repeated_parameter_in_different_case_is_still_or(people: Api) -> None:
    assert len(names(people, [("City", "Delft"), ("city", "Utrecht")])) == 3


def test_repeated_id_is_or(people: Api) -> None:
    ids = [row["id"] for row in people.rows("debtors")][:2]
    assert [r["id"] for r in people.rows("debtors", [("Id", ids[0]), ("Id", ids[1])])] == ids


def test_different_fields_are_and(people: Api) -> None:
    assert names(people, {"city": "Utrecht", "blocked": "false"}) == ["alpha"]


def test_boolean_filter(people: Api) -> None:
    assert names(people, {"blocked": "true"}) == ["Beta"]


def test_integer_equality_and_or(people: Api) -> None:
    assert names(people, {"paymentConditionId": "2"}) == ["Beta", "beta"]
    both = [("paymentConditionId", "1"), ("PaymentConditionId", "4")]
    assert names(people, both) == ["alpha", "Zed"]


def test_decimal_equality_is_numeric(priced: Api) -> None:
    assert codes(priced, {"price": "250.5"}) == ["Beta", "beta"]


def test_non_ascii_filter_value(people: Api) -> None:
    assert names(people, {"name": "Ærø"}) == ["Ærø"]


def test_special_characters_in_filter_values(people: Api) -> None:
    assert names(people, {"city": "'s-Hertogenbosch"}) == ["beta"]


def test_decimal_range_is_inclusive(priced: Api) -> None:
    params = {"price_from": "100", "price_to": "250.50"}
    assert codes(priced, params) == ["alpha", "Beta", "beta"]


def test_range_skips_nulls(priced: Api) -> None:
    assert "Ærø" not in codes(priced, {"price_from": "0"})


def test_integer_range(people: Api) -> None:
    ids = [row["id"] for row in people.rows("debtors")]
    rows = people.rows("debtors", {"id_from": ids[1], "id_to": ids[3]})
    assert [row["id"] for row in rows] == ids[1:4]


def test_range_suffix_is_case_insensitive(priced: Api) -> None:
    assert codes(priced, {"Price_FROM": "999"}) == ["Zed"]


def test_datetime_range_from_and_to(people: Api) -> None:
    rows = people.rows("debtors")
    stamps = sorted(row["dateAdded"] for row in rows)
    middle = stamps[2]
    after = people.rows("debtors", {"DateAdded_from": middle})
    assert sorted(r["dateAdded"] for r in after) == stamps[2:]
    before = people.rows("debtors", {"DateAdded_to": middle})
    assert sorted(r["dateAdded"] for r in before) == stamps[:3]


def test_date_added_from_takes_a_bare_date(seeded_api: Api) -> None:
    rows = seeded_api.all_rows("debtors", [("DateAdded_from", "2025-01-01")])
    assert rows and all(row["dateAdded"] >= "2025-01-01T00:00:00" for row in rows)


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


@pytest.mark.parametrize("resource", ["salesinvoices", "salesinvoiceswithlines"])
def test_date_range_on_invoices(seeded_api: Api, resource: str) -> None:
    rows = seeded_api.all_rows(resource, [("Date_from", "2024-06-01"), ("Date_to", "2024-12-31")])
    assert rows
    assert all("2024-06-01" <= row["date"] <= "2024-12-31" for row in rows)


def test_integer_enum_filter_on_invoice_status(seeded_api: Api) -> None:
    rows = seeded_api.all_rows("salesinvoices", [("Status", "7"), ("Status", "1")])
    assert rows and {row["status"] for row in rows} == {1, 7}
    assert seeded_api.get("salesinvoices", {"Status": "4"}).status_code == 400


def test_enum_filter(seeded_api: Api) -> None:
    rows = seeded_api.all_rows("journalentrylog", [("Action", "Delete")])
    assert rows and {row["action"] for row in rows} == {"Delete"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("dateAdded_from", "yesterday"),
        ("dateAdded_to", "2024-13-45"),
        ("dateAdded", "2024-02-30T10:00"),
        ("paymentConditionId", "lots"),
        ("id", "1.5"),
        ("blocked", "maybe"),
        ("id_from", "99999999999"),
        ("paymentConditionId", ""),
        ("paymentConditionId_to", "NaN"),
        ("paymentConditionId", "Infinity"),
    ],
)
def test_garbage_filter_values_are_400(seeded_api: Api, name: str, value: str) -> None:
    response = seeded_api.get("debtors", {name: value})
    assert response.status_code == 400
    assert name in body(response)["errors"]


def test_unknown_enum_value_is_400(seeded_api: Api) -> None:
    assert seeded_api.get("journalentrylog", {"action": "Upsert"}).status_code == 400


@pytest.mark.parametrize(("name", "value"), [("price", "lots"), ("price_to", "NaN")])
def test_garbage_decimal_filters_are_400(seeded_api: Api, name: str, value: str) -> None:
    response = seeded_api.get("articles", {name: value})
    assert response.status_code == 400
    assert name in body(response)["errors"]


def test_unfilterable_field_is_an_unknown_parameter(seeded_api: Api) -> None:
    response = seeded_api.get("salesinvoiceswithlines", {"lines": "x"})
    assert response.status_code == 400


def test_range_on_a_text_field_is_unknown(seeded_api: Api) -> None:
    assert seeded_api.get("debtors", {"name_from": "A"}).status_code == 400


# --- ordering ---------------------------------------------------------------------------------


def test_orderby_ascending_uses_code_points(people: Api) -> None:
    assert names(people, {"orderby": "name"}) == ["Beta", "Zed", "alpha", "beta", "Ærø"]


def test_orderby_descending(people: Api) -> None:
    assert names(people, {"orderby": "-name"}) == ["Ærø", "beta", "alpha", "Zed", "Beta"]


def test_orderby_ties_break_on_id_ascending(priced: Api) -> None:
    rows = priced.rows("articles", {"orderby": "-price"})
    pairs = [(row["price"], row["id"]) for row in rows]
    tied = [row_id for price, row_id in pairs if price == Decimal("250.50")]
    assert len(tied) == 2 and tied == sorted(tied)


def test_nulls_sort_first_ascending_and_last_descending(people: Api, priced: Api) -> None:
    assert names(people, {"orderby": "city"})[0] == "Zed"
    assert names(people, {"orderby": "-city"})[-1] == "Zed"
    assert codes(priced, {"orderby": "price"})[0] == "Ærø"


def test_orderby_id_descending(seeded_api: Api) -> None:
    ids = [row["id"] for row in seeded_api.rows("debtors", {"orderby": "-id", "pageSize": 100})]
    assert ids == sorted(ids, reverse=True)


def test_string_ids_sort_as_strings(seeded_api: Api) -> None:
    ids = [row["id"] for row in seeded_api.rows("vatcodes", {"orderBy": "-id"})]
    assert ids == sorted(ids, reverse=True) and ids[0] == "VV"


def test_orderby_field_name_is_case_insensitive(people: Api) -> None:
    assert names(people, {"OrderBy": "-NAME"}) == names(people, {"orderby": "-name"})


def test_orderby_with_filter_and_paging(people: Api) -> None:
    first = names(people, {"orderby": "name", "blocked": "false", "pageSize": 2})
    second = names(people, {"orderby": "name", "blocked": "false", "pageSize": 2, "page": 2})
    assert first + second == ["Zed", "alpha", "beta", "Ærø"]


@pytest.mark.parametrize("value", ["shoeSize", "-shoeSize", "name,id", "", "lines"])
def test_unknown_orderby_field_is_400(seeded_api: Api, value: str) -> None:
    resource = "debtors" if value != "lines" else "salesinvoiceswithlines"
    response = seeded_api.get(resource, {"orderby": value})
    assert response.status_code == 400
    assert "orderby" in body(response)["errors"]


def test_orderby_dates_sort_chronologically(seeded_api: Api) -> None:
    rows = seeded_api.all_rows("salesinvoices", [("orderBy", "date")])
    dates = [row["date"] for row in rows]
    assert dates == sorted(dates)


@pytest.mark.parametrize(
    ("resource", "name", "value"),
    [
        ("debtors", "id", "\uff11"),
        ("debtors", "id", "\u0663"),
        ("articles", "price", "1_000"),
        ("articles", "price", " 5"),
    ],
)
def test_only_ascii_numbers_are_numbers(
    seeded_api: Api, resource: str, name: str, value: str
) -> None:
    assert seeded_api.get(resource, {name: value}).status_code == 400


def test_page_with_non_ascii_digits_is_400(seeded_api: Api) -> None:
    assert seeded_api.get("debtors", {"page": "٣"}).status_code == 400


def test_active_filter_alone_decides_for_articles(tenant_api: Api) -> None:
    inactive = tenant_api.rows("articles", {"active": "false"})
    assert inactive and not any(row["active"] for row in inactive)
    both = tenant_api.rows("articles", {"active": "false", "ActiveState": "Active"})
    assert both == []
