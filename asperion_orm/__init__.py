"""A Django-style ORM for the Asperion accounting API."""

from __future__ import annotations

from . import fields
from .base import Model
from .cache import CacheStore, MemoryCacheStore
from .client import Client
from .manager import Manager
from .planner import LocalEvaluationWarning
from .q import Q
from .queryset import QuerySet
from .retry import RetryPolicy
from .session import Session
from .tokens import FileTokenStore, MemoryTokenStore, Token, TokenStore

__version__ = "0.1.0"

__all__ = [
    "CacheStore",
    "Client",
    "FileTokenStore",
    "LocalEvaluationWarning",
    "Manager",
    "MemoryCacheStore",
    "MemoryTokenStore",
    "Model",
    "Q",
    "QuerySet",
    "RetryPolicy",
    "Session",
    "Token",
    "TokenStore",
    "__version__",
    "fields",
]
