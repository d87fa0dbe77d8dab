"""OAuth2 for the client: the authorization-code flow with PKCE, and rotation-safe refresh.

authlib builds the authorization URL and talks to the token endpoint; it is imported when
first needed (``token_endpoint.py``), since a client with a valid stored token never needs it.
Refreshing is serialised through the token store's lock, and the store is re-read once the lock
is held: whoever waited adopts the token another thread or process already rotated, so a
one-time refresh token is spent exactly once. A refreshed token is saved before it is used.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token  # authlib's light part: no JOSE, no crypto

from asperion_orm import _json
from asperion_orm._log import RequestInfo, ResponseInfo, log_attempt, logger, redact_text
from asperion_orm.exceptions import (
    AuthenticationError,
    ConfigurationError,
    InvalidResponse,
    ReauthorizationRequired,
    TransportError,
)
from asperion_orm.http.retry import Attempt, RetryPolicy, Verdict, decide
from asperion_orm.http.tokens import ClaimingTokenStore, Token, TokenStore, now
from asperion_orm.http.transport import request_timeout

if TYPE_CHECKING:
    from asperion_orm.http.token_endpoint import OAuthError, TokenEndpoint

__all__ = ["MAX_LIFETIME", "OAuth", "is_bearer_token"]

DEFAULT_SCOPE = "asperion-api offline_access"
_MAX_PENDING = 32
# RFC 6750 b64token: all an access token may hold to travel in "Authorization: Bearer ...".
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_VISIBLE = re.compile(r"[\x21-\x7e]+")  # a refresh token: visible ASCII, no space
_MAX_TOKEN_LENGTH = 16_384
MAX_LIFETIME = 86_400.0  # a longer access-token lifetime is taken as a day: refreshed daily
_LOGIN_AGAIN = (
    "Send the user through login again: redirect to client.authorization_url() and call "
    "client.fetch_token(code=..., state=...) with the code from the redirect."
)


class OAuth:
    """Tokens for one client and user: authorize, store, and refresh when needed."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        identity_url: str,
        http: requests.Session,
        store: TokenStore,
        retry: RetryPolicy,
        timeout: tuple[float, float],
        scope: str = DEFAULT_SCOPE,
        clock: Callable[[], float] = now,
    ) -> None:
        self.authorize_endpoint = f"{identity_url}/connect/authorize"
        self.token_endpoint = f"{identity_url}/connect/token"
        self._client_secret = client_secret
        self._endpoint_options = {
            "session": http,
            "client_id": client_id,
            "client_secret": client_secret,
            "token_endpoint_auth_method": "client_secret_post",
            "scope": scope,
            "redirect_uri": redirect_uri,
            "code_challenge_method": "S256",
        }
        self._made_endpoint: TokenEndpoint | None = None
        self._endpoint_lock = threading.Lock()
        self._store = store
        self._retry = retry
        self._timeout = timeout
        self._clock = clock
        self._token: Token | None = None
        self._pending: OrderedDict[str, str | None] = OrderedDict()
        self._pending_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OAuth(token_endpoint={self.token_endpoint!r}, store={self._store!r})"

    @property
    def _endpoint(self) -> TokenEndpoint:
        """Return authlib's client for the token endpoint, made (and authlib imported) once."""
        with self._endpoint_lock:
            if self._made_endpoint is None:
                # Imported here, not at the top: authlib is most of the library's import time.
                from asperion_orm.http.token_endpoint import TokenEndpoint

                endpoint = TokenEndpoint(**self._endpoint_options)
                for answer in ("access_token_response", "refresh_token_response"):
                    endpoint.register_compliance_hook(answer, _checked_token_answer)
                self._made_endpoint = endpoint
            return self._made_endpoint

    # -- authorization-code flow ----------------------------------------------------------

    def authorization_url(
        self, state: str | None = None, pkce: bool = True, *, code_verifier: str | None = None
    ) -> str:
        """Return the login URL; the PKCE verifier (random if not given) waits for fetch_token."""
        endpoint = self._endpoint
        state = state or generate_token(30)
        verifier = (code_verifier or generate_token(64)) if pkce else None
        url, _ = endpoint.create_authorization_url(
            self.authorize_endpoint, state=state, code_verifier=verifier
        )
        with self._pending_lock:
            self._pending[state] = verifier
            while len(self._pending) > _MAX_PENDING:
                self._pending.popitem(last=False)
        return str(url)

    def fetch_token(
        self, code: str, state: str | None = None, *, code_verifier: str | None = None
    ) -> Token:
        """Exchange an authorization code for tokens, save them, and return them.

        ``code_verifier`` is for apps that keep the PKCE verifier themselves (several worker
        processes share one login); they must check ``state`` themselves too.
        """
        verifier = code_verifier or self._take_verifier(state)
        extra = {"code_verifier": verifier} if verifier else {}
        final = self._token_request(
            lambda seconds_left: self._endpoint.fetch_token(
                self.token_endpoint,
                grant_type="authorization_code",
                code=code,
                **extra,
                **self._request_kwargs(seconds_left),
            ),
            (code, verifier or ""),
        )
        token = Token.from_response(_token_data(final), now=self._clock())
        with self._store.lock():
            self._store.save(token)
            self._token = token
        logger.info("authorized: new token saved (expires in %.0fs)", token.lifetime)
        return token

    def _take_verifier(self, state: str | None) -> str | None:
        with self._pending_lock:
            if state is None:
                if not self._pending:
                    return None
                state = next(reversed(self._pending))
            if state not in self._pending:
                raise ConfigurationError(
                    "fetch_token() got a state this client never issued; the login may have been "
                    "forged or started by another process. Start again with authorization_url()."
                )
            return self._pending.pop(state)

    # -- access tokens --------------------------------------------------------------------

    def access_token(self) -> Token:
        """Return a token that is not about to expire, refreshing it if needed."""
        token = self._token or self._load()
        usable = is_bearer_token(token.access_token)
        if usable and not token.is_expired(self._clock()):
            return token
        # A stored token that cannot travel in a header is replaced, never sent.
        return self.refresh(token, force=not usable)

    def secrets(self) -> tuple[str | None, ...]:
        """Return what no message may quote: the client secret and the tokens in use."""
        token = self._token
        held = (token.access_token, token.refresh_token) if token is not None else ()
        return (self._client_secret, *held)

    def identity(self) -> str:
        """Return a stable id for the authorized user's grant (never a token)."""
        return (self._token or self._load()).grant_id

    def refresh(self, stale: Token, *, force: bool = False) -> Token:
        """Replace ``stale`` (expired, or refused with 401 when ``force``) by a fresh token."""
        with self._store.lock():
            latest = self._store.load() or stale
            fresh = is_bearer_token(latest.access_token) and not latest.is_expired(self._clock())
            if latest.access_token != stale.access_token and fresh:
                self._token = latest  # another thread or process already refreshed
                return latest
            if not force and fresh:
                self._token = latest
                return latest
            if not self._claim(latest):
                return self.refresh(stale, force=force)  # another worker stored a newer token
            try:
                token = self._refresh_locked(latest)
            except ReauthorizationRequired:
                rotated = self._rotated_elsewhere(latest)
                if rotated is None:
                    raise
                self._token = rotated
                return rotated
            self._store.save(token)
            self._token = token
            logger.info("access token refreshed (expires in %.0fs)", token.lifetime)
            return token

    def _claim(self, token: Token) -> bool:
        """Claim the refresh token in a store whose lock can expire; True when it may be sent."""
        if not token.refresh_token or not isinstance(self._store, ClaimingTokenStore):
            return True
        return self._store.claim(token.refresh_token)

    def _rotated_elsewhere(self, spent: Token) -> Token | None:
        """After ``invalid_grant``, return the token another worker stored meanwhile, if any."""
        stored = self._store.load()
        if stored is None or stored.refresh_token in (None, spent.refresh_token):
            return None
        if not is_bearer_token(stored.access_token):
            return None
        logger.info("refresh refused, but another worker had already stored a newer token")
        return stored

    def _load(self) -> Token:
        token = self._store.load()
        if token is None:
            raise ReauthorizationRequired(f"This client holds no token yet. {_LOGIN_AGAIN}")
        self._token = token
        return token

    def _refresh_locked(self, token: Token) -> Token:
        if not token.refresh_token:
            raise ReauthorizationRequired(f"No usable refresh token is stored. {_LOGIN_AGAIN}")
        refresh_token = token.refresh_token

        def call(seconds_left: float) -> Mapping[str, Any]:
            return self._endpoint.refresh_token(  # type: ignore[no-any-return]
                self.token_endpoint,
                refresh_token=refresh_token,
                **self._request_kwargs(seconds_left),
            )

        try:
            final = self._token_request(call, (refresh_token,))
            if final.verdict is Verdict.AMBIGUOUS:
                # The answer was lost: the old refresh token may be spent. One more try tells
                # (a one-time token then fails with invalid_grant); never a loop.
                final = self._token_request(call, (refresh_token,))
        except ReauthorizationRequired:
            if self._rotated_elsewhere(token) is None:
                self._token = token.without_refresh_token()
                self._store.save(self._token)
            raise
        return Token.from_response(_token_data(final), now=self._clock(), previous=token)

    def _request_kwargs(self, seconds_left: float) -> dict[str, Any]:
        """Return the request options: no redirects, and the answer in full within the deadline."""
        return {
            "timeout": request_timeout(self._timeout, seconds_left),
            "allow_redirects": False,
        }

    # -- the token endpoint ---------------------------------------------------------------

    def _token_request(
        self, call: Callable[[float], Mapping[str, Any]], secrets_in_play: tuple[str, ...]
    ) -> Attempt:
        """Run one token request under the retry policy (POST rules); OAuth errors raise."""

        def send(number: int, seconds_left: float) -> Attempt:
            started = time.monotonic()
            attempt = self._token_attempt(lambda: call(seconds_left), secrets_in_play, number)
            self._log(attempt, started)
            return attempt

        return self._retry.run(send)

    def _token_attempt(
        self, call: Callable[[], Mapping[str, Any]], secrets_in_play: tuple[str, ...], number: int
    ) -> Attempt:
        """Make one token request; an OAuth error answer raises, the rest is judged."""
        oauth_error: type[OAuthError] = self._endpoint.oauth_error_class
        try:
            return Attempt(Verdict.DONE, value=dict(call()), number=number)
        except oauth_error as exc:
            logger.debug("POST %s -> OAuth error %s", self._token_path, exc.error)
            raise _oauth_error(exc, secrets_in_play) from None
        except requests.HTTPError as exc:
            response = exc.response
            return Attempt(decide("POST", response, None), response=response, number=number)
        except requests.RequestException as exc:
            return Attempt(decide("POST", None, exc), error=exc, number=number)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError):
            # authlib reading an answer _checked_token_answer let through (an error status
            # with a body that is no OAuth error); the exception may quote the body.
            raise InvalidResponse(
                f"The token endpoint {self._token_path} answered with something that is not a "
                "token or an OAuth error; no token was saved. Check identity_url.",
                request=RequestInfo("POST", self.token_endpoint),
            ) from None

    def _log(self, attempt: Attempt, started: float) -> None:
        status = 200 if attempt.verdict is Verdict.DONE else attempt.describe()
        log_attempt("POST", self._token_path, status, time.monotonic() - started, attempt.number)

    @property
    def _token_path(self) -> str:
        return urlsplit(self.token_endpoint).path


def is_bearer_token(value: object) -> bool:
    """Tell whether ``value`` can be sent as ``Authorization: Bearer <value>`` (RFC 6750)."""
    return (
        isinstance(value, str)
        and len(value) <= _MAX_TOKEN_LENGTH
        and _BEARER_TOKEN.fullmatch(value) is not None
    )


def _checked_token_answer(response: requests.Response) -> requests.Response:
    """Refuse a successful token-endpoint answer that holds no usable token.

    authlib calls this before it reads the answer; error statuses pass on to its OAuth error
    handling. Nothing of the answer is quoted: it may hold tokens.
    """
    if response.status_code >= 400:
        return response
    problem: str | None = f"HTTP {response.status_code}, not a token"
    if 200 <= response.status_code < 300:
        problem = _token_problem(_loaded(response.content))
    if problem is None:
        return response
    raise InvalidResponse(
        f"The token endpoint {urlsplit(response.url).path} answered with no usable token "
        f"({problem}); no token was saved. Check identity_url, and any proxy between you "
        "and the identity server.",
        status_code=response.status_code,
        request=RequestInfo.from_request(response.request),
        response=ResponseInfo(response.status_code, str(response.reason or "")),
    )


def _loaded(content: bytes) -> Any:
    try:
        return _json.loads(content)
    except ValueError:
        return None


def _token_problem(data: Any) -> str | None:
    """Return what makes a token answer unusable, or ``None`` (never quoting a value)."""
    if not isinstance(data, dict):
        return "the body is not a JSON object"
    if "error" in data:
        return None  # an OAuth error: authlib raises it
    if not is_bearer_token(data.get("access_token")):
        return "access_token is missing or not a bearer token"
    refresh = data.get("refresh_token")
    if refresh is not None and not _is_refresh_token(refresh):
        return "refresh_token is not a token"
    if str(data.get("token_type") or "Bearer").lower() != "bearer":
        return "token_type is not Bearer"
    if data.get("expires_in") is not None and _lifetime(data["expires_in"]) is None:
        return "expires_in is not a positive number of seconds"
    if data.get("scope") is not None and not isinstance(data["scope"], str):
        return "scope is not a string"
    return None


def _is_refresh_token(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= _MAX_TOKEN_LENGTH
        and bool(_VISIBLE.fullmatch(value))
    )


def _lifetime(value: object) -> float | None:
    """Return ``expires_in`` as seconds, at most ``MAX_LIFETIME``; ``None`` if it is no lifetime."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return min(seconds, MAX_LIFETIME)


def _token_data(final: Attempt) -> Mapping[str, Any]:
    """Return the token JSON of a successful attempt, or raise a ``TransportError``.

    A lifetime longer than ``MAX_LIFETIME`` is shortened to it.
    """
    if final.verdict is Verdict.DONE:
        data: dict[str, Any] = dict(final.value)
        if data.get("expires_in") is not None:
            data["expires_in"] = _lifetime(data["expires_in"])
        return data
    status = final.response.status_code if final.response is not None else None
    what = f"HTTP {status}" if status else type(final.error).__name__
    raise TransportError(
        f"The token endpoint could not be reached or failed ({what}); no token was obtained. "
        "Try again later; if this keeps failing after a refresh, log the user in again."
    )


def _oauth_error(exc: OAuthError, secrets_in_play: tuple[str, ...]) -> Exception:
    """Translate an OAuth error answer; ``invalid_grant`` means the user must log in again."""
    code = str(exc.error or "oauth_error")
    description = redact_text(str(exc.description or ""), secrets_in_play)
    detail = f" ({description})" if description else ""
    if code == "invalid_grant":
        return ReauthorizationRequired(
            f"The identity server refused the grant (invalid_grant){detail}: the refresh token "
            f"or authorization code is expired, revoked or already used. {_LOGIN_AGAIN}"
        )
    if code in ("invalid_client", "unauthorized_client"):
        return AuthenticationError(
            f"The identity server refused the client credentials ({code}){detail}. Check "
            "client_id, client_secret and redirect_uri against your app registration.",
            status_code=400,
        )
    return AuthenticationError(f"The token request failed ({code}){detail}.", status_code=400)
