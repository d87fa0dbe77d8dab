"""Fixtures for the contract tests: plain ``requests`` over HTTPS against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import SMALL, Api
from support.oauth import code_flow


@pytest.fixture(scope="session")
def sandbox(asperion_sandbox: Sandbox) -> Sandbox:
    """Return the session's HTTPS sandbox."""
    return asperion_sandbox


@pytest.fixture(autouse=True)
def _restore_state(sandbox: Sandbox) -> Iterator[None]:
    """Put back the knobs and the clock a test may change."""
    clock = sandbox.state.clock
    yield
    sandbox.state.clock = clock
    sandbox.state.ignore_tenant_header = False
    sandbox.state.max_query_length = 2048
    sandbox.state.interactive = False
    sandbox.set_token_lifetime(3600)


@pytest.fixture(scope="session")
def access_token(sandbox: Sandbox) -> str:
    """Return one access token of the sandbox user for the whole session."""
    return str(code_flow(sandbox)["access_token"])


@pytest.fixture
def api(sandbox: Sandbox, access_token: str) -> Api:
    """Return an API helper without a tenant header (the default administration answers)."""
    return Api(sandbox, access_token)


@pytest.fixture
def tenant(sandbox: Sandbox) -> int:
    """Return a fresh administration with a little data, so writes stay isolated."""
    return sandbox.add_administration(records=SMALL)


@pytest.fixture
def tapi(api: Api, tenant: int) -> Api:
    """Return an API helper bound to a fresh administration."""
    return api.using(tenant=tenant)


@pytest.fixture(scope="session")
def seeded(sandbox: Sandbox) -> int:
    """Return a read-only administration with known sizes, shared by read tests."""
    return sandbox.add_administration("Leestest B.V.", records=SMALL)


@pytest.fixture
def sapi(api: Api, seeded: int) -> Api:
    """Return an API helper bound to the shared read-only administration."""
    return api.using(tenant=seeded)
