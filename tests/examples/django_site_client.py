"""Drive ``examples/django_site`` with Django's test client, in a process of its own.

Run with ``examples/django_site`` on the path and the sandbox in ``ASPERION_*``: migrate a
fresh SQLite file, connect (following the identity server's redirect as a browser would),
then read the administrations page and every page of each tenant's debtors. Prints JSON.
"""

from __future__ import annotations

import json
import os
import re
import sys
from urllib.parse import parse_qs, urlsplit

import django
import requests


def _authorize(url: str) -> str:
    """Follow the authorization URL as the sandbox user's browser; return the callback path."""
    answer = requests.get(url, verify=os.environ["ASPERION_CA_BUNDLE"], allow_redirects=False,
                          timeout=10)  # fmt: skip
    back = urlsplit(answer.headers["Location"])
    return f"/asperion/callback/?{back.query}"


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_site.settings")
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("check", fail_level="WARNING", stdout=sys.stderr)
    call_command("migrate", verbosity=0)
    browser = Client()
    report: dict[str, object] = {"before": browser.get("/").content.decode()}
    start = browser.get("/asperion/connect/")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    callback = _authorize(start.headers["Location"])
    assert f"state={state}" in callback
    print("connected", browser.get(callback).status_code, file=sys.stderr)
    home = browser.get("/").content.decode()
    tenants = [int(t) for t in re.findall(r'href="/(\d+)/debtors/"', home)]
    report["tenants"] = tenants
    report["debtors"] = {tenant: _all_pages(browser, tenant) for tenant in tenants}
    print(json.dumps(report))
    return 0


def _all_pages(browser: object, tenant: int) -> list[list[int]]:
    """Return the debtor ids of each page of a tenant's list, following the next links."""
    pages, url = [], f"/{tenant}/debtors/"
    while url:
        html = browser.get(url).content.decode()  # type: ignore[attr-defined]
        pages.append([int(i) for i in re.findall(r'data-id="(\d+)"', html)])
        following = re.search(r'rel="next" href="([^"]+)"', html)
        url = f"/{tenant}/debtors/{following.group(1)}" if following else ""
    return pages


if __name__ == "__main__":
    sys.exit(main())
