"""Settings of the example site; the app registration comes from the environment.

``ASPERION_CLIENT_ID``, ``ASPERION_CLIENT_SECRET`` and ``ASPERION_REDIRECT_URI`` name the app
registration; ``ASPERION_BASE_URL``, ``ASPERION_IDENTITY_URL`` and ``ASPERION_CA_BUNDLE`` point
it at another server (the local sandbox). ``DJANGO_SITE_DB`` is the SQLite file holding the
sessions and the tokens.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.sessions",
    "asperion_orm.contrib.django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "asperion_orm.contrib.django.middleware.TenantMiddleware",
]
ROOT_URLCONF = "django_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_SITE_DB", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {"timeout": 30},
    }
}
USE_TZ = True
TIME_ZONE = "Europe/Amsterdam"

ASPERION = {
    "CLIENT_ID": os.environ.get("ASPERION_CLIENT_ID", ""),
    "CLIENT_SECRET": os.environ.get("ASPERION_CLIENT_SECRET", ""),
    "REDIRECT_URI": os.environ.get(
        "ASPERION_REDIRECT_URI", "http://127.0.0.1:8000/asperion/callback/"
    ),
    "ENVIRONMENT": os.environ.get("ASPERION_ENVIRONMENT", "production"),
    "BASE_URL": os.environ.get("ASPERION_BASE_URL"),
    "IDENTITY_URL": os.environ.get("ASPERION_IDENTITY_URL"),
    "CA_BUNDLE": os.environ.get("ASPERION_CA_BUNDLE"),
    "TENANT_URL_KWARG": "tenant",
}
