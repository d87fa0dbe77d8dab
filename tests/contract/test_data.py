"""Seeded data: deterministic, Dutch, sized per resource, consistent references."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from asperion_orm.testing.emulator.app import EmulatorState
from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body

POSTAL_CODE = re.compile(r"[1-9]\d{3} [A-Z]{2}")


def test_same_seed_gives_the_same_data() -> None:
    one, two = EmulatorState(seed=3), EmulatorState(seed=3)
    assert one.rows(one.tenants[0], "debtor") == two.rows(two.tenants[0], "debtor")
    assert one.rows(one.tenants[1], "salesinvoices") == two.rows(two.tenants[1], "salesinvoices")


def test_other_seed_gives_other_data() -> None:
    one, two = EmulatorState(seed=3), EmulatorState(seed=4)
    assert one.rows(one.tenants[0], "debtor") != two.rows(two.tenants[0], "debtor")


def test_data_does_not_depend_on_access_order() -> None:
    one, two = EmulatorState(), EmulatorState()
    one.rows(one.tenants[0], "salesinvoices")
    two.rows(two.tenants[0], "debtor")
    assert one.rows(one.tenants[0], "salesinvoices") == two.rows(two.tenants[0], "salesinvoices")


@pytest.fixture(scope="module")
def fresh() -> EmulatorState:
    """Return untouched default data (the shared sandbox may have been written to)."""
    return EmulatorState()


def test_default_sizes(fresh: EmulatorState) -> None:
    state, admin = fresh, fresh.tenants[0]
    assert state.count(admin, "debtor") == 120
    assert state.count(admin, "articles") == 60
    assert state.count(admin, "salesinvoices") == 200
    assert state.count(admin, "countries") >= 40


def test_records_override_per_resource() -> None:
    state = EmulatorState(records={"debtor": 7, "articles": 0})
    assert state.count(state.tenants[0], "debtor") == 7
    assert state.count(state.tenants[0], "articles") == 0


def test_add_administration_with_its_own_sizes(asperion_sandbox: Sandbox, user_api: Api) -> None:
    admin = asperion_sandbox.add_administration("Eigen Maat B.V.", records={"debtor": 3})
    meta = body(user_api.using(tenant=admin).get("debtor"))["_meta"]
    assert (meta["totalCount"], meta["administrationName"]) == (3, "Eigen Maat B.V.")


def test_debtors_look_dutch(fresh: EmulatorState) -> None:
    rows = fresh.rows(fresh.tenants[0], "debtor")
    assert all(POSTAL_CODE.fullmatch(row["postalCode"]) for row in rows)
    assert all(row["email"].endswith(".nl") and "@" in row["email"] for row in rows)
    assert all(re.fullmatch(r"NL\d{9}B\d\d", row["vatNumber"]) for row in rows)
    assert any(row["name"].endswith("B.V.") for row in rows)
    assert any(not row["name"].isascii() for row in rows)


def test_amounts_are_decimals_with_two_places(fresh: EmulatorState) -> None:
    for row in fresh.rows(fresh.tenants[0], "salesinvoices"):
        for name in ("amountExclVat", "vatAmount", "amountInclVat"):
            assert isinstance(row[name], Decimal)
            assert row[name].as_tuple().exponent == -2


def test_amounts_are_json_numbers_on_the_wire(seeded_api: Api) -> None:
    raw = seeded_api.get("salesinvoices", {"pageSize": 1}).text
    assert re.search(r'"amountExclVat":\d+\.\d\d[,}]', raw)


def test_references_point_at_existing_rows(fresh: EmulatorState) -> None:
    state, admin = fresh, fresh.tenants[0]
    ids = {
        name: {row["id"] for row in state.rows(admin, name)}
        for name in ("salestypes", "vatcodes", "ledgeraccounts", "creditors")
    }
    assert {row["salesTypeId"] for row in state.rows(admin, "articles")} <= ids["salestypes"]
    purchases = state.rows(admin, "purchaseinvoices")
    assert {row["creditorId"] for row in purchases} <= ids["creditors"]
    lines = [line for row in purchases for line in row["lines"]]
    assert {line["vatCodeId"] for line in lines} <= ids["vatcodes"]


def test_data_is_generated_lazily_per_administration() -> None:
    state = EmulatorState(records={"debtor": 20_000})
    admin = state.tenants[1]
    assert state.store.administrations[admin].tables == {}  # nothing generated up front
    assert state.count(admin, "debtor") == 20_000
    assert state.store.administrations[state.tenants[2]].tables == {}


def test_clock_drives_timestamps(asperion_sandbox: Sandbox, tenant_api: Api) -> None:
    later = time.time() + 1800
    asperion_sandbox.state.clock = lambda: later
    expected = datetime.fromtimestamp(later, UTC).strftime("%Y-%m-%dT%H:%M")
    assert body(tenant_api.post("debtor", {"name": "Later"}))["createdDate"] >= expected


def test_unknown_resource_in_records_is_refused() -> None:
    with pytest.raises(ValueError, match="shoes"):
        EmulatorState(records={"shoes": 3})


def test_records_names_are_case_insensitive() -> None:
    state = EmulatorState(records={"Debtor": 4, "salesorderwithlines": 0})
    assert state.count(state.tenants[0], "debtor") == 4
