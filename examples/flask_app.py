"""A Flask app that gives each request the session of the administration its URL names.

It uses the package's extension, ``asperion_orm.contrib.flask``: one shared ``Client`` built
from ``app.config["ASPERION"]``, a session per request kept on ``flask.g`` and active while the
view runs (views query without ``using()``), ended in teardown whatever the view raised, and
the ``connect/`` and ``callback/`` views that log the shared client in.

Run ``python examples/flask_app.py`` and open http://127.0.0.1:8767/tenants/<id>/debtors.
"""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask, request

import asperion_orm as asp
from asperion_orm.contrib.flask import Asperion, oauth
from asperion_orm.resources import Debtor

asperion = Asperion()


def create_app(config: dict[str, Any], client: asp.Client | None = None) -> Flask:
    """Return the app for ``config``; ``client`` replaces the one built from it (logged in)."""
    app = Flask(__name__)
    app.config["ASPERION"] = {**config, "TENANT_URL_KWARG": "tenant_id"}
    asperion.init_app(app, client=client)
    app.register_blueprint(oauth, url_prefix="/asperion")

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
    """Serve the app on http://127.0.0.1:8767 against a sandbox, logged in at start."""
    from asperion_orm.testing import Sandbox

    with Sandbox() as sandbox, sandbox.client() as client:
        config = {
            "CLIENT_ID": sandbox.client_id,
            "CLIENT_SECRET": sandbox.client_secret,
            "REDIRECT_URI": sandbox.redirect_uri,
            "BASE_URL": sandbox.base_url,
            "IDENTITY_URL": sandbox.identity_url,
            "CA_BUNDLE": sandbox.ca_bundle,
        }
        print(f"Try http://127.0.0.1:8767/tenants/{sandbox.tenants[0]}/debtors")
        create_app(config, client).run(host="127.0.0.1", port=8767, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
