"""Import time: ``import asperion_orm`` against ``import requests``, in fresh interpreters.

Each figure is the wall time of the import statement alone (interpreter start-up excluded),
in a new process every time, the two imports taking turns; the target compares the medians.
Both read compiled bytecode, as an installed package does: the processes write it to a
temporary ``PYTHONPYCACHEPREFIX`` (whatever ``PYTHONDONTWRITEBYTECODE`` says), so a source
checkout is not compiled anew on every import while ``requests`` loads its ``.pyc`` files.
The costly dependencies the library imports only when first needed are listed with whether a
plain ``import asperion_orm`` loaded them.
Run alone: ``python benchmarks/import_time.py``; ``run.py --only import`` runs it as a section.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

from report import Target

RUNS = 15
LIMIT = 1.5
DEFERRED = (
    "authlib.oauth2", "joserfc", "cryptography", "marshmallow", "asyncio", "tenacity",
    "asperion_orm.resources", "difflib", "uuid",
)  # fmt: skip
SUMMARY = (
    f"`import asperion_orm` against `import requests`, each in a fresh interpreter (start-up "
    f"excluded), taking turns; medians of {RUNS} runs each. Also listed: which costly "
    "dependencies a plain `import asperion_orm` loads (none should: authlib with its JOSE "
    "and cryptography stack loads for a login or a token refresh, marshmallow when a field "
    "first converts or validates a value, tenacity with the first request, asyncio for async "
    "callers, the resource models when they or `client.administrations()` are used)."
)

_PROBE = """
import json, sys, time
started = time.perf_counter()
import {module}
spent = time.perf_counter() - started
print(json.dumps([spent, [name for name in {deferred!r} if name in sys.modules]]))
"""


def _import(module: str, pycache: str) -> tuple[float, list[str]]:
    """Return the seconds ``import module`` took in a fresh interpreter, and what it loaded."""
    code = _PROBE.format(module=module, deferred=DEFERRED)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    spent, loaded = json.loads(out)
    return float(spent), list(loaded)


def measure() -> list[Target]:
    """Time both imports in turn and judge the target."""
    library: list[float] = []
    requests: list[float] = []
    loaded: list[str] = []
    with tempfile.TemporaryDirectory() as pycache:
        _import("requests", pycache), _import("asperion_orm", pycache)  # write the bytecode
        for _ in range(RUNS):
            requests.append(_import("requests", pycache)[0])
            spent, loaded = _import("asperion_orm", pycache)
            library.append(spent)
    ours, theirs = statistics.median(library), statistics.median(requests)
    figure = f"{ours / theirs:.2f}x ({ours * 1000:.0f} ms vs {theirs * 1000:.0f} ms)"
    deferred = ", ".join(loaded) if loaded else "none of " + ", ".join(DEFERRED)
    return [
        Target(f"`import asperion_orm` <= {LIMIT}x `import requests`", figure,
               ours / theirs <= LIMIT),
        Target("`import asperion_orm` loads no deferred dependency", deferred, not loaded),
    ]  # fmt: skip


if __name__ == "__main__":
    for target in measure():
        print(target.line())
