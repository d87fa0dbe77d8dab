"""Fixtures for the ORM tests: a session on a shared read-only tenant and a request counter.

Tests that write use the plugin's ``asperion_session`` (a fresh administration) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from asperion_orm.client import Client
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

RECORDS = {"debtors": 250, "salesinvoices": 500, "countries": 12}
"""The shared read-only administration: 250 debtors, 500 invoices, a dozen countries."""


@pytest.fixture(scope="session")
def shared_tenant(asperion_sandbox: Sandbox) -> int:
    """Return an administration with enough rows for paging; tests must not change it."""
    return asperion_sandbox.add_administration(records=RECORDS)


@pytest.fixture
def shared_session(sandbox_user_client: Client, shared_tenant: int) -> Iterator[Session]:
    """Activate a session on the shared administration (fresh client, so a cold cache)."""
    with sandbox_user_client.tenant(shared_tenant) as active:
        yield active


@pytest.fixture
def assert_requests(asperion_sandbox: Sandbox) -> Callable[[int], AbstractContextManager[None]]:
    """Assert that a block sends exactly ``n`` API requests (our ``assertNumQueries``)."""

    @contextmanager
    def check(expected: int) -> Iterator[None]:
        before = len(asperion_sandbox.requests(path="/v1/*"))
        yield
        sent = asperion_sandbox.requests(path="/v1/*")[before:]
        assert len(sent) == expected, [f"{e.method} {e.url}" for e in sent]

    return check
