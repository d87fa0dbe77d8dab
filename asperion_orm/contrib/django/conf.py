"""The ``ASPERION`` setting and the clients built from it, once per process and grant.

``ASPERION = {"CLIENT_ID": ..., "CLIENT_SECRET": ..., "REDIRECT_URI": ..., "ENVIRONMENT":
"production"}``; the other keys are optional (see ``DEFAULTS``). ``get_client()`` returns the
site's shared ``Client``; ``client_for(grant)`` the one of a grant (a user's own tokens).
Clients are built on first use, under a lock, and rebuilt when a test changes the setting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.utils.module_loading import import_string

from asperion_orm.client import Client
from asperion_orm.contrib.django.store import DatabaseTokenStore
from asperion_orm.contrib.settings import DEFAULTS as COMMON
from asperion_orm.contrib.settings import REQUIRED, build_client, merged
from asperion_orm.exceptions import ConfigurationError

__all__ = ["DEFAULTS", "REQUIRED", "asperion_settings", "client_for", "get_client", "grant_for"]

DEFAULTS: dict[str, Any] = {
    **COMMON,
    "DATABASE": "default",  # the alias holding the token table
    "GRANT": "default",  # the row of the site's shared tokens
    "PER_USER_TOKENS": False,  # True: each logged-in user connects their own account
}

_clients: dict[str, Client] = {}
_lock = threading.Lock()


def asperion_settings() -> dict[str, Any]:
    """Return the ``ASPERION`` setting merged over ``DEFAULTS``; raise when it is unusable."""
    given = getattr(settings, "ASPERION", None)
    return merged(given, DEFAULTS, "settings.ASPERION", "(run `manage.py check` for details)")


def get_client() -> Client:
    """Return the process's client of the site's shared grant (``ASPERION["GRANT"]``)."""
    return client_for(asperion_settings()["GRANT"])


def client_for(grant: str) -> Client:
    """Return the process's client whose tokens are the row ``grant``, building it once."""
    with _lock:
        client = _clients.get(grant)
        if client is None:
            client = _clients[grant] = _build(asperion_settings(), grant)
        return client


def grant_for(request: HttpRequest) -> str | None:
    """Return the grant a request uses: its user's with ``PER_USER_TOKENS``, else the site's.

    None: ``PER_USER_TOKENS`` is on and no user is logged in. A request that has no
    ``user`` at all means the middleware is missing, which raises ``ConfigurationError``.
    """
    config = asperion_settings()
    if not config["PER_USER_TOKENS"]:
        return str(config["GRANT"])
    user = getattr(request, "user", None)
    if user is None:
        raise ConfigurationError(
            "PER_USER_TOKENS is on but the request has no user; put "
            "django.contrib.auth.middleware.AuthenticationMiddleware before TenantMiddleware."
        )
    return f"user:{user.pk}" if user.is_authenticated else None


def tenant_resolver() -> Callable[[HttpRequest], int | None] | None:
    """Return the function named by ``TENANT_RESOLVER``, if any."""
    path = asperion_settings()["TENANT_RESOLVER"]
    return import_string(path) if path else None


def _build(config: Mapping[str, Any], grant: str) -> Client:
    """Return a new client from the settings, its tokens in the grant's row."""
    return build_client(config, token_store=DatabaseTokenStore(grant, using=config["DATABASE"]))


def _forget_clients(*, setting: str, **kwargs: Any) -> None:
    """Close and drop the clients when a test changes ``ASPERION`` (``override_settings``)."""
    if setting != "ASPERION":
        return
    with _lock:
        closing = list(_clients.values())
        _clients.clear()
    for client in closing:
        client.close()


setting_changed.connect(_forget_clients)
