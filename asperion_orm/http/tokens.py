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
import math
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from asperion_orm._files import write_atomic
from asperion_orm.exceptions import ConfigurationError

__all__ = [
    "ClaimingTokenStore",
    "FileTokenStore",
    "MemoryTokenStore",
    "Token",
    "TokenStore",
    "hold_reentrant",
]

_MIN_LEEWAY = 5.0
_MAX_LEEWAY = 600.0
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_LOG_IN_AGAIN = "log in again (`asperion login`, or Client.fetch_token()) or remove the file"


@contextlib.contextmanager
def hold_reentrant(
    owner: Any, outer: Callable[[], contextlib.AbstractContextManager[Any]]
) -> Iterator[None]:
    """Hold ``owner``'s thread lock, re-entrant, and ``outer()`` at the outermost level only.

    The stores' refresh locks share this: the threads of a process take turns on
    ``owner._thread_lock`` (an ``RLock``), and only the outermost level takes the lock that
    spans processes (a file lock, a Redis lock, a locked database row). ``owner._depth``
    counts the levels.
    """
    with owner._thread_lock:
        if owner._depth:
            owner._depth += 1
            try:
                yield
            finally:
                owner._depth -= 1
            return
        with outer():
            owner._depth = 1
            try:
                yield
            finally:
                owner._depth = 0


def _new_grant_id() -> str:
    """Return a random id for a new grant: 32 hex digits from ``os.urandom``, as uuid4 had."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Token:
    """An access/refresh token pair; its repr never shows either token."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float
    lifetime: float
    token_type: str = "Bearer"
    scope: str | None = None
    grant_id: str = field(default_factory=_new_grant_id)

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
            grant_id=previous.grant_id if previous else _new_grant_id(),
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

    @property
    def issued_at(self) -> float:
        """Return when the token endpoint issued this token."""
        return self.expires_at - self.lifetime

    @classmethod
    def from_json(cls, text: str) -> Token:
        """Load a token written by ``to_json``; raise ``ValueError`` naming what is wrong."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        _check_fields(data)
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


def _check_fields(data: Mapping[str, Any]) -> None:
    """Refuse stored token fields of the wrong type (never quoting a value)."""
    if not _is_token_text(data.get("access_token")):
        raise ValueError("no usable access_token")
    if "refresh_token" not in data or not (
        data["refresh_token"] is None or _is_token_text(data["refresh_token"])
    ):
        raise ValueError("no usable refresh_token")
    for key in ("expires_at", "lifetime"):
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key} is not a number")
        if not math.isfinite(value):
            raise ValueError(f"{key} is not a finite number")
    for key in ("token_type", "scope", "grant_id"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValueError(f"{key} is not text")


def _is_token_text(value: Any) -> bool:
    """Tell whether ``value`` can be a token: visible ASCII, no spaces or line breaks."""
    return isinstance(value, str) and bool(_VISIBLE_ASCII.fullmatch(value))


@runtime_checkable
class TokenStore(Protocol):
    """Where tokens live; ``lock()`` must exclude every other user of the same store."""

    def load(self) -> Token | None:
        """Return the stored token, or ``None``."""

    def save(self, token: Token | None) -> None:
        """Store ``token`` durably before it is used (``None`` forgets it)."""

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Return a context manager holding the store's refresh lock."""


@runtime_checkable
class ClaimingTokenStore(TokenStore, Protocol):
    """A store whose lock can expire (Redis): the holder claims a refresh token before use."""

    def claim(self, refresh_token: str) -> bool:
        """Reserve ``refresh_token`` for this lock holder; False: re-read, a newer one is in."""


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
    ``os.replace``); a file readable by group or others is refused, and a damaged one raises
    :class:`~asperion_orm.exceptions.ConfigurationError` saying to log in again. ``lock()``
    takes a thread lock and an ``fcntl`` lock on a sidecar ``.lock`` file, so threads and
    processes refresh one at a time.

    A save that crashed between writing its temporary file and renaming it leaves
    ``.NAME.XXXXXXXX.tmp`` behind, possibly holding the only copy of a rotated refresh token.
    ``load()`` promotes such a file when it holds a valid token issued after the stored one,
    and removes it otherwise; it does so only when no one holds the lock, since a save in
    progress elsewhere owns its temporary file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._thread_lock = threading.RLock()
        self._depth = 0

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    def load(self) -> Token | None:
        """Read the token file, refusing one that others can read or that is damaged."""
        if not any(self._leftovers()):
            return self._read(self.path)
        with self._lock_if_free() as free:
            if not free:
                return self._read(self.path)  # a save elsewhere owns the temporary file
            return self._recover()

    def save(self, token: Token | None) -> None:
        """Write the token to a private temporary file and move it into place."""
        write_atomic(self.path, token.to_json() if token else "")

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the thread lock and, at the outermost level, the ``fcntl`` file lock."""
        with hold_reentrant(self, self._file_lock):
            yield

    @contextlib.contextmanager
    def _file_lock(self, *, wait: bool = True) -> Iterator[bool]:
        """Hold the ``fcntl`` lock; without ``wait``, yield False at once when it is taken."""
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _lock_if_free(self) -> Iterator[bool]:
        """Take the store's lock if no other thread or process holds it; yield whether taken."""
        if not self._thread_lock.acquire(blocking=False):
            yield False
            return
        try:
            if self._depth:  # this thread holds the whole lock already
                yield True
                return
            with self._file_lock(wait=False) as taken:
                yield taken
        finally:
            self._thread_lock.release()

    def _leftovers(self) -> Iterator[Path]:
        """Yield the temporary files saves left behind (``write_atomic`` names them)."""
        return self.path.parent.glob(f".{glob_escape(self.path.name)}.*.tmp")

    def _recover(self) -> Token | None:
        """Keep the newest valid token of the file and the leftovers; remove the leftovers."""
        try:
            best, problem = self._read(self.path), None
        except ConfigurationError as exc:
            best, problem = None, exc
        for leftover in sorted(self._leftovers()):
            candidate = self._leftover_token(leftover)
            if candidate is not None and (best is None or candidate.issued_at > best.issued_at):
                os.replace(leftover, self.path)
                best, problem = candidate, None
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)
        if problem is not None:
            raise problem
        return best

    def _leftover_token(self, path: Path) -> Token | None:
        """Return the valid token of a leftover file, or None."""
        try:
            return self._read(path)
        except (ConfigurationError, OSError):
            return None

    def _read(self, path: Path) -> Token | None:
        """Return the token in ``path`` (None when missing or empty)."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        with os.fdopen(fd, "rb") as handle:
            self._check_private(os.fstat(handle.fileno()))
            raw = handle.read()
        try:
            text = raw.decode("utf-8")
            return Token.from_json(text) if text.strip() else None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            reason = str(exc) if type(exc) is ValueError else "not token JSON"
            raise ConfigurationError(
                f"Token file {str(self.path)!r} is damaged ({reason}); {_LOG_IN_AGAIN}."
            ) from None

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
