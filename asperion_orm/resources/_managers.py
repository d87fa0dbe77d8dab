"""Managers and QuerySets for resources with special rules: ``ActiveState`` and create-only."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

from asperion_orm.exceptions import ConfigurationError
from asperion_orm.manager import Manager, ManagerDescriptor
from asperion_orm.queryset import QuerySet

if TYPE_CHECKING:
    from asperion_orm.base import Model
    from asperion_orm.planner import Plan
    from asperion_orm.session import Session

__all__ = [
    "ActiveManager",
    "ActiveStateQuerySet",
    "AllRowsManager",
    "CreateOnlyManager",
    "CreateOnlyQuerySet",
    "managed_by",
]

M = TypeVar("M", bound="Model")
ACTIVE_STATES = ("Active", "Inactive", "All")


class ActiveStateQuerySet(QuerySet[M]):
    """A QuerySet that sends ``ActiveState=All``, so the server lists inactive rows too."""

    active_state = "All"

    def _plan(self, session: Session | None) -> Plan:
        plan = super()._plan(session)
        return dataclasses.replace(plan, params=(*plan.params, ("ActiveState", self.active_state)))


class ActiveManager(Manager[M]):
    """The default manager of a resource whose lists hide inactive rows.

    ``Meta.default_filters`` keeps it to active rows (as the API does by default);
    ``with_inactive()`` and ``inactive()`` ask the API for the others through ``ActiveState``.
    """

    def with_inactive(self) -> QuerySet[M]:
        """Return active and inactive rows (``ActiveState=All``)."""
        return ActiveStateQuerySet(self.model)

    def inactive(self) -> QuerySet[M]:
        """Return the inactive rows only."""
        return self.with_inactive().filter(active=False)


class AllRowsManager(Manager[M]):
    """A manager without the default filters that lists every row (``ActiveState=All``)."""

    def get_queryset(self) -> QuerySet[M]:
        """Return a QuerySet over active and inactive rows."""
        return ActiveStateQuerySet(self.model)


class CreateOnlyQuerySet(QuerySet[M]):
    """A QuerySet of a resource the API only accepts POSTs for: it creates, never reads."""

    def _plan(self, session: Session | None) -> Plan:
        label = self.model._meta.label
        raise ConfigurationError(
            f"{label} is create-only: the API accepts POST only, so it cannot be listed or read."
        )


class CreateOnlyManager(Manager[M]):
    """The manager of a create-only resource: ``create()`` works, every read raises."""

    def get_queryset(self) -> QuerySet[M]:
        """Return a QuerySet that refuses to read."""
        return CreateOnlyQuerySet(self.model)


class _Descriptor(ManagerDescriptor):
    """``Model.objects`` returning a given Manager subclass (an error on instances)."""

    def __init__(self, manager: type[Manager[Any]]) -> None:
        self.manager = manager

    def __get__(self, instance: object, owner: type[M]) -> Any:
        if instance is not None:
            raise AttributeError("Manager isn't accessible via model instances.")
        return self.manager(owner)


def managed_by(manager: type[Manager[Any]]) -> Any:
    """Return a class attribute that gives ``manager(model)`` on the model class."""
    return _Descriptor(manager)
