"""The site's pages: the connected account's administrations, and a tenant's debtors by page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from asperion_orm.contrib.django import get_client
from asperion_orm.resources import Debtor


def administrations(request: HttpRequest) -> HttpResponse:
    """List the administrations of the connected account (or offer to connect one)."""
    client = get_client()
    if client.token_store.load() is None:
        return render(request, "connect.html")
    return render(request, "administrations.html", {"rows": client.administrations()})


def debtors(request: HttpRequest, tenant: int) -> HttpResponse:
    """Show one page of the tenant's debtors; TenantMiddleware has activated the tenant."""
    page = Paginator(Debtor.objects.order_by("name", "id"), 20).get_page(request.GET.get("page"))
    return render(request, "debtors.html", {"tenant": tenant, "page": page})
