"""The URLs of the Django app tests: the OAuth views and debtor lists by URL, header, async."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.paginator import Paginator
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from asperion_orm import NoSessionError, Session
from asperion_orm.resources import Debtor


def debtors(request: HttpRequest, tenant: int | None = None) -> JsonResponse:
    """Return one page of the active tenant's debtors (``?page=``, 10 a page) as JSON."""
    page = Paginator(Debtor.objects.order_by("id"), 10).get_page(request.GET.get("page"))
    return JsonResponse(
        {
            "tenant": request.asperion.tenant,
            "count": page.paginator.count,
            "pages": page.paginator.num_pages,
            "number": page.number,
            "ids": [debtor.id for debtor in page],
        }
    )


async def debtor_count(request: HttpRequest, tenant: int) -> JsonResponse:
    """Return the active tenant's debtor count from an async view."""
    count = await sync_to_async(Debtor.objects.count)()
    return JsonResponse({"tenant": request.asperion.tenant, "count": count})


def active(request: HttpRequest) -> JsonResponse:
    """Return the active session's tenant, or None (no tenant in the request)."""
    try:
        return JsonResponse({"tenant": Session.current().tenant})
    except NoSessionError:
        return JsonResponse({"tenant": None})


def fails(request: HttpRequest, tenant: int) -> JsonResponse:
    """Raise inside the view, after the tenant was activated."""
    raise RuntimeError("the view failed")


urlpatterns = [
    path("asperion/", include("asperion_orm.contrib.django.urls")),
    path("t/<int:tenant>/debtors/", debtors),
    path("a/<int:tenant>/count/", debtor_count),
    path("t/<int:tenant>/fails/", fails),
    path("h/debtors/", debtors),
    path("active/", active),
]
