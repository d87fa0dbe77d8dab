"""A Django-style ORM for the Asperion accounting API."""

from __future__ import annotations

from . import fields
from .base import Model
from .cache import CacheStore, MemoryCacheStore
from .client import Client
from .exceptions import (
    AmbiguousWriteError,
    APIError,
    AsperionError,
    AuthenticationError,
    BadRequest,
    ConfigurationError,
    DoesNotExist,
    FieldError,
    MethodNotAllowed,
    MultipleObjectsReturned,
    NoSessionError,
    NotFound,
    PermissionDenied,
    QueryError,
    RateLimited,
    ReauthorizationRequired,
    ServerError,
    TenantMismatchError,
    TransportError,
    ValidationError,
)
from .manager import Manager
from .planner import LocalEvaluationWarning
from .q import Q
from .queryset import QuerySet
from .retry import RetryPolicy
from .session import Session
from .tokens import FileTokenStore, MemoryTokenStore, Token, TokenStore

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AmbiguousWriteError",
    "AsperionError",
    "AuthenticationError",
    "BadRequest",
    "CacheStore",
    "Client",
    "ConfigurationError",
    "DoesNotExist",
    "FieldError",
    "FileTokenStore",
    "LocalEvaluationWarning",
    "Manager",
    "MemoryCacheStore",
    "MemoryTokenStore",
    "MethodNotAllowed",
    "Model",
    "MultipleObjectsReturned",
    "NoSessionError",
    "NotFound",
    "PermissionDenied",
    "Q",
    "QueryError",
    "QuerySet",
    "RateLimited",
    "ReauthorizationRequired",
    "RetryPolicy",
    "ServerError",
    "Session",
    "TenantMismatchError",
    "Token",
    "TokenStore",
    "TransportError",
    "ValidationError",
    "__version__",
    "fields",
]
