"""``asperion_orm.contrib.flask``: a Flask extension, one shared client and a session per request.

::

    app.config["ASPERION"] = {"CLIENT_ID": ..., "CLIENT_SECRET": ..., "REDIRECT_URI": ...}
    asperion = Asperion(app)  # or Asperion(), then asperion.init_app(app)
    app.register_blueprint(oauth, url_prefix="/asperion")  # connect/ and callback/

    @app.get("/tenants/<int:tenant>/debtors/count")
    def count(tenant):
        return {"count": Debtor.objects.count()}  # in the request's administration

The settings take the keys of the Django app's ``ASPERION`` (see ``DEFAULTS``), except the
database ones: tokens live in ``CLIENT_OPTIONS["token_store"]`` (memory by default). Before
each request the tenant comes from ``TENANT_RESOLVER`` (a function of the request, or its
dotted path) when set, else from the view argument ``TENANT_URL_KWARG``, else from the header
``TENANT_HEADER``; its session is ``g.asperion`` and is active while the view runs. It is
ended in ``teardown_request``, whatever the view raised. A request without a tenant has no
session (a query raises ``NoSessionError``); a tenant that is not an id gets 400.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

try:
    from flask import Blueprint, Flask, Request, abort, current_app, g, redirect, request, session
    from werkzeug.utils import import_string
    from werkzeug.wrappers import Response
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a subprocess
    raise ModuleNotFoundError(
        "asperion_orm.contrib.flask needs Flask: pip install 'asperion_orm[flask]'.",
        name=exc.name,
    ) from exc

from asperion_orm.client import Client
from asperion_orm.contrib.settings import DEFAULTS as COMMON
from asperion_orm.contrib.settings import REQUIRED, build_client, merged
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.session import Session

__all__ = ["DEFAULTS", "REQUIRED", "Asperion", "oauth"]

DEFAULTS: dict[str, Any] = dict(COMMON)
"""The optional keys of ``app.config["ASPERION"]`` and their values when left out."""

SESSION_KEY = "asperion_oauth"
"""The key in Flask's session of a connection in progress (state, PKCE verifier, next)."""

Resolver = Callable[[Request], Any]


class Asperion:
    """The extension: one ``Client`` per app, one tenant session per request (``g.asperion``)."""

    def __init__(self, app: Flask | None = None, *, client: Client | None = None) -> None:
        """Remember ``client`` (default: built from the settings); ``app``: ``init_app(app)``."""
        self._client = client
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, *, client: Client | None = None) -> None:
        """Read ``app.config["ASPERION"]``, build the shared client, hook the request cycle.

        ``client`` (or the one given to ``Asperion``) replaces the client built from the
        settings, for instance one already logged in.
        """
        config = settings_of(app.config.get("ASPERION"))
        client = client or self._client or build_client(config)
        app.extensions["asperion"] = _AppState(client, config, _resolver(config))
        app.before_request(_open)
        app.teardown_request(_end)

    @property
    def client(self) -> Client:
        """Return the current app's shared client."""
        return _state().client

    @property
    def session(self) -> Session:
        """Return this request's session; 404 when the request names no administration."""
        found: Session | None = g.get("asperion")
        if found is None:
            abort(404, "This URL names no administration.")
        return found


class _AppState:
    """What ``init_app`` keeps in ``app.extensions["asperion"]``."""

    def __init__(self, client: Client, config: Mapping[str, Any], resolver: Resolver) -> None:
        self.client, self.config, self.resolver = client, config, resolver


def settings_of(given: Any) -> dict[str, Any]:
    """Return ``ASPERION`` merged over ``DEFAULTS``; raise ``ConfigurationError`` when unusable."""
    return merged(given, DEFAULTS, 'app.config["ASPERION"]', "before init_app(app)")


def _resolver(config: Mapping[str, Any]) -> Resolver:
    """Return the function that reads a request's tenant, as the settings say."""
    named = config["TENANT_RESOLVER"]
    if named is not None:
        return import_string(named) if isinstance(named, str) else named  # type: ignore[no-any-return]
    kwarg, header = config["TENANT_URL_KWARG"], config["TENANT_HEADER"]

    def from_url_or_header(request: Request) -> Any:
        view_args = request.view_args or {}
        return view_args[kwarg] if kwarg in view_args else request.headers.get(header)

    return from_url_or_header


def _state() -> _AppState:
    found: _AppState | None = current_app.extensions.get("asperion")
    if found is None:
        raise ConfigurationError("Asperion is not set up on this app: call init_app(app).")
    return found


# -- the request cycle ------------------------------------------------------------------------


def _open() -> None:
    """Activate the session of the request's administration, if it names one."""
    state = _state()
    raw = state.resolver(request)
    if raw is None or raw == "":
        return
    if isinstance(raw, bool) or not str(raw).isdigit():
        abort(400, f"Bad administration id: {str(raw)[:40]!r} is not an administration id.")
    try:
        tenant_session = state.client.tenant(int(raw))
    except ConfigurationError as exc:
        abort(400, str(exc))
    block = ExitStack()
    g.asperion = block.enter_context(tenant_session)
    g.asperion_block = block


def _end(exc: BaseException | None) -> None:
    """End the request's session (teardown runs whatever the view raised)."""
    block: ExitStack | None = g.pop("asperion_block", None)
    g.pop("asperion", None)
    if block is not None:
        block.close()


# -- the OAuth views ---------------------------------------------------------------------------

oauth = Blueprint("asperion", __name__)
"""``connect`` sends the browser to Asperion; ``callback`` stores the site's token."""


@oauth.get("/connect/")
def connect() -> Response:
    """Redirect to Asperion's login with a fresh state and PKCE verifier kept in the session."""
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(64)
    next_url = request.args.get("next", "")
    session[SESSION_KEY] = {"state": state, "verifier": verifier, "next": _local(next_url)}
    url = _state().client.authorization_url(state=state, code_verifier=verifier)
    return redirect(url)


@oauth.get("/callback/")
def callback() -> Response:
    """Check the state, exchange the code for tokens, and redirect onwards."""
    pending = session.pop(SESSION_KEY, None)
    if not isinstance(pending, dict) or not pending.get("state"):
        abort(400, "No Asperion connection in progress; start at connect/.")
    if not secrets.compare_digest(request.args.get("state", ""), pending["state"]):
        abort(400, "The state does not match this connection; start again.")
    if "error" in request.args:
        abort(403, f"Asperion refused the connection: {request.args['error'][:100]}")
    code = request.args.get("code", "")
    if not code:
        abort(400, "The callback has no code; start again at connect/.")
    state = _state()
    state.client.fetch_token(code=code, state=pending["state"], code_verifier=pending["verifier"])
    return redirect(pending["next"] or state.config["LOGIN_REDIRECT_URL"])


def _local(url: str) -> str:
    """Return ``url`` when it is a path on this site, else "" (no open redirect)."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""
