"""``TokenEndpoint``: authlib's OAuth2 protocol client, bound to the client's ``requests`` session.

A module of its own because authlib (with cryptography and joserfc under it) takes longer to
import than the rest of the library: ``OAuth`` imports this module when it first needs the
token endpoint or a login URL, so ``import asperion_orm`` and a client with a stored token
never load it.
"""

from __future__ import annotations

from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client.oauth2_session import OAuth2Auth, OAuth2ClientAuth
from authlib.oauth2.client import OAuth2Client

__all__ = ["OAuthError", "TokenEndpoint"]


class TokenEndpoint(OAuth2Client):  # type: ignore[misc]
    """authlib's protocol client bound to our ``requests.Session`` (no session of its own)."""

    client_auth_class = OAuth2ClientAuth
    token_auth_class = OAuth2Auth
    oauth_error_class = OAuthError
    SESSION_REQUEST_PARAMS = ("timeout", "allow_redirects")
