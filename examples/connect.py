"""Where the examples connect: an embedded sandbox by default, or your own login.

Every example runs as is (``python examples/quickstart.py``): it starts the local sandbox
emulator, logs in through the real OAuth flow and works on its generated books. To run one
against your own Asperion administrations instead, log in once with ``asperion login`` and set
``ASPERION_USE_LOGIN=1`` (and ``ASPERION_TENANT=<id>`` to pick an administration).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import asperion_orm as asp
from asperion_orm.cli import saved_client
from asperion_orm.testing import Sandbox


@dataclass
class Connection:
    """A logged-in client, the administration to use, and the sandbox if one was started."""

    client: asp.Client
    tenant: int
    sandbox: Sandbox | None = field(default=None, repr=False)

    def requests_made(self) -> int | None:
        """Return how many API requests the sandbox served (``None`` against the real API)."""
        if self.sandbox is None:
            return None
        return len(self.sandbox.requests(path="/v1/*"))


@contextlib.contextmanager
def connect(records: Mapping[str, int] | None = None) -> Iterator[Connection]:
    """Yield a connection: your saved login with ASPERION_USE_LOGIN=1, else a fresh sandbox."""
    if os.environ.get("ASPERION_USE_LOGIN") == "1":
        with saved_client() as client:
            tenant = os.environ.get("ASPERION_TENANT")
            yield Connection(client, int(tenant) if tenant else _default(client))
        return
    with Sandbox(records=records) as sandbox, sandbox.client() as client:
        sandbox.clear_log()
        yield Connection(client, sandbox.tenants[0], sandbox)


def _default(client: asp.Client) -> int:
    """Return the first administration the user can reach."""
    return client.administrations()[0].id
