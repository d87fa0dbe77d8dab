"""One sandbox for the documentation tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from asperion_orm.testing import Sandbox

RECORDS = {"debtors": 250, "countries": 20, "salesinvoices": 40, "journalentrieswithlines": 30}


@pytest.fixture(scope="package")
def private_sandbox() -> Iterator[Sandbox]:
    """Serve the documentation tests' own sandbox, with their records."""
    with Sandbox(records=RECORDS) as served:
        yield served
