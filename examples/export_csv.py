"""Export debtors to a CSV file, streaming: memory stays flat however many rows there are.

``values()`` skips model instances, ``only()``-style ``fields=`` keeps the pages small, and
``iterator()`` streams the pages straight into the file (fetched concurrently when answers
are slow).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TextIO

from connect import connect

import asperion_orm as asp
from asperion_orm.resources import Debtor

COLUMNS = ("id", "name", "city", "email_address", "iban")


def export(session: asp.Session, path: Path) -> int:
    """Write the debtors that are not blocked to ``path``; return how many rows were written."""
    rows = Debtor.objects.using(session).filter(blocked=False).order_by("id").values(*COLUMNS)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows.iterator():
            writer.writerow(row)  # Decimal amounts are written exactly, e.g. 2500.00
            count += 1
    return count


def run(client: asp.Client, tenant: int, out: TextIO = sys.stdout,
        path: Path = Path("debtors.csv")) -> int:  # fmt: skip
    """Export one administration's debtors that are not blocked and say where they went."""
    count = export(client.tenant(tenant), path)
    print(f"Wrote {count} debtors that are not blocked to {path}.", file=out)
    return count


def main(argv: list[str] | None = None) -> int:
    """Export to the file named on the command line (default: debtors.csv)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "debtors.csv")
    with connect(records={"debtors": 450}) as connection:
        run(connection.client, connection.tenant, path=path)
        made = connection.requests_made()
        if made is not None:
            print(f"{made} API requests (100 rows a page).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
