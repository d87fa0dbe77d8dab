"""``QuerySet``: lazy and chainable (every call returns a clone), results cached, Django semantics.

Building a QuerySet never touches the network; the methods under the banner below do, through
the session resolved when they run (``using()`` or the active ``with client.tenant(...)``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, Self, cast, overload

from typing_extensions import TypeVar

from asperion_orm.exceptions import FieldError, NotFound, NotSupportedError
from asperion_orm.orm.aggregates import Aggregate, Count, Star
from asperion_orm.orm.combine import combine, distinct_rows, row_key
from asperion_orm.orm.expressions import AnnotationField, Col, Expression, OrderBy, Ref
from asperion_orm.orm.fetcher import Fetcher
from asperion_orm.orm.fields import Date, DateTime, Field, ForeignKey
from asperion_orm.orm.grouping import aggregate_rows
from asperion_orm.orm.lookups import LOOKUP_SEP
from asperion_orm.orm.planner import Plan, joining, order_rows, ordering_columns, plan
from asperion_orm.orm.q import Q
from asperion_orm.orm.query import Query
from asperion_orm.orm.related_rows import (
    PathField,
    attach,
    describe,
    forward_paths,
    path_field,
    select_hops,
    sort_rows,
)
from asperion_orm.orm.relations import Explainer, Resolver, has_related
from asperion_orm.orm.rows import RowReader
from asperion_orm.orm.truncate import (
    DATE_KINDS,
    DATETIME_KINDS,
    local_date,
    trunc_date,
    trunc_datetime,
)
from asperion_orm.orm.where import Where, field_reader, single
from asperion_orm.session import (
    DEFAULT_BASE_URL,
    DEFAULT_TIME_ZONE,
    Session,
    current_session,
    current_session_or_none,
)

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.options import Options

__all__ = [
    "AsyncRows",
    "DatesIterable",
    "FlatValuesListIterable",
    "ModelIterable",
    "NamedValuesListIterable",
    "QuerySet",
    "RowIterable",
    "ValuesIterable",
    "ValuesListIterable",
]

M = TypeVar("M", bound="Model")
R = TypeVar("R", default=M)
"""What the QuerySet yields: the model, or ``values()`` dicts, ``values_list()`` tuples..."""
P = ParamSpec("P")
T = TypeVar("T")
Raw = dict[str, Any]

MAX_GET_RESULTS = 21

# -- ROW SHAPES: what a QuerySet yields for each raw row ----------------------------------------


class RowIterable:
    """Turn the raw rows of a query into what the QuerySet yields (Django's ``ModelIterable``)."""

    def __init__(
        self, queryset: QuerySet[Any], session: Session, rows: Iterable[Raw], plan: Plan | None
    ) -> None:
        self.queryset = queryset
        self.session = session
        self.rows = rows
        self.plan = plan

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError


class RawIterable(RowIterable):
    """Yield the raw rows themselves (for fetching related rows' fields)."""

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)


class ModelIterable(RowIterable):
    """Yield a model instance per row (fields left out by ``only()`` are deferred)."""

    def __iter__(self) -> Iterator[Any]:
        model, session = self.queryset.model, self.session
        deferred = _deferred(model._meta, self.plan)
        annotations = list(self.queryset.query.annotations)
        # Each row was parsed for this query alone, so the instance may keep it uncopied.
        if not annotations:
            return (model._adopt(raw, session, deferred) for raw in self.rows)
        return (_annotated(model._adopt(raw, session, deferred), annotations) for raw in self.rows)


class ValuesIterable(RowIterable):
    """Yield a dict of Python values per row (``values()``)."""

    def __iter__(self) -> Iterator[Any]:
        keys, fields, session = self.queryset._row_keys, self.queryset._row_fields, self.session
        pairs = list(zip(keys, fields, strict=True))
        for raw in self.rows:
            yield {key: field.load(raw.get(field.api_name), session) for key, field in pairs}


class ValuesListIterable(RowIterable):
    """Yield a tuple of Python values per row (``values_list()``)."""

    def __iter__(self) -> Iterator[Any]:
        fields, session = self.queryset._row_fields, self.session
        return (tuple(f.load(raw.get(f.api_name), session) for f in fields) for raw in self.rows)


class FlatValuesListIterable(RowIterable):
    """Yield one Python value per row (``values_list(name, flat=True)``)."""

    def __iter__(self) -> Iterator[Any]:
        field, session = self.queryset._row_fields[0], self.session
        return (field.load(raw.get(field.api_name), session) for raw in self.rows)


class NamedValuesListIterable(RowIterable):
    """Yield a namedtuple ``Row`` per row (``values_list(..., named=True)``)."""

    def __iter__(self) -> Iterator[Any]:
        fields, session = self.queryset._row_fields, self.session
        row = named_row(*self.queryset._row_keys)
        return (row(*(f.load(raw.get(f.api_name), session) for f in fields)) for raw in self.rows)


class DatesIterable(RowIterable):
    """Yield the distinct truncated dates (or datetimes) of one field, sorted (``dates()``)."""

    def __iter__(self) -> Iterator[Any]:
        field, session = self.queryset._row_fields[0], self.session
        kind, descending, tz, as_datetime = self.queryset._dates
        descending = descending == self.queryset.query.standard_ordering  # reverse() flips it
        zone = tz or session.time_zone
        found: set[dt.date] = set()
        for raw in self.rows:
            value = field.load(raw.get(field.api_name), session)
            if value is None:
                continue
            if as_datetime:
                found.add(trunc_datetime(value, kind, zone))
            else:
                found.add(trunc_date(local_date(value, zone), kind))
        return iter(sorted(found, reverse=descending))


@functools.lru_cache
def named_row(*names: str) -> Any:
    """Return the ``Row`` namedtuple class of ``names``, picklable as Django's."""
    base = namedtuple("Row", names)  # type: ignore[misc]

    def __reduce__(self: tuple[Any, ...]) -> tuple[Any, ...]:
        return _unpickle_row, (names, tuple(self))

    return type("Row", (base,), {"__reduce__": __reduce__, "__slots__": ()})


def _unpickle_row(names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    return named_row(*names)(*values)


class QuerySet(Generic[M, R]):
    """A lazy query over one model's API resource."""

    def __init__(
        self, model: type[M], query: Query | None = None, session: Session | None = None
    ) -> None:
        self.model = model
        self.query = query or Query(model)
        self._session = session
        self._result_cache: list[Any] | None = None
        self._iterable_class: type[RowIterable] = ModelIterable
        self._row_fields: tuple[Field[Any], ...] = ()
        self._row_keys: tuple[str, ...] = ()
        self._prefetch: tuple[str, ...] = ()
        self._select_related: tuple[str, ...] = ()
        self._use_cache = True
        self._ttl: float | None = None
        # dates()/datetimes(): (kind, descending, tzinfo or None for the client's, datetimes)
        self._dates: tuple[str, bool, dt.tzinfo | None, bool] = ("day", False, None, False)

    if TYPE_CHECKING:  # set by the manager module, which builds on this one

        @classmethod
        def as_manager(cls) -> Self:
            """Return a manager with this class's methods, typed as this class (see there)."""

    def __getstate__(self) -> dict[str, Any]:
        """Evaluate, as Django does, and pickle the results and query but never the session."""
        self._fetch_all()
        return {**self.__dict__, "_session": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        if self._result_cache is not None:
            return f"<QuerySet {self._result_cache!r}>"
        return f"<QuerySet {self.model.__name__}: {str(self.query).splitlines()[0]}>"

    def _chain(self) -> Self:
        """Return a copy to change; the copy has no results yet."""
        clone = object.__new__(type(self))  # copy.copy() without its generic protocol
        clone.__dict__.update(self.__dict__)
        clone.query = self.query.clone()
        clone._result_cache = None
        return clone

    # -- chainable methods ---------------------------------------------------------------------

    def all(self) -> Self:
        """Return a copy of this QuerySet."""
        return self._chain()

    def filter(self, *args: Q, **kwargs: Any) -> Self:
        """Return rows matching every condition (``Q`` objects and keyword lookups)."""
        self._not_support_combined_queries("filter")
        return self._filter(Q(*args, **kwargs))

    def exclude(self, *args: Q, **kwargs: Any) -> Self:
        """Return rows not matching the conditions taken together."""
        self._not_support_combined_queries("exclude")
        return self._filter(~Q(*args, **kwargs))

    def complex_filter(self, filter_obj: Q | Mapping[str, Any]) -> Self:
        """Filter by a ``Q`` object or a dict of keyword lookups (Django's ``complex_filter``)."""
        if isinstance(filter_obj, Q):
            return self.filter(filter_obj)
        if isinstance(filter_obj, Mapping):
            return self.filter(**filter_obj)
        raise TypeError(f"complex_filter() takes a Q object or a dict, not {filter_obj!r:.40}.")

    def _filter(self, q: Q) -> Self:
        if self.query.is_sliced:
            raise TypeError("Cannot filter a query once a slice has been taken.")
        clone = self._chain()
        clone.query.add_q(q)
        return clone

    def order_by(self, *names: str | Expression | OrderBy) -> Self:
        """Order by fields, annotations or expressions; no names clears the ordering.

        ``"-name"`` is descending; ``F("x").desc(nulls_last=True)`` places NULLs explicitly.
        """
        if self.query.is_sliced:
            raise TypeError("Cannot reorder a query once a slice has been taken.")
        clone = self._chain()
        clone.query.add_ordering(*names)
        return clone

    def reverse(self) -> Self:
        """Reverse the ordering."""
        if self.query.is_sliced:
            raise TypeError("Cannot reverse a query once a slice has been taken.")
        clone = self._chain()
        clone.query.standard_ordering = not clone.query.standard_ordering
        return clone

    def only(self, *names: str) -> Self:
        """Ask the server only for these fields (``fields=``); reading another loads it.

        As in Django, the others are deferred: the first read of one loads them all with one
        ``GET /path/id`` (``refresh_from_db(fields=...)``).
        """
        self._not_support_combined_queries("only")
        self._check_model_rows("only")
        if None in names:
            raise TypeError("Cannot pass None as an argument to only().")
        clone = self._chain()
        clone.query.add_immediate_loading(self._field_names(names))
        return clone

    def defer(self, *names: str | None) -> Self:
        """Leave these fields out of ``fields=``; reading one loads it. ``defer(None)`` clears."""
        self._not_support_combined_queries("defer")
        self._check_model_rows("defer")
        clone = self._chain()
        if names == (None,):
            clone.query.clear_deferred_loading()
        elif None in names:
            raise TypeError("defer(None) clears the deferred fields; pass None alone.")
        else:
            clone.query.add_deferred_loading(self._field_names(names))  # type: ignore[arg-type]
        return clone

    def _field_names(self, names: Iterable[str]) -> frozenset[str]:
        for name in names:
            if LOOKUP_SEP in name:
                raise FieldError(
                    f"{name!r}: only() and defer() take fields of {self.model._meta.label}; "
                    "the API cannot load fields of related objects in the same request."
                )
        return frozenset(field.name for field in self._fields(names).values())

    def _check_model_rows(self, method: str) -> None:
        if self._iterable_class is not ModelIterable:
            raise TypeError(f"Cannot call {method}() after .values() or .values_list()")

    def distinct(self, *field_names: str) -> Self:
        """Drop duplicate rows: of ``values()``/``values_list()`` tuples (instances are unique).

        As in Django, the fields of the ordering count too: ``values("city").distinct()``
        on an ordered query is distinct by city *and* the ordering fields; ``order_by()``
        clears it. The rows are made distinct here, so a slice is taken here as well.
        """
        self._not_support_combined_queries("distinct")
        if self.query.is_sliced:
            raise TypeError("Cannot create distinct fields once a slice has been taken.")
        if field_names:
            raise NotSupportedError(
                "DISTINCT ON fields is not supported by this database backend: use "
                "values(*fields).distinct() for the distinct combinations."
            )
        clone = self._chain()
        clone.query.distinct = True
        return clone

    def values(self, *names: str) -> QuerySet[M, dict[str, Any]]:
        """Yield dicts of Python values instead of model instances."""
        return self._rows_as(ValuesIterable, names)

    @overload
    def values_list(
        self, *names: str, flat: Literal[False] = ..., named: Literal[False] = ...
    ) -> QuerySet[M, tuple[Any, ...]]: ...
    @overload
    def values_list(self, *names: str, flat: bool = ..., named: bool = ...) -> QuerySet[M, Any]: ...
    def values_list(self, *names: str, flat: bool = False, named: bool = False) -> QuerySet[M, Any]:
        """Yield tuples of values, namedtuples ``Row`` (``named``) or bare values (``flat``)."""
        if flat and named:
            raise TypeError("'flat' and 'named' can't be used together.")
        if flat and len(names) != 1:
            raise TypeError(
                "'flat' is not valid when values_list is called with more than one field."
            )
        kind: type[RowIterable] = ValuesListIterable
        if flat or named:
            kind = FlatValuesListIterable if flat else NamedValuesListIterable
        return self._rows_as(kind, names)

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> QuerySet[M, dt.date]:
        """Yield the distinct dates of a field truncated to ``kind``, sorted by ``order``.

        ``kind`` is ``year``, ``month``, ``week`` (the Monday) or ``day``; a datetime field is
        read in the client's time zone. One scan that asks for that field only (``fields=``).
        """
        if kind not in DATE_KINDS:
            raise ValueError("'kind' must be one of 'year', 'month', 'week', or 'day'.")
        return self._truncated(field_name, kind, order, None, as_datetime=False)

    def datetimes(
        self, field_name: str, kind: str, order: str = "ASC", tzinfo: dt.tzinfo | None = None
    ) -> QuerySet[M, dt.datetime]:
        """Yield the distinct datetimes of a field truncated to ``kind``, aware, sorted.

        ``kind`` adds ``hour``, ``minute`` and ``second`` to those of ``dates()``; values are
        truncated as the clock reads in ``tzinfo``, by default the client's time zone.
        """
        if kind not in DATETIME_KINDS:
            raise ValueError(
                "'kind' must be one of 'year', 'month', 'week', 'day', "
                "'hour', 'minute', or 'second'."
            )
        return self._truncated(field_name, kind, order, tzinfo, as_datetime=True)

    def _truncated(
        self, name: str, kind: str, order: str, tz: dt.tzinfo | None, *, as_datetime: bool
    ) -> QuerySet[Any]:
        if order not in ("ASC", "DESC"):
            raise ValueError("'order' must be either 'ASC' or 'DESC'.")
        self._not_support_combined_queries("dates" if not as_datetime else "datetimes")
        if self.query.is_sliced:
            raise TypeError("Cannot filter a query once a slice has been taken.")
        field = self.model._meta.get_field(name)
        if not isinstance(field, Date | DateTime):
            raise TypeError(f"{field.name!r} isn't a Date or DateTime field.")
        if as_datetime and not isinstance(field, DateTime):
            raise ValueError(f"Cannot truncate Date field {field.name!r} to a datetime.")
        clone = self.order_by()._rows_as(DatesIterable, (name,))
        clone._dates = (kind, order == "DESC", tz, as_datetime)
        return clone

    def _rows_as(self, kind: type[RowIterable], names: Sequence[str]) -> QuerySet[Any]:
        clone: QuerySet[Any] = self._chain()
        fields = self._fields(names) if names else self._all_fields()
        if not names:  # values() yields the annotations too
            fields.update(self._fields(self.query.annotations))
        clone._iterable_class = kind
        clone._row_fields = tuple(fields.values())
        clone._row_keys = tuple(fields)
        clone.query.values_select = tuple(fields)
        clone._select_related = ()
        # A field of related rows needs the key of the first relation (``debtorId``).
        only = (
            f.hops[0].name if isinstance(f, PathField) else f.name
            for f in fields.values()
            if not isinstance(f, AnnotationField)
        )
        clone.query.only = tuple(dict.fromkeys(only))
        return clone

    def _fields(self, names: Iterable[str]) -> dict[str, Field[Any]]:
        annotations = self.query.annotations
        return {
            name: Ref(name, annotations[name]).field
            if name in annotations
            else path_field(self.model, name, what="select")
            for name in names
        }

    def annotate(self, *args: Expression, **kwargs: Expression) -> Self:
        """Add computed values: expressions per row, aggregates per group (Django's rules).

        On model rows each row is its own group (``Sum("sales_invoices__amount_incl_vat")``
        aggregates its related rows, fetched in batched requests); after ``values(...)`` the
        rows group by the selected fields (``GROUP BY``). A positional aggregate is named as
        Django names it (``Sum("x")`` is ``x__sum``).
        """
        annotations = _named("annotate", args, kwargs)
        clone = self._chain()
        for name, expression in annotations.items():
            clone.query.add_annotation(name, expression)
        if clone._iterable_class is not ModelIterable:
            added = clone._fields(name for name in annotations if name not in self._row_keys)
            clone._row_fields += tuple(added.values())
            clone._row_keys += tuple(added)
        return clone

    def _all_fields(self) -> dict[str, Field[Any]]:
        return {field.attname: field for field in self.model._meta.fields.values()}

    def prefetch_related(self, *names: str) -> Self:
        """Load these relations for every result in batched requests (no N+1)."""
        self._not_support_combined_queries("prefetch_related")
        for name in names:
            self._relation(name)
        clone = self._chain()
        clone._prefetch = (*self._prefetch, *names) if names else ()
        return clone

    def select_related(self, *names: str | None) -> Self:
        """Load these forward foreign keys with the rows: one batched request per relation.

        ``select_related("debtor", "debtor__payment_condition")``; no names follows every
        non-null foreign key (as Django); ``select_related(None)`` clears the list.
        """
        if self._iterable_class is not ModelIterable:
            raise TypeError("Cannot call select_related() after .values() or .values_list()")
        clone = self._chain()
        if names == (None,):
            clone._select_related = ()
            return clone
        given = [name for name in names if name is not None]
        for name in given:
            select_hops(self.model, name)
        paths = given or forward_paths(self.model)
        clone._select_related = tuple(dict.fromkeys([*self._select_related, *paths]))
        return clone

    def using(self, session: Session | None) -> Self:
        """Run against ``session`` instead of the active one."""
        clone = self._chain()
        clone._session = session
        return clone

    def cache(self, enabled: bool = True, *, ttl: float | None = None) -> Self:
        """Turn the response cache off, or set its lifetime for this query."""
        clone = self._chain()
        clone._use_cache, clone._ttl = enabled, ttl
        return clone

    def with_params(self, **params: str | int | bool) -> Self:
        """Send server parameters that are not filters (``ActiveState="All"``) on every request.

        Names must not clash with paging, ordering or a field's filter parameters.
        """
        clone = self._chain()
        clone.query.add_params(params)
        return clone

    def none(self) -> Self:
        """Return a QuerySet that matches nothing and never sends a request."""
        clone = self._chain()
        clone.query.set_empty()
        return clone

    # -- what the API cannot do ----------------------------------------------------------------

    def select_for_update(self, *args: Any, **kwargs: Any) -> Self:
        """Refuse: the API has no transactions or row locks."""
        raise NotSupportedError(
            "select_for_update() is not supported: the API has no transactions or row locks. "
            "Read, change and save(); the last write wins."
        )

    def raw(self, *args: Any, **kwargs: Any) -> Self:
        """Refuse: the API takes no SQL."""
        raise NotSupportedError(
            "raw() is not supported: the API takes no SQL. Use filter() and with_params(), or "
            "session.get(path, params) for a request the models do not cover."
        )

    def extra(self, *args: Any, **kwargs: Any) -> Self:
        """Refuse: the API takes no SQL."""
        raise NotSupportedError(
            "extra() is not supported: the API takes no SQL. Use filter() with Q objects and "
            "order_by() on fields."
        )

    def alias(self, *args: Any, **kwargs: Any) -> Self:
        """Refuse: nothing is computed by the server, so an alias costs what an annotation does."""
        raise NotSupportedError(
            "alias() is not supported: the API computes nothing, so an alias would cost what an "
            "annotation costs. Use annotate() and leave the value out of values() if unwanted."
        )

    def server_only(self) -> Self:
        """Raise ``QueryError`` instead of evaluating any step locally."""
        clone = self._chain()
        clone.query.server_only = True
        return clone

    def union(self, *other_qs: QuerySet[Any], all: bool = False) -> QuerySet[M, R]:  # noqa: A002
        """Return the rows of this query or any other (``all=True`` keeps duplicates).

        Every query runs on its own (concurrently); the rows are combined here by id (by the
        selected values after ``values()``). Then only ``order_by()``, slices and the methods
        that read are allowed, as in Django.
        """
        self._check_combinable("union", other_qs)
        if self.query.empty and not self.query.combinator:
            rest = [qs for qs in other_qs if not qs.query.empty]
            if not rest:
                return self
            return rest[0] if len(rest) == 1 else rest[0]._combinator_query("union", rest[1:], all)
        return self._combinator_query("union", other_qs, all)

    def intersection(self, *other_qs: QuerySet[Any]) -> QuerySet[M, R]:
        """Return the rows this query and every other one match (combined here by id)."""
        self._check_combinable("intersection", other_qs)
        if self.query.empty:
            return self
        for other in other_qs:
            if other.query.empty:
                return other
        return self._combinator_query("intersection", other_qs, False)

    def difference(self, *other_qs: QuerySet[Any]) -> Self:
        """Return the rows of this query that no other one matches (combined here by id)."""
        self._check_combinable("difference", other_qs)
        if self.query.empty:
            return self
        return self._combinator_query("difference", other_qs, False)

    def __and__(self, other: QuerySet[M, R]) -> QuerySet[M, R]:
        """Return the rows both queries match (Django's ``qs1 & qs2``): one query, AND."""
        self._check_operand(other, "&")
        if self.query.empty:
            return self
        if other.query.empty:
            return other
        combined = self._chain()
        combined.query.where = combined.query.where.add(other.query.where)
        return combined

    def __or__(self, other: QuerySet[M, R]) -> QuerySet[M, R]:
        """Return the rows either query matches (Django's ``qs1 | qs2``): one query, OR."""
        self._check_operand(other, "|")
        if self.query.empty:
            return other
        if other.query.empty:
            return self
        combined = self._chain()
        either = (self.query.where, other.query.where)
        if all(either):  # one side without conditions matches every row
            combined.query.where = Where((Where(tuple(map(single, either)), Q.OR),))
        else:
            combined.query.where = Where()
        return combined

    def __xor__(self, other: QuerySet[M]) -> Self:
        """Refuse ``qs1 ^ qs2``: say how to write it."""
        raise NotSupportedError(
            "The ^ operator on QuerySets is not supported: use qs1.filter(Q(a) ^ Q(b)) "
            "spelled out, (qs1 | qs2) minus (qs1 & qs2), or qs1.union(qs2).difference(qs1 & qs2)."
        )

    def _check_operand(self, other: Any, operator: str) -> None:
        """Refuse what Django's ``&`` and ``|`` refuse."""
        if not isinstance(other, QuerySet):
            raise TypeError(f"Cannot use {operator} operator with {type(other).__name__}.")
        if self.query.combinator or other.query.combinator:
            raise TypeError(f"Cannot use {operator} operator with combined queryset.")
        if other.model._meta is not self.model._meta:
            raise TypeError("Cannot combine queries on two different base models.")
        if self.query.is_sliced or other.query.is_sliced:
            # Django filters by the slice as a subquery; the API has none to send.
            raise NotSupportedError(
                f"Cannot use {operator} with a sliced query: the API cannot filter by a slice. "
                "Use union() or intersection(), or filter(pk__in=[...]) with the slice's ids."
            )
        if self.query.distinct != other.query.distinct:
            raise TypeError("Cannot combine a unique query with a non-unique query.")

    def _check_combinable(self, kind: str, other_qs: Sequence[QuerySet[Any]]) -> None:
        for other in other_qs:
            if not isinstance(other, QuerySet):
                raise TypeError(f"{kind}() takes QuerySets, not {other!r:.40}.")
            if other.model._meta is not self.model._meta:
                raise NotSupportedError(
                    f"{kind}() combines QuerySets of one model; {self.model._meta.label} and "
                    f"{other.model._meta.label} are different API resources. Evaluate them "
                    "apart and combine the lists."
                )

    def _combinator_query(
        self, kind: str, other_qs: Sequence[QuerySet[Any]], keep_all: bool
    ) -> Self:
        clone = self._chain()
        clone.query.combined = (self.query, *(other.query for other in other_qs))
        clone.query.combinator, clone.query.combinator_all = kind, keep_all
        clone.query.clear_limits()
        clone.query.add_ordering()
        clone.query.where = Where()
        return clone

    def _not_support_combined_queries(self, method: str) -> None:
        if self.query.combinator:
            raise NotSupportedError(
                f"Calling QuerySet.{method}() after {self.query.combinator}() is not supported."
            )

    @property
    def ordered(self) -> bool:
        """Return whether the results have a defined order (groups ignore Meta.ordering; always,
        for ``none()``: Django)."""
        if self._iterable_class is DatesIterable or self.query.empty:
            return True
        default = self.query.default_ordering and bool(self.model._meta.ordering)
        return bool(self.query.order_by) or (default and self.query.group_by != "values")

    def explain(self) -> str:
        """Describe the requests and local steps this query would run, without any I/O.

        Inner queries of lookups across relations come first, in the order they run.
        """
        session = self._session or current_session_or_none()
        if not self._whole():
            return self._explain_rows(session)
        whole = self._unsliced()
        if self.query.combinator:
            lines = [f"{self.query.combinator} of {len(self.query.combined)} queries:"]
            for number, part in enumerate(whole._parts(), 1):
                steps = part._explain_rows(session).splitlines()
                lines += [f"  query {number}: {steps[0]}", *(f"    {s}" for s in steps[1:])]
            by = "id" if self._iterable_class is ModelIterable else "the selected values"
            lines.append(f"local: combine by {by}" + (", keep duplicates" if self._all() else ""))
            if self.query.ordering:
                lines.append(f"local: order by {', '.join(map(str, self.query.ordering))}")
        else:
            lines = [whole._explain_rows(session)]
            if self._iterable_class is DatesIterable:
                lines.append(f"local: truncate to {self._dates[0]}, distinct, sort")
            else:
                lines.append("local: distinct rows (the selected and ordering fields)")
        low, high = self.query.low_mark, self.query.high_mark
        if low or high is not None:
            lines.append(f"local: slice [{low}:{'' if high is None else high}]")
        return "\n".join(lines)

    def _explain_rows(self, session: Session | None) -> str:
        """Describe the requests of the rows: inner queries first, related rows after."""
        zone = DEFAULT_TIME_ZONE if session is None else session.time_zone
        explainer = Explainer(lambda query: self._plan(session, query), zone)
        query = explainer.query(self.query)
        grouped = query.group_by == "values"  # groups are ordered here, after the related rows
        rows = self._plan(session, query if grouped else _server_part(query, whole=True))
        lines = rows.explain().splitlines()
        paths = self._paths(query)
        selected = [select_hops(self.model, name) for name in self._select_related]
        if paths or selected:
            at = next((i for i, line in enumerate(lines) if line.startswith("local:")), None)
            at = at if grouped and at is not None else len(lines)
            related = ["then the related rows, one batched request per relation:"]
            lines[at:at] = [*related, *describe(paths, selected)]
        if query.related_ordering and not grouped:
            lines.append(f"local: order by {', '.join(map(str, query.ordering))}")
            if query.is_sliced:
                high = "" if query.high_mark is None else query.high_mark
                lines.append(f"local: slice [{query.low_mark}:{high}]")
        return explainer.outer("\n".join(lines))

    def _plan(self, session: Session | None, query: Query | None = None) -> Plan:
        self.model._meta.check_readable()
        query = query or self.query
        if session is None:
            return plan(query, DEFAULT_BASE_URL)
        return plan(query, session.base_url, session.capabilities, session.time_zone)

    def _as_subquery(self) -> tuple[Query, Field[Any] | None]:
        """Return the query and the field it selects, for ``filter(debtor__in=<this>)``."""
        if len(self._row_fields) > 1:
            raise TypeError("Cannot use multi-field values as a filter value.")
        return self.query, (self._row_fields[0] if self._row_fields else None)

    # -- METHODS THAT CALL THE API -------------------------------------------------------------

    def __iter__(self) -> Iterator[R]:
        self._fetch_all()
        assert self._result_cache is not None
        return iter(self._result_cache)

    def __len__(self) -> int:
        self._fetch_all()
        assert self._result_cache is not None
        return len(self._result_cache)

    def __bool__(self) -> bool:
        self._fetch_all()
        return bool(self._result_cache)

    @overload
    def __getitem__(self, key: int) -> R: ...
    @overload
    def __getitem__(self, key: slice) -> Self: ...
    def __getitem__(self, key: int | slice) -> Any:
        _check_index(key)
        if self._result_cache is not None:
            return self._result_cache[key]
        if isinstance(key, slice):
            return self._slice(key)
        rows = list(self._slice(slice(key, key + 1)))
        if not rows:
            raise IndexError("QuerySet index out of range.")
        return rows[0]

    def _slice(self, key: slice) -> Any:
        clone = self._chain()
        clone.query.set_limits(key.start, key.stop)
        return list(clone)[:: key.step] if key.step else clone

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            session = self._resolve_session()
            rows = list(self._iterate(session))
            self._select_into(rows, session)
            self._prefetch_into(rows, session)
            self._result_cache = rows

    def iterator(self, chunk_size: int | None = None) -> Iterator[R]:
        """Stream results page by page (``chunk_size`` rows a page) without caching them.

        Neither this QuerySet nor the response cache keeps the pages, so memory stays flat
        however many rows stream past.
        """
        session = self._resolve_session()
        uncached = self.cache(False)
        objs = uncached._iterate(session, chunk_size)
        if not self._select_related:
            return objs
        return uncached._selected_batches(
            objs, session, chunk_size or self.model._meta.max_page_size
        )

    def _selected_batches(self, objs: Iterator[Any], session: Session, size: int) -> Iterator[Any]:
        """Yield objects a batch at a time, each batch's related rows loaded together."""
        while batch := list(itertools.islice(objs, size)):
            self._select_into(batch, session)
            yield from batch

    def _iterate(self, session: Session, chunk_size: int | None = None) -> Iterator[Any]:
        if self._whole():
            plan, whole = self._unsliced()._whole_rows(session)
            items = self._iterable_class(self, session, whole, plan)
            return itertools.islice(items, self.query.low_mark, self.query.high_mark)
        query, plan = self._checked_plan(session, whole=True)
        paths = self._paths(query)
        if plan.grouping is not None and paths:
            groups = self._groups_with_paths(plan, paths, session)
            return iter(self._iterable_class(self, session, groups, plan))
        rows: Iterable[Raw] = self._fetcher(session, plan, chunk_size).rows()
        if paths:
            rows = self._with_paths(list(rows), paths, query, session)
        return iter(self._iterable_class(self, session, rows, plan))

    def _groups_with_paths(self, plan: Plan, paths: list[PathField], session: Session) -> list[Raw]:
        """Group by fields of related rows: read the rows, copy those fields in, then group."""
        assert plan.grouping is not None
        every = dataclasses.replace(plan, grouping=None, low=0, high=None)  # the slice takes groups
        rows = list(self._fetcher(session, every).rows())
        attach(
            rows, paths, lambda model, ids, names: self._related_rows(model, ids, names, session)
        )
        groups = list(plan.grouping.rows(iter(rows)))
        if plan.grouping.ordering:
            groups = sort_rows(groups, plan.grouping.ordering, self.model)
        return groups[plan.low : plan.high]

    # Distinct values, dates and combined queries need every row before the slice is taken.

    def _whole(self) -> bool:
        """Return whether the rows are combined here before the slice is taken."""
        distinct_values = self.query.distinct and self._iterable_class is not ModelIterable
        return (
            bool(self.query.combinator) or distinct_values or self._iterable_class is DatesIterable
        )

    def _unsliced(self) -> Self:
        clone = self._chain()
        clone.query.clear_limits()
        return clone

    def _whole_rows(self, session: Session) -> tuple[Plan, Iterator[Raw]]:
        if self.query.combinator:
            return self._combined_rows(session)
        query, plan = self._checked_plan(session, whole=True)
        rows = self._fetcher(session, plan).rows()
        if paths := self._paths(query):
            rows = iter(self._with_paths(list(rows), paths, query, session))
        if self.query.distinct and self._iterable_class is not DatesIterable:
            rows = distinct_rows(rows, row_key(self._distinct_fields()))
        return plan, rows

    def _distinct_fields(self) -> list[Field[Any]]:
        """Return what makes rows distinct: the selected fields and those of the ordering."""
        return list(dict.fromkeys([*self._row_fields, *self._ordering_fields()]))

    def _ordering_fields(self) -> list[Field[Any]]:
        """Return the fields the ordering reads (an annotation's value, for an annotation)."""
        found: list[Field[Any]] = []
        for item in self.query.ordering:
            if isinstance(item, str):
                found.append(path_field(self.model, item.lstrip("-"), what="order by"))
            elif isinstance(item.expression, Ref):
                found.append(item.expression.field)
            else:
                found.extend(item.expression.columns())
        return found

    def _parts(self) -> list[QuerySet[Any]]:
        """Return the combined queries, each asking for the fields this query needs."""
        wanted = self.query.only
        if wanted:
            model_fields = self.model._meta.fields.values()
            read = [f.name for f in self._ordering_fields() if f in model_fields]
            wanted = tuple(dict.fromkeys([*wanted, *read]))
        parts = []
        for query in self.query.combined:
            part: QuerySet[Any] = QuerySet(self.model, query.clone(), self._session)
            part._use_cache, part._ttl = self._use_cache, self._ttl
            part._iterable_class, part._row_fields = self._iterable_class, self._row_fields
            if query.combinator is None:
                part.query.only = wanted
            parts.append(part)
        return parts

    def _combined_rows(self, session: Session) -> tuple[Plan, Iterator[Raw]]:
        parts = self._parts()
        plans = [part._checked_plan(session)[1] for part in parts if not part.query.combinator]
        results: list[list[Raw]] = [[] for _ in parts]

        def read(index: int) -> None:
            part = parts[index]
            if part.query.combinator:
                results[index] = list(part._whole_rows(session)[1])
            else:
                plan = part._checked_plan(session)[1]
                results[index] = list(part._fetcher(session, plan).rows())

        session.each(read, range(len(parts)))
        fields = self._row_fields if self._iterable_class is not ModelIterable else ()
        key = row_key(fields or (self.model._meta.pk,))
        rows = combine(self.query.combinator or "union", results, key, self._all())
        if self.query.ordering:
            rows = order_rows(rows, self.query.ordering, self.model._meta)
        return (plans[0] if plans else self._plan(session)), iter(rows)

    def _all(self) -> bool:
        return self.query.combinator == "union" and self.query.combinator_all

    def count(self) -> int:
        """Return the number of rows: one ``MetaOnly`` request when the server can count."""
        if self._result_cache is not None:
            return len(self._result_cache)
        if self._whole():
            # As Django's count(), which drops the ordering (and with it the ordering fields
            # from DISTINCT) unless a slice needs it.
            counted = self if self.query.is_sliced else self.order_by()
            return sum(1 for _ in counted._iterate(self._resolve_session()))
        session = self._resolve_session()
        query, plan = self._checked_plan(session)
        if plan.grouping is not None and self._paths(query):
            return sum(1 for _ in self._iterate(session))
        fetcher = self._fetcher(session, plan)
        if plan.empty or plan.checked_here:
            return sum(1 for _ in fetcher.rows())
        return _clip(fetcher.total(), plan.low, plan.high)

    def aggregate(self, *args: Aggregate, **kwargs: Aggregate) -> dict[str, Any]:
        """Return ``{name: value}`` of aggregates over the rows, computed as they stream.

        The requests ask only for the fields the aggregates read; ``Count("id")`` alone is
        ``count()``: one ``MetaOnly`` request when the server can count.
        """
        aggregates = _named("aggregate", args, kwargs)
        for name, aggregate in aggregates.items():
            if not isinstance(aggregate, Expression) or not aggregate.has_aggregate:
                raise TypeError(f"{name} is not an aggregate expression")
        if not aggregates:
            return {}
        whole = self.query.group_by is not None or self.query.is_sliced
        scope = self.query.outer() if whole else self.query
        resolved = {name: _resolved_aggregate(a, scope, whole) for name, a in aggregates.items()}
        clone = self._chain()
        if not whole:  # otherwise aggregate the groups or the slice, as Django's subquery
            clone.query.add_ordering()
            read = (f.name for aggregate in resolved.values() for f in aggregate.columns())
            clone.query.only = tuple(dict.fromkeys(["id", *read]))
        if all(clone._counts_rows(a) for a in resolved.values()):
            return dict.fromkeys(resolved, clone.count())
        session = self._resolve_session()
        query, plan = clone._checked_plan(session, whole=whole)
        plan = joining(plan, query, list(resolved.values()))
        if plan.grouping is not None and (paths := clone._paths(query)):
            rows: Iterable[Raw] = clone._groups_with_paths(plan, paths, session)
        else:
            rows = clone._fetcher(session, plan).rows()
            if query.related_ordering and (paths := clone._paths(query)):
                # A slice ordered by related fields: order and slice here, as iterating does.
                rows = clone._with_paths(list(rows), paths, query, session)
        return aggregate_rows(rows, resolved, session.time_zone)

    def _counts_rows(self, aggregate: Aggregate) -> bool:
        """Tell whether an aggregate is the number of rows (``Count("*")``, ``Count("id")``)."""
        source = aggregate.source
        pk = self.model._meta.pk
        counted = isinstance(source, Star) or (isinstance(source, Col) and source.field is pk)
        return (
            isinstance(aggregate, Count)
            and counted
            and aggregate.condition is None
            and self.query.group_by != "values"
            and not self.query.annotations
        )

    def exists(self) -> bool:
        """Return whether any row matches: one ``pageSize=1`` request when the server can tell.

        When the server only narrows (rows verified here), its first row usually settles it:
        none means no match, a verified one means a match; only otherwise are rows read on.
        """
        if self._result_cache is not None:
            return bool(self._result_cache)
        if self._whole():
            return any(True for _ in self._iterate(self._resolve_session()))
        session = self._resolve_session()
        plan = self._checked_plan(session)[1]
        fetcher = self._fetcher(session, plan)
        if plan.verify and not (plan.local or plan.merged or plan.low or plan.empty):
            head = fetcher.get(plan.page(1, 1))["_data"]
            if not head or plan.verify.matches(field_reader(head[0], plan.time_zone)):
                return bool(head)
        if plan.empty or plan.checked_here:
            return next(iter(fetcher.rows()), None) is not None
        if plan.merged:
            return _clip(fetcher.total(), plan.low, plan.high) > 0
        return bool(fetcher.get(plan.page(plan.low + 1, 1))["_data"])

    def first(self) -> R | None:
        """Return the first row (by id when unordered), or ``None``."""
        queryset = self if self.ordered else self.order_by("id")
        return next(iter(queryset[:1]), None)

    def last(self) -> R | None:
        """Return the last row (by id when unordered), or ``None``."""
        queryset = self.reverse() if self.ordered else self.order_by("-id")
        return next(iter(queryset[:1]), None)

    def get(self, *args: Q, **kwargs: Any) -> R:
        """Return the one matching row; ``get(pk=…)`` is ``GET /path/id``."""
        if self.query.combinator and (args or kwargs):
            raise NotSupportedError(
                f"Calling QuerySet.get(...) with filters after {self.query.combinator}() is not "
                "supported."
            )
        clone = self.filter(*args, **kwargs) if args or kwargs else self._chain()
        pk = clone.query.pk_value()
        if (
            pk is not None
            and not clone.query.is_sliced
            and clone._iterable_class is ModelIterable
            and not has_related(clone.query.where)
            and not clone.query.annotations
        ):
            return clone._get_by_pk(pk)
        if not clone.query.is_sliced:
            clone.query.add_ordering()
            clone.query.set_limits(high=MAX_GET_RESULTS)
        return clone._one(list(clone))

    def _get_by_pk(self, pk: Any) -> R:
        session = self._resolve_session()
        plan = self._plan(session)
        if plan.empty:  # an id the API cannot hold (2**40, "1.5"), or none()
            raise self._does_not_exist()
        try:
            raw = self._fetcher(session, plan).get_object(pk)
        except NotFound as exc:
            raise self._does_not_exist() from exc
        where = self.query.where.zoned(session.time_zone)
        if not where.matches(field_reader(raw, session.time_zone)):
            raise self._does_not_exist()
        rows = list(ModelIterable(self, session, [raw], None))
        self._select_into(rows, session)
        self._prefetch_into(rows, session)
        return rows[0]  # type: ignore[no-any-return]

    def _one(self, rows: list[Any]) -> R:
        if not rows:
            raise self._does_not_exist()
        if len(rows) > 1:
            many = "more than 20" if len(rows) >= MAX_GET_RESULTS else str(len(rows))
            raise self.model.MultipleObjectsReturned(
                f"get() returned more than one {self.model.__name__} -- it returned {many}!"
            )
        return rows[0]  # type: ignore[no-any-return]

    def _does_not_exist(self) -> Exception:
        return self.model.DoesNotExist(f"{self.model.__name__} matching query does not exist.")

    def latest(self, *fields: str) -> R:
        """Return the last object by ``fields`` (or ``Meta.get_latest_by``): one ``pageSize=1``."""
        if self.query.is_sliced:
            raise TypeError("Cannot change a query once a slice has been taken.")
        return self.reverse()._earliest(*fields)

    def earliest(self, *fields: str) -> R:
        """Return the first object by ``fields`` (or ``Meta.get_latest_by``): one ``pageSize=1``."""
        if self.query.is_sliced:
            raise TypeError("Cannot change a query once a slice has been taken.")
        return self._earliest(*fields)

    def _earliest(self, *fields: str) -> R:
        order_by = fields or self.model._meta.get_latest_by
        if not order_by:
            raise ValueError(
                "earliest() and latest() require either fields as positional arguments or "
                "'get_latest_by' in the model's Meta."
            )
        clone = self._chain()
        clone.query.set_limits(high=1)
        clone.query.add_ordering(*order_by)
        return clone.get()

    def contains(self, obj: Any) -> bool:
        """Return whether ``obj`` is among the results: one ``id=<pk>&pageSize=1`` request."""
        self._not_support_combined_queries("contains")
        if self._iterable_class is not ModelIterable:
            raise TypeError("Cannot call QuerySet.contains() after .values() or .values_list().")
        meta = getattr(obj, "_meta", None)
        if meta is None or not hasattr(obj, "_state"):
            raise TypeError("'obj' must be a model instance.")
        if meta is not self.model._meta:
            return False
        if obj.pk is None:
            raise ValueError("QuerySet.contains() cannot be used on unsaved objects.")
        if self._result_cache is not None:
            return obj in self._result_cache
        return self.filter(pk=obj.pk).exists()

    def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        """Return ``{value: object}`` for the given values of a unique field, or every row.

        ``field_name`` is ``pk``/``id`` or a field in the model's ``Meta.unique``; the values
        go to the server as one ``in`` filter, in URL-sized chunks.
        """
        if self.query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with in_bulk().")
        if self._iterable_class is not ModelIterable:
            raise TypeError("in_bulk() cannot be used with values() or values_list().")
        meta = self.model._meta
        field = meta.get_field(field_name)
        if field is not meta.pk and field.name not in meta.unique:
            raise ValueError(
                f"in_bulk()'s field_name must be a unique field but {field_name!r} isn't."
            )
        if id_list is None:
            rows: Iterable[Any] = self._chain()
        else:
            values = list(id_list)
            if not values:
                return {}
            rows = self.filter(**{f"{field.name}__in": values})
        return {getattr(obj, field_name): obj for obj in rows}

    # -- writes --------------------------------------------------------------------------------

    def create(self, **kwargs: Any) -> M:
        """Create an object with a POST and return it as the API answered."""
        obj = self.model(**kwargs)
        obj.save(using=self._resolve_session())
        return obj

    def bulk_create(self, objs: Sequence[M], *, concurrency: int | None = None) -> list[M]:
        """POST every new object, up to ``concurrency`` at a time; all are validated first."""
        self.model._meta.check_writable(adding=True)
        for obj in objs:
            obj._clean(obj._state.changed)
        session = self._resolve_session()
        session.each(lambda obj: obj.save(using=session), objs, concurrency)
        return list(objs)

    def bulk_update(
        self, objs: Iterable[M], fields: Sequence[str], batch_size: int | None = None
    ) -> int:
        """PATCH ``fields`` of every object (concurrently); return how many objects matched.

        Every object is checked before the first request. As in Django, the objects are not
        reloaded, an object the API no longer has is not counted, and within a batch of
        ``batch_size`` objects the first of several with one id wins.
        """
        if batch_size is not None and batch_size <= 0:
            raise ValueError("Batch size must be a positive integer.")
        if not fields:
            raise ValueError("Field names must be given to bulk_update().")
        items = tuple(objs)
        if any(obj.pk is None for obj in items):
            raise ValueError("All bulk_update() objects must have a primary key set.")
        names = self._bulk_update_fields(fields)
        if not items:
            return 0
        self.model._meta.check_writable()
        session = self._resolve_session()
        for obj in items:
            obj._session_for(session)
            obj._clean(names)
        size = batch_size or len(items)
        return sum(
            _patch_batch(items[start : start + size], names, session)
            for start in range(0, len(items), size)
        )

    def _bulk_update_fields(self, fields: Sequence[str]) -> list[str]:
        meta = self.model._meta
        names = []
        for name in fields:
            if name in meta.related_objects:
                raise ValueError("bulk_update() can only be used with concrete fields.")
            field = meta.get_field(name)
            if field is meta.pk:
                raise ValueError("bulk_update() cannot be used with primary key fields.")
            if field.read_only:
                raise ValueError(
                    f"bulk_update() cannot change {meta.label}.{field.name}: the API sets it."
                )
            names.append(field.name)
        return list(dict.fromkeys(names))

    def get_or_create(
        self, defaults: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        """Return ``(object, False)`` if it exists, else create it and return ``(object, True)``.

        Callable values in ``defaults`` are called only when the object is created.
        """
        try:
            return self._model_get(kwargs), False
        except self.model.DoesNotExist:
            return self.create(**_resolved(self._create_params(defaults, kwargs))), True

    def update_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        """Update the matching object with ``defaults`` (PATCH), or create it.

        A new object gets ``create_defaults`` instead when given (Django 5.0); callable values
        are called only when used.
        """
        update = dict(defaults or {})
        self.model._meta.check_settable(update)
        try:
            obj = self._model_get(kwargs)
        except self.model.DoesNotExist:
            creating = update if create_defaults is None else create_defaults
            return self.create(**_resolved(self._create_params(creating, kwargs))), True
        for name, value in _resolved(update).items():
            setattr(obj, name, value)
        obj.save(update_fields=list(update), using=self._resolve_session())
        return obj, False

    def _model_get(self, kwargs: Mapping[str, Any]) -> M:
        """Return the one object matching ``kwargs`` (typed as the model, as Django's stubs)."""
        return cast("M", self.get(**kwargs))

    def _create_params(
        self, defaults: Mapping[str, Any] | None, kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Return what a create would get (Django's ``_extract_model_params``), checked."""
        params = {**_plain(dict(kwargs)), **(defaults or {})}
        if invalid := sorted(name for name in params if not self.model._meta.has_field(name)):
            raise FieldError(
                f"Invalid field name(s) for model {self.model._meta.label}: '"
                + "', '".join(invalid)
                + "'."
            )
        return params

    def update(self, **kwargs: Any) -> int:
        """PATCH ``kwargs`` onto every matching object; return how many were changed.

        A value may be an expression of the object's own fields (``F("x") + 1``): each object
        gets the value computed from what it holds.
        """
        self.model._meta.check_writable()
        self._not_support_combined_queries("update")
        self.model._meta.check_settable(kwargs)
        computed = {k: self._update_expression(v) for k, v in kwargs.items() if _is_expr(v)}
        plain = {name: value for name, value in kwargs.items() if name not in computed}
        probe = self.model.from_api({})
        for name, value in plain.items():
            setattr(probe, name, value)
        probe._clean(plain)
        session = self._resolve_session()
        objs: list[Any] = list(self.using(session))
        zone = session.time_zone

        def patch(obj: M) -> None:
            _patch(obj, _values_for(obj, plain, computed, zone), session)

        session.each(patch, objs)
        return len(objs)

    def _update_expression(self, value: Expression) -> Expression:
        query = Query(self.model)
        resolved = value.resolve(query, allow_joins=False)
        if resolved.has_aggregate:
            raise FieldError("Aggregate functions are not allowed in this query.")
        return resolved

    def delete(self) -> tuple[int, dict[str, int]]:
        """DELETE every matching object; return Django's ``(count, {label: count})``."""
        self._not_support_combined_queries("delete")
        if self.query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with delete().")
        self.model._meta.check_writable()
        session = self._resolve_session()
        objs: list[Any] = list(self.using(session))
        session.each(lambda obj: obj.delete(using=session), objs)
        return len(objs), {self.model.__name__: len(objs)}

    # -- async twins (Django's names): the sync method on the session's async worker threads ---

    def __aiter__(self) -> AsyncIterator[R]:
        """Evaluate once, off the event loop, then yield from the result cache (as Django)."""
        return self._async_results()

    async def _async_results(self) -> AsyncIterator[R]:
        if self._result_cache is None:
            await self._async(self._fetch_all)
        assert self._result_cache is not None
        for obj in self._result_cache:
            yield obj

    async def aiterator(self, chunk_size: int | None = None) -> AsyncIterator[R]:
        """Stream results as ``iterator()`` does, a page at a time, off the event loop."""
        if chunk_size is not None and chunk_size <= 0:
            raise ValueError("Chunk size must be strictly positive.")
        size = chunk_size or self.model._meta.max_page_size
        rows = AsyncRows(self, chunk_size)
        try:
            while True:
                batch = await self._async(rows.next_batch, size)
                for obj in batch:
                    yield obj
                if len(batch) < size:
                    return
        finally:
            rows.close()

    async def aget(self, *args: Q, **kwargs: Any) -> R:
        return await self._async(self.get, *args, **kwargs)

    async def acount(self) -> int:
        return await self._async(self.count)

    async def aexists(self) -> bool:
        return await self._async(self.exists)

    async def acontains(self, obj: Any) -> bool:
        return await self._async(self.contains, obj)

    async def afirst(self) -> R | None:
        return await self._async(self.first)

    async def alast(self) -> R | None:
        return await self._async(self.last)

    async def alatest(self, *fields: str) -> R:
        return await self._async(self.latest, *fields)

    async def aearliest(self, *fields: str) -> R:
        return await self._async(self.earliest, *fields)

    async def ain_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        return await self._async(self.in_bulk, id_list, field_name=field_name)

    async def aaggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        aggregate: Callable[..., dict[str, Any]] = getattr(self, "aggregate")  # noqa: B009
        return await self._async(aggregate, *args, **kwargs)

    async def aexplain(self) -> str:
        """Return ``explain()``: it sends nothing, so it runs here."""
        return self.explain()

    async def acreate(self, **kwargs: Any) -> M:
        return await self._async(self.create, **kwargs)

    async def aget_or_create(
        self, defaults: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        return await self._async(self.get_or_create, defaults, **kwargs)

    async def aupdate_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        return await self._async(self.update_or_create, defaults, create_defaults, **kwargs)

    async def abulk_create(self, objs: Sequence[M], *, concurrency: int | None = None) -> list[M]:
        return await self._async(self.bulk_create, objs, concurrency=concurrency)

    async def abulk_update(
        self, objs: Iterable[M], fields: Sequence[str], batch_size: int | None = None
    ) -> int:
        return await self._async(self.bulk_update, objs, fields, batch_size)

    async def aupdate(self, **kwargs: Any) -> int:
        return await self._async(self.update, **kwargs)

    async def adelete(self) -> tuple[int, dict[str, int]]:
        return await self._async(self.delete)

    async def _async(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Await ``function`` on the session's async worker threads.

        Without a session the call cannot reach the API: it runs here, to raise
        ``NoSessionError`` or answer from what it already holds.
        """
        session = self._session or current_session_or_none()
        if session is None:
            return function(*args, **kwargs)
        return await session.run(function, *args, **kwargs)

    # -- helpers of the methods above ----------------------------------------------------------

    def _resolve_session(self) -> Session:
        return self._session or current_session()

    def _checked_plan(self, session: Session, *, whole: bool = False) -> tuple[Query, Plan]:
        """Return the query with its relation conditions run, and the checked plan to send.

        An order across relations is applied here after the rows come (with ``whole``, the
        slice too), so the plan sent leaves it out.
        """
        query = self._resolved(session)
        plan = self._plan(session, query)
        if not plan.empty:
            plan.check_local(strict=self.query.server_only or session.strict)
        if query.related_ordering and query.group_by != "values":  # groups are ordered here
            plan = self._plan(session, _server_part(query, whole=whole))
        return query, plan

    def _paths(self, query: Query) -> list[PathField]:
        """Return the fields of related rows that values() and the ordering read."""
        ordering = [
            path_field(self.model, n.lstrip("-"), what="order by")
            for n in query.ordering
            if isinstance(n, str)
        ]
        fields = [f for f in (*self._row_fields, *ordering) if isinstance(f, PathField)]
        return list({field.name: field for field in fields}.values())

    def _with_paths(
        self, rows: list[Raw], paths: list[PathField], query: Query, session: Session
    ) -> list[Raw]:
        """Copy the related rows' fields into ``rows``; order and slice by them if asked."""
        attach(
            rows, paths, lambda model, ids, names: self._related_rows(model, ids, names, session)
        )
        if query.related_ordering:
            rows = sort_rows(rows, query.ordering, self.model)[query.low_mark : query.high_mark]
        if self._iterable_class is ModelIterable:
            for row in rows:  # an instance keeps only the API's own fields
                for path in paths:
                    row.pop(path.api_name, None)
        return rows

    def _related_rows(
        self, model: type[Model], ids: list[Any], names: tuple[str, ...], session: Session
    ) -> dict[Any, Raw]:
        """Return ``{id: raw row}`` of ``model`` with ``names``: one batched request."""
        queryset = model._meta.base_manager.using(session).cache(self._use_cache, ttl=self._ttl)
        queryset = queryset.filter(pk__in=ids).only(*names)
        queryset._iterable_class = RawIterable
        pk = model._meta.pk
        return {pk.to_python(row.get(pk.api_name)): row for row in queryset}

    def _select_into(self, objs: list[Any], session: Session) -> None:
        """Load the ``select_related`` relations of ``objs``, one batched request each."""
        if self._iterable_class is not ModelIterable or not objs:
            return
        for name in self._select_related:
            level = objs
            for field in select_hops(self.model, name):
                if any(field.name not in obj._state.related for obj in level):
                    self._prefetch_forward(field, level, session)
                found = (obj._state.related[field.name] for obj in level)
                level = list({id(obj): obj for obj in found if obj is not None}.values())

    def _resolved(self, session: Session) -> Query:
        """Return the query with its relation conditions run (inner queries, same session)."""
        strict = self.query.server_only or session.strict
        resolver = Resolver(session, strict=strict, cache=self._use_cache, ttl=self._ttl)
        return resolver.query(self.query)

    def _fetcher(self, session: Session, plan: Plan, chunk_size: int | None = None) -> Fetcher:
        return Fetcher(session, plan, chunk_size=chunk_size, cache=self._use_cache, ttl=self._ttl)

    def _relation(self, name: str) -> ForeignKey:
        """Return the foreign key behind a prefetchable name (forward or ``related_name``)."""
        meta = self.model._meta
        field = meta.fields.get(name) or meta.related_objects.get(name)
        if not isinstance(field, ForeignKey):
            forward = [n for n, f in meta.fields.items() if isinstance(f, ForeignKey)]
            choices = ", ".join(sorted([*forward, *meta.related_objects])) or "(none)"
            raise FieldError(
                f"Cannot prefetch {name!r} on {meta.label}: it is not a relation. "
                f"Choices are: {choices}."
            )
        return field

    def _prefetch_into(self, objs: list[Any], session: Session) -> None:
        if self._iterable_class is not ModelIterable or not objs:
            return
        for name in self._prefetch:
            field = self._relation(name)
            if field.model is self.model and name == field.name:
                self._prefetch_forward(field, objs, session)
            else:
                self._prefetch_reverse(field, objs, session)

    def _prefetch_forward(self, field: ForeignKey, objs: list[Any], session: Session) -> None:
        ids = {obj._state.value(field) for obj in objs} - {None}
        manager = field.target._meta.base_manager
        related = manager.using(session).cache(self._use_cache).in_bulk(ids)
        for obj in objs:
            obj._state.related[field.name] = related.get(obj._state.value(field))

    def _prefetch_reverse(self, field: ForeignKey, objs: list[Any], session: Session) -> None:
        assert field.model is not None
        children = QuerySet(field.model, session=session).cache(self._use_cache)
        groups: dict[Any, list[Any]] = {obj.pk: [] for obj in objs}
        for child in children.filter(**{f"{field.name}__in": list(groups)}):
            groups[child._state.value(field)].append(child)
        for obj in objs:
            obj._state.related[f"{field.related_name}+"] = groups[obj.pk]


def _named(method: str, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return positional and keyword expressions by name (``Sum("x")`` is ``x__sum``)."""
    named: dict[str, Any] = {}
    for arg in args:
        try:
            alias = arg.default_alias
        except (AttributeError, TypeError):
            what = "aggregates" if method == "aggregate" else "annotations"
            raise TypeError(f"Complex {what} require an alias.") from None
        if alias in kwargs:
            raise ValueError(
                f"The named annotation '{alias}' conflicts with the default name for another "
                "annotation."
            )
        named[alias] = arg
    named.update(kwargs)
    return named


def _resolved_aggregate(aggregate: Aggregate, scope: Query, whole: bool) -> Aggregate:
    resolved = aggregate.resolve(scope)
    assert isinstance(resolved, Aggregate)
    scope.check_filtered_relations(resolved)
    if whole and resolved.relation is not None:
        raise NotSupportedError(
            f"aggregate() over groups or a slice cannot reach across "
            f"{resolved.relation.related_name!r}: aggregate the QuerySet before grouping or "
            "slicing it."
        )
    return resolved


def _is_expr(value: Any) -> bool:
    return isinstance(value, Expression)


def _values_for(
    obj: Any, plain: dict[str, Any], computed: dict[str, Expression], zone: Any
) -> dict[str, Any]:
    """Return the values to PATCH onto ``obj``: the plain ones, and expressions evaluated."""
    reader = RowReader(obj._state.raw, zone)
    return {**plain, **{name: e.evaluate(reader) for name, e in computed.items()}}


def _annotated(obj: Any, names: list[str]) -> Any:
    """Move the annotations out of the instance's raw row into attributes, as Django sets them."""
    raw = obj._state.raw
    for name in names:
        obj.__dict__[name] = raw.pop(Ref.prefix + name, None)
    for key in [key for key in raw if key.startswith("#")]:
        del raw[key]
    return obj


def _server_part(query: Query, *, whole: bool) -> Query:
    """Return ``query`` without an order across relations (and, with ``whole``, its slice)."""
    if not query.related_ordering:
        return query
    clone = query.clone()
    if clone.only:  # the fields the order reads still come
        clone.only = tuple(dict.fromkeys([*clone.only, *ordering_columns(query.ordering)]))
    clone.add_ordering()
    if whole and not clone.empty:
        clone.low_mark, clone.high_mark = 0, None
    return clone


def _deferred(meta: Options, plan: Plan | None) -> frozenset[str]:
    """Return the names of the fields a plan's ``fields=`` parameter leaves out."""
    fetched = dict(plan.params).get("fields") if plan is not None else None
    if fetched is None:
        return frozenset()
    api_names = set(fetched.split(","))
    return frozenset(f.name for f in meta.fields.values() if f.api_name not in api_names)


def _check_index(key: object) -> None:
    """Refuse what Django refuses: non-integer bounds and negative indexes (a step may be)."""
    bounds = (key.start, key.stop, key.step) if isinstance(key, slice) else (key,)
    for index, bound in enumerate(bounds):
        if bound is None:
            continue
        if not isinstance(bound, int) or isinstance(bound, bool):
            raise TypeError(f"QuerySet indices must be integers or slices, not {bound!r:.40}.")
        if bound < 0 and index < 2:
            raise ValueError("Negative indexing is not supported.")


def _clip(total: int, low: int, high: int | None) -> int:
    top = total if high is None else min(total, high)
    return max(0, top - low)


def _plain(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return the keyword arguments that name fields, not lookups (for create)."""
    return {key: value for key, value in kwargs.items() if "__" not in key}


def _resolved(values: Mapping[str, Any]) -> dict[str, Any]:
    """Call the callable values (Django's ``resolve_callables``)."""
    return {name: value() if callable(value) else value for name, value in values.items()}


def _patch_batch(objs: Sequence[Any], names: list[str], session: Session) -> int:
    """PATCH one batch of ``bulk_update()``: once per id, the first object of each; count them."""
    unique: dict[Any, Any] = {}
    for obj in objs:
        unique.setdefault(obj.pk, obj)
    matched: list[bool] = []
    session.each(
        lambda obj: matched.append(obj._patch_fields(names, session)), list(unique.values())
    )
    return sum(matched)


def _patch(obj: Any, values: dict[str, Any], session: Session) -> None:
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(values), using=session)


class AsyncRows:
    """The sync ``iterator()`` of a QuerySet, read a batch at a time from worker threads.

    The iterator is made on the first batch, in a worker thread too: making it may already
    send requests (the inner queries of lookups across relations).
    """

    def __init__(self, queryset: QuerySet[Any], chunk_size: int | None) -> None:
        self.queryset = queryset
        self.chunk_size = chunk_size
        self.rows: Iterator[Any] | None = None
        self.running = False

    def next_batch(self, size: int) -> list[Any]:
        """Return the next ``size`` results (fewer at the end)."""
        self.running = True
        try:
            if self.rows is None:
                self.rows = self.queryset.iterator(self.chunk_size)
            return list(itertools.islice(self.rows, size))
        finally:
            self.running = False

    def close(self) -> None:
        """Stop the pages still queued, unless a worker thread is reading (it stops itself)."""
        close = getattr(self.rows, "close", None)
        if close is not None and not self.running:
            close()
        self.rows = None
