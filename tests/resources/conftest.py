"""Fixtures for the resource tests: the emulator rows of the test's fresh administration.

The session on that administration is the plugin's ``asperion_session``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from asperion_orm.testing.sandbox import Sandbox

Rows = Callable[[str], list[dict[str, Any]]]


@pytest.fixture
def rows(asperion_sandbox: Sandbox, asperion_tenant: int) -> Rows:
    """Return a function listing a resource's rows as the emulator holds them."""
    return lambda path: asperion_sandbox.state.rows(asperion_tenant, path)
