"""Fixtures for running the scripts in ``examples/`` against one sandbox."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

import asperion_orm as asp
from asperion_orm.testing import Sandbox

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RECORDS = {"debtors": 140, "salesinvoices": 30, "journalentrieswithlines": 40}


@pytest.fixture(scope="package")
def private_sandbox() -> Iterator[Sandbox]:
    """Serve the example tests' own sandbox, with their records."""
    with Sandbox(records=RECORDS) as served:
        yield served


@pytest.fixture
def client(private_sandbox: Sandbox) -> Iterator[asp.Client]:
    """Return a client of ``private_sandbox``, logged in through the code flow."""
    with private_sandbox.client() as logged_in:
        yield logged_in


@pytest.fixture
def tenant(private_sandbox: Sandbox) -> int:
    """Return a fresh administration in ``private_sandbox`` (no other test's writes)."""
    return private_sandbox.add_administration(records=RECORDS)


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], ModuleType]:
    """Import an example script as a module (``examples/`` on the path, as when run)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module
