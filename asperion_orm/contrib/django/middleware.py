"""``TenantMiddleware``: the request's administration, activated around the view.

The tenant comes from ``TENANT_RESOLVER`` (a function of the request) when set, else from the
URL keyword ``TENANT_URL_KWARG`` ("tenant"), else from the header ``TENANT_HEADER``. The
session is ``request.asperion`` and is active (``Debtor.objects.all()`` needs no ``using()``)
while the view runs, sync or async; it is ended in ``finally``, whatever the view does. A
request without a tenant (or, with ``PER_USER_TOKENS``, without a logged-in user) passes
through untouched, so ``login_required`` still redirects; a tenant that is not an id gets 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import Resolver404, resolve

from asperion_orm.contrib.django.conf import (
    asperion_settings,
    client_for,
    grant_for,
    tenant_resolver,
)
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.session import Session

__all__ = ["TenantMiddleware", "tenant_of"]

View = Callable[[HttpRequest], Any]


class TenantMiddleware:
    """Activate the request's tenant session around the view (sync or async)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._async_call(request)
        session = _session(request)
        if not isinstance(session, Session):
            return session if session is not None else self.get_response(request)
        try:
            with session:
                return self.get_response(request)
        finally:
            request.asperion = None

    async def _async_call(self, request: HttpRequest) -> HttpResponse:
        # the resolver and request.user may read the database: not from the event loop
        session = await sync_to_async(_session)(request)
        if not isinstance(session, Session):
            return session if session is not None else await self.get_response(request)
        try:
            with session:
                return await self.get_response(request)
        finally:
            request.asperion = None


def tenant_of(request: HttpRequest) -> int | None:
    """Return the request's administration id (None: no tenant); ValueError when not an id."""
    resolver = tenant_resolver()
    raw: Any = resolver(request) if resolver is not None else _from_url_or_header(request)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not str(raw).isdigit():
        raise ValueError(f"{str(raw)[:40]!r} is not an administration id")
    return int(raw)


def _session(request: HttpRequest) -> Session | HttpResponse | None:
    """Return the session to activate, a 400 answer, or None (no tenant in this request)."""
    try:
        tenant = tenant_of(request)
    except ValueError as exc:
        return HttpResponseBadRequest(f"Bad administration id: {exc}.")
    if tenant is None:
        return None
    grant = grant_for(request)
    if grant is None:  # nobody logged in: the view decides (login_required)
        return None
    client = client_for(grant)
    try:
        session = client.tenant(tenant)
    except ConfigurationError as exc:
        return HttpResponseBadRequest(str(exc))
    request.asperion = session
    return session


def _from_url_or_header(request: HttpRequest) -> Any:
    """Return the tenant named by the URL keyword, else by the header, else None."""
    config = asperion_settings()
    try:
        match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
    except Resolver404:
        match = None
    if match is not None and config["TENANT_URL_KWARG"] in match.kwargs:
        return match.kwargs[config["TENANT_URL_KWARG"]]
    return request.headers.get(config["TENANT_HEADER"])
