"""Child processes for the Redis tests: workers that share nothing but Redis and the server."""

from __future__ import annotations

import threading
from typing import Any


def client(config: dict[str, Any], **kwargs: Any) -> Any:
    """Return a client of the sandbox in ``config`` whose tokens live in the shared Redis."""
    from asperion_orm import Client, RedisTokenStore, RetryPolicy

    store = RedisTokenStore(config["redis"], key=config["key"], lock_timeout=config["lock"])
    return Client(
        config["client_id"],
        config["client_secret"],
        config["redirect_uri"],
        base_url=config["base_url"],
        identity_url=config["identity_url"],
        ca_bundle=config["ca_bundle"],
        token_store=store,
        retry=RetryPolicy(deadline=120.0),
        **kwargs,
    )


def request_once(config: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    """Wait for the signal, then make one request (refreshing the token if it expired)."""
    try:
        worker = client(config)
        ready.wait(60)
        go.wait(60)
        data = worker.tenant(config["tenant"]).get("debtors", cache=False)
        results.put(("ok", data["_meta"]["administrationId"]))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def create_debtor(config: dict[str, Any], results: Any) -> None:
    """Create one debtor through a client caching in the shared Redis."""
    from asperion_orm import RedisCacheStore
    from asperion_orm.resources import Debtor

    try:
        worker = client(config, cache_store=RedisCacheStore(config["redis"]))
        with worker.tenant(config["tenant"]):
            debtor = Debtor.objects.create(name="Made in another process BV")
        results.put(("ok", debtor.id))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def hammer(config: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    """Send ``threads`` x ``each`` reads through a client limited by the shared rate limiter."""
    try:
        worker = client(
            config,
            rate_limit=config["rate_limit"],
            rate_limit_store=config["redis"],
            max_concurrency=config["threads"],
        )
        session = worker.tenant(config["tenant"])
        errors: list[str] = []
        done: list[int] = []

        def work() -> None:
            for _ in range(config["each"]):
                try:
                    session.get("debtors", [("pageSize", "1")], cache=False)
                    done.append(1)
                except Exception as exc:
                    errors.append(type(exc).__name__)

        threads = [threading.Thread(target=work) for _ in range(config["threads"])]
        ready.wait(60)
        go.wait(60)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        results.put(("ok", len(done), errors))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}", []))
