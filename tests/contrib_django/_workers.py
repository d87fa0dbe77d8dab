"""Child processes for the multi-process token tests: each configures Django on its own.

A child shares nothing with the others but the database and the sandbox.
"""

from __future__ import annotations

from typing import Any

GRANT = "site"


def configure(database: dict[str, Any]) -> None:
    """Configure Django in this process with the app and one database."""
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["asperion_orm.contrib.django"],
        DATABASES={"default": database},
        USE_TZ=True,
    )
    django.setup()


def store_token(database: dict[str, Any], token_json: str, results: Any) -> None:
    """Create the token table (the app's migration) and store a token in the grant's row."""
    try:
        configure(database)
        from django.core.management import call_command

        from asperion_orm.contrib.django import DatabaseTokenStore
        from asperion_orm.http.tokens import Token

        call_command("migrate", "asperion", verbosity=0)
        DatabaseTokenStore(GRANT).save(Token.from_json(token_json))
        results.put(("ok", None))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def request_once(config: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    """Wait for the signal, then make one request (refreshing the token if it expired)."""
    try:
        configure(config["database"])
        from asperion_orm import Client, RetryPolicy
        from asperion_orm.contrib.django import DatabaseTokenStore

        worker = Client(
            config["client_id"],
            config["client_secret"],
            config["redirect_uri"],
            base_url=config["base_url"],
            identity_url=config["identity_url"],
            ca_bundle=config["ca_bundle"],
            token_store=DatabaseTokenStore(GRANT),
            retry=RetryPolicy(deadline=120.0),
        )
        ready.wait(60)
        go.wait(60)
        data = worker.tenant(config["tenant"]).get("debtors", cache=False)
        results.put(("ok", data["_meta"]["administrationId"]))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))
