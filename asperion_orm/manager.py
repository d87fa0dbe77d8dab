"""``Manager``: the ``Model.objects`` entry point, handing every call to a new QuerySet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from asperion_orm.queryset import QuerySet
from asperion_orm.session import Session

if TYPE_CHECKING:
    from asperion_orm.base import Model
    from asperion_orm.fields import ForeignKey
    from asperion_orm.q import Q

__all__ = ["Manager", "ManagerDescriptor", "RelatedManager", "ReverseAccessor"]

M = TypeVar("M", bound="Model")


class Manager(Generic[M]):
    """Start queries on a model; it holds no state besides the model."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def __repr__(self) -> str:
        return f"<Manager for {self.model.__name__}>"

    def get_queryset(self) -> QuerySet[M]:
        """Return a QuerySet over every object, with the model's default filters applied."""
        queryset = QuerySet(self.model)
        defaults = self.model._meta.default_filters
        return queryset.filter(**defaults) if defaults else queryset

    def all(self) -> QuerySet[M]:
        return self.get_queryset()

    def filter(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().filter(*args, **kwargs)

    def exclude(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().exclude(*args, **kwargs)

    def order_by(self, *names: str) -> QuerySet[M]:
        return self.get_queryset().order_by(*names)

    def reverse(self) -> QuerySet[M]:
        return self.get_queryset().reverse()

    def only(self, *names: str) -> QuerySet[M]:
        return self.get_queryset().only(*names)

    def values(self, *names: str) -> QuerySet[M]:
        return self.get_queryset().values(*names)

    def values_list(self, *names: str, flat: bool = False) -> QuerySet[M]:
        return self.get_queryset().values_list(*names, flat=flat)

    def prefetch_related(self, *names: str) -> QuerySet[M]:
        return self.get_queryset().prefetch_related(*names)

    def using(self, session: Session | None) -> QuerySet[M]:
        return self.get_queryset().using(session)

    def cache(self, enabled: bool = True, *, ttl: float | None = None) -> QuerySet[M]:
        return self.get_queryset().cache(enabled, ttl=ttl)

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

    def in_bulk(self, id_list: Iterable[Any] | None = None) -> dict[Any, M]:
        return self.get_queryset().in_bulk(id_list)

    def iterator(self, chunk_size: int | None = None) -> Iterator[Any]:
        return self.get_queryset().iterator(chunk_size)

    def create(self, **kwargs: Any) -> M:
        return self.get_queryset().create(**kwargs)

    def bulk_create(self, objs: Sequence[M], *, concurrency: int | None = None) -> list[M]:
        return self.get_queryset().bulk_create(objs, concurrency=concurrency)

    def get_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        return self.get_queryset().get_or_create(defaults, **kwargs)

    def update_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        return self.get_queryset().update_or_create(defaults, **kwargs)

    def update(self, **kwargs: Any) -> int:
        return self.get_queryset().update(**kwargs)


class ManagerDescriptor:
    """``Model.objects``: a Manager on the class, an error on instances (as in Django)."""

    @overload
    def __get__(self, instance: None, owner: type[M]) -> Manager[M]: ...
    @overload
    def __get__(self, instance: object, owner: type[M]) -> Manager[M]: ...
    def __get__(self, instance: object, owner: type[M]) -> Manager[M]:
        if instance is not None:
            raise AttributeError("Manager isn't accessible via model instances.")
        return Manager(owner)


class ReverseAccessor:
    """``debtor.invoices``: a manager of the objects whose foreign key points at the instance."""

    def __init__(self, field: ForeignKey) -> None:
        self.field = field

    def __get__(self, instance: Model | None, owner: Any) -> Any:
        if instance is None:
            return self
        return RelatedManager(self.field, instance)


class RelatedManager(Manager[Any]):
    """The objects pointing at one instance; uses prefetched results when there are some."""

    def __init__(self, field: ForeignKey, instance: Model) -> None:
        assert field.model is not None
        super().__init__(field.model)
        self.field = field
        self.instance = instance

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset().using(self.instance._state.session)
        queryset = queryset.filter(**{self.field.name: self.instance.pk})
        prefetched = self.instance._state.related.get(f"{self.field.related_name}+")
        if prefetched is not None:
            queryset._result_cache = list(prefetched)
        return queryset
