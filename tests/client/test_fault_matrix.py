"""The fault matrix against the sandbox: every method by every fault kind, and no duplicates.

Expected outcome per cell (OK = the call succeeds after one retry):

    fault                GET          PUT          DELETE       POST         PATCH
    500                  ServerError  ServerError  ServerError  ambiguous    ambiguous
    502                  OK           OK           OK           ambiguous    ambiguous
    503                  OK           OK           OK           ServerError  ServerError
    504                  OK           OK           OK           ambiguous    ambiguous
    reset_before         OK           OK           OK           ambiguous    ambiguous
    reset_after_commit   OK           OK           OK           ambiguous    ambiguous
    slow (read timeout)  OK           OK           OK           ambiguous    ambiguous

A write is applied exactly once whenever the server processed it (reset_after_commit, slow)
and never otherwise; POST and PATCH are never resent.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from asperion_orm import Client, RetryPolicy, Session
from asperion_orm.exceptions import AmbiguousWriteError, ServerError

from .conftest import FakeClock

OK, AMBIGUOUS = "ok", "ambiguous"
METHODS = ("GET", "PUT", "DELETE", "POST", "PATCH")
FAULTS: tuple[int | str, ...] = (500, 502, 503, 504, "reset_before", "reset_after_commit", "slow")
MATRIX: dict[int | str, tuple[object, ...]] = {
    500: (ServerError, ServerError, ServerError, AMBIGUOUS, AMBIGUOUS),
    502: (OK, OK, OK, AMBIGUOUS, AMBIGUOUS),
    503: (OK, OK, OK, ServerError, ServerError),
    504: (OK, OK, OK, AMBIGUOUS, AMBIGUOUS),
    "reset_before": (OK, OK, OK, AMBIGUOUS, AMBIGUOUS),
    "reset_after_commit": (OK, OK, OK, AMBIGUOUS, AMBIGUOUS),
    "slow": (OK, OK, OK, AMBIGUOUS, AMBIGUOUS),
}
CELLS = [(m, f, MATRIX[f][i]) for f in FAULTS for i, m in enumerate(METHODS)]
PROCESSED = ("reset_after_commit", "slow")  # the server ran the request despite the fault
SLOW_DELAY, READ_TIMEOUT = 1.0, 0.5


def test_the_matrix_covers_every_method_and_fault_kind() -> None:
    assert len(CELLS) == len(METHODS) * len(FAULTS) == 35


def _call(session: Session, method: str, target: int) -> None:
    path = Session.path("debtors", target)
    if method == "GET":
        session.get(path, cache=False)
    elif method == "PUT":
        session.put(path, {"name": "Put name"})
    elif method == "PATCH":
        session.patch(path, {"name": "Patched name"})
    elif method == "POST":
        session.post("debtors", {"name": "Posted name"})
    else:
        session.delete(path)


def _logged(sandbox: Any, method: str, path: str, wanted: int) -> int:
    """Count logged requests, waiting (bounded) for a slow one the client gave up on."""
    deadline = time.monotonic() + 5
    while True:
        count = len(sandbox.requests(method=method, path=path))
        if count >= wanted or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def _applied(sandbox: Any, tenant: int, method: str, target: int, before: int) -> bool:
    rows = {row["id"]: row for row in sandbox.state.rows(tenant, "debtors")}
    if method == "POST":
        return len(rows) == before + 1
    if method == "DELETE":
        return target not in rows
    wanted = "Put name" if method == "PUT" else "Patched name"
    return rows[target]["name"] == wanted


@pytest.mark.parametrize(("method", "fault", "expected"), CELLS)
def test_fault_matrix_cell(
    asperion_sandbox: Any,
    asperion_tenant: int,
    sandbox_client: Callable[..., Client],
    clock: FakeClock,
    method: str,
    fault: int | str,
    expected: object,
) -> None:
    client = sandbox_client(timeout=(5.0, READ_TIMEOUT))
    session = client.tenant(asperion_tenant)
    target = asperion_sandbox.state.rows(asperion_tenant, "debtors")[0]["id"]
    before = asperion_sandbox.state.count(asperion_tenant, "debtors")
    path = "/v1/debtors" if method == "POST" else f"/v1/debtors/{target}"
    asperion_sandbox.inject(method, path, fault, delay=SLOW_DELAY)
    asperion_sandbox.clear_log()
    if expected is OK:
        _call(session, method, target)
    else:
        error = AmbiguousWriteError if expected is AMBIGUOUS else expected
        with pytest.raises(error):  # type: ignore[call-overload]
            _call(session, method, target)
    wanted = 2 if expected is OK else 1
    assert _logged(asperion_sandbox, method, path, wanted) == wanted
    if method != "GET":
        applied = expected is OK or fault in PROCESSED
        assert _applied(asperion_sandbox, asperion_tenant, method, target, before) == applied


def test_two_hundred_committed_then_reset_posts_make_no_duplicate(
    asperion_sandbox: Any, asperion_tenant: int, sandbox_client: Callable[..., Client]
) -> None:
    client = sandbox_client(retry=RetryPolicy(sleep=lambda seconds: None))
    session = client.tenant(asperion_tenant)
    before = asperion_sandbox.state.count(asperion_tenant, "debtors")
    asperion_sandbox.inject("POST", "/v1/debtors", "reset_after_commit", times=None)
    ambiguous = 0
    for n in range(200):
        try:
            session.post("debtors", {"name": f"Reset {n:03d}"})
        except AmbiguousWriteError:
            ambiguous += 1
    names = Counter(
        row["name"]
        for row in asperion_sandbox.state.rows(asperion_tenant, "debtors")
        if str(row["name"]).startswith("Reset ")
    )
    duplicates = sum(count - 1 for count in names.values())
    assert ambiguous == 200
    assert len(asperion_sandbox.requests(method="POST", path="/v1/debtors")) == 200
    assert duplicates == 0 and len(names) == 200
    assert asperion_sandbox.state.count(asperion_tenant, "debtors") == before + 200


def test_429_with_retry_after_waits_then_succeeds(
    asperion_sandbox: Any, sandbox_client: Callable[..., Client], clock: FakeClock
) -> None:
    client = sandbox_client(retry=RetryPolicy(sleep=clock.sleep, clock=clock))
    asperion_sandbox.inject("GET", "/v1/debtors", 429, retry_after=2)
    client.tenant(asperion_sandbox.tenants[0]).get("debtors")
    assert clock.sleeps == [2.0]
    assert [e.status for e in asperion_sandbox.requests(path="/v1/debtors")] == [429, 200]


def test_a_huge_retry_after_is_capped(
    asperion_sandbox: Any, sandbox_client: Callable[..., Client], clock: FakeClock
) -> None:
    policy = RetryPolicy(sleep=clock.sleep, clock=clock, retry_after_cap=60)
    client = sandbox_client(retry=policy)
    asperion_sandbox.inject("POST", "/v1/debtors", 429, retry_after=99999)
    client.tenant(asperion_sandbox.tenants[0]).post("debtors", {"name": "After a 429"})
    assert len(clock.sleeps) == 1 and clock.sleeps[0] <= policy.backoff_max
    assert [e.status for e in asperion_sandbox.requests(path="/v1/debtors")] == [429, 201]


def test_the_rate_limiter_of_the_sandbox_is_survived(
    asperion_sandbox: Any, sandbox_client: Callable[..., Client]
) -> None:
    client = sandbox_client(retry=RetryPolicy(attempts=10, backoff=0.05, backoff_max=0.2))
    asperion_sandbox.set_rate_limit(20)
    session = client.tenant(asperion_sandbox.tenants[0])
    for n in range(30):
        session.get("debtors", [("page", str(n % 3 + 1))], cache=False)
    statuses = Counter(e.status for e in asperion_sandbox.requests(path="/v1/debtors"))
    assert statuses[200] == 30
