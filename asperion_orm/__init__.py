"""A Django-style ORM for the Asperion accounting API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
