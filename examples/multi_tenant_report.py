"""A report across administrations: debtors and invoiced amounts for every tenant.

Each administration gets its own ``Session`` (``client.tenant(id)``); the same query runs for
each one with ``using(session)``, and every request carries that administration's header.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

from connect import connect

import asperion_orm as asp
from asperion_orm.resources import Debtor, SalesInvoiceHeader


@dataclass(frozen=True)
class Line:
    """One administration's figures."""

    tenant: int
    name: str
    debtors: int
    invoices: int
    invoiced: Decimal


def figures(client: asp.Client, tenant: int, name: str) -> Line:
    """Return the figures of one administration (two counts and one paged read)."""
    session = client.tenant(tenant)
    invoices = SalesInvoiceHeader.objects.using(session)  # the invoices without their lines
    amounts = invoices.values_list("amount_incl_vat", flat=True)
    totals = [amount or Decimal("0.00") for amount in amounts]
    return Line(
        tenant=tenant,
        name=name,
        debtors=Debtor.objects.using(session).count(),
        invoices=len(totals),
        invoiced=sum(totals, Decimal("0.00")),
    )


def report(client: asp.Client) -> list[Line]:
    """Return the figures of every administration the user can reach."""
    return [figures(client, admin.id, str(admin.name)) for admin in client.administrations()]


def render(lines: list[Line], out: TextIO = sys.stdout) -> None:
    """Print the report as a table with a total line."""
    print(
        f"{'id':>7}  {'administration':<32} {'debtors':>8} {'invoices':>9} {'invoiced':>14}",
        file=out,
    )
    for line in lines:
        print(f"{line.tenant:>7}  {line.name:<32} {line.debtors:>8} {line.invoices:>9}"
              f" {line.invoiced:>14,.2f}", file=out)  # fmt: skip
    total = sum((line.invoiced for line in lines), Decimal("0.00"))
    print(f"{'':>7}  {'total':<32} {'':>8} {'':>9} {total:>14,.2f}", file=out)


def run(client: asp.Client, tenant: int, out: TextIO = sys.stdout) -> list[Line]:
    """Build and print the report (``tenant`` is unused: the report covers all of them)."""
    lines = report(client)
    render(lines, out)
    return lines


def main() -> int:
    """Connect and print the report."""
    with connect(records={"debtors": 120, "salesinvoices": 150}) as connection:
        run(connection.client, connection.tenant)
        made = connection.requests_made()
        if made is not None:
            print(f"\n{made} API requests in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
