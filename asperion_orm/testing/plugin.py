"""pytest fixtures for code under test against the sandbox.

Fixtures: ``asperion_sandbox``, ``asperion_user``, ``asperion_client``, ``asperion_tenant``,
``asperion_session``, and ``asperion_vcr`` for pytest-recording's ``@pytest.mark.vcr``.

Registered through the ``pytest11`` entry point. Nothing starts unless a test asks for one of
these fixtures; the sandbox then runs once per test session, and its knobs (faults, latency,
rate limit, token lifetime) are restored after every test that used it.

Each test gets its own user: ``asperion_client`` is logged in as ``asperion_user``, and
``asperion_tenant`` is an administration made for that user alone, so
``asperion_client.administrations()`` lists only it and code that loops over administrations
is tested in isolation. To give the administration other data, override ``asperion_tenant`` in
a conftest or test module with ``add_administration(..., users=[asperion_user])``;
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
def asperion_user(asperion_sandbox: Sandbox) -> str:
    """Return a user made for this test, who reaches only the administrations made for it."""
    return asperion_sandbox.add_user()


@pytest.fixture
def asperion_client(asperion_sandbox: Sandbox, asperion_user: str) -> Client:
    """Return a client logged in as this test's user through the code flow.

    Its ``administrations()`` lists ``asperion_tenant`` only (when the test asks for it): the
    sandbox user's administrations are reached with ``asperion_sandbox.client()``.
    """
    return asperion_sandbox.client(user=asperion_user)


@pytest.fixture
def asperion_tenant(asperion_sandbox: Sandbox, asperion_user: str) -> int:
    """Return a fresh administration with a little data that only this test's user reaches."""
    return asperion_sandbox.add_administration(records=SMALL_RECORDS, users=[asperion_user])


@pytest.fixture
def asperion_session(
    asperion_sandbox: Sandbox, asperion_client: Client, asperion_user: str, asperion_tenant: int
) -> Iterator[Session]:
    """Activate the session of ``asperion_tenant`` on ``asperion_client`` for the test."""
    if asperion_user not in asperion_sandbox.users_of(asperion_tenant):
        pytest.fail(
            f"asperion_tenant {asperion_tenant} is not reachable by this test's user: create it "
            "with asperion_sandbox.add_administration(..., users=[asperion_user]).",
            pytrace=False,
        )
    with asperion_client.tenant(asperion_tenant) as session:
        yield session
