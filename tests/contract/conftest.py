"""Fixtures for the contract tests: plain ``requests`` over HTTPS against the sandbox.

The sandbox is the plugin's ``asperion_sandbox``, shared by the whole test session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import SMALL, Api
from support.oauth import code_flow


@pytest.fixture(autouse=True)
def _restore_state(asperion_sandbox: Sandbox) -> Iterator[None]:
    """Put back the knobs and the clock a test may change."""
    clock = asperion_sandbox.state.clock
    yield
    asperion_sandbox.state.clock = clock
    asperion_sandbox.state.ignore_tenant_header = False
    asperion_sandbox.state.max_query_length = 2048
    asperion_sandbox.state.interactive = False
    asperion_sandbox.set_token_lifetime(3600)


@pytest.fixture(scope="session")
def access_token(asperion_sandbox: Sandbox) -> str:
    """Return one access token of the sandbox user for the whole session."""
    return str(code_flow(asperion_sandbox)["access_token"])


@pytest.fixture
def user_api(asperion_sandbox: Sandbox, access_token: str) -> Api:
    """Return the sandbox user's API helper, without a tenant header (the default answers)."""
    return Api(asperion_sandbox, access_token)


@pytest.fixture
def tenant(asperion_sandbox: Sandbox) -> int:
    """Return a fresh administration with a little data, so writes stay isolated."""
    return asperion_sandbox.add_administration(records=SMALL)


@pytest.fixture
def tenant_api(user_api: Api, tenant: int) -> Api:
    """Return an API helper bound to ``tenant``, the test's fresh administration."""
    return user_api.using(tenant=tenant)


@pytest.fixture(scope="session")
def seeded_tenant(asperion_sandbox: Sandbox) -> int:
    """Return a read-only administration with known sizes, shared by read tests."""
    return asperion_sandbox.add_administration("Leestest B.V.", records=SMALL)


@pytest.fixture
def seeded_api(user_api: Api, seeded_tenant: int) -> Api:
    """Return an API helper bound to ``seeded_tenant``, the shared read-only administration."""
    return user_api.using(tenant=seeded_tenant)
