"""The planner: split a ``Query`` into requests the server answers and steps that run locally.

The server part is equality, ``in``, a same-field OR of equalities, ``gte``/``lte``/``range``
and ``gt``/``lt`` on range-filterable fields (exact on fields with a scale: ``id__gt=5`` is
``id_from=6``, ``price__gte=Decimal("499.995")`` is ``price_from=500.00``), text
comparisons through ``<Field>_comparison``, a year or a day of a range-filterable date or
datetime (``date__year=2026``, ``created__date=d``: the bounds of that year or day, in the
plan's time zone), a one-field order and ``only()`` as ``fields=``. Everything else
(cross-field OR, case-insensitive lookups, other transforms, a multi-field order) runs over
the streamed pages.

The server narrows, the client verifies: where the server's answer may differ from Django's
(text compared without regard to case or with ``Contains``, a strict bound on a field without
a scale), the lookup is sent *and* re-checked here (``Plan.verify``), and ``count()`` and
``exists()`` count the verified rows instead of trusting ``MetaOnly``. A condition no stored
value can meet (``id=2**40``) makes the plan empty: no request at all. What the server can do
comes from ``Capabilities``. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from asperion_orm.capabilities import DEFAULT_CAPABILITIES, Capabilities
from asperion_orm.exceptions import QueryError
from asperion_orm.orm.expressions import OrderBy
from asperion_orm.orm.fields import Field, ForeignKey, String
from asperion_orm.orm.grouping import (
    Annotator,
    Grouping,
    aggregates_in,
    expressions_in,
    partition,
)
from asperion_orm.orm.lookups import EQUAL, LOOKUP_SEP, Exact, In, Lookup, render
from asperion_orm.orm.q import Q
from asperion_orm.orm.rows import RowReader
from asperion_orm.orm.shapes import Memo, query_shape
from asperion_orm.orm.stack import caller_level
from asperion_orm.orm.transforms import Transformed
from asperion_orm.orm.where import Where
from asperion_orm.session import DEFAULT_BASE_URL, DEFAULT_TIME_ZONE

if TYPE_CHECKING:
    from asperion_orm.orm.aggregates import Aggregate
    from asperion_orm.orm.options import Options
    from asperion_orm.orm.query import Query

__all__ = [
    "LocalEvaluationWarning",
    "Plan",
    "Request",
    "expression_key",
    "joining",
    "ordering_columns",
    "plan",
    "server_part",
    "window_pages",
]

MAX_URL_BYTES = DEFAULT_CAPABILITIES.max_url_bytes
# Room for the longest paging suffix a request of the plan may get.
PAGING_RESERVE = len("&page=999999&pageSize=100")
# ``str(plan)`` lists at most this many pages of a slice (it asks no more than its rows fill).
LISTED_PAGES = 10

Params = tuple[tuple[str, str], ...]
Ordering = tuple[str | OrderBy, ...]

# The ``<Field>_comparison`` value that answers each text lookup (narrowing where case differs).
COMPARISONS = {
    "exact": "Equals",
    "in": "Equals",
    "contains": "Contains",
    "startswith": "StartsWith",
    "endswith": "EndsWith",
}
COMPARISON_SUFFIX = "_comparison"
VERIFIED_SLICE_PAGE = 25  # the API's default page size


class LocalEvaluationWarning(UserWarning):
    """Part of a query runs on this machine over every page the server returns."""


@dataclass(frozen=True)
class Request:
    """One GET, printable as ``GET /path?sorted-query``."""

    path: str
    params: Params = ()

    def __str__(self) -> str:
        query = urlencode(sorted(self.params))
        return f"GET /{self.path}" + (f"?{query}" if query else "")

    def url(self, base_url: str) -> str:
        """Return the full URL as it goes on the wire (parameters in sending order)."""
        query = urlencode(self.params)
        return f"{base_url.rstrip('/')}/{self.path}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Plan:
    """The server requests and local steps answering one query."""

    meta: Options
    params: Params
    chunks: tuple[Params, ...] = ((),)
    local_where: Where = field(default_factory=Where)
    verify: Where = field(default_factory=Where)
    local_order: Ordering = ()
    ordering: Ordering = ()
    low: int = 0
    high: int | None = None
    empty: bool = False
    unmatched: tuple[str, ...] = ()
    page_size: int = 100
    verified: tuple[str, ...] = ()
    time_zone: dt.tzinfo = DEFAULT_TIME_ZONE
    # Annotations computed for each row, conditions on them, and GROUP BY (values().annotate).
    annotator: Annotator | None = None
    late_where: Where = field(default_factory=Where)
    grouping: Grouping | None = None

    def __str__(self) -> str:
        if self.empty:
            return "(no request: the query matches nothing)"
        return "\n".join(str(request) for request in self.first_requests())

    # -- shape ---------------------------------------------------------------------------------

    @functools.cached_property  # a plan is a value: asked on every repeat, computed once
    def local(self) -> bool:
        """Return whether any step runs locally (filtering or ordering) over unnarrowed rows."""
        return bool(self.local_where) or bool(self.local_order) or bool(self.late_where)

    @functools.cached_property  # a plan is a value: asked on every repeat, computed once
    def checked_here(self) -> bool:
        """Return whether rows are filtered, ordered or grouped here, verification included.

        Then the server's counts and pages are not the answer: ``count()`` counts rows here.
        """
        return self.local or bool(self.verify) or self.grouping is not None

    @functools.cached_property  # a plan is a value: asked on every repeat, computed once
    def windowed(self) -> bool:
        """Return whether the server pages can answer the slice directly."""
        return not self.checked_here and len(self.chunks) == 1

    @functools.cached_property  # a plan is a value: asked on every repeat, computed once
    def merged(self) -> bool:
        """Return whether several chunks are merged, de-duplicated and re-sorted."""
        return len(self.chunks) > 1

    def one_page_each(self) -> bool:
        """Return whether every chunk's first page holds all its rows (a page of ids or fewer)."""
        pk = self.meta.pk.api_name
        sizes = [sum(name == pk for name, _ in self.params + chunk) for chunk in self.chunks]
        return all(0 < size <= self.page_size for size in sizes)

    def local_steps(self) -> list[str]:
        """Return what runs locally, without values (the query's shape)."""
        steps = []
        if self.verify:
            steps.append(f"verify {', '.join(self.verified)}")
        if self.local_where:
            steps.append(f"filter {self.local_where.shape()}")
        if self.late_where:
            steps.append(f"filter on annotations {self.late_where.shape()}")
        if self.local_order:
            steps.append(f"order by {', '.join(map(str, self.local_order))}")
        return steps

    def shape(self) -> str:
        """Return a one-line description of the local work, for warnings and errors."""
        return f"{self.meta.label}: {'; '.join(self.local_steps())} evaluated locally"

    # -- requests ------------------------------------------------------------------------------

    def request(self, chunk: Params = (), *extra: tuple[str, str]) -> Request:
        """Return the GET for one chunk with extra parameters (paging, MetaOnly)."""
        return Request(self.meta.check_path(), self.params + chunk + extra)

    def page(self, number: int, size: int, chunk: Params = ()) -> Request:
        """Return the GET for page ``number`` (1-based) of ``size`` rows."""
        return self.request(chunk, ("page", str(number)), ("pageSize", str(size)))

    def first_page(self, size: int) -> Request:
        """Return ``page(1, size)``, made once per size (a remembered plan is asked again)."""
        pages = self._first_pages
        request = pages.get(size)
        if request is None:
            request = pages[size] = self.page(1, size)
        return request

    @functools.cached_property
    def first_request(self) -> Request:
        """Return ``page(1, page_size)``, made once."""
        return self.first_page(self.page_size)

    @functools.cached_property
    def _first_pages(self) -> dict[int, Request]:
        return {}

    @functools.cached_property
    def settled_by_first_page(self) -> bool:
        """Tell whether the rows may come from page 1 alone, once cached (the fetcher's
        ``_first_page``): one chunk, nothing after the local filter but the slice."""
        return not (
            self.empty
            or self.windowed
            or self.merged
            or self.annotator is not None
            or self.late_where
            or self.grouping is not None
            or self.local_order
        )

    @functools.cached_property
    def deferred(self) -> frozenset[str]:
        """Return the names of the fields ``fields=`` leaves out (none without ``fields=``)."""
        fetched = dict(self.params).get("fields")
        if fetched is None:
            return frozenset()
        api_names = set(fetched.split(","))
        return frozenset(f.name for f in self.meta.fields.values() if f.api_name not in api_names)

    def count_requests(self) -> list[Request]:
        """Return the ``MetaOnly`` requests that count the rows of every chunk."""
        return [self.request(chunk, ("MetaOnly", "true")) for chunk in self.chunks]

    def first_requests(self) -> list[Request]:
        """Return the requests sent first: the window's pages, or page 1 of every chunk."""
        if self.windowed and self.high is not None:
            size, first, last = window_pages(self.low, self.high, self.page_size)
            listed = range(first, min(last, first + LISTED_PAGES - 1) + 1)
            return [self.page(number, size) for number in listed]
        if self.windowed:
            size = self.page_size
            return [self.page(self.low // size + 1, size)]
        return [self.page(1, self.page_size, chunk) for chunk in self.chunks]

    # -- explanation ---------------------------------------------------------------------------

    def explain(self) -> str:
        """Describe the requests and the local steps, without any I/O."""
        if self.empty:
            unmatched = ", ".join(self.unmatched)
            return str(self) + (f"\nno value the API holds meets {unmatched}" if unmatched else "")
        lines = [str(request) for request in self.first_requests()]
        if self.windowed and self.high is not None:
            _, first, last = window_pages(self.low, self.high, self.page_size)
            if last - first + 1 > LISTED_PAGES:
                lines.append(f"  ...then up to page {last}, as far as the rows go")
            elif last > first:
                lines.append("  ...the pages after the first as far as the rows go")
        elif not self.one_page_each():
            lines.append("  ...then the remaining pages, concurrently when answers are slow")
        if self.merged:
            lines.append(f"merge {len(self.chunks)} chunks: de-duplicate by id, re-sort")
        if self.verify:
            narrowing = "; ".join(self._narrowing()) or "the filters above"
            lines.append(f"server narrows: {narrowing}; verified here: {', '.join(self.verified)}")
        lines += self._annotation_lines()
        lines += [f"local: {step}" for step in self.local_steps() if not step.startswith("verify")]
        if self.grouping is not None:
            lines += self.grouping.explain()
        if not self.windowed and (self.low or self.high is not None):
            lines.append(f"local: slice [{self.low}:{'' if self.high is None else self.high}]")
        return "\n".join(lines)

    def _annotation_lines(self) -> list[str]:
        """Describe the annotations and the requests for their related rows."""
        if self.annotator is None:
            return []
        return self.annotator.explain(lambda query: str(plan(query).request()))

    def _narrowing(self) -> list[str]:
        """Return the server parameters of the verified fields, as sent (first chunk)."""
        lookups = self.verify.lookups()
        names = {field.api_name.lower() for lookup in lookups for field in lookup.columns()}
        pairs = dict.fromkeys([*self.params, *self.chunks[0]])
        return [f"{name}={value}" for name, value in pairs if _filtered_field(name) in names]

    def check_local(self, *, strict: bool) -> None:
        """Raise in strict mode, else warn once per query shape, when steps run locally."""
        if not self.local:
            return
        if strict:
            raise QueryError(
                f"{self.shape()}, which strict mode forbids. Narrow the query to what the "
                "server can filter, or drop strict mode / server_only()."
            )
        _warn_once(self.shape())


@functools.cache
def _warn_once(shape: str) -> None:
    warnings.warn(shape, LocalEvaluationWarning, stacklevel=caller_level())


@functools.lru_cache(maxsize=1024)
def window_pages(low: int, high: int, max_size: int) -> tuple[int, int, int]:
    """Return ``(page_size, first_page, last_page)`` covering rows ``[low, high)`` cheaply.

    Fewest requests first, then fewest rows transferred.
    """
    candidates = []
    for size in range(1, max_size + 1):
        first, last = low // size + 1, (high - 1) // size + 1
        candidates.append(((last - first + 1, (last - first + 1) * size), (size, first, last)))
    return min(candidates)[1]


# -- building a plan ---------------------------------------------------------------------------


# Plans of recent query shapes: a plan is a value, so queries of one shape share it.
_PLANS = Memo(256)


def plan(
    query: Query,
    base_url: str = DEFAULT_BASE_URL,
    capabilities: Capabilities = DEFAULT_CAPABILITIES,
    time_zone: dt.tzinfo = DEFAULT_TIME_ZONE,
    *,
    key: int | None = None,
) -> Plan:
    """Split ``query`` into server requests, verification and local steps.

    The plan of a query of a shape planned recently is the one made then (``query_shape``).
    ``key``: the number a QuerySet's remembered steps give this very query (``_step``), which
    stands for its shape without computing it.
    """
    if key is not None:
        found: Plan | None = _PLANS.find((key, base_url, capabilities, time_zone))
        if found is not None:
            return found
        shape: tuple[Any, ...] | None = (key, base_url, capabilities, time_zone)
    else:
        shape = query_shape(query, base_url, capabilities, time_zone)
    return _PLANS.get(shape, lambda: _plan(query, base_url, capabilities, time_zone))


def _plan(query: Query, base_url: str, capabilities: Capabilities, time_zone: dt.tzinfo) -> Plan:
    if query.group_by == "values":
        return _grouped(query, base_url, capabilities, time_zone)
    meta = query.model._meta
    page_size = min(meta.max_page_size, capabilities.max_page_size)
    where, late, having = partition(query.where)
    late = Where(late.children + having.children)  # each row is its own group
    split = _Split(meta, capabilities, time_zone)
    split.take(where.zoned(time_zone))
    server_order, local_order = _split_order(meta, query.ordering, capabilities)
    params = split.params() + server_order
    checked = [*split.local, *split.verify, *late.children]
    params += _fields_param(query, checked, local_order) + query.params
    chunks = _chunk(meta, params, split, base_url, capabilities.max_url_bytes, page_size)
    high = query.high_mark
    if split.verify and not (split.local or local_order) and len(chunks[1]) == 1 and high:
        # A slice of verified rows usually needs little more than its own rows; the floor
        # (the API's default page) keeps rows that fail verification from costing a request
        # each.
        page_size = min(page_size, max(high, VERIFIED_SLICE_PAGE))
    return Plan(
        meta=meta,
        params=chunks[0],
        chunks=chunks[1],
        local_where=Where(tuple(split.local)),
        verify=Where(tuple(split.verify)),
        local_order=local_order,
        ordering=query.ordering,
        low=query.low_mark,
        high=query.high_mark,
        empty=query.empty or split.empty,
        unmatched=tuple(split.unmatched),
        page_size=page_size,
        verified=tuple(split.verified),
        time_zone=time_zone,
        annotator=_annotator(query, time_zone, page_size, late),
        late_where=late,
    )


def _annotator(
    query: Query, time_zone: dt.tzinfo, batch: int, conditions: Where
) -> Annotator | None:
    """Return the step that computes each row's annotations (related rows a page at a time)."""
    if not query.annotations:
        return None
    return Annotator(query.annotations, query.model._meta.pk, time_zone, batch, conditions)


def _grouped(query: Query, base_url: str, capabilities: Capabilities, time_zone: dt.tzinfo) -> Plan:
    """Plan ``values(...).annotate(<aggregate>)``: the rows' plan, then GROUP BY and HAVING.

    Django's grouping: the selected fields and non-aggregate annotations, and what an explicit
    ``order_by()`` names (Meta.ordering takes no part, and does not order the groups).
    """
    where, late, having = partition(query.where)
    ordering = query.explicit_ordering()
    grouped = {name: e for name, e in query.annotations.items() if e.has_aggregate}
    keys = query.group_keys(ordering)
    inner = query.clone()
    inner.where = Where(where.children + late.children)
    inner.annotations = {name: e for name, e in query.annotations.items() if not e.has_aggregate}
    inner.group_by, inner.order_by, inner.default_ordering = None, (), False
    inner.standard_ordering, inner.low_mark, inner.high_mark = True, 0, None
    aggregates = aggregates_in([*grouped.values(), *expressions_in(having)])
    if inner.only:
        read = [key for e in [*keys, *aggregates] for key in e.columns()]
        inner.only = tuple(dict.fromkeys([*inner.only, *(f.name for f in read)]))
    rows = joining(plan(inner, base_url, capabilities, time_zone), inner, aggregates)
    grouping = Grouping(keys, grouped, having, ordering, time_zone)
    return dataclasses.replace(
        rows, grouping=grouping, low=query.low_mark, high=query.high_mark, ordering=()
    )


def joining(rows: Plan, query: Query, aggregates: Sequence[Aggregate]) -> Plan:
    """Return ``rows`` (the plan of ``query``) also reading what ``aggregates`` join.

    An aggregate over a reverse relation (``Count("sales_invoices")``) needs the related rows
    of every row: the annotator fetches them a page of rows at a time.
    """
    if not any(agg.relation is not None for agg in aggregates):
        return rows
    annotator = Annotator(
        query.annotations,
        query.model._meta.pk,
        rows.time_zone,
        rows.page_size,
        rows.late_where,
        joined=aggregates,
    )
    return dataclasses.replace(rows, annotator=annotator)


class _Split:
    """Sort the top-level conditions into server parameters and local conditions."""

    def __init__(self, meta: Options, capabilities: Capabilities, time_zone: dt.tzinfo) -> None:
        self.meta = meta
        self.caps = capabilities
        self.time_zone = time_zone
        self.equal: dict[str, list[str]] = {}
        self.comparisons: dict[str, str] = {}
        self.ranges: dict[str, str] = {}
        self.local: list[Where | Lookup] = []
        self.verify: list[Where | Lookup] = []
        self.verified: list[str] = []
        self.empty = False
        self.unmatched: list[str] = []

    def take(self, where: Where) -> None:
        """Place every top-level condition of an AND tree."""
        for child in where.children:
            if isinstance(child, Lookup):
                self._lookup(child)
            elif child.connector == Q.AND and not child.negated:
                self.take(child)
            elif _never_false(child):
                continue
            elif not self._same_field_or(child) and not self._not_equal(child):
                self.local.append(child)

    def _lookup(self, lookup: Lookup) -> None:
        if lookup.local_only:
            self.local.append(lookup)
            return
        if lookup.impossible():
            self.empty = True  # known without asking: e.g. id=2**40, or 500.001 on cents
            self.unmatched.append(lookup.key)
            return
        if _is_text(lookup.field) and lookup.name in COMPARISONS:
            self._text(lookup, lookup, COMPARISONS[lookup.name])
            return
        if isinstance(lookup, Transformed):
            self._transformed(lookup)
            return
        pushed = self._push_equal(lookup) if lookup.server == (EQUAL,) else self._push_range(lookup)
        if not pushed:
            self.local.append(lookup)
        elif not lookup.server_exact():
            self._verify(lookup, "inclusive bound")

    def _transformed(self, lookup: Transformed) -> None:
        """Send the bounds of a year or day where the server filters the field by range."""
        if not self._push_bounds(lookup.source, lookup.source_bounds(self.time_zone)):
            self.local.append(lookup)
        elif not lookup.server_exact():
            self._verify(lookup, "first to last value")

    def _verify(self, node: Where | Lookup, reason: str) -> None:
        """Keep a condition the server narrows by, to re-check every row it returns."""
        self.verify.append(node)
        keys = list(dict.fromkeys(lookup.key for lookup in Where((node,)).lookups()))
        negated = isinstance(node, Where) and node.negated
        self.verified.append(f"{'not ' if negated else ''}{' or '.join(keys)} ({reason})")

    def _text(self, node: Where | Lookup, lookup: Lookup, comparison: str) -> None:
        """Send a text condition with ``<Field>_comparison``; verify it unless exact here."""
        caps = self.caps
        plain = comparison == "Equals" and not caps.text_comparison  # Contains, or Equals
        if not (caps.text_comparison or plain) or not self._push_equal(lookup):
            self.local.append(node)
            return
        if caps.text_comparison:
            self.comparisons[lookup.field.api_name] = comparison
        if not (caps.text_exact if comparison == "Equals" else caps.text_case_sensitive is True):
            reason = "case" if caps.text_default == "equals" or caps.text_comparison else "contains"
            self._verify(node, reason)

    def _not_equal(self, node: Where) -> bool:
        """Push ``exclude(field="x")`` as ``NotEquals`` where the server answers it exactly.

        Only on a text field that is never null (a server's ``<>`` drops null rows, which
        Django's ``exclude`` keeps) and when comparisons are known to respect case.
        """
        only = node.children[0] if len(node.children) == 1 else None
        if not (node.negated and isinstance(only, Exact) and _is_text(only.field)):
            return False
        if only.field.null or not (self.caps.text_comparison and self.caps.text_exact):
            return False
        if not self._push_equal(only):
            return False
        self.comparisons[only.field.api_name] = "NotEquals"
        return True

    def _push_equal(self, lookup: Lookup) -> bool:
        name = lookup.field.api_name
        if lookup.field.name not in self.meta.filterable or name in self.equal:
            return False
        self.equal[name] = _rendered(lookup)
        if not self.equal[name]:
            self.empty = True
            self.unmatched.append(lookup.key)
        return True

    def _push_range(self, lookup: Lookup) -> bool:
        pairs = lookup.params() if lookup.server and self.caps.range_filters else []
        return self._push_pairs(lookup.field, pairs)

    def _push_bounds(self, field: Field[Any], bounds: list[tuple[str, Any]]) -> bool:
        """Send inclusive ``(suffix, value)`` bounds on ``field`` (the range of a transform)."""
        pairs = [(field.api_name + suffix, render(field, value)) for suffix, value in bounds]
        return self._push_pairs(field, pairs if self.caps.range_filters else [])

    def _push_pairs(self, field: Field[Any], pairs: list[tuple[str, str]]) -> bool:
        if field.name not in self.meta.range_filterable or not pairs:
            return False
        if any(name in self.ranges for name, _ in pairs):
            return False
        self.ranges.update(pairs)
        return True

    def _same_field_or(self, node: Where) -> bool:
        """Push ``Q(f=a) | Q(f=b) | Q(f__in=[c])`` as repeated ``f`` parameters."""
        children = node.children
        if node.negated or node.connector != Q.OR or not children:
            return False
        if not all(
            isinstance(c, Lookup) and c.server == (EQUAL,) and not c.placeholder for c in children
        ):
            return False
        lookups = [c for c in children if isinstance(c, Lookup)]
        if len({lookup.field.name for lookup in lookups}) != 1:
            return False
        merged = In(lookups[0].field, [v for c in lookups for v in _values(c)])
        if _is_text(merged.field):
            self._text(node, merged, "Equals")
            return True
        return self._push_equal(merged)

    def params(self) -> Params:
        """Return the server filter parameters."""
        pairs = [(name, value) for name, values in self.equal.items() for value in values]
        comparisons = [(name + COMPARISON_SUFFIX, c) for name, c in self.comparisons.items()]
        return tuple(pairs) + tuple(comparisons) + tuple(self.ranges.items())


def _never_false(node: Where) -> bool:
    """Tell whether a node is ``NOT (a AND …)`` with an ``a`` nothing the API holds meets.

    Django answers ``exclude(id=2**40)`` with every row, null ones included, as this does.
    """
    parts = node.children
    impossible = any(isinstance(part, Lookup) and part.impossible() for part in parts)
    return node.negated and node.connector == Q.AND and impossible


def _is_text(field: Field[Any]) -> bool:
    """Tell whether the server compares a field as text (a string, or a key to a string id)."""
    if isinstance(field, ForeignKey):
        field = field.key_field()
    return isinstance(field, String)


def _filtered_field(param: str) -> str:
    """Return the lower-case API field a filter parameter is about (``Name_comparison`` → name)."""
    name = param.lower()
    for suffix in (COMPARISON_SUFFIX, "_from", "_to"):
        name = name.removesuffix(suffix)
    return name


def _rendered(lookup: Lookup) -> list[str]:
    """Return the query-string texts of an equality lookup's values (those a row can hold)."""
    if lookup.placeholder:
        return [value for _, value in lookup.params()]
    return [render(lookup.field, value) for value in lookup.server_values()]


def _values(lookup: Lookup) -> Sequence[Any]:
    return lookup.value if isinstance(lookup, In) else [lookup.value]


def _split_order(
    meta: Options, ordering: Ordering, capabilities: Capabilities
) -> tuple[Params, Ordering]:
    """Return the server ``orderby`` parameter, or the ordering to apply locally."""
    plain = tuple(name for name in ordering if isinstance(name, str))
    if len(plain) < len(ordering):
        return (), ordering  # an expression or an annotation: ordered here
    effective = _drop_after_id(plain)
    across = any(LOOKUP_SEP in name for name in effective)  # fields of related rows
    if across or (len(effective) > 1 and not capabilities.multi_field_order_by):
        return (), ordering
    if not effective:
        return (), ()
    names = [
        ("-" if name.startswith("-") else "") + meta.get_field(name.lstrip("-")).api_name
        for name in effective
    ]
    return (("orderby", ",".join(names)),), ()


def _drop_after_id(ordering: tuple[str, ...]) -> tuple[str, ...]:
    """Drop what cannot change the order: anything after ``id``, and a final ``id`` ascending.

    The server breaks ties by id ascending.
    """
    names = list(ordering)
    for index, name in enumerate(names):
        if name.lstrip("-") == "id":
            names = names[: index + 1]
            break
    if len(names) > 1 and names[-1] == "id":
        names.pop()
    return tuple(names)


def _fields_param(
    query: Query, local: list[Where | Lookup], local_order: Iterable[str | OrderBy]
) -> Params:
    """Return ``fields=`` for ``only()``, widened to what local steps, annotations and ids need."""
    if not query.only:
        return ()
    meta = query.model._meta
    names = dict.fromkeys(["id", *query.only, *ordering_columns(query.ordering)])
    for lookup in Where(tuple(local)).lookups():
        names.update(dict.fromkeys(field.name for field in lookup.columns()))
    for expression in query.annotations.values():
        names.update(dict.fromkeys(field.name for field in expression.columns()))
    # A field of related rows (``debtor__city``) needs the key of its first relation.
    fields = dict.fromkeys(meta.get_field(name.partition(LOOKUP_SEP)[0]) for name in names)
    api_names = [field.api_name for field in fields]
    return (("fields", ",".join(api_names)),)


def _chunk(
    meta: Options, params: Params, split: _Split, base_url: str, max_bytes: int, page_size: int
) -> tuple[Params, tuple[Params, ...]]:
    """Split the longest ``in`` list so every URL stays within ``max_bytes``.

    An id list longer than a page is split too, so its pages can be fetched concurrently.
    """
    if not split.equal:
        return params, ((),)
    name = max(split.equal, key=lambda key: len(split.equal[key]))
    many_ids = name == meta.pk.api_name and len(split.equal[name]) > page_size
    if _url_bytes(meta, params, base_url) <= max_bytes and not many_ids:
        return params, ((),)
    fixed = tuple(pair for pair in params if pair[0] != name)
    cap = page_size if name == meta.pk.api_name else None
    budget = max_bytes - _url_bytes(meta, fixed, base_url)
    return fixed, tuple(_pack(name, split.equal[name], budget, cap))


def _pack(name: str, values: list[str], budget: int, cap: int | None) -> Iterator[Params]:
    chunk: list[tuple[str, str]] = []
    used = 0
    for value in values:
        cost = len(urlencode([(name, value)])) + 1
        if chunk and (used + cost > budget or len(chunk) == cap):
            yield tuple(chunk)
            chunk, used = [], 0
        if cost > budget:
            raise QueryError(f"The filter on {name!r} is too long for one URL.")
        chunk.append((name, value))
        used += cost
    yield tuple(chunk)


def _url_bytes(meta: Options, params: Params, base_url: str) -> int:
    return len(Request(meta.check_path(), params).url(base_url)) + PAGING_RESERVE


def ordering_columns(ordering: Iterable[str | OrderBy]) -> Iterator[str]:
    """Yield the names of the fields an ordering reads."""
    for item in ordering:
        if isinstance(item, str):
            yield item.lstrip("-").partition(LOOKUP_SEP)[0]  # a relation's key for its fields
        else:
            yield from (field.name for field in item.expression.columns())


def order_rows(
    rows: list[dict[str, Any]],
    ordering: Sequence[str | OrderBy],
    meta: Options,
    time_zone: dt.tzinfo = dt.UTC,
) -> list[dict[str, Any]]:
    """Sort raw rows by ``ordering`` (``None`` first ascending), ties by id ascending."""
    pk = meta.pk
    rows = sorted(rows, key=lambda row: _sort_key(pk.to_python(row.get(pk.api_name))))
    for item in reversed(ordering):
        if isinstance(item, OrderBy):
            rows.sort(key=expression_key(item, time_zone), reverse=item.descending)
            continue
        field = meta.get_field(item.lstrip("-"))
        rows.sort(
            key=lambda row: _sort_key(field.to_python(row.get(field.api_name))),
            reverse=item.startswith("-"),
        )
    return rows


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def expression_key(order: OrderBy, time_zone: dt.tzinfo) -> Any:
    """Return the sort key of an ordering by an expression (NULL placed as it asks)."""
    expression, null = order.expression, (2, 0) if order.nulls_high() else (0, 0)

    def key(row: dict[str, Any]) -> tuple[int, Any]:
        value = expression.evaluate(RowReader(row, time_zone))
        return null if value is None else (1, value)

    return key


def server_part(query: Query, *, whole: bool) -> Query:
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
