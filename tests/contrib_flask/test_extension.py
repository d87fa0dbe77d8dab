"""The Flask extension: settings, one client per app, a tenant session per request."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest
from flask import Flask, g
from werkzeug.exceptions import NotFound

from asperion_orm.contrib import flask as extension
from asperion_orm.contrib.django import conf as django_conf
from asperion_orm.exceptions import ConfigurationError, NoSessionError
from asperion_orm.session import Session
from asperion_orm.testing import Sandbox

from .conftest import make_app, settings


def test_each_request_gets_the_session_its_url_or_header_names(
    app: Flask, asperion_sandbox: Sandbox, two_tenants: tuple[int, int]
) -> None:
    first, second = two_tenants
    browser = app.test_client()
    asperion_sandbox.clear_log()
    assert browser.get(f"/tenants/{first}/debtors/count").json == {"tenant": first, "count": 5}
    answer = browser.get("/debtors/count", headers={"X-Asperion-Tenant": str(second)})
    assert answer.json == {"tenant": second, "count": 9}
    assert [e.tenant for e in asperion_sandbox.requests("GET", "/v1/debtors")] == [first, second]
    assert browser.get("/whoami").json == {"tenant": None, "header": None}
    with pytest.raises(NoSessionError):
        Session.current()  # ended in teardown: nothing leaks into the caller


def test_parallel_requests_for_two_tenants_keep_their_sessions(
    app: Flask, asperion_sandbox: Sandbox, two_tenants: tuple[int, int]
) -> None:
    first, second = two_tenants
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def ask(tenant: int) -> None:
        answer = app.test_client().get(f"/tenants/{tenant}/debtors/count").json
        with lock:
            answers.append((tenant, answer))

    asperion_sandbox.set_latency(0.05)
    threads = [threading.Thread(target=ask, args=(t,)) for t in (first, second) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = {first: 5, second: 9}
    assert sorted(t for t, _ in answers) == sorted((first, second) * 4)
    assert all(answer == {"tenant": t, "count": counts[t]} for t, answer in answers)


def test_teardown_ends_the_session_when_the_view_raises(
    app: Flask, two_tenants: tuple[int, int]
) -> None:
    first, _ = two_tenants
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 answer, as in production
    seen: list[Any] = []

    def probe(exc: BaseException | None) -> None:
        try:
            active = Session.current()
        except NoSessionError:
            active = None
        seen.append((g.get("seen"), g.get("asperion"), active, exc))

    # Flask runs teardown functions last-registered first: this one runs after the extension's.
    app.teardown_request_funcs[None].insert(0, probe)
    browser = app.test_client()
    assert browser.get(f"/tenants/{first}/fail").status_code == 500
    (opened, left_on_g, active, error), = seen  # fmt: skip
    assert opened.tenant == first and isinstance(error, RuntimeError)
    assert (left_on_g, active) == (None, None)  # ended by the extension's teardown
    with pytest.raises(NoSessionError):
        Session.current()
    assert browser.get("/whoami").json == {"tenant": None, "header": None}


def test_a_tenant_that_is_not_an_id_is_a_bad_request(app: Flask) -> None:
    browser = app.test_client()
    answer = browser.get("/debtors/count", headers={"X-Asperion-Tenant": "41201; DROP"})
    assert answer.status_code == 400
    assert "is not an administration id" in answer.get_data(as_text=True)
    assert browser.get("/tenants/0/debtors/count").status_code == 400  # out of range


def test_a_resolver_in_the_settings_names_the_tenant(
    asperion_sandbox: Sandbox, asperion_user: str, two_tenants: tuple[int, int]
) -> None:
    second = two_tenants[1]
    app = make_app(settings(asperion_sandbox, TENANT_RESOLVER=lambda request: second))
    asperion_sandbox.log_in(app.extensions["asperion"].client, user=asperion_user)
    assert app.test_client().get("/debtors/count").json == {"tenant": second, "count": 9}
    dotted = make_app(settings(asperion_sandbox, TENANT_RESOLVER="os.getpid"))
    assert dotted.extensions["asperion"].resolver.__name__ == "getpid"


def test_the_extension_gives_the_client_and_the_session(
    app: Flask, asperion_sandbox: Sandbox, two_tenants: tuple[int, int]
) -> None:
    first, _ = two_tenants
    asperion = extension.Asperion(client=app.extensions["asperion"].client)
    with app.test_request_context(f"/tenants/{first}/debtors/count"):
        assert asperion.client is app.extensions["asperion"].client
        app.preprocess_request()
        assert asperion.session.tenant == first
    with app.test_request_context("/whoami"), pytest.raises(NotFound, match="names no"):
        app.preprocess_request()
        asperion.session  # noqa: B018


def test_missing_settings_are_named() -> None:
    with pytest.raises(ConfigurationError, match=r'app.config\["ASPERION"\] is missing'):
        extension.Asperion(Flask(__name__))
    app = Flask(__name__)
    app.config["ASPERION"] = {"CLIENT_ID": "app"}
    with pytest.raises(ConfigurationError, match="has no CLIENT_SECRET, REDIRECT_URI"):
        extension.Asperion(app)


def test_the_settings_are_the_django_apps_but_for_the_database() -> None:
    database_only = {"DATABASE", "GRANT", "PER_USER_TOKENS"}
    assert set(extension.DEFAULTS) == set(django_conf.DEFAULTS) - database_only
    assert extension.REQUIRED == django_conf.REQUIRED


def test_a_missing_flask_names_the_extra_to_install() -> None:
    script = textwrap.dedent("""
        import sys
        sys.modules["flask"] = None  # as on an install without the flask extra
        import asperion_orm.contrib.flask
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: asperion_orm.contrib.flask needs Flask: "
        "pip install 'asperion_orm[flask]'."
    )
