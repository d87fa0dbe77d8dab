"""The Django example site, run in its own process with Django's test client: connect, then
a paginated debtor list per tenant, against this package's sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from asperion_orm.testing import Sandbox

from .conftest import EXAMPLES

DRIVER = Path(__file__).with_name("django_site_client.py")


def test_connect_then_page_through_each_tenants_debtors(tmp_path: Path) -> None:
    with Sandbox(records={"debtors": 45, "salesinvoices": 0}) as sandbox:
        second = sandbox.add_administration(records={"debtors": 7})
        env = {
            **os.environ,
            "PYTHONPATH": str(EXAMPLES / "django_site"),
            "DJANGO_SITE_DB": str(tmp_path / "site.sqlite3"),
            "ASPERION_CLIENT_ID": sandbox.client_id,
            "ASPERION_CLIENT_SECRET": sandbox.client_secret,
            "ASPERION_REDIRECT_URI": sandbox.redirect_uri,
            "ASPERION_BASE_URL": sandbox.base_url,
            "ASPERION_IDENTITY_URL": sandbox.identity_url,
            "ASPERION_CA_BUNDLE": sandbox.ca_bundle,
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        run = subprocess.run([sys.executable, str(DRIVER)], env=env, capture_output=True,
                             text=True, timeout=240, check=False)  # fmt: skip
        assert run.returncode == 0, run.stderr
        report = json.loads(run.stdout)
        expected = {
            tenant: sorted(
                sandbox.state.rows(tenant, "debtors"), key=lambda r: (r["name"], int(r["id"]))
            )
            for tenant in [*sandbox.tenants, second]
        }
        log = sandbox.request_log
    assert "Connect Asperion" in report["before"]
    assert sorted(report["tenants"]) == sorted(expected)
    for tenant, pages in report["debtors"].items():
        rows = [int(row["id"]) for row in expected[int(tenant)]]
        assert pages == [rows[i : i + 20] for i in range(0, len(rows), 20)]
    token_requests = [e for e in log if e.path == "/connect/token"]
    assert [e.status for e in token_requests] == [200]  # the code exchange, and nothing more
    debtor_pages = sum(len(pages) for pages in report["debtors"].values())
    # per tenant one count (MetaOnly, then cached for the client's 60 s) and one request a page
    assert len([e for e in log if e.path == "/v1/debtors"]) == len(expected) + debtor_pages
    assert len([e for e in log if e.path == "/v1/administrations"]) == 1


def test_manage_py_check_names_the_missing_settings(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASPERION_")}
    env["DJANGO_SITE_DB"] = str(tmp_path / "site.sqlite3")
    manage = EXAMPLES / "django_site" / "manage.py"
    run = subprocess.run([sys.executable, str(manage), "check"], env=env, capture_output=True,
                         text=True, timeout=120, check=False)  # fmt: skip
    assert run.returncode == 1
    assert "(asperion.E003) ASPERION has no CLIENT_ID." in run.stderr
    assert "(asperion.E003) ASPERION has no CLIENT_SECRET." in run.stderr
