"""A Flask app with the extension, configured for the sandbox and this test's user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g, request

from asperion_orm.contrib.flask import Asperion, oauth
from asperion_orm.exceptions import NoSessionError
from asperion_orm.resources import Debtor
from asperion_orm.session import Session
from asperion_orm.testing import Sandbox

from support.settings import sandbox_settings


def settings(sandbox: Sandbox, **more: Any) -> dict[str, Any]:
    """Return ``app.config["ASPERION"]`` for the sandbox."""
    return sandbox_settings(sandbox, **more)


def make_app(config: dict[str, Any]) -> Flask:
    """Return an app with the extension, the OAuth views and a few views that query."""
    app = Flask(__name__)
    app.secret_key = "tests-only"
    app.config["ASPERION"] = config
    Asperion(app)
    app.register_blueprint(oauth, url_prefix="/asperion")

    @app.get("/tenants/<int:tenant>/debtors/count")
    @app.get("/debtors/count")
    def count(tenant: int | None = None) -> dict[str, Any]:
        return {"tenant": Session.current().tenant, "count": Debtor.objects.count()}

    @app.get("/tenants/<int:tenant>/fail")
    def fail(tenant: int) -> str:
        g.seen = Session.current()
        Debtor.objects.count()
        raise RuntimeError("the view failed after a query")

    @app.get("/whoami")
    def whoami() -> dict[str, Any]:
        try:
            return {"tenant": Session.current().tenant}
        except NoSessionError:
            return {"tenant": None, "header": request.headers.get("X-Asperion-Tenant")}

    return app


@pytest.fixture
def two_tenants(asperion_sandbox: Sandbox, asperion_user: str) -> tuple[int, int]:
    """Return two administrations of this test's user, with 5 and 9 debtors."""
    return (
        asperion_sandbox.add_administration(records={"debtors": 5}, users=[asperion_user]),
        asperion_sandbox.add_administration(records={"debtors": 9}, users=[asperion_user]),
    )


@pytest.fixture
def app(asperion_sandbox: Sandbox, asperion_user: str) -> Iterator[Flask]:
    """Return the app, its shared client logged in as this test's user."""
    app = make_app(settings(asperion_sandbox))
    client = app.extensions["asperion"].client
    asperion_sandbox.log_in(client, user=asperion_user)
    yield app
    client.close()
