"""Django, configured once for every test package that needs it (one pytest process).

``tests/differential`` compares the library with Django over SQLite (its ``reference`` app,
the in-memory ``default`` database); ``tests/contrib_django`` tests ``asperion_orm.contrib.django``,
whose token table lives in the ``asperion`` database, a file in a temporary directory. The
multi-process token tests configure Django in their own child processes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import django
import pytest
from django.conf import settings

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
