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
