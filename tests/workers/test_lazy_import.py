"""The core library imports neither redis nor the rate limiter unless they are used."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import asperion_orm
loaded = {"import": sorted(m for m in ("redis", "pyrate_limiter") if m in sys.modules)}
client = asperion_orm.Client("app", "secret", "http://127.0.0.1/cb", base_url="https://a.test/v1",
                             identity_url="https://id.test")
loaded["client"] = sorted(m for m in ("redis", "pyrate_limiter") if m in sys.modules)
client = asperion_orm.Client("app", "secret", "http://127.0.0.1/cb", base_url="https://a.test/v1",
                             identity_url="https://id.test", rate_limit="10/second")
loaded["memory limiter"] = sorted(m for m in ("redis",) if m in sys.modules)
asperion_orm.RedisTokenStore("redis://127.0.0.1:1/0")  # connects on first use
loaded["redis store"] = sorted(m for m in ("redis",) if m in sys.modules)
print(json.dumps(loaded))
"""


def test_redis_is_imported_only_when_a_redis_class_is_used() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == {
        "import": [],
        "client": [],
        "memory limiter": [],
        "redis store": ["redis"],
    }
