"""A FastAPI app that serves each request from the administration its URL names.

Two recipes for the per-request tenant, neither of which can leak a tenant into another
request:

- ``tenant_session`` (sync, the safe default): a plain dependency that returns the request's
  ``Session`` without activating it; endpoints pass it on with ``.using(session)``.
- ``active_tenant`` (async): an async generator dependency that activates the session with
  ``with client.tenant(id):`` around the request, so endpoints may query without ``using()``.
  FastAPI enters it in the request's own context, which the endpoint (and the threadpool a
  ``def`` endpoint runs in) inherits, and leaves it in that same context.

What not to write: a *sync* generator dependency that activates the session
(``def dep(): with client.tenant(id) as s: yield s``). FastAPI runs sync generator
dependencies in a threadpool, in a copy of the request's context: the tenant it activates is
never seen by the endpoint (``NoSessionError``), and the block is left from yet another
context. Yield the session and use ``.using(session)``, or make the dependency ``async``.

Run ``python examples/fastapi_app.py`` (needs ``fastapi`` and ``uvicorn``) to serve it on
http://127.0.0.1:8766 against a sandbox: ``/tenants/{id}/debtors``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request

import asperion_orm as asp
from asperion_orm.resources import Debtor


def get_client(request: Request) -> asp.Client:
    """Return the app's one client (created at start-up, shared by every request)."""
    client: asp.Client = request.app.state.client
    return client


Client = Annotated[asp.Client, Depends(get_client)]


def tenant_session(tenant_id: int, client: Client) -> asp.Session:
    """Return the session of the administration in the URL (not activated: use ``using()``).

    The server refuses an administration the user cannot reach; an id that is no id at all
    is refused here, before any request.
    """
    if not 1 <= tenant_id <= 2**31 - 1:
        raise HTTPException(404, f"No administration {tenant_id}.")
    return client.tenant(tenant_id)


async def active_tenant(tenant_id: int, client: Client) -> AsyncIterator[asp.Session]:
    """Activate the URL's administration for the request; ended in the same context."""
    with tenant_session(tenant_id, client) as session:
        yield session


def create_app(client: asp.Client) -> FastAPI:
    """Return the app; ``client`` is logged in and shared by all requests."""
    app = FastAPI()
    app.state.client = client

    @app.get("/tenants/{tenant_id}/debtors")
    def debtors(
        session: Annotated[asp.Session, Depends(tenant_session)], limit: int = 10
    ) -> dict[str, Any]:
        rows = Debtor.objects.using(session).order_by("id").values("id", "name")[:limit]
        return {"tenant": session.tenant, "debtors": list(rows)}

    @app.get("/tenants/{tenant_id}/debtors/count")
    def count(session: Annotated[asp.Session, Depends(active_tenant)]) -> dict[str, int]:
        # No using(): the async dependency activated the session for this request.
        return {"tenant": asp.Session.current().tenant, "count": Debtor.objects.count()}

    return app


def main() -> int:
    """Serve the app on http://127.0.0.1:8766 against a sandbox."""
    import uvicorn

    from asperion_orm.testing import Sandbox

    with Sandbox() as sandbox, sandbox.client() as client:
        print(f"Try http://127.0.0.1:8766/tenants/{sandbox.tenants[0]}/debtors")
        uvicorn.run(create_app(client), host="127.0.0.1", port=8766)
    return 0


if __name__ == "__main__":
    sys.exit(main())
