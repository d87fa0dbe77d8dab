"""Fixtures for the resource tests: a fresh administration per test and its emulator rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from asperion_orm.client import Client
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

Rows = Callable[[str], list[dict[str, Any]]]


@pytest.fixture
def session(asperion_client: Client, asperion_tenant: int) -> Iterator[Session]:
    """Activate a session on a fresh administration with a little data."""
    with asperion_client.tenant(asperion_tenant) as active:
        yield active


@pytest.fixture
def rows(asperion_sandbox: Sandbox, asperion_tenant: int) -> Rows:
    """Return a function listing a resource's rows as the emulator holds them."""
    return lambda path: asperion_sandbox.state.rows(asperion_tenant, path)
