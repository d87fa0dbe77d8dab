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


def test_list_envelope_has_data_and_meta(seeded_api: Api) -> None:
    page = body(seeded_api.get("countries", {"page": 1, "pageSize": 2}))
    assert set(page) == {"_data", "_meta"}
    assert set(page["_meta"]) == META_KEYS
    assert len(page["_data"]) == 2


def test_countries_match_the_worked_example(seeded_api: Api) -> None:
    first = seeded_api.rows("countries", {"pageSize": 1})[0]
    assert set(first) == {"id", "name", "code", "_meta"}
    assert first["code"] == "NL "


def test_each_row_has_meta_self(asperion_sandbox: Sandbox, seeded_api: Api) -> None:
    for row in seeded_api.rows("debtors", {"pageSize": 3}):
        assert row["_meta"] == {"self": f"{asperion_sandbox.base_url}/debtors/{row['id']}"}


def test_total_and_page_count(seeded_api: Api) -> None:
    meta = body(seeded_api.get("debtors", {"pageSize": 7}))["_meta"]
    assert meta["totalCount"] == SMALL["debtors"]
    assert meta["pageCount"] == -(-SMALL["debtors"] // 7)


def test_next_page_is_absolute_with_the_same_params(
    asperion_sandbox: Sandbox, seeded_api: Api
) -> None:
    page = body(seeded_api.get("debtors", {"pageSize": 2, "orderby": "-name", "blocked": "false"}))
    meta = page["_meta"]
    url = urlsplit(meta["nextPage"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{asperion_sandbox.base_url}/debtors"
    assert dict(parse_qsl(url.query)) == {
        "pageSize": "2",
        "orderby": "-name",
        "blocked": "false",
        "page": "2",
    }
    assert meta["previousPage"] is None


def test_following_next_page_walks_every_row_once(seeded_api: Api) -> None:
    ids = [row["id"] for row in seeded_api.all_rows("debtors")]
    assert len(ids) == len(set(ids)) == SMALL["debtors"]
    assert ids == sorted(ids)


def test_previous_page_on_page_two(seeded_api: Api) -> None:
    meta = body(seeded_api.get("debtors", {"pageSize": 5, "page": 2}))["_meta"]
    assert dict(parse_qsl(urlsplit(meta["previousPage"]).query))["page"] == "1"


def test_last_page_has_no_next(seeded_api: Api) -> None:
    meta = body(seeded_api.get("debtors", {"pageSize": 10, "page": 3}))["_meta"]
    assert meta["nextPage"] is None


def test_self_is_the_current_page(seeded_api: Api) -> None:
    meta = body(seeded_api.get("debtors", {"pageSize": 10, "page": 2}))["_meta"]
    assert dict(parse_qsl(urlsplit(meta["self"]).query)) == {"pageSize": "10", "page": "2"}


def test_page_beyond_the_end_is_empty(seeded_api: Api) -> None:
    page = body(seeded_api.get("debtors", {"page": 99}))
    assert page["_data"] == []
    assert page["_meta"]["nextPage"] is None


def test_default_page_size_is_25(seeded_api: Api) -> None:
    assert len(seeded_api.rows("debtors")) == 25


def test_page_size_above_100_is_clamped(asperion_sandbox: Sandbox, user_api: Api) -> None:
    big = user_api.using(tenant=asperion_sandbox.add_administration(records={"debtors": 150}))
    page = body(big.get("debtors", {"pageSize": 500}))
    assert len(page["_data"]) == 100
    assert page["_meta"]["pageCount"] == 2


def test_pages_are_one_based(seeded_api: Api) -> None:
    first = seeded_api.rows("debtors", {"page": 1, "pageSize": 3})
    assert first == seeded_api.rows("debtors", {"pageSize": 3})


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
def test_bad_paging_is_400_naming_the_parameter(seeded_api: Api, name: str, value: str) -> None:
    response = seeded_api.get("debtors", {name: value})
    assert response.status_code == 400
    problem = body(response)
    assert problem["title"] == "One or more validation errors occurred."
    assert name in problem["errors"]


@pytest.mark.parametrize("spelling", ["pageSize", "pagesize", "PAGESIZE", "PageSize"])
def test_parameter_names_are_case_insensitive(seeded_api: Api, spelling: str) -> None:
    assert len(seeded_api.rows("debtors", {spelling: 4})) == 4


def test_id_filter_is_case_insensitive(seeded_api: Api) -> None:
    first = seeded_api.rows("debtors", {"pageSize": 1})[0]["id"]
    assert [row["id"] for row in seeded_api.rows("debtors", {"Id": first})] == [first]


@pytest.mark.parametrize("spelling", ["MetaOnly", "metaOnly", "metaonly"])
def test_meta_only_returns_only_meta(seeded_api: Api, spelling: str) -> None:
    page = body(seeded_api.get("debtors", {spelling: "true"}))
    assert set(page) == {"_meta"}
    assert page["_meta"]["totalCount"] == SMALL["debtors"]


def test_meta_only_false_returns_data(seeded_api: Api) -> None:
    assert "_data" in body(seeded_api.get("debtors", {"MetaOnly": "false"}))


def test_meta_only_garbage_is_400(seeded_api: Api) -> None:
    assert seeded_api.get("debtors", {"MetaOnly": "yes"}).status_code == 400


def test_fields_returns_only_those_fields(seeded_api: Api) -> None:
    rows = seeded_api.rows("debtors", {"fields": "id,name", "pageSize": 3})
    assert all(set(row) == {"id", "name", "_meta"} for row in rows)


def test_fields_on_the_journal_entry_log(seeded_api: Api) -> None:
    rows = seeded_api.rows("journalentrylog", {"fields": "journalEntryId,action"})
    assert rows and all(set(row) == {"journalEntryId", "action", "_meta"} for row in rows)


def test_unknown_field_in_fields_is_400(seeded_api: Api) -> None:
    response = seeded_api.get("debtors", {"fields": "id,shoeSize"})
    assert response.status_code == 400
    assert "fields" in body(response)["errors"]


def test_unknown_query_parameter_is_400_naming_it(seeded_api: Api) -> None:
    response = seeded_api.get("debtors", {"colour": "blue"})
    assert response.status_code == 400
    assert list(body(response)["errors"]) == ["colour"]


def test_get_by_id_has_its_own_meta(
    asperion_sandbox: Sandbox, seeded_api: Api, seeded_tenant: int
) -> None:
    first = seeded_api.rows("debtors", {"pageSize": 1})[0]
    one = body(seeded_api.get(f"debtors/{first['id']}"))
    assert one["_meta"]["self"] == f"{asperion_sandbox.base_url}/debtors/{first['id']}"
    assert one["_meta"]["administrationId"] == seeded_tenant
    assert set(one["_meta"]) == {"self", "administrationId", "administrationName", "profileName"}
    assert {k: v for k, v in one.items() if k != "_meta"} == {
        k: v for k, v in first.items() if k != "_meta"
    }


@pytest.mark.parametrize(
    "row_id", ["1", "2147483647", "2147483648", "99999999999999999999", "abc", "-1", "1.0"]
)
def test_unknown_or_impossible_id_is_404_problem(seeded_api: Api, row_id: str) -> None:
    response = seeded_api.get(f"debtors/{row_id}")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert body(response)["status"] == 404


def test_unknown_resource_is_404(seeded_api: Api) -> None:
    assert seeded_api.get("unicorns").status_code == 404


def test_resource_path_is_case_insensitive(seeded_api: Api) -> None:
    assert seeded_api.get("Debtors").status_code == 200
    assert seeded_api.get("SalesInvoicesWithLines").status_code == 200
    assert seeded_api.post("salesorderwithlines", {}).status_code == 400


@pytest.mark.parametrize("spelling", ["debtor", "Debtor", "DEBTOR"])
def test_debtor_is_an_alias_of_debtors(
    asperion_sandbox: Sandbox, seeded_api: Api, spelling: str
) -> None:
    assert seeded_api.rows(spelling, {"pageSize": 5}) == seeded_api.rows("debtors", {"pageSize": 5})
    first = seeded_api.rows("debtors", {"pageSize": 1})[0]
    one = body(seeded_api.get(f"{spelling}/{first['id']}"))
    assert one["_meta"]["self"] == f"{asperion_sandbox.base_url}/debtors/{first['id']}"
    assert one["name"] == first["name"]


def test_writes_through_the_alias_reach_the_same_table(tenant_api: Api) -> None:
    created = body(tenant_api.post("debtor", {"name": "Via Enkelvoud B.V."}))
    assert body(tenant_api.get(f"debtors/{created['id']}"))["name"] == "Via Enkelvoud B.V."
    assert tenant_api.patch(f"debtor/{created['id']}", {"city": "Delft"}).status_code == 200
    assert body(tenant_api.get(f"debtors/{created['id']}"))["city"] == "Delft"
    assert tenant_api.delete(f"debtor/{created['id']}").status_code == 204
    assert tenant_api.get(f"debtors/{created['id']}").status_code == 404


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
        "debtors",
        "debtor",
        "creditors",
        "salesinvoices",
        "salesinvoiceswithlines",
        "purchaseinvoices",
        "journalentrieswithlines",
        "journals",
        "ledgeraccounts",
        "vatcodes",
        "paymentconditions",
        "costcenters",
        "costunits",
    ],
)
def test_every_listable_resource_lists_and_gets(seeded_api: Api, resource: str) -> None:
    rows = seeded_api.rows(resource, {"pageSize": 2})
    assert rows, resource
    one = body(seeded_api.get(f"{resource}/{rows[0]['id']}"))
    assert one["id"] == rows[0]["id"]


@pytest.mark.parametrize(("resource", "row_id"), [("journals", "70"), ("vatcodes", "VH21")])
def test_string_ids_are_read_by_id(seeded_api: Api, resource: str, row_id: str) -> None:
    one = body(seeded_api.get(f"{resource}/{row_id}"))
    assert one["id"] == row_id
    assert one["_meta"]["self"].endswith(f"/{resource}/{row_id}")
    assert seeded_api.get(f"{resource}/{row_id.lower()}x").status_code == 404


@pytest.mark.parametrize(
    ("resource", "line"),
    [("salesinvoiceswithlines", "ledgerAccountId"), ("journalentrieswithlines", "amount")],
)
def test_lines_are_an_embedded_envelope(seeded_api: Api, resource: str, line: str) -> None:
    rows = seeded_api.rows(resource, {"pageSize": 3})
    for row in [*rows, body(seeded_api.get(f"{resource}/{rows[0]['id']}"))]:
        lines = row["lines"]
        assert set(lines) == {"_data", "_meta"}
        assert lines["_meta"] == {"totalCount": len(lines["_data"])}
        assert all(line in item and isinstance(item["id"], int) for item in lines["_data"])


def test_invoices_without_lines_show_the_header_only(seeded_api: Api) -> None:
    headers = seeded_api.rows("salesinvoices", {"pageSize": 5})
    full = seeded_api.rows("salesinvoiceswithlines", {"pageSize": 5})
    for header, invoice in zip(headers, full, strict=True):
        assert "lines" not in header and "files" not in header
        assert header["_meta"]["self"].endswith(f"/salesinvoices/{header['id']}")
        same = {k: v for k, v in invoice.items() if k not in ("lines", "files", "_meta")}
        assert {k: v for k, v in header.items() if k != "_meta"} == same


def test_fields_can_pick_the_lines(seeded_api: Api) -> None:
    rows = seeded_api.rows("salesinvoiceswithlines", {"fields": "id,lines", "pageSize": 2})
    assert all(set(row) == {"id", "lines", "_meta"} for row in rows)
    assert all(set(row["lines"]) == {"_data", "_meta"} for row in rows)


def test_head_is_answered_like_get(seeded_api: Api) -> None:
    response = seeded_api.call("HEAD", "debtors")
    assert response.status_code == 200
    assert response.content == b""


def test_query_string_over_2048_bytes_is_404(seeded_api: Api) -> None:
    ids = [("id", str(10000 + n)) for n in range(400)]
    response = seeded_api.get("debtors", ids)
    assert len(response.request.url.split("?", 1)[1]) > 2048
    assert response.status_code == 404
    assert "2048" in body(response)["detail"]


def test_query_string_of_2048_bytes_is_fine(seeded_api: Api) -> None:
    params = [("id", "1" * 5)] * 300
    query = "&".join(f"{k}={v}" for k, v in params)[:2048]
    query = query[: query.rfind("&")]
    assert seeded_api.get(f"debtors?{query}").status_code == 200


def test_query_length_limit_is_a_knob(asperion_sandbox: Sandbox, seeded_api: Api) -> None:
    asperion_sandbox.state.max_query_length = None
    assert (
        seeded_api.get("debtors", [("id", str(10000 + n)) for n in range(400)]).status_code == 200
    )
