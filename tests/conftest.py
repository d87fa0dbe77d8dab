"""Django, configured once for every test package that needs it (one pytest process).

``tests/differential`` compares the library with Django over SQLite (its ``reference`` app,
the in-memory ``default`` database); ``tests/contrib_django`` tests ``asperion_orm.contrib.django``,
whose token table lives in the ``asperion`` database, a file in a temporary directory. The
multi-process token tests configure Django in their own child processes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import django
import pytest
from django.conf import settings

if TYPE_CHECKING:
    from asperion_orm.client import Client
    from asperion_orm.testing.sandbox import Sandbox

_DJANGO_DIR = Path(tempfile.mkdtemp(prefix="asperion-tests-django-"))

if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["differential.apps.ReferenceConfig", "asperion_orm.contrib.django"],
        DATABASES={
            "default": {"ENGINE": "differential.backend", "NAME": ":memory:"},
            "asperion": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(_DJANGO_DIR / "asperion.sqlite3"),
            },
        },
        USE_TZ=True,
        TIME_ZONE="Europe/Amsterdam",
        SECRET_KEY="tests-only",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF="contrib_django.urls",
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "asperion_orm.contrib.django.TenantMiddleware",
        ],
    )
    django.setup()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the temporary database of the Django app tests."""
    shutil.rmtree(_DJANGO_DIR, ignore_errors=True)


@pytest.fixture
def sandbox_user_client(asperion_sandbox: Sandbox) -> Iterator[Client]:
    """Return a client logged in as the sandbox user.

    The plugin's ``asperion_client`` is this test's own user, who reaches ``asperion_tenant``
    only; the sandbox user reaches the seeded administrations and every one made by
    ``add_administration()`` without ``users``.
    """
    with asperion_sandbox.client() as client:
        yield client
