"""pytest fixtures for code under test against the sandbox.

Fixtures: ``asperion_sandbox``, ``asperion_client``, ``asperion_tenant``, ``asperion_session``,
and ``asperion_user`` with ``asperion_user_client`` (a user who sees ``asperion_tenant`` only).

Registered through the ``pytest11`` entry point. Nothing starts unless a test asks for one of
these fixtures; the sandbox then runs once per test session, and its knobs (faults, latency,
rate limit, token lifetime) are restored after every test that used it. To give the
administration other data, override ``asperion_tenant`` in a conftest or test module;
``asperion_session`` follows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from asperion_orm import Session
    from asperion_orm.client import Client
    from asperion_orm.testing.sandbox import Sandbox

pytest_plugins = ["asperion_orm.testing.cassettes"]  # the asperion_cassette fixture and marker

SMALL_RECORDS = {
    "debtors": 20,
    "creditors": 10,
    "articles": 10,
    "salesinvoiceswithlines": 20,
    "purchaseinvoices": 10,
    "journalentrieswithlines": 20,
}
"""Record counts for the fresh administration behind ``asperion_tenant``."""


@pytest.fixture(scope="session")
def asperion_sandbox() -> Iterator[Sandbox]:
    """Serve one sandbox for the whole test session."""
    from asperion_orm.testing.sandbox import Sandbox

    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _asperion_sandbox_reset(request: pytest.FixtureRequest) -> Iterator[None]:
    """Give each test that uses the sandbox an empty request log and default knobs."""
    if "asperion_sandbox" not in request.fixturenames:
        yield
        return
    sandbox: Sandbox = request.getfixturevalue("asperion_sandbox")
    sandbox.reset_knobs()
    sandbox.clear_log()
    yield
    sandbox.reset_knobs()


@pytest.fixture
def asperion_client(asperion_sandbox: Sandbox) -> Client:
    """Return a client authorized against the sandbox through the code flow."""
    return asperion_sandbox.client()


@pytest.fixture
def asperion_user(asperion_sandbox: Sandbox) -> str:
    """Return a user made for this test, who reaches only ``asperion_tenant``."""
    return asperion_sandbox.add_user()


@pytest.fixture
def asperion_user_client(asperion_sandbox: Sandbox, asperion_user: str) -> Client:
    """Return a client logged in as this test's user.

    Its ``administrations()`` lists ``asperion_tenant`` only, so code that loops over a
    user's administrations is tested in isolation from every other test.
    """
    return asperion_sandbox.client(user=asperion_user)


@pytest.fixture
def asperion_tenant(asperion_sandbox: Sandbox, asperion_user: str) -> int:
    """Return a fresh administration with a little data, for the sandbox and this test's user."""
    users = [asperion_sandbox.username, asperion_user]
    return asperion_sandbox.add_administration(records=SMALL_RECORDS, users=users)


@pytest.fixture
def asperion_session(asperion_client: Client, asperion_tenant: int) -> Iterator[Session]:
    """Activate the session of ``asperion_tenant`` on ``asperion_client`` for the test."""
    with asperion_client.tenant(asperion_tenant) as session:
        yield session
