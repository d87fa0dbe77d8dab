"""The code flow when the callback reaches another process than the one that started it."""

from __future__ import annotations

import secrets

import pytest

from asperion_orm import Client, ConfigurationError
from asperion_orm.testing import Sandbox


def _client(sandbox: Sandbox) -> Client:
    return Client(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        redirect_uri=sandbox.redirect_uri,
        base_url=sandbox.base_url,
        identity_url=sandbox.identity_url,
        ca_bundle=sandbox.ca_bundle,
    )


def test_a_verifier_kept_by_the_app_completes_the_login_in_another_client(
    asperion_sandbox: Sandbox,
) -> None:
    verifier = secrets.token_urlsafe(48)
    with _client(asperion_sandbox) as starter, _client(asperion_sandbox) as finisher:
        url = starter.authorization_url(state="s1", code_verifier=verifier)
        code = asperion_sandbox.authorize(url, state="s1")
        finisher.fetch_token(code=code, state="s1", code_verifier=verifier)
        ids = [row["id"] for row in finisher.administrations()]
    # Fresh administrations made by other tests join the list after the seeded ones.
    assert ids[: len(asperion_sandbox.tenants)] == asperion_sandbox.tenants


def test_without_the_verifier_another_client_refuses_the_state(asperion_sandbox: Sandbox) -> None:
    with _client(asperion_sandbox) as starter, _client(asperion_sandbox) as finisher:
        url = starter.authorization_url(state="s2")
        code = asperion_sandbox.authorize(url, state="s2")
        with pytest.raises(ConfigurationError, match="never issued"):
            finisher.fetch_token(code=code, state="s2")
