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
    assert tenant_api.get("debtors", {"ActiveState": "All"}).status_code == 400


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


def lines_of(*lines: dict[str, Any]) -> dict[str, Any]:
    """Return lines as the API takes them: an embedded envelope."""
    return {"_data": list(lines), "_meta": {"totalCount": len(lines)}}


def order(tenant_api: Api, lines: list[dict[str, Any]]) -> Any:
    debtor = tenant_api.rows("debtors")[0]["id"]
    return tenant_api.post(
        "SalesOrderWithLines",
        {"debtorId": debtor, "orderDate": "2025-05-01", "lines": lines_of(*lines)},
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
    assert created["lines"]["_meta"] == {"totalCount": 1}
    assert created["lines"]["_data"][0]["price"] == Decimal("10.00")
    assert created["lines"]["_data"][0]["description"] == "Koffie"
    assert created["amountExclVat"] == Decimal("20.00")


def test_sales_order_needs_lines(tenant_api: Api) -> None:
    assert "lines._data" in body(order(tenant_api, []))["errors"]


def test_sales_order_with_unknown_article_changes_nothing(tenant_api: Api) -> None:
    item = article(tenant_api)
    response = order(
        tenant_api, [{"articleId": item["id"], "quantity": 1}, {"articleId": 1, "quantity": 1}]
    )
    assert "lines._data[1].articleId" in body(response)["errors"]
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


def entry(tenant_api: Api, *amounts: Decimal, **values: Any) -> dict[str, Any]:
    amounts = amounts or (Decimal("10.00"), Decimal("-10.00"))
    payload = {
        "date": "2025-04-01",
        "journalId": "90",
        "description": "Correctie",
        "lines": lines_of(
            *(
                {"ledgerAccountId": 4700 if amount > 0 else 1000, "amount": amount}
                for amount in amounts
            )
        ),
        **values,
    }
    response = tenant_api.post("journalentrieswithlines", payload)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = body(response)
    return result


def log_for(tenant_api: Api, entry_id: int) -> list[dict[str, Any]]:
    return tenant_api.all_rows("journalentrylog", [("journalEntryId", str(entry_id))])


def test_journal_entry_is_logged_as_an_insert(tenant_api: Api) -> None:
    created = entry(tenant_api)
    assert [row["action"] for row in log_for(tenant_api, created["id"])] == ["Insert"]


def test_journal_entry_takes_its_period_and_booking_dates_from_its_date(tenant_api: Api) -> None:
    created = entry(tenant_api, date="2025-11-30")
    assert (created["bookyear"], created["bookperiod"]) == (2025, 11)
    assert {line["bookingDate"] for line in created["lines"]["_data"]} == {"2025-11-30"}
    ids = [line["id"] for line in created["lines"]["_data"]]
    assert len(set(ids)) == 2 and all(isinstance(line_id, int) for line_id in ids)


def test_journal_entry_lines_must_balance(tenant_api: Api) -> None:
    before = count(tenant_api, "journalentrylog")
    payload = {
        "date": "2025-04-01",
        "journalId": "90",
        "lines": lines_of(
            {"ledgerAccountId": 4700, "amount": Decimal("10.00")},
            {"ledgerAccountId": 1000, "amount": Decimal("-9.99")},
        ),
    }
    problem = body(tenant_api.post("journalentrieswithlines", payload))
    assert problem["status"] == 400
    assert problem["errors"] == {
        "lines": ["The lines must balance: their amounts add up to 0.01, not 0."]
    }
    assert count(tenant_api, "journalentrylog") == before


def test_journal_entry_with_three_lines(tenant_api: Api) -> None:
    created = entry(tenant_api, Decimal("60.50"), Decimal("39.50"), Decimal("-100.00"))
    assert created["lines"]["_meta"] == {"totalCount": 3}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_journal_entries_are_never_changed(tenant_api: Api, method: str) -> None:
    created = entry(tenant_api)
    response = tenant_api.call(method, f"journalentrieswithlines/{created['id']}", body={})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert [row["action"] for row in log_for(tenant_api, created["id"])] == ["Insert"]


def test_journal_entry_needs_an_existing_journal(tenant_api: Api) -> None:
    lines = lines_of(
        {"ledgerAccountId": 4700, "amount": Decimal("1.00")},
        {"ledgerAccountId": 1000, "amount": Decimal("-1.00"), "creditorId": 1},
    )
    payload = {"date": "2025-04-01", "journalId": "99", "lines": lines}
    errors = body(tenant_api.post("journalentrieswithlines", payload))["errors"]
    assert errors == {
        "journalId": ["The Journal with id 99 does not exist."],
        "lines._data[1].creditorId": ["The Creditor with id 1 does not exist."],
    }


def test_journal_entry_needs_at_least_two_lines(tenant_api: Api) -> None:
    payload = {"date": "2025-04-01", "journalId": "90", "lines": lines_of()}
    errors = body(tenant_api.post("journalentrieswithlines", payload))["errors"]
    assert errors == {"lines._data": ["The field Lines needs at least 2 item(s)."]}


def test_changes_made_outside_the_api_are_logged(
    asperion_sandbox: Sandbox, tenant_api: Api
) -> None:
    created, state, admin = entry(tenant_api), asperion_sandbox.state, tenant_api.tenant or 0
    state.change_row(admin, "journalentrieswithlines", created["id"], description="In de app")
    assert body(tenant_api.get(f"journalentrieswithlines/{created['id']}"))["description"] == (
        "In de app"
    )
    unbalanced = [{"amount": Decimal("1.00"), "ledgerAccountId": 4700}]
    with pytest.raises(ValueError, match="journalentrieswithlines"):
        state.change_row(admin, "journalentrieswithlines", created["id"], lines=unbalanced)
    state.delete_row(admin, "journalentrieswithlines", created["id"])
    log = log_for(tenant_api, created["id"])
    assert [row["action"] for row in log] == ["Insert", "Update", "Delete"]
    assert tenant_api.get(f"journalentrieswithlines/{created['id']}").status_code == 404


def test_log_changed_date_is_after_everything_seeded(tenant_api: Api) -> None:
    newest = tenant_api.rows("journalentrylog", {"orderby": "-changedDate", "pageSize": 1})[0]
    created = entry(tenant_api)
    assert log_for(tenant_api, created["id"])[0]["changedDate"] > newest["changedDate"]


def test_incremental_sync_with_changed_date_from(tenant_api: Api) -> None:
    last = tenant_api.rows("journalentrylog", {"orderby": "-changedDate", "pageSize": 1})[0]
    created = entry(tenant_api)
    news = tenant_api.all_rows("journalentrylog", [("ChangedDate_from", last["changedDate"])])
    assert [row["journalEntryId"] for row in news][-1] == created["id"]


def test_seeded_log_has_updates_and_deletions_of_vanished_entries(tenant_api: Api) -> None:
    assert tenant_api.all_rows("journalentrylog", [("action", "Update")])
    deleted = tenant_api.all_rows("journalentrylog", [("action", "Delete")])
    assert deleted
    for row in deleted[:3]:
        response = tenant_api.get(f"journalentrieswithlines/{row['journalEntryId']}")
        assert response.status_code == 404


def test_seeded_log_covers_every_entry(tenant_api: Api) -> None:
    entries = {row["id"] for row in tenant_api.all_rows("journalentrieswithlines")}
    inserted = {
        row["journalEntryId"]
        for row in tenant_api.all_rows("journalentrylog", [("action", "Insert")])
    }
    assert entries <= inserted


def test_failed_write_is_not_logged(tenant_api: Api) -> None:
    before = count(tenant_api, "journalentrylog")
    assert tenant_api.post("journalentrieswithlines", {"date": "nope"}).status_code == 400
    assert count(tenant_api, "journalentrylog") == before


# --- sales invoices -------------------------------------------------------------------------------


def sales_invoice(tenant_api: Api, *lines: dict[str, Any], **values: Any) -> Any:
    debtor = tenant_api.rows("debtors")[0]["id"]
    lines = lines or ({"amount": Decimal("100.00"), "ledgerAccountId": 8000, "vatCode": "VH21"},)
    payload = {"debtorId": debtor, "date": "2025-02-01", "lines": lines_of(*lines), **values}
    return tenant_api.post("salesinvoiceswithlines", payload)


def test_sales_invoice_is_a_concept_without_number(tenant_api: Api) -> None:
    created = body(sales_invoice(tenant_api))
    assert created["status"] == 1
    assert created["invoiceNumber"] is None
    assert created["files"] == []


def test_sales_invoice_with_another_status_gets_the_next_number(tenant_api: Api) -> None:
    numbers = [row["invoiceNumber"] or "" for row in tenant_api.all_rows("salesinvoices")]
    last = max(int(n[5:]) for n in numbers if n.startswith("2025-"))
    created = body(sales_invoice(tenant_api, status=6))
    assert created["invoiceNumber"] == f"2025-{last + 1:05d}"
    assert body(sales_invoice(tenant_api, status=7, invoiceNumber="EIGEN-1"))["invoiceNumber"] == (
        "EIGEN-1"
    )


def test_sales_invoice_defaults_come_from_the_debtor_and_the_date(tenant_api: Api) -> None:
    debtor = tenant_api.rows("debtors")[0]
    created = body(sales_invoice(tenant_api))
    assert created["debtorCustomerNumber"] == debtor["customerNumber"]
    assert created["paymentConditionId"] == debtor["paymentConditionId"]
    assert created["journalId"] == "70"
    assert (created["bookyear"], created["bookperiod"]) == (2025, 2)


def test_invoice_amounts_come_from_the_lines(tenant_api: Api) -> None:
    created = body(
        sales_invoice(
            tenant_api,
            {"amount": Decimal("59.97"), "ledgerAccountId": 8000, "vatCode": "VH21"},
            {"amount": Decimal("0.05"), "ledgerAccountId": 8100, "vatCode": "VL9"},
            {"amount": Decimal("10.00"), "ledgerAccountId": 8000, "vatCode": "VH21",
             "vatAmount": Decimal("2.00")},
            {"amount": Decimal("-5.00"), "ledgerAccountId": 8200},
        )
    )  # fmt: skip
    vat = [line["vatAmount"] for line in created["lines"]["_data"]]
    assert vat == [Decimal("12.59"), Decimal("0.00"), Decimal("2.00"), Decimal("0.00")]
    assert created["amountExclVat"] == Decimal("65.02")
    assert created["vatAmount"] == Decimal("14.59")
    assert created["amountInclVat"] == Decimal("79.61")


@pytest.mark.parametrize("name", ["amountInclVat", "debtorCustomerNumber", "files", "id"])
def test_invoice_read_only_fields_are_refused(tenant_api: Api, name: str) -> None:
    response = sales_invoice(tenant_api, **{name: 5})
    assert name in body(response)["errors"]


def test_sales_invoice_needs_known_references(tenant_api: Api) -> None:
    response = sales_invoice(
        tenant_api,
        {"amount": Decimal("1.00"), "ledgerAccountId": 1, "vatCode": "XX", "costCenterId": 99},
        journalId="71",
    )
    errors = body(response)["errors"]
    assert set(errors) == {
        "journalId",
        "lines._data[0].ledgerAccountId",
        "lines._data[0].vatCode",
        "lines._data[0].costCenterId",
    }


def test_sales_invoice_status_must_be_a_documented_code(tenant_api: Api) -> None:
    errors = body(sales_invoice(tenant_api, status=4))["errors"]
    assert errors == {
        "status": ["The value '4' is not valid for Status; allowed: 1, 2, 3, 6, 7, 8."]
    }


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_sales_invoices_are_never_changed(tenant_api: Api, method: str) -> None:
    created = body(sales_invoice(tenant_api))
    for path in (f"salesinvoiceswithlines/{created['id']}", f"salesinvoices/{created['id']}"):
        assert tenant_api.call(method, path, body={}).status_code == 405


def test_invoices_without_lines_are_read_only(tenant_api: Api) -> None:
    response = tenant_api.post("salesinvoices", {"debtorId": 1, "date": "2025-01-01"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_a_created_invoice_shows_without_lines_too(tenant_api: Api) -> None:
    created = body(sales_invoice(tenant_api))
    header = body(tenant_api.get(f"salesinvoices/{created['id']}"))
    assert header["amountInclVat"] == created["amountInclVat"]
    assert "lines" not in header


def test_seeded_invoices_point_at_existing_debtors(seeded_api: Api) -> None:
    debtors = {row["id"] for row in seeded_api.all_rows("debtors")}
    invoices = seeded_api.all_rows("salesinvoices")
    assert invoices and {row["debtorId"] for row in invoices} <= debtors


def test_seeded_invoices_have_numbers_unless_concept(seeded_api: Api) -> None:
    invoices = seeded_api.all_rows("salesinvoices")
    assert all((row["invoiceNumber"] is None) == (row["status"] == 1) for row in invoices)


# --- purchase invoices --------------------------------------------------------------------------


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


def test_purchase_invoice_amounts_come_from_the_lines(tenant_api: Api) -> None:
    lines = lines_of(
        {"quantity": Decimal("3"), "price": Decimal("19.99"), "vatCode": "IH21"},
        {"quantity": 1, "price": Decimal("0.05")},
    )
    created = body(purchase(tenant_api, lines=lines))
    assert created["amountExclVat"] == Decimal("60.02")
    assert created["vatAmount"] == Decimal("12.59")
    assert created["amountInclVat"] == Decimal("72.61")


# --- other resources ----------------------------------------------------------------------------


def test_ledgergrouped_has_balances_per_period(seeded_api: Api) -> None:
    rows = seeded_api.all_rows("ledgergrouped")
    assert {row["period"] for row in rows} <= set(range(1, 13))
    assert all(row["balance"] == row["debit"] - row["credit"] for row in rows)
    assert all(row["ledgerAccountCode"] == str(row["ledgerAccountId"]) for row in rows)


def test_ledgergrouped_filters_by_year_and_period(seeded_api: Api) -> None:
    rows = seeded_api.rows("ledgergrouped", {"year": 2025, "period": 3})
    assert rows and all((row["year"], row["period"]) == (2025, 3) for row in rows)


@pytest.mark.parametrize(
    ("resource", "payload"),
    [
        ("countries", {"name": "Atlantis", "code": "ATL"}),
        ("debtors", {"name": "Klant", "customerNumber": "K-1", "iban": "NL91ABNA0417164300"}),
        ("creditors", {"name": "Leverancier", "creditorNumber": "L-1"}),
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


def test_a_new_debtor_gets_the_next_customer_number(tenant_api: Api) -> None:
    numbers = [int(row["customerNumber"]) for row in tenant_api.all_rows("debtors")]
    created = body(tenant_api.post("debtors", {"name": "Nieuw"}))
    assert created["customerNumber"] == str(max(numbers) + 1)
    assert created["directDebit"] is False and created["blocked"] is False


@pytest.mark.parametrize(
    "resource",
    ["journals", "vatcodes", "ledgeraccounts", "paymentconditions", "costcenters", "costunits"],
)
def test_reference_data_is_read_only(tenant_api: Api, resource: str) -> None:
    response = tenant_api.post(resource, {"description": "x"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
