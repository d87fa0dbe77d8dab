"""``asperion_orm.contrib.django``: a Django app that wires the library into a project.

Add ``"asperion_orm.contrib.django"`` to ``INSTALLED_APPS``, an ``ASPERION`` setting, the
``TenantMiddleware``, and ``path("asperion/", include("asperion_orm.contrib.django.urls"))``.
Tokens live in the project's database (``DatabaseTokenStore``); ``get_client()`` returns the
process's shared ``Client``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asperion_orm.contrib.django.conf import client_for, get_client
    from asperion_orm.contrib.django.middleware import TenantMiddleware
    from asperion_orm.contrib.django.store import DatabaseTokenStore

__all__ = ["DatabaseTokenStore", "TenantMiddleware", "client_for", "get_client"]

# Imported on first use: importing the app package must not import models before Django's
# app registry is ready.
_LAZY = {
    "DatabaseTokenStore": "asperion_orm.contrib.django.store",
    "TenantMiddleware": "asperion_orm.contrib.django.middleware",
    "client_for": "asperion_orm.contrib.django.conf",
    "get_client": "asperion_orm.contrib.django.conf",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
