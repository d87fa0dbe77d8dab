"""``QuerySet``: lazy and chainable (every call returns a clone), results cached, Django semantics.

Building a QuerySet never touches the network; the methods under the banner below do, through
the session resolved when they run (``using()`` or the active ``with client.tenant(...)``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, Self, overload

from typing_extensions import TypeVar

from asperion_orm.exceptions import FieldError, NotFound, NotSupportedError
from asperion_orm.orm.aggregates import Aggregate, Count, Star
from asperion_orm.orm.async_methods import AsyncMethods
from asperion_orm.orm.combinators import CombinatorMethods
from asperion_orm.orm.combine import distinct_rows, row_key
from asperion_orm.orm.explaining import ExplainMethods
from asperion_orm.orm.expressions import AnnotationField, Col, Expression, OrderBy, Ref
from asperion_orm.orm.fetcher import Fetcher
from asperion_orm.orm.fields import Date, DateTime, Field
from asperion_orm.orm.grouping import aggregate_rows
from asperion_orm.orm.iterables import (
    DatesIterable,
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    RowIterable,
    ValuesIterable,
    ValuesListIterable,
)
from asperion_orm.orm.lookups import LOOKUP_SEP
from asperion_orm.orm.planner import Plan, joining, plan, server_part
from asperion_orm.orm.q import Q
from asperion_orm.orm.query import Query
from asperion_orm.orm.refusals import Refusals
from asperion_orm.orm.related_loading import RelatedLoading
from asperion_orm.orm.related_rows import (
    PathField,
    attach,
    forward_paths,
    path_field,
    select_hops,
    sort_rows,
)
from asperion_orm.orm.relations import Resolver, has_related
from asperion_orm.orm.repeats import (
    STR_ONLY,
    Repeats,
    add_ordering,
    add_q,
    filter_step,
    plain_bounds,
    root,
    set_limits,
)
from asperion_orm.orm.truncate import (
    DATE_KINDS,
    DATETIME_KINDS,
)
from asperion_orm.orm.where import field_reader
from asperion_orm.orm.writes import WriteMethods
from asperion_orm.session import (
    DEFAULT_BASE_URL,
    Session,
    current_session,
)

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model

__all__ = ["QuerySet"]

M = TypeVar("M", bound="Model")
R = TypeVar("R", default=M)
"""What the QuerySet yields: the model, or ``values()`` dicts, ``values_list()`` tuples..."""
P = ParamSpec("P")
T = TypeVar("T")
Raw = dict[str, Any]

MAX_GET_RESULTS = 21


class QuerySet(
    ExplainMethods[M, R],
    CombinatorMethods[M, R],
    RelatedLoading[M, R],
    WriteMethods[M, R],
    AsyncMethods[M, R],
    Refusals,
    Repeats[M, R],
    Generic[M, R],
):
    """A lazy query over one model's API resource."""

    # What a QuerySet holds until a method sets it (immutable values, read from the class, so
    # a copy copies only what was set: the chain of a query copies one at every step).
    _result_cache: list[Any] | None = None
    _iterable_class: type[RowIterable] = ModelIterable
    _row_fields: tuple[Field[Any], ...] = ()
    _row_keys: tuple[str, ...] = ()
    _prefetch: tuple[str, ...] = ()
    _select_related: tuple[str, ...] = ()
    _use_cache = True
    _ttl: float | None = None
    # dates()/datetimes(): (kind, descending, tzinfo or None for the client's, datetimes)
    _dates: tuple[str, bool, dt.tzinfo | None, bool] = ("day", False, None, False)

    def __init__(
        self, model: type[M], query: Query | None = None, session: Session | None = None
    ) -> None:
        self.model = model
        # The number of the query's state among the remembered steps (``_step``), if known.
        self._key = None
        if query is None:  # a copy of the model's remembered empty query, numbered as it is
            self._key, query = root(model)
        # The query, shared (with the remembered steps, or the QuerySet this one was copied
        # from) until something asks for ``query``, which may change it: that gets a copy.
        self._query: Query = query
        self._query_shared = self._key is not None
        self._session = session

    if TYPE_CHECKING:  # set by the manager module, which builds on this one

        @classmethod
        def as_manager(cls) -> Self:
            """Return a manager with this class's methods, typed as this class (see there)."""

    def __repr__(self) -> str:
        if self._result_cache is not None:
            return f"<QuerySet {self._result_cache!r}>"
        return f"<QuerySet {self.model.__name__}: {str(self.query).splitlines()[0]}>"

    # -- chainable methods ---------------------------------------------------------------------

    def all(self) -> Self:
        """Return a copy of this QuerySet."""
        return self._chain(same_query=True)

    def filter(self, *args: Q, **kwargs: Any) -> Self:
        """Return rows matching every condition (``Q`` objects and keyword lookups)."""
        query = self._query
        if query.combinator:
            self._not_support_combined_queries("filter")
        if query.low_mark or query.high_mark is not None:  # ``is_sliced``, without a call
            raise TypeError("Cannot filter a query once a slice has been taken.")
        step = None if args else filter_step("filter", kwargs)
        return self._step(step, add_q, args, kwargs, False)

    def exclude(self, *args: Q, **kwargs: Any) -> Self:
        """Return rows not matching the conditions taken together."""
        self._not_support_combined_queries("exclude")
        return self._filter(args, kwargs, True, None if args else filter_step("exclude", kwargs))

    def complex_filter(self, filter_obj: Q | Mapping[str, Any]) -> Self:
        """Filter by a ``Q`` object or a dict of keyword lookups (Django's ``complex_filter``)."""
        if isinstance(filter_obj, Q):
            return self.filter(filter_obj)
        if isinstance(filter_obj, Mapping):
            return self.filter(**filter_obj)
        raise TypeError(f"complex_filter() takes a Q object or a dict, not {filter_obj!r:.40}.")

    def order_by(self, *names: str | Expression | OrderBy) -> Self:
        """Order by fields, annotations or expressions; no names clears the ordering.

        ``"-name"`` is descending; ``F("x").desc(nulls_last=True)`` places NULLs explicitly.
        """
        query = self._query
        if query.low_mark or query.high_mark is not None:  # ``is_sliced``, without a call
            raise TypeError("Cannot reorder a query once a slice has been taken.")
        step = ("order_by", names) if set(map(type, names)) <= STR_ONLY else None
        return self._step(step, add_ordering, *names)

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
        clone = self._chain(same_query=True)
        clone._session = session
        return clone

    def cache(self, enabled: bool = True, *, ttl: float | None = None) -> Self:
        """Turn the response cache off, or set its lifetime for this query."""
        clone = self._chain(same_query=True)
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

    def server_only(self) -> Self:
        """Raise ``QueryError`` instead of evaluating any step locally."""
        clone = self._chain()
        clone.query.server_only = True
        return clone

    @property
    def ordered(self) -> bool:
        """Return whether the results have a defined order (groups ignore Meta.ordering; always,
        for ``none()``: Django)."""
        if self._iterable_class is DatesIterable or self.query.empty:
            return True
        default = self.query.default_ordering and bool(self.model._meta.ordering)
        return bool(self.query.order_by) or (default and self.query.group_by != "values")

    def _plan(self, session: Session | None, query: Query | None = None) -> Plan:
        self.model._meta.check_readable()
        query = query or self._query  # read only
        key = self._key if query is self._query else None
        if session is None:
            return plan(query, DEFAULT_BASE_URL, key=key)
        return plan(query, session.base_url, session.capabilities, session.time_zone, key=key)

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
        if type(key) is slice and key.step is None and plain_bounds(key.start, key.stop):
            if self._result_cache is not None:  # the commonest slice, checked without a call
                return self._result_cache[key]
            low, high = key.start, key.stop
            return self._step(("slice", low, high), set_limits, low, high)
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
        low, high = key.start, key.stop
        clone = self._step(("slice", low, high), set_limits, low, high)
        return list(clone)[:: key.step] if key.step else clone

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            session = self._session or current_session()  # ``_resolve_session``
            rows = None if self._key is None else self._repeat(session)
            if rows is None:
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
            return itertools.islice(items, self._query.low_mark, self._query.high_mark)
        query, plan = self._checked_plan(session, whole=True)
        paths = self._paths(query)
        if plan.grouping is not None and paths:
            groups = self._groups_with_paths(plan, paths, session)
            return iter(self._iterable_class(self, session, groups, plan))
        # Instances copy a row before changing it, so they may keep a cached page's own rows.
        shared = self._iterable_class is ModelIterable and not paths
        rows: Iterable[Raw] = self._fetcher(session, plan, chunk_size, shared=shared).rows()
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
        query = self._query  # read only
        distinct_values = query.distinct and self._iterable_class is not ModelIterable
        return bool(query.combinator) or distinct_values or self._iterable_class is DatesIterable

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
            plan.check_local(strict=self._query.server_only or session.strict)
        if query.related_ordering and query.group_by != "values":  # groups are ordered here
            plan = self._plan(session, server_part(query, whole=whole))
        return query, plan

    def _resolved(self, session: Session) -> Query:
        """Return the query with its relation conditions run (inner queries, same session)."""
        if self._key is not None:  # remembered steps hold plain lookups only (``rememberable``)
            return self._query  # read only
        strict = self.query.server_only or session.strict
        resolver = Resolver(session, strict=strict, cache=self._use_cache, ttl=self._ttl)
        return resolver.query(self.query)

    def _fetcher(
        self, session: Session, plan: Plan, chunk_size: int | None = None, *, shared: bool = False
    ) -> Fetcher:
        return Fetcher(
            session, plan, chunk_size=chunk_size, cache=self._use_cache, ttl=self._ttl,
            shared=shared,
        )  # fmt: skip


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
