"""The authorization-code flow against a sandbox, walked with plain ``requests``.

For tests that need a code or a token without the library's client. The browser's part is
``Sandbox.authorize`` (which also fills in an interactive sandbox's login form); a client of
the library logs in with ``Sandbox.log_in(client)`` or ``Sandbox.client()`` instead.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from asperion_orm.testing import Sandbox


def pkce_pair() -> tuple[str, str]:
    """Return a (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    """Return the query of a valid authorization request (``"<omit>"`` leaves one out)."""
    params = {
        "client_id": sandbox.client_id,
        "redirect_uri": sandbox.redirect_uri,
        "response_type": "code",
        "scope": "asperion-api offline_access",
        "state": secrets.token_urlsafe(8),
    }
    params.update(extra)
    return {key: value for key, value in params.items() if value != "<omit>"}


def authorization_code(sandbox: Sandbox, **extra: str) -> str:
    """Follow an authorization request as the sandbox user's browser; return the code."""
    params = authorize_params(sandbox, **extra)
    url = f"{sandbox.identity_url}/connect/authorize?{urlencode(params)}"
    return sandbox.authorize(url, params.get("state"))


def code_form(sandbox: Sandbox, code: str, **extra: str) -> dict[str, str]:
    """Return the token request that exchanges ``code``, client credentials in the form."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": sandbox.redirect_uri,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    form.update(extra)
    return form


def token_call(
    sandbox: Sandbox,
    form: Mapping[str, str],
    *,
    http: requests.Session | None = None,
    **kw: Any,
) -> requests.Response:
    """POST ``form`` to ``/connect/token`` (on ``http``, or a session of its own)."""
    if http is None:
        with requests.Session() as own:
            own.trust_env = False  # the sandbox CA, not REQUESTS_CA_BUNDLE; no proxies
            return token_call(sandbox, form, http=own, **kw)
    url = f"{sandbox.identity_url}/connect/token"
    return http.post(url, data=dict(form), verify=sandbox.ca_bundle, timeout=10, **kw)


def code_flow(
    sandbox: Sandbox, *, http: requests.Session | None = None, **authorize_extra: str
) -> dict[str, Any]:
    """Walk the whole authorization-code flow with PKCE; return the token response."""
    verifier, challenge = pkce_pair()
    code = authorization_code(
        sandbox, code_challenge=challenge, code_challenge_method="S256", **authorize_extra
    )
    redirect_uri = authorize_extra.get("redirect_uri", sandbox.redirect_uri)
    form = code_form(sandbox, code, redirect_uri=redirect_uri, code_verifier=verifier)
    response = token_call(sandbox, form, http=http)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens
