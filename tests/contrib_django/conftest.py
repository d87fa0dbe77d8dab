"""Fixtures of the Django app tests: a sandbox, the ``ASPERION`` setting, the token table.

Django itself is configured once in ``tests/conftest.py`` (the token table is in its
``asperion`` database).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client as Browser
from django.test import override_settings

from asperion_orm.contrib.django.models import StoredToken
from asperion_orm.testing import Sandbox

from support.settings import sandbox_settings

RECORDS = {"debtors": 25, "salesinvoices": 0, "journalentrieswithlines": 0}


@pytest.fixture(scope="package")
def sandbox() -> Iterator[Sandbox]:
    """Serve the Django tests' own sandbox."""
    with Sandbox(records=RECORDS) as served:
        yield served


@pytest.fixture(scope="package")
def token_table() -> None:
    """Create the token table through the app's migration."""
    call_command("migrate", "asperion", database="asperion", verbosity=0)


def asperion_setting(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    """Return an ``ASPERION`` setting for ``sandbox``, its token table in "asperion"."""
    return sandbox_settings(sandbox, DATABASE="asperion", **extra)


@pytest.fixture
def configured(sandbox: Sandbox, token_table: None) -> Iterator[dict[str, Any]]:
    """Set ``ASPERION`` for ``sandbox`` with an empty token table; yield the setting."""
    StoredToken.objects.using("asperion").all().delete()
    setting = asperion_setting(sandbox)
    with override_settings(ASPERION=setting):
        yield setting
    StoredToken.objects.using("asperion").all().delete()


def connect(browser: Browser, sandbox: Sandbox, next_url: str = "") -> str:
    """Follow connect/ to the identity server; return the callback URL it sends back to."""
    start = browser.get("/asperion/connect/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302
    authorize = start.headers["Location"]
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    code = sandbox.authorize(authorize, state)
    return f"/asperion/callback/?code={code}&state={state}"


@pytest.fixture
def connected(configured: dict[str, Any], sandbox: Sandbox) -> Browser:
    """Return a test browser whose site went through connect/ and callback/."""
    browser = Browser()
    assert browser.get(connect(browser, sandbox)).status_code == 302
    return browser
