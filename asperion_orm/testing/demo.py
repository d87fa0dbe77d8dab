"""A tour of the sandbox with plain ``requests``: ``python -m asperion_orm.testing.demo``.

It starts a local emulator, logs in through the OAuth authorization-code flow and makes a few
raw API calls, printing what each one shows about the Asperion API.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sys
from typing import Any, TextIO
from urllib.parse import urlencode

import requests

from asperion_orm.testing.sandbox import Sandbox

__all__ = ["main", "run"]


class Tour:
    """Raw HTTPS calls against a running sandbox, with commentary."""

    def __init__(self, sandbox: Sandbox, out: TextIO) -> None:
        """Use ``sandbox``; write to ``out``."""
        self.sandbox = sandbox
        self.out = out
        self.http = requests.Session()
        self.http.trust_env = False  # trust the sandbox CA below, not REQUESTS_CA_BUNDLE
        self.token = ""

    def say(self, text: str = "") -> None:
        """Print a line of commentary."""
        print(text, file=self.out)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the API with the access token; print the request line and status."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        url = f"{self.sandbox.base_url}/{path}"
        response = self.http.request(
            method, url, headers=headers, verify=self.sandbox.ca_bundle, timeout=10, **kwargs
        )
        query = f"?{urlencode(kwargs['params'], safe=',')}" if kwargs.get("params") else ""
        self.say(f"  {method} /v1/{path}{query}  ->  HTTP {response.status_code}")
        return response

    def login(self) -> None:
        """Run the authorization-code flow with PKCE, as a web app would."""
        self.say("1. Log in (OAuth 2.0 authorization code + PKCE)")
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        state = secrets.token_urlsafe(16)
        query = {
            "client_id": self.sandbox.client_id,
            "redirect_uri": self.sandbox.redirect_uri,
            "response_type": "code",
            "scope": "asperion-api offline_access",
            "state": state,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        code = self.sandbox.authorize(
            f"{self.sandbox.identity_url}/connect/authorize?{urlencode(query)}", state
        )
        self.say("  the browser is sent back to the redirect URI with ?code=…&state=…")
        self.fetch_token(code, verifier)

    def fetch_token(self, code: str, verifier: str) -> None:
        """Trade the code for tokens at /connect/token."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.sandbox.redirect_uri,
            "client_id": self.sandbox.client_id,
            "client_secret": self.sandbox.client_secret,
            "code_verifier": verifier,
        }
        response = self.http.post(
            f"{self.sandbox.identity_url}/connect/token",
            data=form,
            verify=self.sandbox.ca_bundle,
            timeout=10,
        )
        response.raise_for_status()
        tokens = response.json()
        self.token = tokens["access_token"]
        self.say(
            f"  POST /connect/token  ->  a {tokens['token_type']} access token for"
            f" {tokens['expires_in']} s and a one-time refresh token (never printed)"
        )

    def administrations(self) -> None:
        """List the administrations (tenants) the user can reach."""
        self.say("\n2. Which administrations can this user reach?")
        body = self.call("GET", "administrations").json()
        for row in body["_data"]:
            self.say(f"     {row.get('id')}: {row.get('name')}")
        self.say(f"  requests without a tenant header go to the default, {self.sandbox.tenants[0]}")

    def debtors(self) -> None:
        """Read a page of debtors and show the envelope."""
        self.say("\n3. A page of debtors: the _data/_meta envelope")
        body = self.call("GET", "debtors", params={"page": 1, "pageSize": 5}).json()
        for row in body["_data"]:
            self.say(f"     {row['id']:>6}  {row['name']:<40} {row.get('city') or ''}")
        meta = body["_meta"]
        self.say(f"  _meta: totalCount={meta['totalCount']} pageCount={meta['pageCount']}")
        self.say(f"         nextPage={meta['nextPage']}")

    def count(self) -> None:
        """Count without reading rows (MetaOnly)."""
        self.say("\n4. Counting without reading rows: metaOnly=true")
        body = self.call("GET", "debtors", params={"metaOnly": "true"}).json()
        self.say(f"  no _data, just _meta: totalCount={body['_meta']['totalCount']}")

    def query(self) -> None:
        """Filter and order on the server."""
        self.say("\n5. Filters and ordering are query parameters")
        first = self.call("GET", "debtors", params={"pageSize": 1}).json()["_data"][0]
        city = first.get("city") or "Utrecht"
        params = {
            "city": city,
            "city_comparison": "Equals",
            "orderBy": "-id",
            "pageSize": 3,
            "fields": "id,name,city",
        }
        body = self.call("GET", "debtors", params=params).json()
        for row in body["_data"]:
            self.say(f"     {row['id']:>6}  {row['name']:<40} {row.get('city')}")
        total = body["_meta"]["totalCount"]
        self.say(f"  {total} debtor(s) in {city}, newest first, only the fields asked for")

    def validation_error(self) -> None:
        """Show a 400 ProblemDetails body in Dutch."""
        self.say("\n6. A write the API refuses: 400 ProblemDetails, in Dutch (nl-NL)")
        body = {"emailAddress": "not-an-email"}
        response = self.call("POST", "debtors", json=body, headers={"Accept-Language": "nl-NL"})
        self.say(
            "  " + json.dumps(response.json(), ensure_ascii=False, indent=2).replace("\n", "\n  ")
        )

    def run(self) -> None:
        """Run every step."""
        self.say(f"Sandbox running at {self.sandbox.base_url} (TLS 1.3, a throwaway CA)\n")
        self.login()
        self.administrations()
        self.debtors()
        self.count()
        self.query()
        self.validation_error()
        calls = len(self.sandbox.request_log)
        self.say(f"\nThe sandbox logged {calls} requests (never a token or secret). Done.")


def run(out: TextIO = sys.stdout, **sandbox_options: Any) -> None:
    """Start a sandbox and take the tour."""
    with Sandbox(**sandbox_options) as sandbox:
        tour = Tour(sandbox, out)
        try:
            tour.run()
        finally:
            tour.http.close()


def main() -> int:
    """Run the demo; return the exit status."""
    run(records={"debtors": 200})
    return 0


if __name__ == "__main__":
    sys.exit(main())
