"""``import asperion_orm`` loads none of the costly dependencies until something needs them."""

from __future__ import annotations

import json
import subprocess
import sys

DEFERRED = (
    "authlib.oauth2", "authlib.jose", "joserfc", "cryptography", "marshmallow", "tenacity",
    "asyncio", "asperion_orm.resources", "difflib", "uuid",
)  # fmt: skip

PROBE = """
import json, sys, time
deferred = {deferred!r}
def loaded():
    return sorted(name for name in deferred if name in sys.modules)
seen = {{}}
import asperion_orm
from asperion_orm import Client, F, Model, Q, QuerySet, fields
from asperion_orm.http.tokens import MemoryTokenStore, Token
seen["import"] = loaded()
class Invoice(Model):
    id = fields.Integer(read_only=True)
    number = fields.String(max_length=10)
    total = fields.Decimal(max_digits=12)
    email = fields.Email()
    class Meta:
        path = "invoices"
seen["a model declared"] = loaded()
store = MemoryTokenStore()
store.save(Token("access", "refresh", time.time() + 3600, 3600))
client = Client("app", "secret", "http://127.0.0.1/cb", base_url="https://a.test/v1",
                identity_url="https://id.test", token_store=store)
client.token
seen["a client with a stored token"] = loaded()
seen["a value validated"] = [Invoice.email.validate("nope"), loaded()]
client.authorization_url(state="s")
seen["a login started"] = loaded()
print(json.dumps(seen))
"""


def test_costly_dependencies_are_imported_when_first_needed() -> None:
    code = PROBE.format(deferred=DEFERRED)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out)
    assert seen["import"] == []
    assert seen["a model declared"] == []
    assert seen["a client with a stored token"] == []
    assert seen["a value validated"] == [
        ["The Email field is not a valid e-mail address."],
        ["marshmallow", "uuid"],  # marshmallow imports uuid itself
    ]
    assert {"authlib.oauth2", "cryptography"} <= set(seen["a login started"])
    assert "asperion_orm.resources" not in seen["a login started"]


RETRY_PROBE = """
import io, json, sys, time
import requests
from requests.adapters import BaseAdapter
from asperion_orm import Client
from asperion_orm.http.retry import RetryPolicy
from asperion_orm.http.tokens import MemoryTokenStore, Token

class Answers(BaseAdapter):
    def __init__(self, statuses):
        super().__init__()
        self.statuses = list(statuses)
        self.sent = 0
    def send(self, request, **kwargs):
        self.sent += 1
        response = requests.Response()
        response.status_code = self.statuses.pop(0)
        response.raw = io.BytesIO(b'{"_meta": {"administrationId": 1}}')
        response.headers["Content-Type"] = "application/json"
        response.request, response.url = request, request.url
        return response
    def close(self):
        pass

def client(adapter):
    store = MemoryTokenStore()
    store.save(Token("access", "refresh", time.time() + 3600, 3600))
    return Client("app", "secret", "http://127.0.0.1/cb", base_url="https://a.test/v1",
                  identity_url="https://id.test", token_store=store, transport=adapter,
                  retry=RetryPolicy(sleep=lambda seconds: None))

seen = {}
ok = Answers([200, 200])
session = client(ok).tenant(1)
session.get("debtors/1", cache=False)
session.get("debtors/2", cache=False)
seen["answered at once"] = [ok.sent, "tenacity" in sys.modules]
flaky = Answers([503, 200])
client(flaky).tenant(1).get("debtors/1", cache=False)
seen["retried"] = [flaky.sent, "tenacity" in sys.modules]
print(json.dumps(seen))
"""


def test_a_request_answered_at_once_builds_no_retry_machinery() -> None:
    # The retry loop makes the first attempt itself; tenacity is imported (and a Retrying
    # built) only once an attempt asks for a retry, which it then runs as before.
    out = subprocess.run(
        [sys.executable, "-c", RETRY_PROBE], capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out)
    assert seen["answered at once"] == [2, False]
    assert seen["retried"] == [2, True]  # the 503, then the retry that succeeded
