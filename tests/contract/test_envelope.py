"""The list envelope, paging, MetaOnly, fields=, GET by id and 404s."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import SMALL, Api, body

META_KEYS = {
    "previousPage",
    "nextPage",
    "totalCount",
    "pageCount",
    "self",
    "administrationId",
    "administrationName",
    "profileName",
}


def test_list_envelope_has_data_and_meta(sapi: Api) -> None:
    page = body(sapi.get("countries", {"page": 1, "pageSize": 2}))
    assert set(page) == {"_data", "_meta"}
    assert set(page["_meta"]) == META_KEYS
    assert len(page["_data"]) == 2


def test_countries_match_the_worked_example(sapi: Api) -> None:
    first = sapi.rows("countries", {"pageSize": 1})[0]
    assert set(first) == {"id", "name", "code", "_meta"}
    assert first["code"] == "NL "


def test_each_row_has_meta_self(sandbox: Sandbox, sapi: Api) -> None:
    for row in sapi.rows("debtor", {"pageSize": 3}):
        assert row["_meta"] == {"self": f"{sandbox.base_url}/debtor/{row['id']}"}


def test_total_and_page_count(sapi: Api) -> None:
    meta = body(sapi.get("debtor", {"pageSize": 7}))["_meta"]
    assert meta["totalCount"] == SMALL["debtor"]
    assert meta["pageCount"] == -(-SMALL["debtor"] // 7)


def test_next_page_is_absolute_with_the_same_params(sandbox: Sandbox, sapi: Api) -> None:
    meta = body(sapi.get("debtor", {"pageSize": 2, "orderby": "-name", "active": "true"}))["_meta"]
    url = urlsplit(meta["nextPage"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sandbox.base_url}/debtor"
    assert dict(parse_qsl(url.query)) == {
        "pageSize": "2",
        "orderby": "-name",
        "active": "true",
        "page": "2",
    }
    assert meta["previousPage"] is None


def test_following_next_page_walks_every_row_once(sapi: Api) -> None:
    ids = [row["id"] for row in sapi.all_rows("debtor")]
    assert len(ids) == len(set(ids)) == SMALL["debtor"]
    assert ids == sorted(ids)


def test_previous_page_on_page_two(sapi: Api) -> None:
    meta = body(sapi.get("debtor", {"pageSize": 5, "page": 2}))["_meta"]
    assert dict(parse_qsl(urlsplit(meta["previousPage"]).query))["page"] == "1"


def test_last_page_has_no_next(sapi: Api) -> None:
    meta = body(sapi.get("debtor", {"pageSize": 10, "page": 3}))["_meta"]
    assert meta["nextPage"] is None


def test_self_is_the_current_page(sapi: Api) -> None:
    meta = body(sapi.get("debtor", {"pageSize": 10, "page": 2}))["_meta"]
    assert dict(parse_qsl(urlsplit(meta["self"]).query)) == {"pageSize": "10", "page": "2"}


def test_page_beyond_the_end_is_empty(sapi: Api) -> None:
    page = body(sapi.get("debtor", {"page": 99}))
    assert page["_data"] == []
    assert page["_meta"]["nextPage"] is None


def test_default_page_size_is_25(sapi: Api) -> None:
    assert len(sapi.rows("debtor")) == 25


def test_page_size_above_100_is_clamped(sandbox: Sandbox, api: Api) -> None:
    big = api.using(tenant=sandbox.add_administration(records={"debtor": 150}))
    page = body(big.get("debtor", {"pageSize": 500}))
    assert len(page["_data"]) == 100
    assert page["_meta"]["pageCount"] == 2


def test_pages_are_one_based(sapi: Api) -> None:
    first = sapi.rows("debtor", {"page": 1, "pageSize": 3})
    assert first == sapi.rows("debtor", {"pageSize": 3})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", "0"),
        ("page", "-1"),
        ("page", "abc"),
        ("pageSize", "0"),
        ("pageSize", "-1"),
        ("pageSize", "1.5"),
        ("page", ""),
        ("pageSize", "ten"),
    ],
)
def test_bad_paging_is_400_naming_the_parameter(sapi: Api, name: str, value: str) -> None:
    response = sapi.get("debtor", {name: value})
    assert response.status_code == 400
    problem = body(response)
    assert problem["title"] == "One or more validation errors occurred."
    assert name in problem["errors"]


@pytest.mark.parametrize("spelling", ["pageSize", "pagesize", "PAGESIZE", "PageSize"])
def test_parameter_names_are_case_insensitive(sapi: Api, spelling: str) -> None:
    assert len(sapi.rows("debtor", {spelling: 4})) == 4


def test_id_filter_is_case_insensitive(sapi: Api) -> None:
    first = sapi.rows("debtor", {"pageSize": 1})[0]["id"]
    assert [row["id"] for row in sapi.rows("debtor", {"Id": first})] == [first]


@pytest.mark.parametrize("spelling", ["MetaOnly", "metaOnly", "metaonly"])
def test_meta_only_returns_only_meta(sapi: Api, spelling: str) -> None:
    page = body(sapi.get("debtor", {spelling: "true"}))
    assert set(page) == {"_meta"}
    assert page["_meta"]["totalCount"] == SMALL["debtor"]


def test_meta_only_false_returns_data(sapi: Api) -> None:
    assert "_data" in body(sapi.get("debtor", {"MetaOnly": "false"}))


def test_meta_only_garbage_is_400(sapi: Api) -> None:
    assert sapi.get("debtor", {"MetaOnly": "yes"}).status_code == 400


def test_fields_returns_only_those_fields(sapi: Api) -> None:
    rows = sapi.rows("debtor", {"fields": "id,name", "pageSize": 3})
    assert all(set(row) == {"id", "name", "_meta"} for row in rows)


def test_fields_on_the_journal_entry_log(sapi: Api) -> None:
    rows = sapi.rows("journalentrylog", {"fields": "journalEntryId,action"})
    assert rows and all(set(row) == {"journalEntryId", "action", "_meta"} for row in rows)


def test_unknown_field_in_fields_is_400(sapi: Api) -> None:
    response = sapi.get("debtor", {"fields": "id,shoeSize"})
    assert response.status_code == 400
    assert "fields" in body(response)["errors"]


def test_unknown_query_parameter_is_400_naming_it(sapi: Api) -> None:
    response = sapi.get("debtor", {"colour": "blue"})
    assert response.status_code == 400
    assert list(body(response)["errors"]) == ["colour"]


def test_get_by_id_has_its_own_meta(sandbox: Sandbox, sapi: Api, seeded: int) -> None:
    first = sapi.rows("debtor", {"pageSize": 1})[0]
    one = body(sapi.get(f"debtor/{first['id']}"))
    assert one["_meta"]["self"] == f"{sandbox.base_url}/debtor/{first['id']}"
    assert one["_meta"]["administrationId"] == seeded
    assert set(one["_meta"]) == {"self", "administrationId", "administrationName", "profileName"}
    assert {k: v for k, v in one.items() if k != "_meta"} == {
        k: v for k, v in first.items() if k != "_meta"
    }


@pytest.mark.parametrize(
    "row_id", ["1", "2147483647", "2147483648", "99999999999999999999", "abc", "-1", "1.0"]
)
def test_unknown_or_impossible_id_is_404_problem(sapi: Api, row_id: str) -> None:
    response = sapi.get(f"debtor/{row_id}")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert body(response)["status"] == 404


def test_unknown_resource_is_404(sapi: Api) -> None:
    assert sapi.get("unicorns").status_code == 404


def test_resource_path_is_case_insensitive(sapi: Api) -> None:
    assert sapi.get("Debtor").status_code == 200
    assert sapi.post("salesorderwithlines", {}).status_code == 400


@pytest.mark.parametrize(
    "resource",
    [
        "administrations",
        "approvalroutes",
        "articles",
        "salestypes",
        "ledgergrouped",
        "journalentrylog",
        "countries",
        "debtor",
        "creditors",
        "salesinvoices",
        "purchaseinvoices",
        "journalentries",
        "ledgeraccounts",
        "vatcodes",
        "paymentconditions",
    ],
)
def test_every_listable_resource_lists_and_gets(sapi: Api, resource: str) -> None:
    rows = sapi.rows(resource, {"pageSize": 2})
    assert rows, resource
    one = body(sapi.get(f"{resource}/{rows[0]['id']}"))
    assert one["id"] == rows[0]["id"]


def test_head_is_answered_like_get(sapi: Api) -> None:
    response = sapi.call("HEAD", "debtor")
    assert response.status_code == 200
    assert response.content == b""


def test_query_string_over_2048_bytes_is_404(sapi: Api) -> None:
    ids = [("id", str(10000 + n)) for n in range(400)]
    response = sapi.get("debtor", ids)
    assert len(response.request.url.split("?", 1)[1]) > 2048
    assert response.status_code == 404
    assert "2048" in body(response)["detail"]


def test_query_string_of_2048_bytes_is_fine(sapi: Api) -> None:
    params = [("id", "1" * 5)] * 300
    query = "&".join(f"{k}={v}" for k, v in params)[:2048]
    query = query[: query.rfind("&")]
    assert sapi.get(f"debtor?{query}").status_code == 200


def test_query_length_limit_is_a_knob(sandbox: Sandbox, sapi: Api) -> None:
    sandbox.state.max_query_length = None
    assert sapi.get("debtor", [("id", str(10000 + n)) for n in range(400)]).status_code == 200
