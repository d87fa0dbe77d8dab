"""The special rules: articles and stock, sales orders, the journal-entry log, invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body


def article(tapi: Api, **values: Any) -> dict[str, Any]:
    sales_type = tapi.rows("salestypes")[0]["id"]
    payload = {
        "code": "A-1",
        "description": "Koffie",
        "salesTypeId": sales_type,
        "price": Decimal("12.50"),
        **values,
    }
    response = tapi.post("articles", payload)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = body(response)
    return result


# --- articles -----------------------------------------------------------------------------------


def count(api: Api, path: str, **params: str) -> int:
    total: int = body(api.get(path, {**params, "MetaOnly": "true"}))["_meta"]["totalCount"]
    return total


def test_articles_list_only_active_ones_by_default(tapi: Api) -> None:
    rows = tapi.all_rows("articles")
    assert rows and all(row["active"] for row in rows)


def test_active_state_inactive_and_all(sandbox: Sandbox, tapi: Api) -> None:
    active = count(tapi, "articles")
    inactive = count(tapi, "articles", ActiveState="Inactive")
    assert inactive > 0
    assert count(tapi, "articles", ActiveState="All") == active + inactive
    assert count(tapi, "articles", ActiveState="Active") == active
    assert sandbox.state.count(tapi.tenant or 0, "articles") == active + inactive


def test_active_state_values_are_case_insensitive(tapi: Api) -> None:
    assert count(tapi, "articles", activestate="all") == count(tapi, "articles", ActiveState="All")


def test_active_state_garbage_is_400(tapi: Api) -> None:
    assert "ActiveState" in body(tapi.get("articles", {"ActiveState": "Maybe"}))["errors"]


def test_active_state_is_only_for_articles(tapi: Api) -> None:
    assert tapi.get("debtor", {"ActiveState": "All"}).status_code == 400


def test_inactive_article_is_still_found_by_id(tapi: Api) -> None:
    hidden = tapi.rows("articles", {"ActiveState": "Inactive"})[0]
    assert tapi.get(f"articles/{hidden['id']}").status_code == 200


def test_new_article_has_zero_stock(tapi: Api) -> None:
    assert article(tapi)["currentStock"] == 0


def test_article_refers_to_a_sales_type(tapi: Api) -> None:
    sales_type = article(tapi)["salesTypeId"]
    assert tapi.get(f"salestypes/{sales_type}").status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_writing_current_stock_is_refused(tapi: Api, method: str) -> None:
    existing = article(tapi)
    path = "articles" if method == "POST" else f"articles/{existing['id']}"
    payload = {
        "code": "A",
        "description": "B",
        "salesTypeId": existing["salesTypeId"],
        "currentStock": 5,
    }
    response = tapi.call(method, path, body=payload)
    assert response.status_code == 400
    assert "currentStock" in body(response)["errors"]


def test_deactivating_hides_an_article_from_the_list(tapi: Api) -> None:
    created = article(tapi, code="VERBERG")
    tapi.patch(f"articles/{created['id']}", {"active": False})
    assert tapi.rows("articles", {"code": "VERBERG"}) == []
    assert len(tapi.rows("articles", {"code": "VERBERG", "ActiveState": "All"})) == 1


# --- sales orders -------------------------------------------------------------------------------


def order(tapi: Api, lines: list[dict[str, Any]]) -> Any:
    debtor = tapi.rows("debtor")[0]["id"]
    return tapi.post(
        "SalesOrderWithLines", {"debtorId": debtor, "orderDate": "2025-05-01", "lines": lines}
    )


def test_sales_order_lowers_stock_per_line(tapi: Api) -> None:
    one, two = article(tapi, code="S1"), article(tapi, code="S2")
    response = order(
        tapi,
        [
            {"articleId": one["id"], "quantity": Decimal("3.00")},
            {"articleId": two["id"], "quantity": 2},
            {"articleId": one["id"], "quantity": Decimal("1.50")},
        ],
    )
    assert response.status_code == 201, response.text
    assert body(tapi.get(f"articles/{one['id']}"))["currentStock"] == Decimal("-4.50")
    assert body(tapi.get(f"articles/{two['id']}"))["currentStock"] == Decimal("-2.00")


def test_sales_order_answer_has_lines_and_total(tapi: Api) -> None:
    item = article(tapi, price=Decimal("10.00"))
    created = body(order(tapi, [{"articleId": item["id"], "quantity": 2}]))
    assert created["lines"][0]["price"] == Decimal("10.00")
    assert created["lines"][0]["description"] == "Koffie"
    assert created["amountExclVat"] == Decimal("20.00")


def test_sales_order_needs_lines(tapi: Api) -> None:
    assert "lines" in body(order(tapi, []))["errors"]


def test_sales_order_with_unknown_article_changes_nothing(tapi: Api) -> None:
    item = article(tapi)
    response = order(
        tapi, [{"articleId": item["id"], "quantity": 1}, {"articleId": 1, "quantity": 1}]
    )
    assert "lines[1].articleId" in body(response)["errors"]
    assert body(tapi.get(f"articles/{item['id']}"))["currentStock"] == 0


def test_sales_orders_cannot_be_read(tapi: Api) -> None:
    response = tapi.get("SalesOrderWithLines")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_sales_order_items_do_not_exist(tapi: Api) -> None:
    item = article(tapi)
    created = body(order(tapi, [{"articleId": item["id"], "quantity": 1}]))
    response = tapi.get(f"SalesOrderWithLines/{created['id']}")
    assert response.status_code == 405


# --- journal entries and their log ---------------------------------------------------------------


def entry(tapi: Api) -> dict[str, Any]:
    ledger = tapi.rows("ledgeraccounts")[0]["id"]
    payload = {
        "entryDate": "2025-04-01",
        "journalCode": "MEM",
        "description": "Correctie",
        "lines": [
            {"ledgerAccountId": ledger, "debit": Decimal("10.00")},
            {"ledgerAccountId": ledger, "credit": Decimal("10.00")},
        ],
    }
    response = tapi.post("journalentries", payload)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = body(response)
    return result


def log_for(tapi: Api, entry_id: int) -> list[dict[str, Any]]:
    return tapi.all_rows("journalentrylog", [("journalEntryId", str(entry_id))])


def test_journal_entry_changes_are_logged_in_order(tapi: Api) -> None:
    created = entry(tapi)
    tapi.patch(f"journalentries/{created['id']}", {"description": "Nog een correctie"})
    tapi.delete(f"journalentries/{created['id']}")
    log = log_for(tapi, created["id"])
    assert [row["action"] for row in log] == ["Insert", "Update", "Delete"]
    stamps = [row["changedDate"] for row in log]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


def test_put_is_logged_as_update(tapi: Api) -> None:
    created = entry(tapi)
    tapi.put(f"journalentries/{created['id']}", {"entryDate": "2025-04-02"})
    assert [row["action"] for row in log_for(tapi, created["id"])] == ["Insert", "Update"]


def test_log_changed_date_is_after_everything_seeded(tapi: Api) -> None:
    newest = tapi.rows("journalentrylog", {"orderby": "-changedDate", "pageSize": 1})[0]
    created = entry(tapi)
    assert log_for(tapi, created["id"])[0]["changedDate"] > newest["changedDate"]


def test_incremental_sync_with_changed_date_from(tapi: Api) -> None:
    last = tapi.rows("journalentrylog", {"orderby": "-changedDate", "pageSize": 1})[0]
    created = entry(tapi)
    news = tapi.all_rows("journalentrylog", [("ChangedDate_from", last["changedDate"])])
    assert [row["journalEntryId"] for row in news][-1] == created["id"]


def test_seeded_log_has_deletions_of_vanished_entries(tapi: Api) -> None:
    deleted = tapi.all_rows("journalentrylog", [("action", "Delete")])
    assert deleted
    for row in deleted[:3]:
        assert tapi.get(f"journalentries/{row['journalEntryId']}").status_code == 404


def test_seeded_log_covers_every_entry(sandbox: Sandbox, tapi: Api) -> None:
    entries = {row["id"] for row in tapi.all_rows("journalentries")}
    inserted = {
        row["journalEntryId"] for row in tapi.all_rows("journalentrylog", [("action", "Insert")])
    }
    assert entries <= inserted


def test_failed_write_is_not_logged(tapi: Api) -> None:
    before = count(tapi, "journalentrylog")
    assert tapi.post("journalentries", {"entryDate": "nope"}).status_code == 400
    assert count(tapi, "journalentrylog") == before


# --- invoices -----------------------------------------------------------------------------------


def test_sales_invoice_is_created_as_a_draft_without_number(tapi: Api) -> None:
    debtor = tapi.rows("debtor")[0]["id"]
    created = body(tapi.post("salesinvoices", {"debtorId": debtor, "invoiceDate": "2025-02-01"}))
    assert created["status"] == "Draft"
    assert created["invoiceNumber"] is None


def test_invoice_amounts_come_from_the_lines(tapi: Api) -> None:
    debtor = tapi.rows("debtor")[0]["id"]
    high = next(r for r in tapi.rows("vatcodes") if r["percentage"] == 21)["id"]
    lines = [
        {"quantity": Decimal("3"), "price": Decimal("19.99"), "vatCodeId": high},
        {"quantity": 1, "price": Decimal("0.05")},
    ]
    created = body(
        tapi.post(
            "salesinvoices", {"debtorId": debtor, "invoiceDate": "2025-02-01", "lines": lines}
        )
    )
    assert created["amountExclVat"] == Decimal("60.02")
    assert created["vatAmount"] == Decimal("12.59")
    assert created["amountInclVat"] == Decimal("72.61")


def test_invoice_amounts_are_read_only(tapi: Api) -> None:
    debtor = tapi.rows("debtor")[0]["id"]
    response = tapi.post(
        "salesinvoices", {"debtorId": debtor, "invoiceDate": "2025-02-01", "amountInclVat": 5}
    )
    assert "amountInclVat" in body(response)["errors"]


def test_seeded_invoices_point_at_existing_debtors(sapi: Api) -> None:
    debtors = {row["id"] for row in sapi.all_rows("debtor")}
    invoices = sapi.all_rows("salesinvoices")
    assert invoices and {row["debtorId"] for row in invoices} <= debtors


def test_seeded_invoices_are_mostly_final_with_numbers(sapi: Api) -> None:
    invoices = sapi.all_rows("salesinvoices")
    final = [row for row in invoices if row["status"] == "Final"]
    assert final and all(row["invoiceNumber"] for row in final)


def purchase(tapi: Api, **values: Any) -> Any:
    creditor = tapi.rows("creditors")[0]["id"]
    payload = {
        "creditorId": creditor,
        "invoiceDate": "2025-03-03",
        "invoiceNumber": "F-1",
        **values,
    }
    return tapi.post("purchaseinvoices", payload)


def approval_tenant(sandbox: Sandbox, api: Api) -> Api:
    admins = api.rows("administrations")
    chosen = next(row["id"] for row in admins if row["approvalRoutingRequired"])
    return api.using(tenant=chosen)


def test_purchase_invoice_without_route_is_400_when_routing_is_on(
    sandbox: Sandbox, api: Api
) -> None:
    tapi = approval_tenant(sandbox, api)
    problem = body(purchase(tapi))
    assert problem["status"] == 400
    assert problem["errors"] == {
        "approvalRouteId": ["An approval route is required in this administration."]
    }


def test_purchase_invoice_with_route_is_created_when_routing_is_on(
    sandbox: Sandbox, api: Api
) -> None:
    tapi = approval_tenant(sandbox, api)
    route = tapi.rows("approvalroutes")[0]["id"]
    response = purchase(tapi, approvalRouteId=route)
    assert response.status_code == 201
    assert body(response)["approvalRouteId"] == route


def test_purchase_invoice_route_cannot_be_cleared_when_routing_is_on(
    sandbox: Sandbox, api: Api
) -> None:
    tapi = approval_tenant(sandbox, api)
    route = tapi.rows("approvalroutes")[0]["id"]
    created = body(purchase(tapi, approvalRouteId=route))
    response = tapi.patch(f"purchaseinvoices/{created['id']}", {"approvalRouteId": None})
    assert "approvalRouteId" in body(response)["errors"]


def test_purchase_invoice_without_route_is_fine_elsewhere(tapi: Api) -> None:
    assert purchase(tapi).status_code == 201


def test_unknown_approval_route_is_400(tapi: Api) -> None:
    assert "approvalRouteId" in body(purchase(tapi, approvalRouteId=999))["errors"]


# --- other resources ----------------------------------------------------------------------------


def test_ledgergrouped_has_balances_per_period(sapi: Api) -> None:
    rows = sapi.all_rows("ledgergrouped")
    assert {row["period"] for row in rows} <= set(range(1, 13))
    assert all(row["balance"] == row["debit"] - row["credit"] for row in rows)


def test_ledgergrouped_filters_by_year_and_period(sapi: Api) -> None:
    rows = sapi.rows("ledgergrouped", {"year": 2025, "period": 3})
    assert rows and all((row["year"], row["period"]) == (2025, 3) for row in rows)


@pytest.mark.parametrize(
    ("resource", "payload"),
    [
        ("countries", {"name": "Atlantis", "code": "ATL"}),
        ("vatcodes", {"code": "X", "description": "Test", "percentage": Decimal("5.5")}),
        ("paymentconditions", {"description": "7 dagen", "days": 7}),
        ("ledgeraccounts", {"code": "9999", "description": "Test", "accountType": "Balance"}),
        ("creditors", {"name": "Leverancier"}),
    ],
)
def test_writable_resources_round_trip(tapi: Api, resource: str, payload: dict[str, Any]) -> None:
    created = body(tapi.post(resource, payload))
    path = f"{resource}/{created['id']}"
    assert {k: created[k] for k in payload} == payload
    assert tapi.patch(path, {next(iter(payload)): payload[next(iter(payload))]}).status_code == 200
    assert tapi.delete(path).status_code == 204


def test_enum_field_is_checked(tapi: Api) -> None:
    response = tapi.post(
        "ledgeraccounts", {"code": "1", "description": "x", "accountType": "Assets"}
    )
    assert "accountType" in body(response)["errors"]
