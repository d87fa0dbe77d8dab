"""Helpers for tests that start worker processes: the worker config and a clean start."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from asperion_orm import Client
from asperion_orm.testing.sandbox import Sandbox

KEY = "asperion:sandbox:user-1"


def worker_config(
    sandbox: Sandbox, redis_url: str, tenant: int, lock: float = 30
) -> dict[str, Any]:
    """Return what a worker process needs to reach the sandbox and the shared Redis."""
    return {
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "redirect_uri": sandbox.redirect_uri,
        "base_url": sandbox.base_url,
        "identity_url": sandbox.identity_url,
        "ca_bundle": sandbox.ca_bundle,
        "redis": redis_url,
        "key": KEY,
        "lock": lock,
        "tenant": tenant,
    }


def context() -> Any:
    """Return a fork-server context: children start clean and import the library once."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["asperion_orm"])
    return ctx


def start(ctx: Any, count: int, target: Any, *args: Any) -> list[Any]:
    """Start ``count`` processes running ``target(*args)``."""
    children = [ctx.Process(target=target, args=args) for _ in range(count)]
    for child in children:
        child.start()
    return children


def reap(children: list[Any]) -> None:
    """Wait for the children to exit (killing one that hangs)."""
    for child in children:
        child.join(30)
        if child.is_alive():  # pragma: no cover - only on a hang
            child.kill()
            child.join(10)


def wait_until_expired(client: Client) -> None:
    """Sleep (briefly: lifetimes here are about 2 s) until the stored token must be refreshed."""
    token = client.token_store.load()
    assert token is not None
    time.sleep(max(0.0, token.expires_at - token.leeway - time.time()) + 0.05)
