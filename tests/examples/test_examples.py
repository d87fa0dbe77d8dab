"""Every script in ``examples/`` runs against the sandbox and does what it says."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import asperion_orm as asp
from asperion_orm.testing import Sandbox

from .conftest import EXAMPLES

Example = Callable[[str], ModuleType]


def test_quickstart(
    example: Example, client: asp.Client, tenant: int, private_sandbox: Sandbox
) -> None:
    out = io.StringIO()
    before = private_sandbox.state.count(tenant, "debtors")
    example("quickstart").run(client, tenant, out)
    text = out.getvalue()
    assert f"Working in administration {tenant}" in text
    assert f"Debtors in the books: {before}" in text
    assert "name__icontains" in text
    assert "with a PATCH" in text
    assert private_sandbox.state.count(tenant, "debtors") == before  # created, then deleted


def test_multi_tenant_report(
    example: Example, client: asp.Client, private_sandbox: Sandbox
) -> None:
    out = io.StringIO()
    lines = example("multi_tenant_report").run(client, private_sandbox.tenants[0], out)
    assert [line.tenant for line in lines] == [int(row["id"]) for row in client.administrations()]
    first = lines[0]
    rows = private_sandbox.state.rows(first.tenant, "salesinvoices")
    assert first.invoiced == sum((Decimal(str(r["amountInclVat"] or 0)) for r in rows), Decimal(0))
    assert first.debtors == private_sandbox.state.count(first.tenant, "debtors")
    assert "total" in out.getvalue()


def test_incremental_sync(
    example: Example, client: asp.Client, tenant: int, private_sandbox: Sandbox, tmp_path: Path
) -> None:
    out = io.StringIO()
    target = example("incremental_sync").run(client, tenant, out, workdir=tmp_path)
    rows = private_sandbox.state.rows(tenant, "journalentrieswithlines")
    assert target.entries == {
        int(row["id"]): {k: v for k, v in row.items() if k != "_meta"} for row in rows
    }
    assert "Second run: only the changes." in out.getvalue()
    assert (tmp_path / "journal-sync.json").exists()


def test_export_csv(
    example: Example, client: asp.Client, tenant: int, private_sandbox: Sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "debtors.csv"
    count = example("export_csv").run(client, tenant, io.StringIO(), path=path)
    rows = private_sandbox.state.rows(tenant, "debtors")
    open_ = [row for row in rows if not row["blocked"]]
    assert len(open_) < len(rows)  # some debtors are blocked
    written = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert count == len(written) == len(open_)
    assert [int(row["id"]) for row in written] == sorted(row["id"] for row in open_)
    assert [row["iban"] for row in written] == [row["iban"] for row in open_]


def test_quickstart_as_a_script() -> None:
    """``python examples/quickstart.py`` works as is: it starts its own sandbox."""
    env = {k: v for k, v in os.environ.items() if k != "ASPERION_USE_LOGIN"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Logged in. This user can reach 3 administrations:")
    assert "The sandbox answered" in result.stdout
    assert result.stderr == ""


def test_export_csv_as_a_script(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "export_csv.py"), str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"to {path}" in result.stdout
    assert path.read_text(encoding="utf-8").startswith("id,name,city,email_address,iban\n")
