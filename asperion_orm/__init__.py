"""A Django-style ORM for the Asperion accounting API."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from asperion_orm.client import Client
from asperion_orm.exceptions import (
    AmbiguousWriteError,
    APIError,
    AsperionError,
    AuthenticationError,
    BadRequest,
    ConfigurationError,
    DoesNotExist,
    FieldError,
    InvalidResponse,
    MethodNotAllowed,
    MultipleObjectsReturned,
    NoSessionError,
    NotFound,
    NotSupportedError,
    PermissionDenied,
    QueryError,
    RateLimited,
    ReauthorizationRequired,
    ResponseTooLarge,
    ServerError,
    TenantMismatchError,
    TokenStoreUnavailable,
    TransportError,
    ValidationError,
)
from asperion_orm.http.cache import CacheStore, MemoryCacheStore
from asperion_orm.http.retry import RetryPolicy
from asperion_orm.http.tokens import FileTokenStore, MemoryTokenStore, Token, TokenStore
from asperion_orm.orm import fields
from asperion_orm.orm.aggregates import Avg, Count, Max, Min, Sum
from asperion_orm.orm.expressions import ExpressionWrapper, F, Value
from asperion_orm.orm.manager import Manager
from asperion_orm.orm.model import Model
from asperion_orm.orm.planner import LocalEvaluationWarning
from asperion_orm.orm.q import Q
from asperion_orm.orm.queryset import QuerySet
from asperion_orm.session import Session

if TYPE_CHECKING:
    from asperion_orm.http.redis_cache import RedisCacheStore
    from asperion_orm.http.redis_tokens import RedisTokenStore

__version__ = "0.1.0"

# Imported on first use, so that ``import asperion_orm`` never imports redis.
_LAZY = {
    "RedisCacheStore": "asperion_orm.http.redis_cache",
    "RedisTokenStore": "asperion_orm.http.redis_tokens",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'asperion_orm' has no attribute {name!r}")


__all__ = [
    "APIError",
    "AmbiguousWriteError",
    "AsperionError",
    "AuthenticationError",
    "Avg",
    "BadRequest",
    "CacheStore",
    "Client",
    "ConfigurationError",
    "Count",
    "DoesNotExist",
    "ExpressionWrapper",
    "F",
    "FieldError",
    "FileTokenStore",
    "InvalidResponse",
    "LocalEvaluationWarning",
    "Manager",
    "Max",
    "MemoryCacheStore",
    "MemoryTokenStore",
    "MethodNotAllowed",
    "Min",
    "Model",
    "MultipleObjectsReturned",
    "NoSessionError",
    "NotFound",
    "NotSupportedError",
    "PermissionDenied",
    "Q",
    "QueryError",
    "QuerySet",
    "RateLimited",
    "ReauthorizationRequired",
    "RedisCacheStore",
    "RedisTokenStore",
    "ResponseTooLarge",
    "RetryPolicy",
    "ServerError",
    "Session",
    "Sum",
    "TenantMismatchError",
    "Token",
    "TokenStore",
    "TokenStoreUnavailable",
    "TransportError",
    "ValidationError",
    "Value",
    "__version__",
    "fields",
]
