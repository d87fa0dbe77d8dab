"""A stand-in for AuthenticationMiddleware: the user named by the ``X-Test-User`` header."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest


def header_user(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Set ``request.user`` from the header (anonymous without it)."""

    def middleware(request: HttpRequest) -> Any:
        pk = request.headers.get("X-Test-User")
        request.user = SimpleNamespace(is_authenticated=pk is not None, pk=pk and int(pk))
        return get_response(request)

    return middleware
