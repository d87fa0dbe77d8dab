"""A Flask extension that gives each request the session of the administration it names.

``Asperion(app, client=..., tenant=...)`` (or ``Asperion()`` then ``init_app(app)``) keeps one
shared ``Client``. For a request whose tenant resolver returns an id, the session is kept on
``flask.g`` and activated before the view runs, so views query without ``using()``; it is
ended in ``teardown_request``, in the same context, whatever the view raised. A request whose
resolver returns ``None`` has no session: a query raises ``NoSessionError``.

Run ``python examples/flask_app.py`` and open http://127.0.0.1:8767/tenants/<id>/debtors.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from flask import Flask, abort, current_app, g, request

import asperion_orm as asp
from asperion_orm.resources import Debtor

TenantResolver = Callable[[], int | None]


def tenant_from_url() -> int | None:
    """Read the tenant from the URL's ``tenant_id`` (``/tenants/<int:tenant_id>/...``)."""
    value = (request.view_args or {}).get("tenant_id")
    return int(value) if value is not None else None


class Asperion:
    """The Flask extension: one client per app, one session per request (``g.asperion``)."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        client: asp.Client | None = None,
        tenant: TenantResolver = tenant_from_url,
    ) -> None:
        self._client = client
        self._tenant = tenant
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, client: asp.Client | None = None) -> None:
        """Register the extension: the client, and the session opened and ended per request."""
        app.extensions["asperion"] = client or self._client
        app.before_request(self._open)
        app.teardown_request(self._end)

    @property
    def client(self) -> asp.Client:
        """Return the current app's client."""
        client: asp.Client | None = current_app.extensions["asperion"]
        if client is None:
            raise RuntimeError("Asperion(client=...) or init_app(app, client=...) is missing.")
        return client

    @property
    def session(self) -> asp.Session:
        """Return this request's session; 404 when the request names no administration."""
        session: asp.Session | None = g.get("asperion")
        if session is None:
            abort(404, "This URL names no administration.")
        return session

    def _open(self) -> None:
        tenant = self._tenant()
        if tenant is None:
            return
        if not 1 <= tenant <= 2**31 - 1:
            abort(404, f"No administration {tenant}.")
        stack = ExitStack()
        g.asperion = stack.enter_context(self.client.tenant(tenant))
        g.asperion_block = stack

    def _end(self, exc: BaseException | None) -> None:
        block: ExitStack | None = g.pop("asperion_block", None)
        g.pop("asperion", None)
        if block is not None:
            block.close()


asperion = Asperion()


def create_app(client: asp.Client) -> Flask:
    """Return the app; ``client`` is logged in and shared by every request."""
    app = Flask(__name__)
    asperion.init_app(app, client)

    @app.get("/tenants/<int:tenant_id>/debtors")
    def debtors(tenant_id: int) -> dict[str, Any]:
        limit = request.args.get("limit", 10, type=int)
        rows = Debtor.objects.order_by("id").values("id", "name")[:limit]
        return {"tenant": asperion.session.tenant, "debtors": list(rows)}

    @app.get("/tenants/<int:tenant_id>/debtors/count")
    def count(tenant_id: int) -> dict[str, int]:
        return {"tenant": asp.Session.current().tenant, "count": Debtor.objects.count()}

    @app.get("/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    return app


def main() -> int:
    """Serve the app on http://127.0.0.1:8767 against a sandbox."""
    from asperion_orm.testing import Sandbox

    with Sandbox() as sandbox, sandbox.client() as client:
        print(f"Try http://127.0.0.1:8767/tenants/{sandbox.tenants[0]}/debtors")
        create_app(client).run(host="127.0.0.1", port=8767, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
