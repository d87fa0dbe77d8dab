"""A child process for the cross-process refresh test: one request through a shared store."""

from __future__ import annotations

from typing import Any


def refresh_in_child(config: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    """Build a client on the shared file store, wait for the signal, make one request."""
    from asperion_orm import Client, FileTokenStore

    try:
        client = Client(
            config["client_id"],
            config["client_secret"],
            config["redirect_uri"],
            base_url=config["base_url"],
            identity_url=config["identity_url"],
            ca_bundle=config["ca_bundle"],
            token_store=FileTokenStore(config["store"]),
        )
        ready.wait(60)  # every process is up
        go.wait(60)  # the parent saw the shared token expire
        data = client.tenant(config["tenant"]).get("debtors", cache=False)
        results.put(("ok", data["_meta"]["administrationId"]))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put(("error", type(exc).__name__))
