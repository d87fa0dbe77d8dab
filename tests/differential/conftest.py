"""Django over SQLite as the reference: configured once here, with the rows of both sides.

Django is configured (``settings.configure``) when this directory is collected, never by the
library: the ``reference`` app, an in-memory SQLite database through ``differential.backend``
(exact text matching), ``USE_TZ`` and the client's default zone, Europe/Amsterdam.
"""

from __future__ import annotations

from collections.abc import Callable

import django
import pytest
from django.conf import settings

from asperion_orm.capabilities import Capabilities
from asperion_orm.client import Client
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["differential.apps.ReferenceConfig"],
        DATABASES={"default": {"ENGINE": "differential.backend", "NAME": ":memory:"}},
        USE_TZ=True,
        TIME_ZONE="Europe/Amsterdam",
    )
    django.setup()

from differential.data import PAGE_SIZE, Loaded, load
from differential.harness import Case, Outcome, assert_same


@pytest.fixture(scope="session")
def reference(asperion_sandbox: Sandbox) -> Loaded:
    """Create the tables in SQLite and load the same rows into the emulator and Django."""
    from django.apps import apps
    from django.db import connection

    with connection.schema_editor() as editor:
        for model in apps.get_app_config("reference").get_models():
            editor.create_model(model)
    tenant = asperion_sandbox.add_administration(
        records={"debtors": 0, "salesinvoices": 0, "articles": 0}
    )
    session = asperion_sandbox.client(cache_ttl=0).tenant(tenant)
    return load(asperion_sandbox, session)


SERVERS = [
    pytest.param(("contains-ci", PAGE_SIZE), id="contains-ci/small-pages"),
    pytest.param(("exact-cs", PAGE_SIZE), id="exact-cs/small-pages"),
    pytest.param(("contains-ci", None), id="contains-ci/defaults"),
    pytest.param(("exact-cs", None), id="exact-cs/defaults"),
]
"""The emulator's text-match mode, and its largest page (``None``: the API's, 100 rows)."""


@pytest.fixture(scope="session")
def clients() -> dict[int | None, Client]:
    """Keep one logged-in client per page size, made when first asked for."""
    return {}


@pytest.fixture(params=SERVERS)
def library_session(
    request: pytest.FixtureRequest,
    reference: Loaded,
    asperion_sandbox: Sandbox,
    clients: dict[int | None, Client],
) -> Session:
    """Return a session on the loaded administration for each of ``SERVERS``.

    With small pages most answers page; the client then knows the page size, as a probe would
    find it. Every other capability is the default: nothing is known of the server's text
    matching, so the rows of text filters are verified here. The plugin restores the knobs
    after the test. Responses are not cached.
    """
    text_match, page_size = request.param
    asperion_sandbox.set_text_match(text_match)
    if page_size is not None:
        asperion_sandbox.state.max_page_size = page_size
    if page_size not in clients:
        capabilities = (
            Capabilities() if page_size is None else Capabilities(max_page_size=page_size)
        )
        clients[page_size] = asperion_sandbox.client(cache_ttl=0, capabilities=capabilities)
    return clients[page_size].tenant(reference.tenant)


@pytest.fixture
def same(library_session: Session) -> Callable[[Case], Outcome]:
    """Return ``assert_same`` bound to ``library_session``: ``same(lambda ns: ...)``."""

    def check(case: Case) -> Outcome:
        return assert_same(case, library_session)

    return check
