"""The ``ASPERION`` settings (Django's setting, Flask's app.config key) of a sandbox."""

from __future__ import annotations

from typing import Any

from asperion_orm.testing import Sandbox


def sandbox_settings(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    """Return the ``ASPERION`` keys that point at ``sandbox``, with ``extra`` on top."""
    return {
        "CLIENT_ID": sandbox.client_id,
        "CLIENT_SECRET": sandbox.client_secret,
        "REDIRECT_URI": sandbox.redirect_uri,
        "BASE_URL": sandbox.base_url,
        "IDENTITY_URL": sandbox.identity_url,
        "CA_BUNDLE": sandbox.ca_bundle,
        **extra,
    }
