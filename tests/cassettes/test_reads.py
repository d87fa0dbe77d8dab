"""Replayed cassettes: paging, filters, ordering, MetaOnly counts, fields and single reads."""

from __future__ import annotations

import pytest

from asperion_orm import Session

from .conftest import ids

pytestmark = pytest.mark.asperion_cassette


def test_paging_walks_every_page(recorded_session: Session) -> None:
    first = recorded_session.get("countries", [("pageSize", "10"), ("page", "1")])
    total, pages = first["_meta"]["totalCount"], first["_meta"]["pageCount"]
    seen = ids(first)
    for page in range(2, pages + 1):
        seen += ids(recorded_session.get("countries", [("pageSize", "10"), ("page", str(page))]))
    assert len(seen) == len(set(seen)) == total


def test_page_after_the_last_is_empty(recorded_session: Session) -> None:
    meta = recorded_session.get("countries", [("pageSize", "25"), ("MetaOnly", "true")])["_meta"]
    beyond = recorded_session.get(
        "countries", [("pageSize", "25"), ("page", str(meta["pageCount"] + 1))]
    )
    assert beyond["_data"] == []
    assert beyond["_meta"]["nextPage"] is None


def test_page_size_above_the_maximum_is_clamped(recorded_session: Session) -> None:
    page = recorded_session.get("debtors", [("pageSize", "500")])
    assert len(page["_data"]) == 100


def test_equality_filter(recorded_session: Session) -> None:
    page = recorded_session.get("debtors", [("city", "Arnhem"), ("pageSize", "100")])
    assert page["_data"]
    assert {row["city"] for row in page["_data"]} == {"Arnhem"}


def test_text_filter_with_a_comparison(recorded_session: Session) -> None:
    params = [("name", "bakkerij"), ("name_comparison", "StartsWith"), ("fields", "id,name")]
    page = recorded_session.get("debtors", params)
    assert page["_data"]
    assert all(row["name"].casefold().startswith("bakkerij") for row in page["_data"])


def test_lines_and_string_keys(recorded_session: Session) -> None:
    invoice = recorded_session.get("salesinvoiceswithlines", [("pageSize", "1")])["_data"][0]
    lines = invoice["lines"]["_data"]
    assert invoice["lines"]["_meta"] == {"totalCount": len(lines)}
    assert sum(line["amount"] for line in lines) == invoice["amountExclVat"]
    assert all(isinstance(line["vatCode"], str) for line in lines)
    journal = recorded_session.get(recorded_session.path("journals", invoice["journalId"]))
    assert journal["id"] == invoice["journalId"] == "70" and journal["type"] == "Sales"


def test_repeated_filter_is_or(recorded_session: Session) -> None:
    page = recorded_session.get("debtors", [("id", "10001"), ("id", "10003"), ("id", "10005")])
    assert sorted(ids(page)) == [10001, 10003, 10005]


def test_range_filter(recorded_session: Session) -> None:
    params = [("id_from", "10010"), ("id_to", "10014"), ("orderby", "id")]
    assert ids(recorded_session.get("debtors", params)) == [10010, 10011, 10012, 10013, 10014]


def test_order_ascending_and_descending(recorded_session: Session) -> None:
    by_name = recorded_session.get("debtors", [("orderby", "name"), ("fields", "id,name")])["_data"]
    names = [row["name"] for row in by_name]
    assert names == sorted(names, key=str.casefold)
    down = ids(recorded_session.get("debtors", [("orderby", "-id"), ("pageSize", "20")]))
    assert down == sorted(down, reverse=True)


def test_meta_only_count(recorded_session: Session) -> None:
    answer = recorded_session.get("debtors", [("MetaOnly", "true"), ("city", "Arnhem")])
    assert "_data" not in answer
    everything = recorded_session.get("debtors", [("city", "Arnhem"), ("pageSize", "100")])
    assert answer["_meta"]["totalCount"] == len(everything["_data"])


def test_fields_selects_columns(recorded_session: Session) -> None:
    page = recorded_session.get("debtors", [("fields", "id,name"), ("pageSize", "3")])
    assert all(set(row) == {"id", "name", "_meta"} for row in page["_data"])


def test_single_object_and_concurrent_reads(recorded_session: Session) -> None:
    one = recorded_session.get(recorded_session.path("debtors", 10001))
    assert one["id"] == 10001
    paths = [(recorded_session.path("debtors", i), ()) for i in (10002, 10003, 10004)]
    many = list(recorded_session.get_many(paths))
    assert [row["id"] for row in many] == [10002, 10003, 10004]
