"""The ``ASPERION`` settings the framework integrations share, and the client built from them.

Django reads them from ``settings.ASPERION``, Flask from ``app.config["ASPERION"]``; both take
these keys (each adds a few of its own) and build their ``Client`` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asperion_orm.client import Client
from asperion_orm.exceptions import ConfigurationError

__all__ = ["DEFAULTS", "REQUIRED", "build_client", "merged"]

REQUIRED = ("CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI")
DEFAULTS: dict[str, Any] = {
    "ENVIRONMENT": "production",
    "BASE_URL": None,  # overrides the environment's hosts (the local sandbox, a proxy)
    "IDENTITY_URL": None,
    "CA_BUNDLE": None,
    "CLIENT_OPTIONS": {},  # more keyword arguments for Client (language, time_zone, ...)
    "TENANT_URL_KWARG": "tenant",
    "TENANT_HEADER": "X-Asperion-Tenant",
    "TENANT_RESOLVER": None,  # a function(request) -> int | None, or its dotted path
    "LOGIN_REDIRECT_URL": "/",  # where callback/ goes when connect/ had no ?next=
}
"""The optional keys both integrations take, and their values when left out."""


def merged(given: Any, defaults: Mapping[str, Any], where: str, hint: str) -> dict[str, Any]:
    """Return ``given`` over ``defaults``; raise ``ConfigurationError`` when it is unusable.

    ``where`` names the setting in messages (``settings.ASPERION``); ``hint`` ends the message
    of a missing setting with what to do next.
    """
    if not isinstance(given, Mapping):
        raise ConfigurationError(
            f"{where} is missing: set it to a dict with CLIENT_ID, CLIENT_SECRET and "
            f"REDIRECT_URI {hint}."
        )
    missing = [key for key in REQUIRED if not given.get(key)]
    if missing:
        raise ConfigurationError(
            f"{where} has no {', '.join(missing)}; add the app registration's values."
        )
    return {**defaults, **given}


def build_client(config: Mapping[str, Any], **options: Any) -> Client:
    """Return a new ``Client`` from merged settings; ``options`` add to ``CLIENT_OPTIONS``."""
    return Client(
        config["CLIENT_ID"],
        config["CLIENT_SECRET"],
        config["REDIRECT_URI"],
        environment=config["ENVIRONMENT"],
        base_url=config["BASE_URL"],
        identity_url=config["IDENTITY_URL"],
        ca_bundle=config["CA_BUNDLE"],
        **options,
        **config["CLIENT_OPTIONS"],
    )
