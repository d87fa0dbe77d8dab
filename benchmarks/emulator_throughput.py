"""Measure the sandbox's requests per second for small pages from one keep-alive client.

Run: ``python benchmarks/emulator_throughput.py [--seconds 3] [--page-size 5]``.
The client and the server share one process (and its GIL), as they do in the test suite.
"""

from __future__ import annotations

import argparse
import time

import requests

from asperion_orm.testing import Sandbox


def token(sandbox: Sandbox, http: requests.Session) -> str:
    """Log in through the code flow and return an access token."""
    query = {
        "client_id": sandbox.client_id,
        "redirect_uri": sandbox.redirect_uri,
        "response_type": "code",
        "scope": "asperion-api offline_access",
        "state": "bench",
    }
    url = requests.Request("GET", f"{sandbox.identity_url}/connect/authorize", params=query)
    code = sandbox.authorize(url.prepare().url or "", "bench")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": sandbox.redirect_uri,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    response = http.post(
        f"{sandbox.identity_url}/connect/token", data=form, verify=sandbox.ca_bundle, timeout=10
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def measure(sandbox: Sandbox, seconds: float, page_size: int) -> tuple[int, float, float]:
    """Fetch pages for ``seconds``; return (requests, elapsed, process CPU seconds)."""
    with requests.Session() as http:
        http.trust_env = False
        http.headers["Authorization"] = f"Bearer {token(sandbox, http)}"
        url = f"{sandbox.base_url}/debtors"
        params = {"page": 1, "pageSize": page_size}
        count, started, cpu = 0, time.perf_counter(), time.process_time()
        while (elapsed := time.perf_counter() - started) < seconds:
            params["page"] = count % 20 + 1
            response = http.get(url, params=params, verify=sandbox.ca_bundle, timeout=10)
            response.raise_for_status()
            count += 1
        return count, elapsed, time.process_time() - cpu


def main() -> None:
    """Parse arguments, run the measurement and print the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--page-size", type=int, default=5)
    args = parser.parse_args()
    with Sandbox(records={"debtors": 1000}) as sandbox:
        measure(sandbox, 0.3, args.page_size)  # warm up: data generation, first connection
        before = sandbox.server.connections_accepted
        count, elapsed, cpu = measure(sandbox, args.seconds, args.page_size)
        connections = sandbox.server.connections_accepted - before
    print(
        f"{count / elapsed:,.0f} requests/second "
        f"({count} GET /v1/debtors?pageSize={args.page_size} in {elapsed:.1f} s over "
        f"{connections} keep-alive connections for the login and the pages; "
        f"{cpu / count * 1000:.2f} ms CPU per request, client and server together)"
    )


if __name__ == "__main__":
    main()
