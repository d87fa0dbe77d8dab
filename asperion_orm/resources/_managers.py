"""Managers for resources whose lists hide inactive rows unless asked (``ActiveState``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from asperion_orm.orm.manager import BaseManager, Manager
from asperion_orm.orm.queryset import QuerySet

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model

__all__ = ["ActiveManager", "AllRowsManager"]

M = TypeVar("M", bound="Model")


class ActiveManager(Manager[M]):
    """The default manager of a resource whose lists hide inactive rows.

    ``Meta.default_filters`` keeps it to active rows (as the API does by default);
    ``with_inactive()`` and ``inactive()`` ask the API for the others through ``ActiveState``.
    """

    def with_inactive(self) -> QuerySet[M]:
        """Return active and inactive rows (``ActiveState=All``)."""
        return QuerySet(self.model).with_params(ActiveState="All")

    def inactive(self) -> QuerySet[M]:
        """Return the inactive rows only."""
        return self.with_inactive().filter(active=False)


class AllRowsManager(BaseManager[M]):
    """A manager without the default filters that lists every row (``ActiveState=All``)."""

    def get_queryset(self) -> QuerySet[M]:
        """Return a QuerySet over active and inactive rows."""
        return super().get_queryset().with_params(ActiveState="All")
