"""``DatabaseTokenStore``: one grant's tokens in a row of the project's database.

The row is the refresh lock. ``lock()`` opens ``transaction.atomic()`` and locks the row with
``select_for_update()``, so the workers of every host that share the database refresh one at
a time; whoever waited re-reads the row under the lock and finds the new pair, which the
holder wrote before its transaction committed. SQLite has no row locks (``select_for_update``
does nothing there): the lock starts with an ``UPDATE`` of the row instead, which takes
SQLite's database-wide write lock before anything is read, so the others wait for the commit.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from django.db import connections, transaction
from django.utils import timezone

from asperion_orm.contrib.django.models import StoredToken
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.http.tokens import Token, hold_reentrant

__all__ = ["DatabaseTokenStore"]


class DatabaseTokenStore:
    """A token store in the ``asperion_token`` table, shared by every process on the database.

    ``grant`` names the row: one per user (``"user:42"``) or one for the whole site.
    ``using`` is the database alias. The lock holds a database transaction, so keep the work
    done under it short (the library only refreshes the token there).
    """

    def __init__(self, grant: str = "default", *, using: str = "default") -> None:
        if not isinstance(grant, str) or not grant or len(grant) > 200:
            raise ConfigurationError(
                f"A grant is a non-empty name of up to 200 characters, not {grant!r:.60}."
            )
        self.grant = grant
        self.using = using
        self._thread_lock = threading.RLock()
        self._depth = 0

    def __repr__(self) -> str:
        return f"DatabaseTokenStore(grant={self.grant!r}, using={self.using!r})"

    def load(self) -> Token | None:
        """Return the grant's token, or None; a damaged row says to log in again."""
        rows = StoredToken.objects.using(self.using).filter(grant=self.grant)
        value = rows.values_list("value", flat=True).first()
        if not value:
            return None
        try:
            return Token.from_json(value)
        except ValueError as exc:
            reason = str(exc) if type(exc) is ValueError else "not token JSON"
            raise ConfigurationError(
                f"The stored Asperion token of grant {self.grant!r} is damaged ({reason}); "
                "connect again (the connect/ view) or delete the row."
            ) from None

    def save(self, token: Token | None) -> None:
        """Write the token (None forgets it); under ``lock()`` it commits with the lock."""
        value = token.to_json() if token is not None else ""
        with transaction.atomic(using=self.using):
            StoredToken.objects.using(self.using).update_or_create(
                grant=self.grant, defaults={"value": value}
            )

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the thread lock and, at the outermost level, a transaction locking the row."""
        with hold_reentrant(self, self._row_lock):
            yield

    @contextlib.contextmanager
    def _row_lock(self) -> Iterator[None]:
        with transaction.atomic(using=self.using):
            self._lock_row()
            yield

    def _lock_row(self) -> None:
        """Lock the grant's row (creating it), taking SQLite's write lock before any read."""
        rows = StoredToken.objects.using(self.using).filter(grant=self.grant)
        no_row_locks = not connections[self.using].features.has_select_for_update
        if no_row_locks and rows.update(locked_at=timezone.now()):
            return
        StoredToken.objects.using(self.using).get_or_create(grant=self.grant)
        rows.select_for_update().get()
