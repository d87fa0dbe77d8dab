"""The seeded data stays the same: digests of every generated table, pinned from a run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta

import pytest

from asperion_orm.testing.emulator import data
from asperion_orm.testing.emulator.app import EmulatorState

# Pinned from a run of the generators that draw debtors and creditors column by column (the
# same in processes with different hash seeds): a change to any value, its type, a Decimal's
# exponent or the order of the rows changes the digest. What the data must look like is
# tested on its own in test_generated_relations.py.
DIGESTS = [
    (0, None, "4a094c8a99b427bdf7fa26aff68560acd1842360fa8a676717f5f816ff0cc03a"),
    (
        3,
        {"debtors": 2000, "creditors": 500, "salesinvoiceswithlines": 400},
        "3d4068749cb40e2f9235e8847171d24abb09907cf7a9ebb54ce673066eb9bc9e",
    ),
]


def _digest(seed: int, records: Mapping[str, int] | None) -> str:
    state = EmulatorState(seed=seed, records=records)
    admin = state.tenants[0]
    state.count(admin, "debtors")  # the first touch generates every table
    digest = hashlib.sha256()
    for _, table in sorted(state.store.administrations[admin].tables.items()):
        for row in table.rows.values():
            digest.update(json.dumps(row, sort_keys=True, default=repr).encode())
    return digest.hexdigest()


@pytest.mark.parametrize(("seed", "records", "expected"), DIGESTS)
def test_the_generated_rows_are_unchanged(
    seed: int, records: Mapping[str, int] | None, expected: str
) -> None:
    assert _digest(seed, records) == expected


def test_the_stamps_read_as_iso_datetimes_in_utc() -> None:
    state = EmulatorState(records={"debtors": 50})
    rows = state.rows(state.tenants[0], "debtors")
    added = [row["dateAdded"] for row in rows]
    assert all(len(stamp) == 24 and stamp.endswith(".000Z") for stamp in added)
    assert min(added) >= "2024-01-01T08:00:00.000Z" and max(added) < "2026-01-01T08:00:00.000Z"


@pytest.mark.parametrize(
    "seconds",
    [0, 1, 59, 3599, 3600, 16 * 3600 - 1, 16 * 3600, 10**7 + 7, 2 * 365 * 86400 - 1, 10**8],
)
def test_a_stamp_is_the_epoch_plus_the_seconds(seconds: int) -> None:
    moment = datetime(2024, 1, 1, 8, 0) + timedelta(seconds=seconds)
    assert data._stamp(seconds) == moment.isoformat(timespec="milliseconds") + "Z"
