"""The OAuth views: ``connect/`` sends the browser to Asperion, ``callback/`` stores the token.

``connect/`` keeps a random ``state`` and the PKCE verifier in the Django session, so the
callback may land on any worker of any host. ``callback/`` checks the state, trades the code
for tokens and saves them in the grant's row (the site's, or the user's with
``PER_USER_TOKENS``), then redirects to ``?next=`` from connect/ or ``LOGIN_REDIRECT_URL``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from asperion_orm.contrib.django.conf import asperion_settings, client_for, grant_for

__all__ = ["callback", "connect"]

SESSION_KEY = "asperion_oauth"


@require_GET  # type: ignore[untyped-decorator]
def connect(request: HttpRequest) -> HttpResponse:
    """Redirect to Asperion's login with a fresh state and PKCE verifier kept in the session."""
    grant = grant_for(request)
    if grant is None:
        return _to_login(request)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(64)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    request.session[SESSION_KEY] = {
        "state": state,
        "verifier": verifier,
        "grant": grant,
        "next": next_url,
    }
    url = client_for(grant).authorization_url(state=state, code_verifier=verifier)
    return HttpResponseRedirect(url)


@require_GET  # type: ignore[untyped-decorator]
def callback(request: HttpRequest) -> HttpResponse:
    """Check the state, exchange the code for tokens, store them, and redirect onwards."""
    pending = request.session.pop(SESSION_KEY, None)
    if not isinstance(pending, dict) or not pending.get("state"):
        return HttpResponseBadRequest("No Asperion connection in progress; start at connect/.")
    if not secrets.compare_digest(request.GET.get("state", ""), pending["state"]):
        return HttpResponseBadRequest("The state does not match this connection; start again.")
    if "error" in request.GET:
        return HttpResponseForbidden(f"Asperion refused the connection: {request.GET['error']}")
    if pending["grant"] != grant_for(request):
        return HttpResponseBadRequest("Another user started this connection; start again.")
    code = request.GET.get("code", "")
    if not code:
        return HttpResponseBadRequest("The callback has no code; start again at connect/.")
    client_for(pending["grant"]).fetch_token(
        code=code, state=pending["state"], code_verifier=pending["verifier"]
    )
    return HttpResponseRedirect(pending["next"] or asperion_settings()["LOGIN_REDIRECT_URL"])


def _to_login(request: HttpRequest) -> HttpResponse:
    """Redirect to ``settings.LOGIN_URL`` and back, as ``login_required`` does."""
    query = QueryDict(mutable=True)
    query["next"] = request.get_full_path()
    return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{query.urlencode(safe='/')}")
