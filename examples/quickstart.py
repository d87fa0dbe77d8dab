"""Quickstart: read, count, filter, explain and write with asperion_orm.

Run ``python examples/quickstart.py``: it starts the local sandbox (a faithful fake of the
Asperion API), logs in through OAuth and walks through the basics, printing what each step
does and how many HTTPS requests it took.
"""

from __future__ import annotations

import sys
from typing import TextIO

from connect import connect

import asperion_orm as asp
from asperion_orm.resources import Debtor, PaymentCondition


def run(client: asp.Client, tenant: int, out: TextIO = sys.stdout) -> None:
    """Walk through the basics in one administration, printing as we go."""
    names = {row["id"]: row["name"] for row in client.administrations()}
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


def main() -> int:
    """Connect (an embedded sandbox unless ASPERION_USE_LOGIN=1) and run the walk-through."""
    with connect(records={"debtors": 250}) as connection:
        run(connection.client, connection.tenant)
        made = connection.requests_made()
        if made is not None:
            print(f"\nThe sandbox answered {made} API requests for all of the above. Done.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
