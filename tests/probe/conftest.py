"""Fixtures for the probe tests: the shared sandbox, and what its knobs say the probe must find."""

from __future__ import annotations

from typing import Any

import pytest

from asperion_orm.probe import LONGEST_QUERY, TENANT_HEADERS
from asperion_orm.testing.sandbox import Sandbox

TEXT_KEYS = ("text_comparison", "text_default", "text_case_sensitive")
TEXT_MODES: dict[str, tuple[bool, str, bool]] = {
    "contains-ci": (True, "contains", False),
    "exact-cs": (True, "equals", True),
}


@pytest.fixture(scope="module")
def probed_tenant(asperion_sandbox: Sandbox) -> int:
    """Return an administration with more debtors than any page size the tests configure."""
    return asperion_sandbox.add_administration("Proefbedrijf B.V.", records={"debtors": 300})


def configured(sandbox: Sandbox) -> dict[str, Any]:
    """Return the capabilities the sandbox's knobs describe (what a probe must find)."""
    state = sandbox.state
    header = next(name for name in TENANT_HEADERS if name in state.tenant_headers)
    longest = LONGEST_QUERY if state.max_query_length is None else state.max_query_length
    return {
        "tenant_header": header,
        "max_page_size": state.max_page_size,
        "multi_field_order_by": state.multi_field_order_by,
        "range_filters": True,
        **dict(zip(TEXT_KEYS, TEXT_MODES[state.text_match], strict=True)),
        "max_url_bytes": longest + len(sandbox.base_url) + len("/?"),
        "pkce_required": state.pkce_required,
        "refresh_token_rotation": state.rotate_refresh_tokens,
        "base_url": sandbox.base_url,
    }
