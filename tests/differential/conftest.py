"""Django over SQLite as the reference: configured once here, with the rows of both sides.

Django is configured (``settings.configure``) when this directory is collected, never by the
library: the ``reference`` app, an in-memory SQLite database through ``differential.backend``
(exact text matching), ``USE_TZ`` and the client's default zone, Europe/Amsterdam.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import django
import pytest
from django.conf import settings

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


@pytest.fixture(params=["contains-ci", "exact-cs"])
def library_session(
    request: pytest.FixtureRequest, reference: Loaded, asperion_sandbox: Sandbox
) -> Iterator[Session]:
    """Return a session on the loaded administration, in each of the server's text modes.

    The server's pages hold at most ``PAGE_SIZE`` rows here (the plugin restores the knobs
    after the test), and responses are not cached, so every query asks the server.
    """
    asperion_sandbox.set_text_match(request.param)
    asperion_sandbox.state.max_page_size = PAGE_SIZE
    yield asperion_sandbox.client(cache_ttl=0).tenant(reference.tenant)


@pytest.fixture
def same(library_session: Session) -> Callable[[Case], Outcome]:
    """Return ``assert_same`` bound to ``library_session``: ``same(lambda ns: ...)``."""

    def check(case: Case) -> Outcome:
        return assert_same(case, library_session)

    return check
