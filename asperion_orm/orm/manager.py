"""``Manager``: the ``Model.objects`` entry point, handing every call to a new QuerySet.

Managers are declared in the class body, as in Django (``objects = ArticleManager()``); each
model class gets its own bound copy when it is created. The first declared is the default
manager; a model that declares none gets ``objects``. ``contribute_managers`` binds them when
the model class is created.
"""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Self, TypeVar, cast, overload

from asperion_orm.exceptions import ConfigurationError
from asperion_orm.orm.queryset import QuerySet

if TYPE_CHECKING:
    from asperion_orm.orm.aggregates import Aggregate
    from asperion_orm.orm.expressions import Expression, OrderBy
    from asperion_orm.orm.fields import ForeignKey
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.q import Q
    from asperion_orm.session import Session

__all__ = [
    "BaseManager",
    "Manager",
    "ManagerDescriptor",
    "RelatedManager",
    "ReverseAccessor",
    "contribute_managers",
]

M = TypeVar("M", bound="Model")
QS = TypeVar("QS", bound=QuerySet[Any])

_counter = itertools.count()


class BaseManager(Generic[M]):
    """Start queries on a model; it holds no state besides the model and its name.

    ``get_queryset()`` returns every row, without ``Meta.default_filters``: this is the
    manager relations follow unless ``Meta.base_manager_name`` names another.
    """

    _queryset_class: ClassVar[type[QuerySet[Any]]] = QuerySet

    def __init__(self, model: type[M] | None = None) -> None:
        self.model: type[M] = model  # type: ignore[assignment]  # bound by contribute_to_class
        self.name = ""
        self.creation_counter = next(_counter)

    def __repr__(self) -> str:
        owner = self.model.__name__ if self.model is not None else "?"
        return f"<{type(self).__name__} for {owner}>"

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: Any) -> Self: ...
    @overload
    def __get__(self, instance: object, owner: Any) -> Self: ...
    def __get__(self, instance: object, owner: Any) -> Self:
        if instance is not None:
            raise AttributeError("Manager isn't accessible via model instances.")
        return self

    def contribute_to_class(self, model: type[Model], name: str) -> Self:
        """Return a copy of this manager bound to ``model`` under ``name``."""
        bound = copy.copy(self)
        bound.model = model  # type: ignore[assignment]
        bound.name = name
        return bound

    @classmethod
    def from_queryset(cls, queryset_class: type[QS], class_name: str = "") -> Callable[..., QS]:
        """Return a manager class whose methods include ``queryset_class``'s public ones.

        Type checkers see its instances as ``queryset_class`` (no checker can express "this
        manager plus those methods" without a plugin), so custom methods keep their types.
        """
        namespace: dict[str, Any] = {"_queryset_class": queryset_class}
        for name, method in inspect.getmembers(queryset_class, inspect.isfunction):
            if not name.startswith("_") and not hasattr(cls, name):
                namespace[name] = _proxy(name, method)
        name = class_name or f"{cls.__name__}From{queryset_class.__name__}"
        return type(name, (cls,), namespace)

    def get_queryset(self) -> QuerySet[M]:
        """Return a QuerySet over every object."""
        return self._queryset_class(self.model)

    def all(self) -> QuerySet[M]:
        return self.get_queryset()

    def filter(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().filter(*args, **kwargs)

    def exclude(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().exclude(*args, **kwargs)

    def order_by(self, *names: str | Expression | OrderBy) -> QuerySet[M]:
        return self.get_queryset().order_by(*names)

    def annotate(self, *args: Expression, **kwargs: Expression) -> QuerySet[M]:
        return self.get_queryset().annotate(*args, **kwargs)

    def aggregate(self, *args: Aggregate, **kwargs: Aggregate) -> dict[str, Any]:
        return self.get_queryset().aggregate(*args, **kwargs)

    def reverse(self) -> QuerySet[M]:
        return self.get_queryset().reverse()

    def only(self, *names: str) -> QuerySet[M]:
        return self.get_queryset().only(*names)

    def defer(self, *names: str | None) -> QuerySet[M]:
        return self.get_queryset().defer(*names)

    def distinct(self, *field_names: str) -> QuerySet[M]:
        return self.get_queryset().distinct(*field_names)

    def complex_filter(self, filter_obj: Q | Mapping[str, Any]) -> QuerySet[M]:
        return self.get_queryset().complex_filter(filter_obj)

    def values(self, *names: str) -> QuerySet[M, dict[str, Any]]:
        return self.get_queryset().values(*names)

    @overload
    def values_list(
        self, *names: str, flat: Literal[False] = ..., named: Literal[False] = ...
    ) -> QuerySet[M, tuple[Any, ...]]: ...
    @overload
    def values_list(self, *names: str, flat: bool = ..., named: bool = ...) -> QuerySet[M, Any]: ...
    def values_list(self, *names: str, flat: bool = False, named: bool = False) -> QuerySet[M, Any]:
        return self.get_queryset().values_list(*names, flat=flat, named=named)

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> QuerySet[M, dt.date]:
        return self.get_queryset().dates(field_name, kind, order)

    def datetimes(
        self, field_name: str, kind: str, order: str = "ASC", tzinfo: dt.tzinfo | None = None
    ) -> QuerySet[M, dt.datetime]:
        return self.get_queryset().datetimes(field_name, kind, order, tzinfo)

    def union(self, *other_qs: QuerySet[Any], all: bool = False) -> QuerySet[M]:  # noqa: A002
        return self.get_queryset().union(*other_qs, all=all)

    def intersection(self, *other_qs: QuerySet[Any]) -> QuerySet[M]:
        return self.get_queryset().intersection(*other_qs)

    def difference(self, *other_qs: QuerySet[Any]) -> QuerySet[M]:
        return self.get_queryset().difference(*other_qs)

    def select_for_update(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().select_for_update(*args, **kwargs)

    def raw(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().raw(*args, **kwargs)

    def extra(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().extra(*args, **kwargs)

    def alias(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().alias(*args, **kwargs)

    def prefetch_related(self, *names: str) -> QuerySet[M]:
        return self.get_queryset().prefetch_related(*names)

    def select_related(self, *names: str | None) -> QuerySet[M]:
        return self.get_queryset().select_related(*names)

    def using(self, session: Session | None) -> QuerySet[M]:
        return self.get_queryset().using(session)

    def cache(self, enabled: bool = True, *, ttl: float | None = None) -> QuerySet[M]:
        return self.get_queryset().cache(enabled, ttl=ttl)

    def with_params(self, **params: str | int | bool) -> QuerySet[M]:
        return self.get_queryset().with_params(**params)

    def none(self) -> QuerySet[M]:
        return self.get_queryset().none()

    def server_only(self) -> QuerySet[M]:
        return self.get_queryset().server_only()

    def explain(self) -> str:
        return self.get_queryset().explain()

    def get(self, *args: Q, **kwargs: Any) -> M:
        return self.get_queryset().get(*args, **kwargs)

    def first(self) -> M | None:
        return self.get_queryset().first()

    def last(self) -> M | None:
        return self.get_queryset().last()

    def count(self) -> int:
        return self.get_queryset().count()

    def exists(self) -> bool:
        return self.get_queryset().exists()

    def latest(self, *fields: str) -> M:
        return self.get_queryset().latest(*fields)

    def earliest(self, *fields: str) -> M:
        return self.get_queryset().earliest(*fields)

    def contains(self, obj: Any) -> bool:
        return self.get_queryset().contains(obj)

    def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        return self.get_queryset().in_bulk(id_list, field_name=field_name)

    def iterator(self, chunk_size: int | None = None) -> Iterator[M]:
        return self.get_queryset().iterator(chunk_size)

    def create(self, **kwargs: Any) -> M:
        return self.get_queryset().create(**kwargs)

    def bulk_create(self, objs: Sequence[M], *, concurrency: int | None = None) -> list[M]:
        return self.get_queryset().bulk_create(objs, concurrency=concurrency)

    def bulk_update(
        self, objs: Iterable[M], fields: Sequence[str], batch_size: int | None = None
    ) -> int:
        return self.get_queryset().bulk_update(objs, fields, batch_size)

    def get_or_create(
        self, defaults: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        return self.get_queryset().get_or_create(defaults, **kwargs)

    def update_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        return self.get_queryset().update_or_create(defaults, create_defaults, **kwargs)

    def update(self, **kwargs: Any) -> int:
        return self.get_queryset().update(**kwargs)

    # Django's async twins (``await Debtor.objects.aget(pk=1)``); as in Django, no ``adelete``.

    def aiterator(self, chunk_size: int | None = None) -> AsyncIterator[Any]:
        return self.get_queryset().aiterator(chunk_size)

    async def aget(self, *args: Q, **kwargs: Any) -> M:
        return await self.get_queryset().aget(*args, **kwargs)

    async def acount(self) -> int:
        return await self.get_queryset().acount()

    async def aexists(self) -> bool:
        return await self.get_queryset().aexists()

    async def acontains(self, obj: Any) -> bool:
        return await self.get_queryset().acontains(obj)

    async def afirst(self) -> M | None:
        return await self.get_queryset().afirst()

    async def alast(self) -> M | None:
        return await self.get_queryset().alast()

    async def alatest(self, *fields: str) -> M:
        return await self.get_queryset().alatest(*fields)

    async def aearliest(self, *fields: str) -> M:
        return await self.get_queryset().aearliest(*fields)

    async def ain_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        return await self.get_queryset().ain_bulk(id_list, field_name=field_name)

    async def aaggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return await self.get_queryset().aaggregate(*args, **kwargs)

    async def aexplain(self) -> str:
        return await self.get_queryset().aexplain()

    async def acreate(self, **kwargs: Any) -> M:
        return await self.get_queryset().acreate(**kwargs)

    async def aget_or_create(
        self, defaults: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        return await self.get_queryset().aget_or_create(defaults, **kwargs)

    async def aupdate_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        return await self.get_queryset().aupdate_or_create(defaults, create_defaults, **kwargs)

    async def abulk_create(self, objs: Sequence[M], *, concurrency: int | None = None) -> list[M]:
        return await self.get_queryset().abulk_create(objs, concurrency=concurrency)

    async def abulk_update(
        self, objs: Iterable[M], fields: Sequence[str], batch_size: int | None = None
    ) -> int:
        return await self.get_queryset().abulk_update(objs, fields, batch_size)

    async def aupdate(self, **kwargs: Any) -> int:
        return await self.get_queryset().aupdate(**kwargs)


class Manager(BaseManager[M]):
    """The usual manager: every object, with the model's ``Meta.default_filters`` applied."""

    def get_queryset(self) -> QuerySet[M]:
        """Return a QuerySet over every object, with the model's default filters applied."""
        queryset = super().get_queryset()
        defaults = self.model._meta.default_filters
        return queryset.filter(**defaults) if defaults else queryset


def contribute_managers(model: type[Model]) -> None:
    """Bind the declared managers (own and inherited) to ``model``; add ``objects`` if none.

    Also sets ``_meta.base_manager``, the manager relations follow: ``Meta.base_manager_name``,
    else an unfiltered one, so following ``line.article`` finds an inactive article too.
    """
    meta = model._meta
    declared: dict[str, BaseManager[Any]] = {}
    for klass in reversed(model.__mro__):
        declared.update({k: v for k, v in vars(klass).items() if isinstance(v, BaseManager)})
    if not declared:
        declared["objects"] = Manager()
    ordered = sorted(declared.items(), key=lambda item: item[1].creation_counter)
    for name, manager in ordered:
        meta.managers[name] = manager.contribute_to_class(model, name)
        setattr(model, name, meta.managers[name])
    if meta.base_manager_name and meta.base_manager_name not in meta.managers:
        raise ConfigurationError(
            f"{meta.label}.Meta.base_manager_name {meta.base_manager_name!r} is not a manager "
            f"of the model; choices are: {', '.join(meta.managers)}."
        )
    if meta.base_manager_name:
        meta.base_manager = meta.managers[meta.base_manager_name]
    else:
        meta.base_manager = BaseManager().contribute_to_class(model, "_base_manager")


def _proxy(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def manager_method(self: BaseManager[Any], *args: Any, **kwargs: Any) -> Any:
        return getattr(self.get_queryset(), name)(*args, **kwargs)

    manager_method.__name__ = name
    manager_method.__doc__ = method.__doc__
    return manager_method


def _as_manager(queryset_class: type[QS]) -> QS:
    """Return a manager whose methods include the QuerySet class's (Django's ``as_manager``)."""
    return Manager.from_queryset(queryset_class)()


# Set here, not in the QuerySet module: the manager module builds on that one.
setattr(QuerySet, "as_manager", classmethod(_as_manager))  # noqa: B010


class ManagerDescriptor:
    """``Model.objects`` on the base class: the model's ``objects`` manager, if it has one."""

    @overload
    def __get__(self, instance: None, owner: type[M]) -> Manager[M]: ...
    @overload
    def __get__(self, instance: object, owner: type[M]) -> Manager[M]: ...
    def __get__(self, instance: object, owner: type[M]) -> Manager[M]:
        if instance is not None:
            raise AttributeError("Manager isn't accessible via model instances.")
        manager = owner._meta.managers.get("objects")
        if manager is None:
            raise AttributeError(f"type object {owner.__name__!r} has no attribute 'objects'")
        return manager  # type: ignore[return-value]


class ReverseAccessor:
    """``debtor.invoices``: a manager of the objects whose foreign key points at the instance."""

    def __init__(self, field: ForeignKey) -> None:
        self.field = field

    def __get__(self, instance: Model | None, owner: Any) -> Any:
        if instance is None:
            return self
        return RelatedManager(self.field, instance)


class RelatedManager(Manager[M]):
    """The objects pointing at one instance; uses prefetched results when there are some.

    A model declares one for type checkers (``sales_invoices:
    ClassVar[RelatedManager[SalesInvoice]]``); the foreign key's ``related_name`` installs it.
    """

    def __init__(self, field: ForeignKey, instance: Model) -> None:
        assert field.model is not None
        super().__init__(cast("type[M]", field.model))
        self.field = field
        self.instance = instance

    def get_queryset(self) -> QuerySet[M]:
        queryset = super().get_queryset().using(self.instance._session)
        queryset = queryset.filter(**{self.field.name: self.instance.pk})
        prefetched = (self.instance._related or {}).get(f"{self.field.related_name}+")
        if prefetched is not None:
            queryset._result_cache = list(prefetched)
        return queryset
