"""OAuth2 tokens and the stores that keep them between requests, threads and processes.

A store has three methods: ``load()``, ``save(token)`` and ``lock()``. The lock serialises a
refresh across every user of the store (threads, and for ``FileTokenStore`` processes too), so
a one-time refresh token is spent exactly once. Another store (Redis, a database) only has to
implement the same three methods.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from asperion_orm._files import write_atomic
from asperion_orm.exceptions import ConfigurationError

__all__ = ["FileTokenStore", "MemoryTokenStore", "Token", "TokenStore"]

_MIN_LEEWAY = 5.0
_MAX_LEEWAY = 600.0


@dataclass(frozen=True)
class Token:
    """An access/refresh token pair; its repr never shows either token."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float
    lifetime: float
    token_type: str = "Bearer"
    scope: str | None = None
    grant_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def from_response(
        cls, data: Mapping[str, Any], *, now: float, previous: Token | None = None
    ) -> Token:
        """Build a token from a token-endpoint answer received at ``now``.

        A refresh answer without a new refresh token keeps the previous one, and a refreshed
        token keeps the grant id of the authorization it descends from.
        """
        expires_in = data.get("expires_in")
        lifetime = float(3600 if expires_in is None else expires_in)
        refresh = data.get("refresh_token") or (previous.refresh_token if previous else None)
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(refresh) if refresh else None,
            expires_at=now + lifetime,
            lifetime=lifetime,
            token_type=str(data.get("token_type") or "Bearer"),
            scope=data.get("scope"),
            grant_id=previous.grant_id if previous else uuid.uuid4().hex,
        )

    @property
    def leeway(self) -> float:
        """Return how long before expiry the token counts as expired.

        About 10% of the lifetime, at least 5 s (half the lifetime for very short-lived test
        tokens, so they are not refreshed on every request) and at most 10 minutes.
        """
        return min(max(self.lifetime * 0.1, min(_MIN_LEEWAY, self.lifetime / 2)), _MAX_LEEWAY)

    def is_expired(self, now: float) -> bool:
        """Tell whether the token is within its leeway of expiry at ``now``."""
        return now >= self.expires_at - self.leeway

    def without_refresh_token(self) -> Token:
        """Return a copy whose dead refresh token is dropped."""
        return replace(self, refresh_token=None)

    def to_json(self) -> str:
        """Serialise for a store (the only place both tokens appear in clear)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Token:
        """Load a token written by ``to_json``."""
        data = json.loads(text)
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


@runtime_checkable
class TokenStore(Protocol):
    """Where tokens live; ``lock()`` must exclude every other user of the same store."""

    def load(self) -> Token | None:
        """Return the stored token, or ``None``."""

    def save(self, token: Token | None) -> None:
        """Store ``token`` durably before it is used (``None`` forgets it)."""

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Return a context manager holding the store's refresh lock."""


class MemoryTokenStore:
    """A token store for one process: a value behind a re-entrant thread lock."""

    def __init__(self, token: Token | None = None) -> None:
        self._token = token
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"MemoryTokenStore(has_token={self._token is not None})"

    def load(self) -> Token | None:
        """Return the stored token."""
        return self._token

    def save(self, token: Token | None) -> None:
        """Replace the stored token."""
        self._token = token

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the thread lock."""
        with self._lock:
            yield


class FileTokenStore:
    """A token store in a JSON file shared by processes on one host.

    The file is created with mode 0600 and replaced atomically (temporary file, fsync,
    ``os.replace``); a file readable by group or others is refused. ``lock()`` takes a thread
    lock and an ``fcntl`` lock on a sidecar ``.lock`` file, so threads and processes refresh
    one at a time.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._thread_lock = threading.RLock()
        self._depth = 0

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    def load(self) -> Token | None:
        """Read the token file, refusing one that others can read."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        with os.fdopen(fd, encoding="utf-8") as handle:
            self._check_private(os.fstat(handle.fileno()))
            text = handle.read()
        return Token.from_json(text) if text.strip() else None

    def save(self, token: Token | None) -> None:
        """Write the token to a private temporary file and move it into place."""
        write_atomic(self.path, token.to_json() if token else "")

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the thread lock and, at the outermost level, the ``fcntl`` file lock."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            with self._file_lock():
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _check_private(self, info: os.stat_result) -> None:
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(
                f"Token file {str(self.path)!r} can be read by other users "
                f"(mode {stat.S_IMODE(info.st_mode):o}); refusing to use it. "
                f"Run `chmod 600 {self.path}` if the file is yours."
            )


def now() -> float:
    """Return the wall-clock time tokens are measured against (shared between processes)."""
    return time.time()
