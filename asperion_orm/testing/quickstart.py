"""The quickstart tour: read, count, filter, explain and write, printing each step.

``asperion demo`` runs it against an embedded sandbox, from a plain install; from a source
checkout ``make demo`` and ``python examples/quickstart.py`` run the same ``run()``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TextIO

import asperion_orm as asp
from asperion_orm.resources import Debtor, PaymentCondition
from asperion_orm.testing.sandbox import Sandbox

__all__ = ["main", "run"]


def run(client: asp.Client, tenant: int, out: TextIO = sys.stdout) -> None:
    """Walk through the basics in one administration, printing as we go."""
    names = {admin.id: admin.name for admin in client.administrations()}
    print(f"Logged in. This user can reach {len(names)} administrations:", file=out)
    for admin_id, name in names.items():
        print(f"  {admin_id}  {name}", file=out)
    print(f"\nWorking in administration {tenant} ({names.get(tenant, '?')}).\n", file=out)
    with client.tenant(tenant):  # every query in this block runs for that administration
        read(out)
        write(out)


def read(out: TextIO) -> None:
    """Count, page through and filter debtors."""
    print(f"Debtors in the books: {Debtor.objects.count()} (one request: MetaOnly=true)", file=out)
    newest = Debtor.objects.order_by("-id")[:3]
    print(f"\nThe three newest debtors; the query compiles to:\n  {newest.explain()}", file=out)
    for debtor in newest:
        print(f"  {debtor.id:>6}  {debtor.name:<35} {debtor.city or ''}", file=out)

    city = newest[0].city or "Utrecht"
    in_city = Debtor.objects.filter(city=city, blocked=False).only("id", "name")
    print(f"\nDebtors in {city} that are not blocked: {in_city.count()}; the query:", file=out)
    print(f"  {in_city.explain()}", file=out)

    fuzzy = Debtor.objects.filter(name__icontains="bakkerij")
    print("\nA search inside names, ignoring case; what the server does and what runs here:",
          file=out)  # fmt: skip
    print("  " + fuzzy.explain().replace("\n  ", "\n").replace("\n", "\n  "), file=out)


def write(out: TextIO) -> None:
    """Create a debtor, change it (PATCH of the changed field only) and delete it."""
    terms = PaymentCondition.objects.order_by("id").first()
    debtor = Debtor.objects.create(
        name="Quickstart BV", city="Utrecht", post_code="3511 AB", payment_condition=terms
    )
    print(f"\nCreated {debtor!r} with a POST; the server gave it id {debtor.id}.", file=out)
    debtor.city = "Amersfoort"
    debtor.save()  # sends {"city": "Amersfoort"} only
    print(f"Moved it to {Debtor.objects.get(pk=debtor.id).city} with a PATCH.", file=out)
    debtor.delete()
    print("Deleted it again.", file=out)


def main(records: Mapping[str, int] | None = None, out: TextIO = sys.stdout) -> int:
    """Start a sandbox, log in through OAuth and run the tour; print the request count."""
    with Sandbox(records=records or {"debtors": 250}) as sandbox, sandbox.client() as client:
        sandbox.clear_log()
        run(client, sandbox.tenants[0], out)
        made = len(sandbox.requests(path="/v1/*"))
        print(f"\nThe sandbox answered {made} API requests for all of the above. Done.", file=out)
    return 0
