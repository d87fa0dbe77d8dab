"""The special rules: articles and stock, sales orders, the journal-entry log, invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body


def article(tenant_api: Api, **values: Any) -> dict[str, Any]:
    sales_type = tenant_api.rows("salestypes")[0]["id"]
    payload = {
        "code": "A-1",
        "description": "Koffie",
        "salesTypeId": sales_type,
        "price": Decimal("12.50"),
        **values,
    }
    response = tenant_api.post("articles", payload)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = body(response)
    return result


# --- articles -----------------------------------------------------------------------------------


def count(api: Api, path: str, **params: str) -> int:
    total: int = body(api.get(path, {**params, "MetaOnly": "true"}))["_meta"]["totalCount"]
    return total


def test_articles_list_only_active_ones_by_default(tenant_api: Api) -> None:
    rows = tenant_api.all_rows("articles")
    assert rows and all(row["active"] for row in rows)


def test_active_state_inactive_and_all(asperion_sandbox: Sandbox, tenant_api: Api) -> None:
    active = count(tenant_api, "articles")
    inactive = count(tenant_api, "articles", ActiveState="Inactive")
    assert inactive > 0
    assert count(tenant_api, "articles", ActiveState="All") == active + inactive
    assert count(tenant_api, "articles", ActiveState="Active") == active
    assert asperion_sandbox.state.count(tenant_api.tenant or 0, "articles") == active + inactive


def test_active_state_values_are_case_insensitive(tenant_api: Api) -> None:
    assert count(tenant_api, "articles", activestate="all") == count(
        tenant_api, "articles", ActiveState="All"
    )


def test_active_state_garbage_is_400(tenant_api: Api) -> None:
    assert "ActiveState" in body(tenant_api.get("articles", {"ActiveState": "Maybe"}))["errors"]


def test_active_state_is_only_for_articles(tenant_api: Api) -> None:
    assert tenant_api.get("debtor", {"ActiveState": "All"}).status_code == 400


def test_inactive_article_is_still_found_by_id(tenant_api: Api) -> None:
    hidden = tenant_api.rows("articles", {"ActiveState": "Inactive"})[0]
    assert tenant_api.get(f"articles/{hidden['id']}").status_code == 200


def test_new_article_has_zero_stock(tenant_api: Api) -> None:
    assert article(tenant_api)["currentStock"] == 0


def test_article_refers_to_a_sales_type(tenant_api: Api) -> None:
    sales_type = article(tenant_api)["salesTypeId"]
    assert tenant_api.get(f"salestypes/{sales_type}").status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_writing_current_stock_is_refused(tenant_api: Api, method: str) -> None:
    existing = article(tenant_api)
    path = "articles" if method == "POST" else f"articles/{existing['id']}"
    payload = {
        "code": "A",
        "description": "B",
        "salesTypeId": existing["salesTypeId"],
        "currentStock": 5,
    }
    response = tenant_api.call(method, path, body=payload)
    assert response.status_code == 400
    assert "currentStock" in body(response)["errors"]


def test_deactivating_hides_an_article_from_the_list(tenant_api: Api) -> None:
    created = article(tenant_api, code="VERBERG")
    tenant_api.patch(f"articles/{created['id']}", {"active": False})
    assert tenant_api.rows("articles", {"code": "VERBERG"}) == []
    assert len(tenant_api.rows("articles", {"code": "VERBERG", "ActiveState": "All"})) == 1


# --- sales orders -------------------------------------------------------------------------------


def order(tenant_api: Api, lines: list[dict[str, Any]]) -> Any:
    debtor = tenant_api.rows("debtor")[0]["id"]
    return tenant_api.post(
        "SalesOrderWithLines", {"debtorId": debtor, "orderDate": "2025-05-01", "lines": lines}
    )


def test_sales_order_lowers_stock_per_line(tenant_api: Api) -> None:
    one, two = article(tenant_api, code="S1"), article(tenant_api, code="S2")
    response = order(
        tenant_api,
        [
            {"articleId": one["id"], "quantity": Decimal("3.00")},
            {"articleId": two["id"], "quantity": 2},
            {"articleId": one["id"], "quantity": Decimal("1.50")},
        ],
    )
    assert response.status_code == 201, response.text
    assert body(tenant_api.get(f"articles/{one['id']}"))["currentStock"] == Decimal("-4.50")
    assert body(tenant_api.get(f"articles/{two['id']}"))["currentStock"] == Decimal("-2.00")


def test_sales_order_answer_has_lines_and_total(tenant_api: Api) -> None:
    item = article(tenant_api, price=Decimal("10.00"))
    created = body(order(tenant_api, [{"articleId": item["id"], "quantity": 2}]))
    assert created["lines"][0]["price"] == Decimal("10.00")
    assert created["lines"][0]["description"] == "Koffie"
    assert created["amountExclVat"] == Decimal("20.00")


def test_sales_order_needs_lines(tenant_api: Api) -> None:
    assert "lines" in body(order(tenant_api, []))["errors"]


def test_sales_order_with_unknown_article_changes_nothing(tenant_api: Api) -> None:
    item = article(tenant_api)
    response = order(
        tenant_api, [{"articleId": item["id"], "quantity": 1}, {"articleId": 1, "quantity": 1}]
    )
    assert "lines[1].articleId" in body(response)["errors"]
    assert body(tenant_api.get(f"articles/{item['id']}"))["currentStock"] == 0


def test_sales_orders_cannot_be_read(tenant_api: Api) -> None:
    response = tenant_api.get("SalesOrderWithLines")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_sales_order_items_do_not_exist(tenant_api: Api) -> None:
    item = article(tenant_api)
    created = body(order(tenant_api, [{"articleId": item["id"], "quantity": 1}]))
    response = tenant_api.get(f"SalesOrderWithLines/{created['id']}")
    assert response.status_code == 405


# --- journal entries and their log ---------------------------------------------------------------


def entry(tenant_api: Api) -> dict[str, Any]:
    ledger = tenant_api.rows("ledgeraccounts")[0]["id"]
    payload = {
        "entryDate": "2025-04-01",
        "journalCode": "MEM",
        "description": "Correctie",
        "lines": [
            {"ledgerAccountId": ledger, "debit": Decimal("10.00")},
            {"ledgerAccountId": ledger, "credit": Decimal("10.00")},
        ],
    }
    response = tenant_api.post("journalentries", payload)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = body(response)
    return result


def log_for(tenant_api: Api, entry_id: int) -> list[dict[str, Any]]:
    return tenant_api.all_rows("journalentrylog", [("journalEntryId", str(entry_id))])


def test_journal_entry_changes_are_logged_in_order(tenant_api: Api) -> None:
    created = entry(tenant_api)
    tenant_api.patch(f"journalentries/{created['id']}", {"description": "Nog een correctie"})
    tenant_api.delete(f"journalentries/{created['id']}")
    log = log_for(tenant_api, created["id"])
    assert [row["action"] for row in log] == ["Insert", "Update", "Delete"]
    stamps = [row["changedDate"] for row in log]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


def test_put_is_logged_as_update(tenant_api: Api) -> None:
    created = entry(tenant_api)
    tenant_api.put(f"journalentries/{created['id']}", {"entryDate": "2025-04-02"})
    assert [row["action"] for row in log_for(tenant_api, created["id"])] == ["Insert", "Update"]


def test_log_changed_date_is_after_everything_seeded(tenant_api: Api) -> None:
    newest = tenant_api.rows("journalentrylog", {"orderby": "-changedDate", "pageSize": 1})[0]
    created = entry(tenant_api)
    assert log_for(tenant_api, created["id"])[0]["changedDate"] > newest["changedDate"]


def test_incremental_sync_with_changed_date_from(tenant_api: Api) -> None:
    last = tenant_api.rows("journalentrylog", {"orderby": "-changedDate", "pageSize": 1})[0]
    created = entry(tenant_api)
    news = tenant_api.all_rows("journalentrylog", [("ChangedDate_from", last["changedDate"])])
    assert [row["journalEntryId"] for row in news][-1] == created["id"]


def test_seeded_log_has_deletions_of_vanished_entries(tenant_api: Api) -> None:
    deleted = tenant_api.all_rows("journalentrylog", [("action", "Delete")])
    assert deleted
    for row in deleted[:3]:
        assert tenant_api.get(f"journalentries/{row['journalEntryId']}").status_code == 404


def test_seeded_log_covers_every_entry(asperion_sandbox: Sandbox, tenant_api: Api) -> None:
    entries = {row["id"] for row in tenant_api.all_rows("journalentries")}
    inserted = {
        row["journalEntryId"]
        for row in tenant_api.all_rows("journalentrylog", [("action", "Insert")])
    }
    assert entries <= inserted


def test_failed_write_is_not_logged(tenant_api: Api) -> None:
    before = count(tenant_api, "journalentrylog")
    assert tenant_api.post("journalentries", {"entryDate": "nope"}).status_code == 400
    assert count(tenant_api, "journalentrylog") == before


# --- invoices -----------------------------------------------------------------------------------


def test_sales_invoice_is_created_as_a_draft_without_number(tenant_api: Api) -> None:
    debtor = tenant_api.rows("debtor")[0]["id"]
    created = body(
        tenant_api.post("salesinvoices", {"debtorId": debtor, "invoiceDate": "2025-02-01"})
    )
    assert created["status"] == "Draft"
    assert created["invoiceNumber"] is None


def test_invoice_amounts_come_from_the_lines(tenant_api: Api) -> None:
    debtor = tenant_api.rows("debtor")[0]["id"]
    high = next(r for r in tenant_api.rows("vatcodes") if r["percentage"] == 21)["id"]
    lines = [
        {"quantity": Decimal("3"), "price": Decimal("19.99"), "vatCodeId": high},
        {"quantity": 1, "price": Decimal("0.05")},
    ]
    created = body(
        tenant_api.post(
            "salesinvoices", {"debtorId": debtor, "invoiceDate": "2025-02-01", "lines": lines}
        )
    )
    assert created["amountExclVat"] == Decimal("60.02")
    assert created["vatAmount"] == Decimal("12.59")
    assert created["amountInclVat"] == Decimal("72.61")


def test_invoice_amounts_are_read_only(tenant_api: Api) -> None:
    debtor = tenant_api.rows("debtor")[0]["id"]
    response = tenant_api.post(
        "salesinvoices", {"debtorId": debtor, "invoiceDate": "2025-02-01", "amountInclVat": 5}
    )
    assert "amountInclVat" in body(response)["errors"]


def test_seeded_invoices_point_at_existing_debtors(seeded_api: Api) -> None:
    debtors = {row["id"] for row in seeded_api.all_rows("debtor")}
    invoices = seeded_api.all_rows("salesinvoices")
    assert invoices and {row["debtorId"] for row in invoices} <= debtors


def test_seeded_invoices_are_mostly_final_with_numbers(seeded_api: Api) -> None:
    invoices = seeded_api.all_rows("salesinvoices")
    final = [row for row in invoices if row["status"] == "Final"]
    assert final and all(row["invoiceNumber"] for row in final)


def purchase(tenant_api: Api, **values: Any) -> Any:
    creditor = tenant_api.rows("creditors")[0]["id"]
    payload = {
        "creditorId": creditor,
        "invoiceDate": "2025-03-03",
        "invoiceNumber": "F-1",
        **values,
    }
    return tenant_api.post("purchaseinvoices", payload)


def approval_tenant(sandbox: Sandbox, api: Api) -> Api:
    admins = api.rows("administrations")
    chosen = next(row["id"] for row in admins if row["approvalRoutingRequired"])
    return api.using(tenant=chosen)


def test_purchase_invoice_without_route_is_400_when_routing_is_on(
    asperion_sandbox: Sandbox, user_api: Api
) -> None:
    approval_api = approval_tenant(asperion_sandbox, user_api)
    problem = body(purchase(approval_api))
    assert problem["status"] == 400
    assert problem["errors"] == {
        "approvalRouteId": ["An approval route is required in this administration."]
    }


def test_purchase_invoice_with_route_is_created_when_routing_is_on(
    asperion_sandbox: Sandbox, user_api: Api
) -> None:
    approval_api = approval_tenant(asperion_sandbox, user_api)
    route = approval_api.rows("approvalroutes")[0]["id"]
    response = purchase(approval_api, approvalRouteId=route)
    assert response.status_code == 201
    assert body(response)["approvalRouteId"] == route


def test_purchase_invoice_route_cannot_be_cleared_when_routing_is_on(
    asperion_sandbox: Sandbox, user_api: Api
) -> None:
    approval_api = approval_tenant(asperion_sandbox, user_api)
    route = approval_api.rows("approvalroutes")[0]["id"]
    created = body(purchase(approval_api, approvalRouteId=route))
    response = approval_api.patch(f"purchaseinvoices/{created['id']}", {"approvalRouteId": None})
    assert "approvalRouteId" in body(response)["errors"]


def test_purchase_invoice_without_route_is_fine_elsewhere(tenant_api: Api) -> None:
    assert purchase(tenant_api).status_code == 201


def test_unknown_approval_route_is_400(tenant_api: Api) -> None:
    assert "approvalRouteId" in body(purchase(tenant_api, approvalRouteId=999))["errors"]


# --- other resources ----------------------------------------------------------------------------


def test_ledgergrouped_has_balances_per_period(seeded_api: Api) -> None:
    rows = seeded_api.all_rows("ledgergrouped")
    assert {row["period"] for row in rows} <= set(range(1, 13))
    assert all(row["balance"] == row["debit"] - row["credit"] for row in rows)


def test_ledgergrouped_filters_by_year_and_period(seeded_api: Api) -> None:
    rows = seeded_api.rows("ledgergrouped", {"year": 2025, "period": 3})
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
def test_writable_resources_round_trip(
    tenant_api: Api, resource: str, payload: dict[str, Any]
) -> None:
    created = body(tenant_api.post(resource, payload))
    path = f"{resource}/{created['id']}"
    assert {k: created[k] for k in payload} == payload
    first = next(iter(payload))
    assert tenant_api.patch(path, {first: payload[first]}).status_code == 200
    assert tenant_api.delete(path).status_code == 204


def test_enum_field_is_checked(tenant_api: Api) -> None:
    response = tenant_api.post(
        "ledgeraccounts", {"code": "1", "description": "x", "accountType": "Assets"}
    )
    assert "accountType" in body(response)["errors"]
