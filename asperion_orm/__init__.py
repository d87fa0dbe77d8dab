"""A Django-style ORM for the Asperion accounting API."""

from __future__ import annotations

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

__version__ = "0.1.0"

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
    "ResponseTooLarge",
    "RetryPolicy",
    "ServerError",
    "Session",
    "Sum",
    "TenantMismatchError",
    "Token",
    "TokenStore",
    "TransportError",
    "ValidationError",
    "Value",
    "__version__",
    "fields",
]
