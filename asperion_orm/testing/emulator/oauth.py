"""The emulator's identity server: authorization-code flow with PKCE and rotating refresh tokens.

Two knobs make it another server: ``pkce_required`` refuses an authorization request without
``code_challenge``, and ``rotate_refresh_tokens=False`` keeps a refresh token valid and hands
the same one back on every refresh.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote, urlencode, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

__all__ = ["IdentityConfig", "TokenStore", "authorize", "token"]

CODE_LIFETIME = 60.0
SCOPES = frozenset({"asperion-api", "offline_access", "openid", "profile"})
DEFAULT_SCOPE = "asperion-api offline_access"
AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


class IdentityConfig(Protocol):
    """What the identity server reads from the emulator state."""

    client_id: str
    client_secret: str
    redirect_uri: str
    username: str
    token_lifetime: float
    interactive: bool
    pkce_required: bool
    rotate_refresh_tokens: bool
    tokens: TokenStore
    clock: Callable[[], float]

    def check_password(self, username: str, password: str) -> bool:
        """Tell whether the credentials belong to a known user."""
        ...


@dataclass(frozen=True, slots=True)
class _Grant:
    user: str
    client_id: str
    redirect_uri: str
    scope: str
    expires: float
    challenge: str | None


@dataclass(frozen=True, slots=True)
class _Access:
    user: str
    expires: float
    scope: str


@dataclass(frozen=True, slots=True)
class _Refresh:
    user: str
    client_id: str
    scope: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class TokenStore:
    """Codes, access tokens and refresh tokens, kept only as hashes."""

    codes: dict[str, _Grant] = field(default_factory=dict)
    access: dict[str, _Access] = field(default_factory=dict)
    refresh: dict[str, _Refresh] = field(default_factory=dict)

    def issue_code(self, grant: _Grant) -> str:
        """Store a grant and return its one-time code."""
        code = secrets.token_urlsafe(32)
        self.codes[_digest(code)] = grant
        return code

    def take_code(self, code: str) -> _Grant | None:
        """Remove and return the grant of a code (a code works once)."""
        return self.codes.pop(_digest(code), None)

    def take_refresh(self, refresh_token: str, *, keep: bool = False) -> _Refresh | None:
        """Return a refresh token's record; remove it (refresh tokens work once) unless ``keep``."""
        if keep:
            return self.refresh.get(_digest(refresh_token))
        return self.refresh.pop(_digest(refresh_token), None)

    def issue(
        self,
        user: str,
        client_id: str,
        scope: str,
        lifetime: float,
        now: float,
        refresh_token: str | None = None,
    ) -> dict[str, object]:
        """Issue an access token (and a refresh token with offline_access); return the body.

        A given ``refresh_token`` (still valid) is handed back instead of a new one.
        """
        access_token = secrets.token_urlsafe(32)
        self.access[_digest(access_token)] = _Access(user, now + lifetime, scope)
        body: dict[str, object] = {
            "access_token": access_token,
            "expires_in": int(lifetime),
            "token_type": "Bearer",
            "scope": scope,
        }
        if "offline_access" in scope.split():
            if refresh_token is None:
                refresh_token = secrets.token_urlsafe(32)
                self.refresh[_digest(refresh_token)] = _Refresh(user, client_id, scope)
            body["refresh_token"] = refresh_token
        return body

    def user_for(self, authorization: str | None, now: float) -> str | None:
        """Return the user of a ``Bearer`` header, or None when missing, unknown or expired."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        record = self.access.get(_digest(value.strip()))
        if record is None or record.expires <= now:
            return None
        return record.user


# --- helpers ------------------------------------------------------------------------------


def _json(body: Mapping[str, object], status: int = 200) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _error(error: str, description: str, status: int = 400) -> Response:
    return _json({"error": error, "error_description": description}, status)


def redirect_allowed(config: IdentityConfig, uri: str) -> bool:
    """Tell whether ``uri`` is the registered one or a loopback URI (RFC 8252)."""
    if uri == config.redirect_uri:
        return True
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    return parts.scheme == "http" and loopback and port is not None and not parts.fragment


def _redirect(uri: str, params: Mapping[str, str | None]) -> Response:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    separator = "&" if "?" in uri else "?"
    response = Response(status=302)
    response.headers["Location"] = f"{uri}{separator}{query}"
    return response


# --- /connect/authorize -----------------------------------------------------------------------


def authorize(request: Request, config: IdentityConfig) -> Response:
    """Serve ``/connect/authorize``: validate, then log in (form or auto) and redirect."""
    params = request.form if request.method == "POST" else request.args
    if params.get("client_id") != config.client_id:
        return _error("invalid_client", "Unknown client_id.")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_allowed(config, redirect_uri):
        return _error("invalid_request", "The redirect_uri is not registered for this client.")
    state = params.get("state")
    problem = _authorize_problem(params, config.pkce_required)
    if problem is not None:
        return _redirect(redirect_uri, {"error": problem[0], "error_description": problem[1],
                                        "state": state})  # fmt: skip
    if request.method == "POST":
        return _login(params, config, redirect_uri)
    if config.interactive:
        return _form(params, None)
    return _approve(params, config, config.username, redirect_uri)


def _authorize_problem(params: MultiDict[str, str], pkce_required: bool) -> tuple[str, str] | None:
    if params.get("response_type") != "code":
        return "unsupported_response_type", "Only response_type=code is supported."
    scopes = params.get("scope", DEFAULT_SCOPE).split()
    if not scopes or not set(scopes) <= SCOPES:
        return "invalid_scope", "Unknown scope requested."
    challenge = params.get("code_challenge")
    if challenge is None:
        return ("invalid_request", "code_challenge is required (PKCE).") if pkce_required else None
    if params.get("code_challenge_method", "plain") != "S256":
        return "invalid_request", "Only code_challenge_method=S256 is allowed."
    if not 43 <= len(challenge) <= 128:
        return "invalid_request", "The code_challenge is malformed."
    return None


def _approve(
    params: MultiDict[str, str], config: IdentityConfig, user: str, redirect_uri: str
) -> Response:
    grant = _Grant(
        user=user,
        client_id=config.client_id,
        redirect_uri=redirect_uri,
        scope=" ".join(params.get("scope", DEFAULT_SCOPE).split()),
        expires=config.clock() + CODE_LIFETIME,
        challenge=params.get("code_challenge"),
    )
    code = config.tokens.issue_code(grant)
    return _redirect(redirect_uri, {"code": code, "state": params.get("state")})


def _login(params: MultiDict[str, str], config: IdentityConfig, redirect_uri: str) -> Response:
    username = params.get("username", "")
    if config.check_password(username, params.get("password", "")):
        return _approve(params, config, username, redirect_uri)
    return _form(params, "Invalid username or password.")


_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Asperion sandbox - sign in</title></head>
<body><h1>Sign in to the Asperion sandbox</h1>{error}
<form method="post" action="/connect/authorize">{hidden}
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form></body></html>
"""


def _form(params: MultiDict[str, str], error: str | None) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in AUTHORIZE_PARAMS
        if name in params
    )
    shown = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    response = Response(_FORM.format(error=shown, hidden=hidden), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


# --- /connect/token ---------------------------------------------------------------------------


def token(request: Request, config: IdentityConfig) -> Response:
    """Serve ``/connect/token`` for the authorization_code and refresh_token grants."""
    if request.method != "POST":
        response = _error("invalid_request", "Use POST.", 405)
        response.headers["Allow"] = "POST"
        return response
    form = request.form
    client = _client_problem(request, config)
    if client is not None:
        return client
    grant_type = form.get("grant_type")
    handler = _GRANTS.get(grant_type or "")
    if handler is None:
        if not grant_type:
            return _error("invalid_request", "grant_type is required.")
        return _error("unsupported_grant_type", "Use authorization_code or refresh_token.")
    return handler(form, config)


def _client_credentials(request: Request) -> tuple[str | None, str | None, bool]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except ValueError:
            return None, None, True
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret), True
    return request.form.get("client_id"), request.form.get("client_secret"), False


def _client_problem(request: Request, config: IdentityConfig) -> Response | None:
    client_id, secret, basic = _client_credentials(request)
    form_id = request.form.get("client_id")
    if basic and form_id is not None and form_id != client_id:
        return _error("invalid_request", "client_id differs between header and body.")
    good_id = client_id == config.client_id
    good_secret = secret is not None and secrets.compare_digest(
        secret.encode(), config.client_secret.encode()
    )
    if good_id and good_secret:
        return None
    response = _error("invalid_client", "Client authentication failed.", 401)
    if basic:
        response.headers["WWW-Authenticate"] = 'Basic realm="identity"'
    return response


def _verifier_matches(verifier: str | None, challenge: str) -> bool:
    if verifier is None or not 43 <= len(verifier) <= 128:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(expected, challenge)


def _code_grant(form: MultiDict[str, str], config: IdentityConfig) -> Response:
    code = form.get("code")
    if not code:
        return _error("invalid_request", "code is required.")
    grant = config.tokens.take_code(code)
    now = config.clock()
    if grant is None or grant.expires <= now or grant.client_id != config.client_id:
        return _error("invalid_grant", "The authorization code is invalid, used or expired.")
    if form.get("redirect_uri") != grant.redirect_uri:
        return _error("invalid_grant", "The redirect_uri does not match the authorization request.")
    if grant.challenge is not None and not _verifier_matches(
        form.get("code_verifier"), grant.challenge
    ):
        return _error("invalid_grant", "The PKCE code_verifier does not match.")
    body = config.tokens.issue(grant.user, grant.client_id, grant.scope, config.token_lifetime, now)
    return _json(body)


def _refresh_grant(form: MultiDict[str, str], config: IdentityConfig) -> Response:
    refresh_token = form.get("refresh_token")
    if not refresh_token:
        return _error("invalid_request", "refresh_token is required.")
    rotate = config.rotate_refresh_tokens
    record = config.tokens.take_refresh(refresh_token, keep=not rotate)
    if record is None or record.client_id != config.client_id:
        return _error("invalid_grant", "The refresh token is invalid or was already used.")
    lifetime, now = config.token_lifetime, config.clock()
    kept = None if rotate else refresh_token
    return _json(
        config.tokens.issue(record.user, record.client_id, record.scope, lifetime, now, kept)
    )


_GRANTS: dict[str, Callable[[MultiDict[str, str], IdentityConfig], Response]] = {
    "authorization_code": _code_grant,
    "refresh_token": _refresh_grant,
}
