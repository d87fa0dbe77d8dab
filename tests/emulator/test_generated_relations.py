"""Seeded debtors and creditors: their kinds, shares of optional fields and valid values.

The generator draws whole columns from pools; these tests pin what the data must look like
whatever the drawing does (shares within a few points of the intended ones over 20,000 rows).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from asperion_orm.testing.emulator import data
from asperion_orm.testing.emulator.app import EmulatorState

ROWS = 20_000
Row = dict[str, Any]


@pytest.fixture(scope="module")
def debtors() -> list[Row]:
    state = EmulatorState(seed=7, records={"debtors": ROWS})
    return state.rows(state.tenants[0], "debtors")


def _share(rows: list[Row], test: Callable[[Row], bool]) -> float:
    return sum(1 for row in rows if test(row)) / len(rows)


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows() -> None:
    def rows(seed: int) -> list[Row]:
        state = EmulatorState(seed=seed, records={"debtors": 300, "creditors": 300})
        admin = state.tenants[0]
        return [*state.rows(admin, "debtors"), *state.rows(admin, "creditors")]

    first = rows(11)
    assert rows(11) == first
    other = rows(12)
    assert [row["id"] for row in other] == [row["id"] for row in first]
    assert sum(a["name"] == b["name"] for a, b in zip(first, other, strict=True)) < 60


def test_ids_and_customer_numbers_are_unique_and_ascending(debtors: list[Row]) -> None:
    ids = [row["id"] for row in debtors]
    assert ids == sorted(set(ids)) and len(ids) == ROWS
    numbers = [int(row["customerNumber"]) for row in debtors]
    assert numbers == list(range(1001, 1001 + ROWS))


@pytest.mark.parametrize(
    ("field", "share"),
    [
        ("addressLine2", 0.05),
        ("faxNumber", 0.10),
        ("mobileNumber", 0.50),
        ("comments", 0.10),
        ("characteristic4", 0.30),
        ("dateLastChange", 0.80),
    ],
)
def test_optional_fields_are_filled_in_their_share_of_rows(
    debtors: list[Row], field: str, share: float
) -> None:
    assert _share(debtors, lambda row: row[field] is not None) == pytest.approx(share, abs=0.015)


@pytest.mark.parametrize(("field", "share"), [("blocked", 0.03), ("noReminder", 0.05)])
def test_flags_are_set_in_their_share_of_rows(debtors: list[Row], field: str, share: float) -> None:
    assert {row[field] for row in debtors} == {True, False}
    assert _share(debtors, lambda row: row[field]) == pytest.approx(share, abs=0.01)


def test_about_one_in_three_pays_by_direct_debit(debtors: list[Row]) -> None:
    assert _share(debtors, lambda row: row["directDebit"]) == pytest.approx(0.3, abs=0.015)
    methods = {(row["directDebit"], row["paymentMethodId"]) for row in debtors}
    assert methods == {(True, "INCASSO"), (False, "OVERBOEKING")}


def test_most_are_companies_with_a_contact_and_registrations(debtors: list[Row]) -> None:
    companies = [row for row in debtors if row["debtorKindId"] == "B"]
    people = [row for row in debtors if row["debtorKindId"] == "P"]
    assert len(companies) + len(people) == ROWS
    assert len(companies) / ROWS == pytest.approx(0.82, abs=0.02)
    for row in companies:
        assert row["attentionTo"] and re.fullmatch(r"[1-9]\d{7}", row["cocNumber"])
        assert (
            re.fullmatch(r"NL[1-9]\d{8}B\d\d", row["vatNumber"]) and row["vatNumber"][-2:] != "00"
        )
    assert all(row["attentionTo"] is row["cocNumber"] is row["vatNumber"] is None for row in people)
    assert len({row["name"] for row in debtors}) > 4500


def test_contact_details_read_as_dutch_ones(debtors: list[Row]) -> None:
    for row in debtors:
        assert re.fullmatch(r"0[1-7]\d-[1-9]\d{6}", row["phoneNumber"])
        assert row["faxNumber"] is None or re.fullmatch(r"0[1-7]\d-[1-9]\d{6}", row["faxNumber"])
        assert row["mobileNumber"] is None or re.fullmatch(r"06-[1-9]\d{7}", row["mobileNumber"])
        assert re.fullmatch(r"(info|administratie|facturen)@[a-z0-9]+\.nl", row["emailAddress"])
        assert re.fullmatch(r"[1-9]\d{3} [A-Z]{2}", row["postCode"])
        assert row["postCode"][-2:] not in ("SA", "SD", "SS")
        assert row["addressLine2"] is None or re.fullmatch(r"Postbus \d{3,4}", row["addressLine2"])
        assert row["city"] in data.CITIES and row["countryCode"] == "NL"
    assert len({row["phoneNumber"] for row in debtors}) > 3000


def test_bank_accounts_are_valid_ibans_of_dutch_banks(debtors: list[Row]) -> None:
    bics = dict(data.BANKS)
    for row in debtors:
        assert data.iban_is_valid(row["iban"]) and row["iban"][4:] == row["bban"]
        assert bics[row["bban"][:4]] == row["bic"]
    assert len({row["iban"] for row in debtors}) > 3000


def test_a_change_follows_the_creation_within_the_span(debtors: list[Row]) -> None:
    def moment(stamp: str) -> datetime:
        assert len(stamp) == 24 and stamp.endswith(".000Z")
        return datetime.fromisoformat(stamp[:-1])

    first, last = datetime(2024, 1, 1, 8), datetime(2026, 1, 1, 8)
    for row in debtors:
        added = moment(row["dateAdded"])
        assert first <= added < last
        if row["dateLastChange"] is not None:
            lag = moment(row["dateLastChange"]) - added
            assert timedelta(0) < lag < timedelta(seconds=data.STAMP_LAG_SECONDS)
    assert len({row["dateAdded"] for row in debtors}) > 0.99 * ROWS


def test_creditors_have_their_own_number_and_kind_fields() -> None:
    state = EmulatorState(records={"creditors": 200})
    rows = state.rows(state.tenants[0], "creditors")
    assert [row["creditorNumber"] for row in rows] == [str(n) for n in range(1001, 1201)]
    assert {row["creditorKindId"] for row in rows} == {"B", "P"}
    assert "customerNumber" not in rows[0] and "debtorKindId" not in rows[0]
