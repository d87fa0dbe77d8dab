"""Seeded data: deterministic, Dutch, sized per resource, consistent references and sums."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from asperion_orm.testing.emulator import data
from asperion_orm.testing.emulator.app import EmulatorState
from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body

POST_CODE = re.compile(r"[1-9]\d{3} [A-Z]{2}")
COC_NUMBER = re.compile(r"\d{8}")
VAT_NUMBER = re.compile(r"NL\d{9}B\d\d")
DUTCH_IBAN = re.compile(r"NL\d\d[A-Z]{4}\d{10}")
STATUSES = {1, 2, 3, 6, 7, 8}  # Concept, InJournalentry, InLedger, Payable, Paid, Hold


def test_same_seed_gives_the_same_data() -> None:
    one, two = EmulatorState(seed=3), EmulatorState(seed=3)
    assert one.rows(one.tenants[0], "debtors") == two.rows(two.tenants[0], "debtors")
    invoices = "salesinvoiceswithlines"
    assert one.rows(one.tenants[1], invoices) == two.rows(two.tenants[1], invoices)


def test_other_seed_gives_other_data() -> None:
    one, two = EmulatorState(seed=3), EmulatorState(seed=4)
    assert one.rows(one.tenants[0], "debtors") != two.rows(two.tenants[0], "debtors")


def test_data_does_not_depend_on_access_order() -> None:
    one, two = EmulatorState(), EmulatorState()
    one.rows(one.tenants[0], "journalentrieswithlines")
    two.rows(two.tenants[0], "debtors")
    invoices = "salesinvoiceswithlines"
    assert one.rows(one.tenants[0], invoices) == two.rows(two.tenants[0], invoices)


@pytest.fixture(scope="module")
def fresh() -> EmulatorState:
    """Return untouched default data (the shared sandbox may have been written to)."""
    return EmulatorState()


def test_default_sizes(fresh: EmulatorState) -> None:
    state, admin = fresh, fresh.tenants[0]
    assert state.count(admin, "debtors") == 120
    assert state.count(admin, "articles") == 60
    assert state.count(admin, "salesinvoiceswithlines") == 200
    assert state.count(admin, "journalentrieswithlines") == 150
    assert state.count(admin, "countries") >= 40
    assert state.count(admin, "journals") == len(data.JOURNALS)
    assert state.count(admin, "vatcodes") == len(data.VAT_CODES)


def test_the_view_and_the_alias_share_their_tables(fresh: EmulatorState) -> None:
    admin = fresh.tenants[0]
    assert fresh.count(admin, "salesinvoices") == fresh.count(admin, "salesinvoiceswithlines")
    assert fresh.rows(admin, "debtor") == fresh.rows(admin, "debtors")


def test_records_override_per_resource() -> None:
    state = EmulatorState(records={"debtors": 7, "articles": 0})
    assert state.count(state.tenants[0], "debtors") == 7
    assert state.count(state.tenants[0], "articles") == 0


def test_records_of_a_view_or_an_alias_size_its_table() -> None:
    state = EmulatorState(records={"debtor": 5, "salesinvoices": 3})
    assert state.count(state.tenants[0], "debtors") == 5
    assert state.count(state.tenants[0], "salesinvoiceswithlines") == 3


def test_add_administration_with_its_own_sizes(asperion_sandbox: Sandbox, user_api: Api) -> None:
    admin = asperion_sandbox.add_administration("Eigen Maat B.V.", records={"debtors": 3})
    meta = body(user_api.using(tenant=admin).get("debtors"))["_meta"]
    assert (meta["totalCount"], meta["administrationName"]) == (3, "Eigen Maat B.V.")


def test_debtors_look_dutch(fresh: EmulatorState) -> None:
    rows = fresh.rows(fresh.tenants[0], "debtors")
    assert all(POST_CODE.fullmatch(row["postCode"]) for row in rows)
    assert not any(row["postCode"][5:] in ("SA", "SD", "SS") for row in rows)
    assert all(row["countryCode"] == "NL" for row in rows)
    assert all(row["emailAddress"].endswith(".nl") and "@" in row["emailAddress"] for row in rows)
    assert any(row["name"].endswith("B.V.") for row in rows)
    assert any(not row["name"].isascii() for row in rows)
    assert len({row["customerNumber"] for row in rows}) == len(rows)


def test_companies_have_coc_and_vat_numbers(fresh: EmulatorState) -> None:
    rows = fresh.rows(fresh.tenants[0], "debtors")
    companies = [row for row in rows if row["debtorKindId"] == "B"]
    people = [row for row in rows if row["debtorKindId"] == "P"]
    assert companies and people
    assert all(COC_NUMBER.fullmatch(row["cocNumber"]) for row in companies)
    assert all(VAT_NUMBER.fullmatch(row["vatNumber"]) for row in companies)
    assert all(row["cocNumber"] is None and row["vatNumber"] is None for row in people)


def test_ibans_have_valid_check_digits(fresh: EmulatorState) -> None:
    rows = fresh.rows(fresh.tenants[0], "debtors") + fresh.rows(fresh.tenants[0], "creditors")
    banks = dict(data.BANKS)
    for row in rows:
        assert DUTCH_IBAN.fullmatch(row["iban"]), row["iban"]
        assert data.iban_is_valid(row["iban"]), row["iban"]
        assert row["bban"] == row["iban"][4:]
        assert row["bic"] == banks[row["iban"][4:8]]


def test_iban_check_digits_are_iso_7064() -> None:
    assert data.iban("ABNA", "0417164300") == "NL91ABNA0417164300"  # the textbook example
    assert data.iban_is_valid("NL91ABNA0417164300")
    assert not data.iban_is_valid("NL92ABNA0417164300")
    assert not data.iban_is_valid("NL91ABNA0417164301")


def test_invoice_lines_add_up_to_the_header(fresh: EmulatorState) -> None:
    rates = {row["id"]: row["percentage"] for row in fresh.rows(fresh.tenants[0], "vatcodes")}
    for row in fresh.rows(fresh.tenants[0], "salesinvoiceswithlines"):
        lines = row["lines"]["_data"]
        assert 1 <= len(lines) <= 5 and row["lines"]["_meta"] == {"totalCount": len(lines)}
        assert sum(line["amount"] for line in lines) == row["amountExclVat"]
        assert sum(line["vatAmount"] for line in lines) == row["vatAmount"]
        assert row["amountInclVat"] == row["amountExclVat"] + row["vatAmount"]
        for line in lines:
            assert line["vatAmount"] == data.vat_of(line["amount"], rates[line["vatCode"]])


def test_invoice_amounts_are_decimals_with_two_places(fresh: EmulatorState) -> None:
    for row in fresh.rows(fresh.tenants[0], "salesinvoiceswithlines"):
        amounts = [row["amountExclVat"], row["vatAmount"], row["amountInclVat"]]
        amounts += [
            line[name] for line in row["lines"]["_data"] for name in ("amount", "vatAmount")
        ]
        for amount in amounts:
            assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2


def test_invoices_use_the_documented_statuses(fresh: EmulatorState) -> None:
    rows = fresh.rows(fresh.tenants[0], "salesinvoiceswithlines")
    statuses = {row["status"] for row in rows}
    assert statuses <= STATUSES and {1, 6, 7} <= statuses
    assert all((row["invoiceNumber"] is None) == (row["status"] == 1) for row in rows)
    numbers = [row["invoiceNumber"] for row in rows if row["invoiceNumber"]]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"20\d\d-\d{5}", number) for number in numbers)


def test_invoices_copy_their_debtor(fresh: EmulatorState) -> None:
    debtors = {row["id"]: row for row in fresh.rows(fresh.tenants[0], "debtors")}
    for row in fresh.rows(fresh.tenants[0], "salesinvoiceswithlines"):
        debtor = debtors[row["debtorId"]]
        assert row["debtorCustomerNumber"] == debtor["customerNumber"]
        assert row["paymentConditionId"] == debtor["paymentConditionId"]
        assert (row["bookyear"], row["bookperiod"]) == (int(row["date"][:4]), int(row["date"][5:7]))


def test_journal_entries_balance(fresh: EmulatorState) -> None:
    rows = fresh.rows(fresh.tenants[0], "journalentrieswithlines")
    assert {row["journalId"] for row in rows} == {data.BANK_JOURNAL, data.MEMORIAL_JOURNAL}
    for row in rows:
        lines = row["lines"]["_data"]
        assert len(lines) >= 2
        assert sum(line["amount"] for line in lines) == Decimal("0.00")
        assert all(line["amount"].as_tuple().exponent == -2 for line in lines)


def test_line_ids_are_unique_per_resource(fresh: EmulatorState) -> None:
    for name in ("salesinvoiceswithlines", "journalentrieswithlines"):
        ids = [
            line["id"]
            for row in fresh.rows(fresh.tenants[0], name)
            for line in row["lines"]["_data"]
        ]
        assert len(set(ids)) == len(ids) and min(ids) == 1


def test_amounts_are_json_numbers_on_the_wire(seeded_api: Api) -> None:
    raw = seeded_api.get("salesinvoiceswithlines", {"pageSize": 1}).text
    assert re.search(r'"amountExclVat":\d+\.\d\d[,}]', raw)
    assert re.search(r'"amount":\d+\.\d\d[,}]', raw)


def test_references_point_at_existing_rows(fresh: EmulatorState) -> None:
    state, admin = fresh, fresh.tenants[0]
    ids = {
        name: {row["id"] for row in state.rows(admin, name)}
        for name in (
            "salestypes", "vatcodes", "ledgeraccounts", "creditors", "debtors", "journals",
            "costcenters", "costunits", "salesinvoiceswithlines", "paymentconditions",
        )
    }  # fmt: skip
    assert {row["salesTypeId"] for row in state.rows(admin, "articles")} <= ids["salestypes"]
    purchases = state.rows(admin, "purchaseinvoices")
    assert {row["creditorId"] for row in purchases} <= ids["creditors"]
    lines = [line for row in purchases for line in row["lines"]["_data"]]
    assert {line["vatCode"] for line in lines} <= ids["vatcodes"]
    invoices = state.rows(admin, "salesinvoiceswithlines")
    assert {row["journalId"] for row in invoices} <= ids["journals"]
    sold = [line for row in invoices for line in row["lines"]["_data"]]
    assert {line["ledgerAccountId"] for line in sold} <= ids["ledgeraccounts"]
    assert {line["vatCode"] for line in sold} <= ids["vatcodes"]
    assert {line["costCenterId"] for line in sold} - {None} <= ids["costcenters"]
    assert {line["costUnitId"] for line in sold} - {None} <= ids["costunits"]
    entries = state.rows(admin, "journalentrieswithlines")
    booked = [line for row in entries for line in row["lines"]["_data"]]
    assert {line["ledgerAccountId"] for line in booked} <= ids["ledgeraccounts"]
    assert {line["salesInvoiceId"] for line in booked} - {None} <= ids["salesinvoiceswithlines"]
    assert {line["debtorId"] for line in booked} - {None} <= ids["debtors"]
    accounts = state.rows(admin, "ledgeraccounts")
    assert {row["vatCode"] for row in accounts} - {None} <= ids["vatcodes"]
    debtors = state.rows(admin, "debtors")
    assert {row["paymentConditionId"] for row in debtors} <= ids["paymentconditions"]


def test_string_ids_are_strings_in_order(fresh: EmulatorState) -> None:
    for name in ("journals", "vatcodes"):
        ids = [row["id"] for row in fresh.rows(fresh.tenants[0], name)]
        assert all(isinstance(value, str) for value in ids)
        assert ids == sorted(ids)


def test_data_is_generated_lazily_per_administration() -> None:
    state = EmulatorState(records={"debtors": 20_000})
    admin = state.tenants[1]
    assert state.store.administrations[admin].tables == {}  # nothing generated up front
    assert state.count(admin, "debtors") == 20_000
    assert state.store.administrations[state.tenants[2]].tables == {}


def test_clock_drives_timestamps(asperion_sandbox: Sandbox, tenant_api: Api) -> None:
    later = time.time() + 1800
    asperion_sandbox.state.clock = lambda: later
    expected = datetime.fromtimestamp(later, UTC).strftime("%Y-%m-%dT%H:%M")
    created = body(tenant_api.post("debtors", {"name": "Later"}))
    assert created["dateAdded"] >= expected
    assert created["dateLastChange"] >= expected


def test_unknown_resource_in_records_is_refused() -> None:
    with pytest.raises(ValueError, match="shoes"):
        EmulatorState(records={"shoes": 3})


def test_records_names_are_case_insensitive() -> None:
    state = EmulatorState(records={"Debtors": 4, "salesorderwithlines": 0})
    assert state.count(state.tenants[0], "debtors") == 4
