"""A small Flask app that logs users in to Asperion and shows their administrations.

The OAuth dance: ``/login`` sends the browser to the identity server with a fresh ``state``
(and PKCE); ``/callback`` checks that ``state`` against the signed session cookie and trades
the code for tokens. A ``Client`` keeps the PKCE verifier of the logins it started, so each
browser session gets its own client, created at ``/login`` and kept for that session.

Run ``python examples/flask_oauth_app.py`` and open http://127.0.0.1:8765/ : it serves an
interactive sandbox and prints the sandbox user's name and password to log in with.
"""

from __future__ import annotations

import secrets
import sys
import threading
from dataclasses import dataclass
from html import escape

from flask import Flask, abort, redirect, request, session
from werkzeug.wrappers import Response

import asperion_orm as asp
from asperion_orm.resources import Debtor
from asperion_orm.testing import Sandbox


@dataclass(frozen=True)
class Settings:
    """The app registration and where the API lives."""

    client_id: str
    client_secret: str
    redirect_uri: str
    base_url: str | None = None
    identity_url: str | None = None
    ca_bundle: str | None = None

    def client(self) -> asp.Client:
        """Return a new client for one user (its tokens stay in memory)."""
        return asp.Client(self.client_id, self.client_secret, self.redirect_uri,
                          base_url=self.base_url, identity_url=self.identity_url,
                          ca_bundle=self.ca_bundle)  # fmt: skip


class Logins:
    """The client of each browser session, by a random key kept in the session cookie."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[str, asp.Client] = {}
        self._lock = threading.Lock()

    def start(self) -> tuple[str, asp.Client]:
        """Create and remember a client for a new login; return its key and the client."""
        key, client = secrets.token_urlsafe(16), self.settings.client()
        with self._lock:
            self._clients[key] = client
        return key, client

    def get(self, key: str | None) -> asp.Client | None:
        """Return the client of a session, if any."""
        with self._lock:
            return self._clients.get(key or "")

    def end(self, key: str | None) -> None:
        """Forget a session's client and close it."""
        with self._lock:
            client = self._clients.pop(key or "", None)
        if client is not None:
            client.close()


def create_app(settings: Settings, secret_key: str | None = None) -> Flask:
    """Return the Flask app for ``settings``."""
    app = Flask(__name__)
    app.secret_key = secret_key or secrets.token_hex(32)
    logins = Logins(settings)

    @app.get("/")
    def home() -> str:
        client = logins.get(session.get("login"))
        if client is None or not session.get("authorized"):
            return '<p>Not logged in. <a href="/login">Log in with Asperion</a></p>'
        return _administrations(client)

    @app.get("/login")
    def login() -> Response:
        logins.end(session.get("login"))
        key, client = logins.start()
        state = secrets.token_urlsafe(24)
        session.update(login=key, state=state, authorized=False)
        return redirect(client.authorization_url(state=state))

    @app.get("/callback")
    def callback() -> Response:
        client = logins.get(session.get("login"))
        expected = session.pop("state", None)
        if client is None or not expected:
            abort(400, "No login in progress; start at /login.")
        if not secrets.compare_digest(request.args.get("state", ""), expected):
            abort(400, "The state does not match this login; start again at /login.")
        if "error" in request.args:
            abort(403, f"Login refused: {request.args['error']}")
        client.fetch_token(code=request.args.get("code", ""), state=expected)
        session["authorized"] = True
        return redirect("/")

    @app.get("/logout")
    def logout() -> Response:
        logins.end(session.pop("login", None))
        session.clear()
        return redirect("/")

    return app


def _administrations(client: asp.Client) -> str:
    """Return an HTML list of the user's administrations with their debtor counts."""
    items = []
    for row in client.administrations():
        count = Debtor.objects.using(client.tenant(int(row["id"]))).count()
        items.append(f"<li>{escape(str(row['name']))}: {count} debtors</li>")
    return f"<h1>Your administrations</h1><ul>{''.join(items)}</ul><a href='/logout'>Log out</a>"


def main() -> int:
    """Serve the app on http://127.0.0.1:8765 against an interactive sandbox."""
    with Sandbox(interactive=True) as sandbox:
        settings = Settings(sandbox.client_id, sandbox.client_secret, sandbox.redirect_uri,
                            sandbox.base_url, sandbox.identity_url, sandbox.ca_bundle)  # fmt: skip
        print(f"Log in as {sandbox.username!r} with password {sandbox.password!r} (sandbox only).")
        create_app(settings).run(host="127.0.0.1", port=8765)
    return 0


if __name__ == "__main__":
    sys.exit(main())
