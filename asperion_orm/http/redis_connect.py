"""One way to reach Redis for the shared stores: a URL or a ready ``redis.Redis`` client.

Only the Redis-backed classes import this module, so ``import asperion_orm`` never imports
redis; a missing ``redis`` package is reported with the extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from asperion_orm.exceptions import ConfigurationError

if TYPE_CHECKING:
    import redis

__all__ = ["RedisLike", "connect", "describe", "redis_errors"]

RedisLike = Any  # a URL (str) or a redis.Redis client; redis is optional, so no stricter type
_TIMEOUT = 2.0  # seconds: an unreachable Redis fails a call quickly instead of stalling it


def connect(url_or_client: RedisLike) -> redis.Redis:
    """Return a client for a ``redis://``, ``rediss://`` or ``unix://`` URL, or the given one."""
    module = _module()
    if isinstance(url_or_client, module.Redis):
        return cast("redis.Redis", url_or_client)
    if not isinstance(url_or_client, str):
        raise ConfigurationError(
            "Pass a Redis URL such as 'redis://localhost:6379/0' or a redis.Redis client, not "
            f"{type(url_or_client).__name__}."
        )
    client = module.Redis.from_url(
        url_or_client, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT
    )
    return cast("redis.Redis", client)


def describe(client: redis.Redis) -> str:
    """Return where a client connects, without any password (for messages and reprs)."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    host, port, db = kwargs.get("host", "localhost"), kwargs.get("port", 6379), kwargs.get("db", 0)
    return f"redis://{host}:{port}/{db}"


def redis_errors() -> tuple[type[Exception], ...]:
    """Return the exceptions a Redis call raises when Redis is down, slow or refuses."""
    return (_module().RedisError,)


def _module() -> Any:
    try:
        import redis
    except ImportError:  # pragma: no cover - the extra is installed in tests
        raise ConfigurationError(
            "The Redis stores need the redis package: pip install 'asperion_orm[redis]'."
        ) from None
    return redis
