"""System checks (``manage.py check``): a missing or unusable ``ASPERION`` setting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from asperion_orm.contrib.django.conf import DEFAULTS, REQUIRED
from asperion_orm.http.client import ENVIRONMENTS

__all__ = ["check_settings", "register"]

_EXAMPLE = (
    'ASPERION = {"CLIENT_ID": "...", "CLIENT_SECRET": "...", '
    '"REDIRECT_URI": "https://example.com/asperion/callback/", "ENVIRONMENT": "production"}'
)


def register() -> None:
    """Register the checks under the tag ``asperion``."""
    checks.register(check_settings, "asperion")


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Report what is missing or wrong in ``settings.ASPERION``."""
    given = getattr(settings, "ASPERION", None)
    if given is None:
        return [_error("E001", "The ASPERION setting is missing.", f"Add {_EXAMPLE}")]
    if not isinstance(given, Mapping):
        kind = type(given).__name__
        return [_error("E002", f"ASPERION must be a dict, not {kind}.", f"Use {_EXAMPLE}")]
    found = [
        _error("E003", f"ASPERION has no {key}.", "Copy it from the app registration.")
        for key in REQUIRED
        if not isinstance(given.get(key), str) or not given.get(key)
    ]
    return found + _environment(given) + _resolver(given) + _unknown(given)


def _environment(given: Mapping[str, Any]) -> list[checks.CheckMessage]:
    environment = given.get("ENVIRONMENT", DEFAULTS["ENVIRONMENT"])
    if environment in ENVIRONMENTS:
        return []
    names = " or ".join(repr(name) for name in ENVIRONMENTS)
    return [_error("E004", f"ASPERION['ENVIRONMENT'] is {environment!r}.", f"Use {names}.")]


def _resolver(given: Mapping[str, Any]) -> list[checks.CheckMessage]:
    path = given.get("TENANT_RESOLVER")
    if not path:
        return []
    try:
        import_string(path)
    except ImportError as exc:
        return [
            _error(
                "E005",
                f"ASPERION['TENANT_RESOLVER'] {path!r} cannot be imported ({exc}).",
                "Name a function(request) -> administration id, as 'package.module.function'.",
            )
        ]
    return []


def _unknown(given: Mapping[str, Any]) -> list[checks.CheckMessage]:
    known = set(REQUIRED) | set(DEFAULTS)
    return [
        checks.Warning(
            f"ASPERION has an unknown key {key!r}.",
            hint=f"Known keys: {', '.join(sorted(known))}.",
            id="asperion.W001",
        )
        for key in sorted(set(given) - known, key=str)
    ]


def _error(code: str, message: str, hint: str) -> checks.CheckMessage:
    return checks.Error(message, hint=hint, id=f"asperion.{code}")
