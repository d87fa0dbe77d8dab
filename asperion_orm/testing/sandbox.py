"""The sandbox: the Asperion emulator served over HTTPS, with knobs and a request log for tests."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from requests import Response
from requests import Session as BrowserSession

from asperion_orm.testing.emulator.app import (
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    TENANT_HEADERS,
    EmulatorState,
    create_app,
)
from asperion_orm.testing.emulator.middleware import Fault, LogEntry, SandboxMiddleware
from asperion_orm.testing.emulator.server import HTTPSServer

if TYPE_CHECKING:
    from asperion_orm.client import Client

__all__ = ["Sandbox"]


class Sandbox:
    """An Asperion emulator on ``https://127.0.0.1:PORT`` for the length of a ``with`` block.

    >>> with Sandbox(records={"debtors": 200}) as sandbox:     # doctest: +SKIP
    ...     client = sandbox.client()
    ...     sandbox.inject("POST", "/v1/debtors", fault="reset_after_commit")

    ``text_match`` decides how text filters compare when a request sends no
    ``<Field>_comparison``: ``"contains-ci"`` (the default, closest to the live API: Contains,
    ignoring case) or ``"exact-cs"`` (Equals, case-sensitive). An explicit ``_comparison``
    is honoured either way.

    The keyword-only knobs make it behave like another server: which tenant header spellings
    it honours, the largest page, whether ``orderby`` takes a comma list, the longest query
    string (``None``: no limit; a longer one gets 404, as from IIS), whether the identity
    server requires PKCE and whether it rotates refresh tokens. They can be changed on
    ``sandbox.state`` later; :meth:`reset_knobs` restores the values given here.
    """

    def __init__(
        self,
        records: Mapping[str, int] | None = None,
        token_lifetime: float = 3600,
        latency: float = 0.0,
        rate_limit: float | None = None,
        seed: int = 0,
        interactive: bool = False,
        port: int = 0,
        text_match: str = "contains-ci",
        *,
        tenant_headers: Sequence[str] = TENANT_HEADERS,
        max_page_size: int = MAX_PAGE_SIZE,
        multi_field_order_by: bool = False,
        max_query_length: int | None = MAX_QUERY_LENGTH,
        pkce_required: bool = False,
        rotate_refresh_tokens: bool = True,
    ) -> None:
        """Create the emulator state; the server starts on ``__enter__`` (or :meth:`start`)."""
        self.state: EmulatorState = EmulatorState(
            records=records,
            seed=seed,
            token_lifetime=token_lifetime,
            interactive=interactive,
            text_match=text_match,
        )
        self._defaults = (
            float(latency),
            rate_limit,
            float(token_lifetime),
            bool(interactive),
            text_match,
        )
        self._server_knobs: dict[str, Any] = {
            "ignore_tenant_header": False,
            "tenant_headers": tuple(tenant_headers),
            "max_page_size": int(max_page_size),
            "multi_field_order_by": bool(multi_field_order_by),
            "max_query_length": max_query_length,
            "pkce_required": bool(pkce_required),
            "rotate_refresh_tokens": bool(rotate_refresh_tokens),
        }
        self._set_server_knobs()
        self.middleware = SandboxMiddleware(
            create_app(self.state), latency=latency, rate_limit=rate_limit
        )
        self._server = HTTPSServer(self.middleware, port=port)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start serving."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and remove the CA file (idempotent)."""
        self.middleware.close()
        self._server.stop()

    def __enter__(self) -> Sandbox:
        """Start serving."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self.stop()

    def __repr__(self) -> str:
        """Show the URL only (never credentials)."""
        return f"<Sandbox {self.identity_url}>"

    # -- where and who ------------------------------------------------------------------------

    @property
    def identity_url(self) -> str:
        """Return the OAuth host, ``https://127.0.0.1:PORT``."""
        return self._server.url

    @property
    def base_url(self) -> str:
        """Return the API base, ``https://127.0.0.1:PORT/v1``."""
        return f"{self._server.url}/v1"

    @property
    def port(self) -> int:
        """Return the port served on (0 before start)."""
        return self._server.port

    @property
    def ca_bundle(self) -> str:
        """Return the path of the CA PEM that signs the server certificate."""
        return self._server.ca_bundle

    @property
    def server(self) -> HTTPSServer:
        """Return the HTTPS server (connection counts, thread)."""
        return self._server

    @property
    def client_id(self) -> str:
        """Return the sandbox app's client id."""
        return self.state.client_id

    @property
    def client_secret(self) -> str:
        """Return the sandbox app's client secret (random per sandbox)."""
        return self.state.client_secret

    @property
    def redirect_uri(self) -> str:
        """Return the registered redirect URI."""
        return self.state.redirect_uri

    @property
    def username(self) -> str:
        """Return the sandbox user's name."""
        return self.state.username

    @property
    def password(self) -> str:
        """Return the sandbox user's password (random per sandbox)."""
        return self.state.password

    @property
    def tenants(self) -> list[int]:
        """Return the sandbox user's administration ids, default first."""
        return list(self.state.tenants)

    # -- request log --------------------------------------------------------------------------

    @property
    def request_log(self) -> list[LogEntry]:
        """Return a snapshot of every request served since the last :meth:`clear_log`."""
        return self.middleware.request_log

    def clear_log(self) -> None:
        """Forget the logged requests."""
        self.middleware.clear_log()

    def requests(self, method: str | None = None, path: str | None = None) -> list[LogEntry]:
        """Return the logged requests with this method and path, oldest first (``None``: any).

        ``path`` is a case-insensitive glob on the URL path, without the query: ``/v1/*`` keeps
        the API requests and leaves out the OAuth ones, ``/v1/debtors*`` keeps those on debtors.
        Only requests since the last :meth:`clear_log` are kept (the pytest plugin clears the
        log before every test that uses the sandbox).
        """
        return self.middleware.requests(method=method, path=path)

    # -- knobs --------------------------------------------------------------------------------

    def set_latency(self, seconds: float) -> None:
        """Delay every answer by ``seconds``."""
        self.middleware.set_latency(seconds)

    def set_rate_limit(self, per_second: float | None) -> None:
        """Allow ``per_second`` API requests per second; excess gets 429 + Retry-After."""
        self.middleware.set_rate_limit(per_second)

    def set_token_lifetime(self, seconds: float) -> None:
        """Give access tokens issued from now on this lifetime."""
        self.state.token_lifetime = seconds

    def set_interactive(self, interactive: bool) -> None:
        """Show a login form at ``/connect/authorize`` instead of auto-approving."""
        self.state.interactive = interactive

    def set_text_match(self, mode: str) -> None:
        """Compare text filters without ``_comparison`` as ``mode`` says from now on.

        ``"contains-ci"``: Contains, ignoring case (the live API); ``"exact-cs"``: Equals,
        case-sensitive. Any other mode raises ``ValueError``.
        """
        self.state.text_match = mode

    def inject(
        self,
        method: str | None = None,
        path: str | None = None,
        fault: int | str = 500,
        *,
        nth: int = 1,
        times: int | None = 1,
        delay: float = 0.0,
        retry_after: float | None = None,
    ) -> Fault:
        """Make matching requests fail: 500/502/503/504, reset_before, reset_after_commit, slow.

        ``path`` is a case-insensitive glob on the request path (``/v1/debtors``,
        ``/v1/debtors/*``); ``None`` matches any. The fault fires on the ``nth`` matching
        request and the ``times - 1`` after it (``times=None``: forever). ``slow`` waits
        ``delay`` seconds before answering.
        """
        return self.middleware.inject(
            method, path, fault, nth=nth, times=times, delay=delay, retry_after=retry_after
        )

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.middleware.clear_faults()

    def reset_knobs(self) -> None:
        """Restore every knob to the value given to ``Sandbox(...)``; clear faults.

        That is latency, rate limit, token lifetime, interactivity, text matching, and the
        server's behaviour (tenant headers, page size, ordering, query length, PKCE, rotation).
        """
        latency, rate_limit, token_lifetime, interactive, text_match = self._defaults
        self.clear_faults()
        self.set_latency(latency)
        self.set_rate_limit(rate_limit)
        self.set_token_lifetime(token_lifetime)
        self.set_interactive(interactive)
        self.set_text_match(text_match)
        self._set_server_knobs()

    def _set_server_knobs(self) -> None:
        with self.state.lock:
            for name, value in self._server_knobs.items():
                setattr(self.state, name, value)

    def add_administration(
        self,
        name: str | None = None,
        *,
        records: Mapping[str, int] | None = None,
        users: Sequence[str] | None = None,
        approval_required: bool = False,
    ) -> int:
        """Create a fresh administration for the sandbox user (or ``users``); return its id."""
        return self.state.add_administration(
            name, records=records, users=users, approval_required=approval_required
        )

    def users_of(self, administration: int) -> frozenset[str]:
        """Return the names of the users who reach ``administration`` (empty when unknown)."""
        with self.state.lock:
            found = self.state.store.administrations.get(administration)
            return frozenset(found.users) if found is not None else frozenset()

    def add_user(self) -> str:
        """Create another user, who reaches only the administrations made for it; its name.

        ``add_administration(users=[name])`` gives it one, and ``client(user=name)`` logs in
        as it.
        """
        return self.state.add_user()[0]

    # -- clients ------------------------------------------------------------------------------

    def client(self, *, user: str | None = None, **client_kwargs: Any) -> Client:
        """Return an ``asperion_orm.Client`` authorized through the real code flow.

        As the sandbox user, or as ``user`` (one made by :meth:`add_user`).
        """
        from asperion_orm.client import Client

        kwargs: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            "base_url": self.base_url,
            "identity_url": self.identity_url,
            "ca_bundle": self.ca_bundle,
        }
        kwargs.update(client_kwargs)
        client = Client(**kwargs)
        self.log_in(client, user=user)
        return client

    def log_in(self, client: Client, state: str | None = None, *, user: str | None = None) -> str:
        """Authorize ``client`` through the code flow as the sandbox user; return the code.

        ``client.authorization_url(state=...)`` is followed with :meth:`authorize` and the code
        is exchanged with ``client.fetch_token``; the code returned is spent. ``state``
        defaults to a random one.
        """
        state = state or secrets.token_urlsafe(16)
        code = self.authorize(client.authorization_url(state=state), state, user=user)
        client.fetch_token(code=code, state=state)
        return code

    def authorize(
        self, authorization_url: str, state: str | None = None, *, user: str | None = None
    ) -> str:
        """Follow an authorization URL as the sandbox user's browser would; return the code.

        An interactive sandbox answers with a login form: it is filled in with the sandbox
        user's credentials and submitted, as a person would.
        """
        with BrowserSession() as browser:
            browser.trust_env = False  # the sandbox CA, not REQUESTS_CA_BUNDLE; no proxies
            if user is not None:  # another user signs in through the login form
                return _code_from_redirect(
                    self._submit_login_form(browser, authorization_url, user), state
                )
            response = browser.get(
                authorization_url, verify=self.ca_bundle, allow_redirects=False, timeout=10
            )
            if response.status_code == 200 and "html" in response.headers.get("Content-Type", ""):
                response = self._submit_login_form(browser, authorization_url)
        return _code_from_redirect(response, state)

    def _submit_login_form(
        self, browser: BrowserSession, authorization_url: str, user: str | None = None
    ) -> Response:
        """Submit the login form for ``authorization_url`` as the sandbox user (or ``user``)."""
        form = dict(parse_qsl(urlsplit(authorization_url).query))
        if user is None:
            form.update(username=self.username, password=self.password)
        else:
            form.update(username=user, password=self.state.more_users[user])
        return browser.post(
            f"{self.identity_url}/connect/authorize",
            data=form,
            verify=self.ca_bundle,
            allow_redirects=False,
            timeout=10,
        )


def _code_from_redirect(response: Response, state: str | None) -> str:
    """Return the ``code`` of an authorization redirect, checking ``state``."""
    location = response.headers.get("Location")
    if response.status_code not in (302, 303) or not location:
        raise RuntimeError(
            f"the sandbox did not redirect from /connect/authorize (HTTP {response.status_code})"
        )
    query = parse_qs(urlsplit(location).query)
    if "error" in query:
        raise RuntimeError(f"authorization refused: {query['error'][0]}")
    if state is not None and query.get("state", [None])[0] != state:
        raise RuntimeError("authorization redirect carried the wrong state")
    return query["code"][0]
