"""Quickstart: read, count, filter, explain and write with asperion_orm.

Run ``python examples/quickstart.py``: it starts the local sandbox (a faithful fake of the
Asperion API), logs in through OAuth and walks through the basics, printing what each step
does and how many HTTPS requests it took. The tour itself is
``asperion_orm/testing/quickstart.py``, which ``asperion demo`` runs from a plain install.
"""

from __future__ import annotations

import sys

from connect import connect

from asperion_orm.testing.quickstart import run

__all__ = ["main", "run"]


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
