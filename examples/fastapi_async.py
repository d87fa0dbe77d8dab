"""An async FastAPI service: one set of endpoints per administration, on the async ORM API.

Every request's handler opens ``async with client.tenant(id):``; the tenant is a ContextVar,
so concurrent requests for different administrations never see each other's. The ORM's
``acount()``, ``aget()``, ``acreate()`` and ``async for`` run off the event loop, so one
slow administration does not hold up the others.

Run it with ``uvicorn`` (``pip install fastapi uvicorn``)::

    python examples/fastapi_async.py   # serves the sandbox's books on http://127.0.0.1:8000
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

import asperion_orm as asp
from asperion_orm.resources import Debtor, SalesInvoiceHeader


class NewDebtor(BaseModel):
    """The body of ``POST /administrations/{id}/debtors``."""

    name: str
    city: str | None = None


def create_app(client: asp.Client) -> FastAPI:
    """Return the app, serving the administrations ``client`` can reach."""
    app = FastAPI(title="Debtors per administration")

    @app.get("/administrations/{administration}/summary")
    async def summary(administration: int) -> dict[str, int]:
        async with _tenant(client, administration):
            debtors, invoices = await asyncio.gather(  # two requests at once
                Debtor.objects.acount(), SalesInvoiceHeader.objects.acount()
            )
        return {"debtors": debtors, "invoices": invoices}

    @app.get("/administrations/{administration}/debtors")
    async def debtors(administration: int, city: str | None = None) -> dict[str, Any]:
        async with _tenant(client, administration):
            queryset = Debtor.objects.order_by("name", "id")
            if city is not None:
                queryset = queryset.filter(city=city)
            return {
                "count": await queryset.acount(),
                "names": [debtor.name async for debtor in queryset[:10]],
            }

    @app.get("/administrations/{administration}/debtors/{pk}")
    async def debtor(administration: int, pk: int) -> dict[str, Any]:
        async with _tenant(client, administration):
            try:
                found = await Debtor.objects.aget(pk=pk)
            except Debtor.DoesNotExist as exc:
                raise HTTPException(404, f"No debtor {pk}.") from exc
        return {"id": found.pk, "name": found.name, "city": found.city}

    @app.post("/administrations/{administration}/debtors", status_code=201)
    async def create(administration: int, body: NewDebtor) -> dict[str, Any]:
        async with _tenant(client, administration):
            try:
                made = await Debtor.objects.acreate(name=body.name, city=body.city)
            except asp.ValidationError as exc:
                raise HTTPException(422, exc.errors) from exc
        return {"id": made.pk, "name": made.name, "city": made.city}

    return app


def _tenant(client: asp.Client, administration: int) -> asp.Session:
    """Return the administration's session, or answer 404 for an id that cannot be one."""
    try:
        return client.tenant(administration)
    except asp.ConfigurationError as exc:
        raise HTTPException(404, str(exc)) from exc


def main() -> None:
    """Serve the app against a fresh sandbox (or your login, see ``connect.py``)."""
    import uvicorn
    from connect import connect

    with connect() as connection:
        print(f"Try http://127.0.0.1:8000/administrations/{connection.tenant}/debtors")
        uvicorn.run(create_app(connection.client))


if __name__ == "__main__":
    main()
