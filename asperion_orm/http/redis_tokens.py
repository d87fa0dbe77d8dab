"""``RedisTokenStore``: one token per grant in Redis, refreshed by one worker on any host.

The refresh lock is redis-py's ``Lock`` (``SET NX PX`` with a random token, released by
compare-and-delete). While it is held a watchdog thread extends it, so a live worker never
loses it however slow the token endpoint is, and a killed one frees it within
``lock_timeout``. Before a refresh token is sent, the holder *claims* it with a script that
checks the lock is still its own (the watchdog extends the claim too); a worker that finds
the token claimed by another (whose lock expired under it: a pause, a network split) waits
for the other's result, or for its claim to expire, instead of spending the same refresh
token a second time. Once the new pair is saved, the old refresh token's claim stays for a
day as a mark that it is spent; a token the server did not rotate is released with the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from asperion_orm.exceptions import ConfigurationError, TokenStoreUnavailable
from asperion_orm.http.redis_connect import RedisLike, connect, describe, redis_errors
from asperion_orm.http.tokens import Token, hold_reentrant

__all__ = ["Encryption", "RedisTokenStore"]

Encryption = tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]
"""An (encrypt, decrypt) pair of callables on bytes: ``(fernet.encrypt, fernet.decrypt)``."""

_POLL = 0.05
_SPENT_MS = 86_400_000  # a rotated refresh token stays marked spent for a day
# KEYS: lock, claim. ARGV: lock token, claim lifetime (ms). 1: claimed; 0: claimed by
# another holder; -1: this worker no longer holds the lock.
_CLAIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[2]) == ARGV[1] then return 1 end
return 0
"""
# KEYS: claim. ARGV: lock token, lifetime (ms). Extend the claim if it is this holder's.
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: claim. ARGV: lock token. Drop the claim if it is this holder's (its refresh is over).
_DROP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisTokenStore:
    """A token store in Redis, shared by processes on any number of hosts.

    ``key`` names the grant: use one key per user and environment, such as
    ``"asperion:production:user-42"``. ``lock_timeout`` is how long a refresh lock outlives a
    worker that died holding it; ``lock_wait`` is how long to wait for another worker's lock
    before giving up with :class:`~asperion_orm.TokenStoreUnavailable`. ``encrypt`` is an
    (encrypt, decrypt) pair applied to the stored value. When Redis cannot be reached a load,
    save or lock raises ``TokenStoreUnavailable``: a token is never refreshed without the lock.
    """

    def __init__(
        self,
        url_or_client: RedisLike,
        key: str = "asperion:token",
        *,
        lock_timeout: float = 30.0,
        lock_wait: float = 60.0,
        encrypt: Encryption | None = None,
    ) -> None:
        if lock_timeout <= 0 or lock_wait < 0:
            raise ConfigurationError("lock_timeout must be > 0 and lock_wait >= 0 seconds.")
        self.redis = connect(url_or_client)
        self.key = key
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self._encrypt = encrypt
        self._errors = redis_errors()
        self._claim_script = self.redis.register_script(_CLAIM)
        self._extend_script = self.redis.register_script(_EXTEND)
        self._drop_script = self.redis.register_script(_DROP)
        self._claimed: tuple[str, str] | None = None  # (claim key, refresh token) held
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._held: Any = None  # the redis-py Lock while this process holds it

    def __repr__(self) -> str:
        return f"RedisTokenStore({describe(self.redis)!r}, key={self.key!r})"

    def load(self) -> Token | None:
        """Return the stored token (``None`` when there is none)."""
        raw = self._call("read the token", self.redis.get, self.key)
        if not raw:
            return None
        try:
            text = self._decrypt(raw).decode("utf-8")
            return Token.from_json(text) if text.strip() else None
        except ValueError as exc:
            reason = str(exc) if type(exc) is ValueError else "not token JSON"
            raise ConfigurationError(
                f"The token under Redis key {self.key!r} is damaged or cannot be decrypted "
                f"({reason}); log in again (Client.fetch_token()) or delete the key."
            ) from None

    def save(self, token: Token | None) -> None:
        """Store ``token`` (``None`` deletes it)."""
        if token is None:
            self._call("delete the token", self.redis.delete, self.key)
            self._settle_claim(None)
            return
        value = token.to_json().encode()
        if self._encrypt is not None:
            value = self._encrypt[0](value)
        self._call("save the token", self.redis.set, self.key, value)
        self._settle_claim(token)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the refresh lock of this key across threads, processes and hosts."""
        with hold_reentrant(self, self._redis_lock):
            yield

    def claim(self, refresh_token: str) -> bool:
        """Reserve ``refresh_token`` for one refresh by the lock holder.

        Return True when this worker may send it. When another worker claimed it (its lock
        expired under it while the refresh was on the wire), wait until that worker stores
        the new token and return False (re-read the store), or until its claim expires and
        take it over. Raise ``TokenStoreUnavailable`` when this worker lost the lock.
        """
        claim_key = f"{self.key}:claim:{hashlib.sha256(refresh_token.encode()).hexdigest()[:32]}"
        deadline = time.monotonic() + self.lock_timeout + self.lock_wait
        while True:
            lock = self._held
            token = lock.local.token if lock is not None else None
            if token is None:
                raise TokenStoreUnavailable("claim() needs the store's lock; call it under lock().")
            outcome = self._call(
                "claim the refresh token",
                self._claim_script,
                keys=[lock.name, claim_key],
                args=[token, int(self.lock_timeout * 1000)],
            )
            if outcome == 1:
                self._claimed = (claim_key, refresh_token)
                return True
            if outcome == -1:
                raise TokenStoreUnavailable(self._lost_lock())
            stored = self.load()
            if stored is not None and stored.refresh_token != refresh_token:
                return False
            if time.monotonic() > deadline:
                raise TokenStoreUnavailable(self._lost_lock())
            time.sleep(_POLL)

    def _settle_claim(self, saved: Token | None) -> None:
        """After a save, keep a rotated (spent) refresh token's claim as a mark for a day.

        A refresh token the server did not rotate keeps its claim only until the lock is
        released, so the next refresh can claim it again.
        """
        claimed, lock = self._claimed, self._held
        if claimed is None or lock is None:
            return
        key, refresh_token = claimed
        if saved is None or saved.refresh_token != refresh_token:
            self._claimed = None
            with contextlib.suppress(*self._errors):
                self._extend_script(keys=[key], args=[lock.local.token, _SPENT_MS])

    @contextlib.contextmanager
    def _redis_lock(self) -> Iterator[None]:
        lock = self.redis.lock(
            f"{self.key}:lock",
            timeout=self.lock_timeout,
            sleep=_POLL,
            blocking_timeout=self.lock_wait,
            thread_local=False,
        )
        if not self._call("take the refresh lock", lock.acquire):
            raise TokenStoreUnavailable(
                f"Another worker has held the refresh lock of {self.key!r} for more than "
                f"{self.lock_wait:g} s; no token was refreshed. Try again; if it persists, "
                "check the workers sharing this Redis."
            )
        stop = threading.Event()
        watchdog = threading.Thread(
            target=self._keep, args=(lock, stop), name="asperion-lock", daemon=True
        )
        watchdog.start()
        self._held = lock
        try:
            yield
        finally:
            stop.set()
            watchdog.join()
            with contextlib.suppress(*self._errors):
                if self._claimed is not None:  # the token did not rotate, or the refresh failed
                    self._drop_script(keys=[self._claimed[0]], args=[lock.local.token])
                lock.release()  # compare-and-delete: never frees a lock another worker took
            self._held = self._claimed = None

    def _keep(self, lock: Any, stop: threading.Event) -> None:
        """Extend the lock and the claim while this worker lives, so neither lapses under it.

        A lock lost anyway (Redis unreachable for ``lock_timeout``) is not taken back, but the
        claim is still extended: the refresh token may be on the wire.
        """
        token, ttl = lock.local.token, int(self.lock_timeout * 1000)
        while not stop.wait(self.lock_timeout / 3):
            with contextlib.suppress(*self._errors):
                lock.reacquire()
            claimed = self._claimed
            if claimed is not None:
                with contextlib.suppress(*self._errors):
                    self._extend_script(keys=[claimed[0]], args=[token, ttl])

    def _decrypt(self, raw: bytes) -> bytes:
        if self._encrypt is None:
            return raw
        try:
            return self._encrypt[1](raw)
        except Exception as exc:  # each library has its own "wrong key" error
            raise ValueError(f"decryption failed: {type(exc).__name__}") from None

    def _call(self, what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except self._errors as exc:
            raise TokenStoreUnavailable(
                f"Could not {what} in Redis at {describe(self.redis)} ({type(exc).__name__}); "
                "no token was refreshed, so no two workers spend one refresh token. Check that "
                "Redis is reachable and try again."
            ) from exc

    def _lost_lock(self) -> str:
        return (
            f"The refresh lock of {self.key!r} expired before the refresh started (a pause "
            f"longer than lock_timeout={self.lock_timeout:g} s, or Redis unreachable); the "
            "refresh token was not sent. Try again."
        )
