"""The local aggregation steps: annotating each row, and grouping rows (``GROUP BY``/``HAVING``).

Both consume the stream of rows as it comes and hold no more than they must: the annotator
one batch of rows (a page) while it fetches their related rows, the grouping one entry per
group (its key values and its accumulators), never the rows themselves. Results are written
into the rows: an annotation under ``@name``, an aggregate's result under its slot.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from asperion_orm.orm.aggregates import Accumulator, Aggregate
from asperion_orm.orm.expression_lookups import AnnotationLookup, ExpressionLookup
from asperion_orm.orm.expressions import (
    Col,
    Expression,
    OrderBy,
    Ref,
)
from asperion_orm.orm.fields import DateTime, Decimal
from asperion_orm.orm.lookups import Lookup
from asperion_orm.orm.q import Q
from asperion_orm.orm.rows import RowReader
from asperion_orm.orm.where import Where

if TYPE_CHECKING:
    from asperion_orm.orm.fields import ForeignKey
    from asperion_orm.orm.query import Query

__all__ = [
    "Annotator",
    "Grouping",
    "Join",
    "aggregate_rows",
    "aggregates_in",
    "describe",
    "expressions_in",
    "partition",
]

Raw = dict[str, Any]
Fetch = Callable[["Query"], Iterator[Raw]]


def aggregates_in(expressions: Iterable[Expression]) -> list[Aggregate]:
    """Return every aggregate inside the expressions, once each (not those behind a ``Ref``)."""
    found = {
        id(node): node for e in expressions for node in e.walk() if isinstance(node, Aggregate)
    }
    return list(found.values())


def expressions_in(where: Where) -> list[Expression]:
    """Return the expressions the conditions of a tree read (annotations, ``F()`` sides)."""
    found: list[Expression] = []
    for lookup in where.lookups():
        if isinstance(lookup, AnnotationLookup):
            found.append(lookup.source)
        elif isinstance(lookup, ExpressionLookup):
            found += [lookup.lhs, lookup.rhs]
    return found


def describe(name: str, expression: Expression) -> str:
    """Return ``name=expression`` for ``explain()``."""
    return f"{name}={expression!r}"


# -- conditions ------------------------------------------------------------------------------


def _late(node: Where | Lookup) -> tuple[bool, bool]:
    """Return whether a condition reads annotations, and whether it reads an aggregate."""
    lookups = node.lookups() if isinstance(node, Where) else iter((node,))
    late = aggregate = False
    for lookup in lookups:
        if isinstance(lookup, AnnotationLookup | ExpressionLookup):
            aggregate = aggregate or lookup.contains_aggregate
            late = late or isinstance(lookup, AnnotationLookup) or _reads_refs(lookup)
    return late or aggregate, aggregate


def _reads_refs(lookup: ExpressionLookup) -> bool:
    return any(isinstance(node, Ref) for side in (lookup.lhs, lookup.rhs) for node in side.walk())


def partition(where: Where) -> tuple[Where, Where, Where]:
    """Split an AND tree into row conditions, conditions on annotations, and on aggregates.

    As Django's ``split_having``: a top-level condition that reads an aggregate anywhere is a
    HAVING, evaluated on groups; one that reads other annotations is evaluated on each row
    once they are computed; the rest goes to the planner as usual.
    """
    rows: list[Where | Lookup] = []
    late: list[Where | Lookup] = []
    having: list[Where | Lookup] = []
    for child in where.children:
        reads, aggregate = _late(child)
        (having if aggregate else late if reads else rows).append(child)
    return Where(tuple(rows)), Where(tuple(late)), Where(tuple(having))


# -- aggregating over a join ---------------------------------------------------------------------

JOIN_PREFIX = "#join:"


def join_key(relation: ForeignKey) -> str:
    """Return the row key under which a row holds its related rows of ``relation``."""
    assert relation.model is not None
    return f"{JOIN_PREFIX}{relation.model.__name__}.{relation.name}"


class Join:
    """The aggregates of one step, over rows joined to their related rows (SQL's LEFT JOIN).

    A row holding its related rows (``#join:<relation>``) stands for one joined row per
    related row (per combination, over several relations), or one with NULLs where it has
    none: its own fields count that many times, and each related row as many times as the
    other relations' rows, as Django's aggregates over a join count them.
    """

    def __init__(self, aggregates: list[Aggregate]) -> None:
        self.aggregates = aggregates
        found = (agg.relation for agg in aggregates if agg.relation is not None)
        self.relations: list[ForeignKey] = list(dict.fromkeys(found))
        self.keys = [join_key(fk) for fk in self.relations]
        self.own = [i for i, agg in enumerate(aggregates) if agg.relation is None]
        self.by_relation = [
            [i for i, agg in enumerate(aggregates) if agg.relation is fk] for fk in self.relations
        ]

    def accumulators(self) -> list[Accumulator]:
        """Return fresh accumulators, one per aggregate, for one group."""
        return [agg.accumulator() for agg in self.aggregates]

    def feed(self, accumulators: list[Accumulator], row: Raw, reader: RowReader) -> None:
        """Take one row, and the related rows it holds, into the accumulators."""
        if not self.relations:
            for accumulator in accumulators:
                accumulator.add(reader)
            return
        related = [row.get(key) or () for key in self.keys]
        sizes = [max(1, len(rows)) for rows in related]
        total = math.prod(sizes)
        for index in self.own:
            accumulators[index].add(reader, total)
        for rows, indexes, size in zip(related, self.by_relation, sizes, strict=True):
            for child in rows:
                child_reader = RowReader(child, reader.time_zone)
                for index in indexes:
                    accumulators[index].add(child_reader, total // size)


# -- per-row annotations -----------------------------------------------------------------------


class Annotator:
    """Compute each row's annotations; fetch the related rows aggregates read, per page.

    The related rows of a page of objects come in one request series (``<fk>Id`` values in
    URL-length-bounded chunks, ``fields=`` what the aggregates read), not one per object.
    ``joined`` are aggregates of a later step (GROUP BY, ``aggregate()``): the rows keep
    their related rows for it.
    """

    def __init__(
        self,
        annotations: dict[str, Expression],
        pk: Any,
        time_zone: dt.tzinfo,
        batch: int,
        conditions: Where | None = None,
        joined: Sequence[Aggregate] = (),
    ) -> None:
        self.annotations = annotations
        self.pk = pk
        self.time_zone = time_zone
        self.batch = batch
        read = expressions_in(conditions) if conditions is not None else []
        self.join = Join(aggregates_in([*annotations.values(), *read]))
        self.later = Join(list(joined))
        self.related: dict[ForeignKey, list[Aggregate]] = {}
        for agg in [*self.join.aggregates, *self.later.aggregates]:
            if agg.relation is not None:
                self.related.setdefault(agg.relation, []).append(agg)
        # A filter on the related rows may go to the server only when no count depends on
        # how many related rows there are (an aggregate of the row's own fields).
        self.narrow = len(self.related) == 1 and not (self.join.own or self.later.own)

    def related_queries(self) -> list[tuple[ForeignKey, Query]]:
        """Return each relation with the query of its related rows (before the ids filter)."""
        queries = []
        for fk, aggs in self.related.items():
            assert aggs[0].related_query is not None
            query = aggs[0].related_query.clone()
            names = [fk.name, *(f.name for agg in aggs for f in agg.related_columns())]
            query.only = tuple(dict.fromkeys(names))
            shared = aggs[0].condition
            if self.narrow and shared and all(agg.filter == aggs[0].filter for agg in aggs):
                query.where = query.where.add(shared)  # only the rows every aggregate reads
            queries.append((fk, query))
        return queries

    def rows(self, rows: Iterator[Raw], fetch: Fetch) -> Iterator[Raw]:
        """Yield the rows with their annotations computed."""
        if not self.related:
            for row in rows:
                yield self._finish(row)
            return
        queries = self.related_queries()
        # A key the server cannot filter by means reading every related row: do it once.
        server = all(fk.name in fk.model._meta.filterable for fk, _ in queries if fk.model)
        size = self.batch if server else None
        while batch := list(itertools.islice(rows, size)):
            for fk, query in queries:
                self._attach(batch, fk, query, fetch)
            for row in batch:
                yield self._finish(row)

    def _attach(self, batch: list[Raw], fk: ForeignKey, query: Query, fetch: Fetch) -> None:
        """Give each row of a batch its related rows, from one request series for the batch."""
        ids = [self.pk.to_python(row.get(self.pk.api_name)) for row in batch]
        related: dict[Any, list[Raw]] = {pk: [] for pk in ids}
        query = query.clone()
        query.add_q(Q((f"{fk.name}__in", ids)))
        for child in fetch(query):
            related.get(fk.to_python(child.get(fk.api_name)), []).append(child)
        key = join_key(fk)
        for row, pk in zip(batch, ids, strict=True):
            row[key] = related[pk]

    def _finish(self, row: Raw) -> Raw:
        reader = RowReader(row, self.time_zone)
        if self.join.aggregates:  # the row is its own group (with its related rows)
            accumulators = self.join.accumulators()
            self.join.feed(accumulators, row, reader)
            for agg, accumulator in zip(self.join.aggregates, accumulators, strict=True):
                row[agg.slot] = accumulator.result()
        if not self.later.relations:
            for key in self.join.keys:
                del row[key]
        for name, expression in self.annotations.items():
            row[Ref.prefix + name] = expression.evaluate(reader)
        return row

    def explain(self, base: Callable[[Query], str]) -> list[str]:
        """Describe the related requests and the annotations, for ``explain()``."""
        lines = []
        for fk, query in self.related_queries():
            if fk.model is not None and fk.name not in fk.model._meta.filterable:
                lines.append(
                    f"then, once: {base(query)}, every page (the API cannot filter by "
                    f"{fk.api_name}; matched here)"
                )
                continue
            lines.append(
                f"then, per page of {self.batch} rows: {base(query)}&{fk.api_name}=<their ids>"
                f" ({fk.api_name} in URL-length-bounded chunks, pages concurrently when answers"
                " are slow)"
            )
        if self.annotations:
            names = ", ".join(describe(n, e) for n, e in self.annotations.items())
            lines.append(f"local: annotate {names}")
        return lines


# -- GROUP BY ----------------------------------------------------------------------------------


class Grouping:
    """Group rows by key expressions, aggregate each group, keep the groups ``having`` accepts.

    Each group yields a row-like dict: the raw values of the key's fields, the annotations
    under ``@name``; so ``values()``, ``HAVING`` lookups and ordering read it like a row.
    """

    def __init__(
        self,
        keys: list[Expression],
        annotations: dict[str, Expression],
        having: Where,
        ordering: tuple[str | OrderBy, ...],
        time_zone: dt.tzinfo,
    ) -> None:
        self.keys = keys
        self.annotations = annotations
        self.aggregates = aggregates_in([*annotations.values(), *expressions_in(having)])
        self.join = Join(self.aggregates)
        self.having = having
        self.ordering = ordering
        self.time_zone = time_zone
        self.copied = _copied(keys)

    def rows(self, rows: Iterator[Raw]) -> Iterator[Raw]:
        """Consume the rows and yield one row per group (in order of first appearance)."""
        key_of = self._key_function()
        groups: dict[Any, tuple[Raw, list[Accumulator]]] = {}
        zone, join = self.time_zone, self.join
        plain = not join.relations
        for row in rows:
            reader = RowReader(row, zone)
            key = key_of(reader)
            entry = groups.get(key)
            if entry is None:
                entry = groups[key] = (self._head(row), join.accumulators())
            if plain:  # the common case, inlined: the loop every row of a GROUP BY runs
                for accumulator in entry[1]:
                    accumulator.add(reader)
            else:
                join.feed(entry[1], row, reader)
        for head, accumulators in groups.values():
            if self._finish(head, accumulators):
                yield head

    def _key_function(self) -> Callable[[RowReader], Any]:
        """Return the group key of a row: raw values where they are the value (fast)."""
        if len(self.keys) == 1 and (api_name := _raw_name(self.keys[0])):
            return lambda reader: _hashable(reader.raw.get(api_name))
        keys = self.keys
        return lambda reader: tuple(_hashable(_key_value(key, reader)) for key in keys)

    def _head(self, row: Raw) -> Raw:
        return {name: row.get(name) for name in self.copied}

    def _finish(self, head: Raw, accumulators: list[Accumulator]) -> bool:
        for aggregate, accumulator in zip(self.aggregates, accumulators, strict=True):
            head[aggregate.slot] = accumulator.result()
        reader = RowReader(head, self.time_zone)
        for name, expression in self.annotations.items():
            head[Ref.prefix + name] = expression.evaluate(reader)
        return not self.having or self.having.matches(reader)

    def explain(self) -> list[str]:
        """Describe the grouping, for ``explain()``."""
        keys = ", ".join(_key_name(key) for key in self.keys) or "(all rows)"
        names = ", ".join(describe(n, e) for n, e in self.annotations.items())
        lines = [f"local: group by {keys}; {names} (streamed: one entry per group)"]
        if self.having:
            lines.append(f"local: having {self.having.shape()}")
        if self.ordering:
            lines.append(f"local: order groups by {', '.join(map(str, self.ordering))}")
        return lines


def _raw_name(key: Expression) -> str | None:
    """Return the row key of a field whose equal raw values are equal values, else ``None``.

    Not so for decimals and datetimes: the API may write one amount as ``1.5`` or ``1.50``,
    one moment in two offsets.
    """
    if isinstance(key, Col) and not isinstance(key.field, DateTime | Decimal):
        return key.field.api_name
    return None


def _key_value(key: Expression, reader: RowReader) -> Any:
    api_name = _raw_name(key)
    return reader.raw.get(api_name) if api_name else key.evaluate(reader)


def _key_name(key: Expression) -> str:
    return key.field.name if isinstance(key, Col | Ref) else repr(key)


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _copied(keys: list[Expression]) -> list[str]:
    """Return the row keys a group keeps: the key fields' API names and key annotations."""
    names: dict[str, None] = {}
    for key in keys:
        if isinstance(key, Ref):
            names[key.field.api_name] = None
        # Every row of a group has the group's key, so a key's expression evaluated on the
        # columns of the group's first row gives it again (for HAVING and ordering).
        for field in key.columns():
            names[field.api_name] = None
    return list(names)


def aggregate_rows(
    rows: Iterable[Raw], aggregates: dict[str, Aggregate], time_zone: dt.tzinfo
) -> dict[str, Any]:
    """Return ``{name: result}`` of the aggregates over every row, streaming."""
    join = Join(list(aggregates.values()))
    accumulators = join.accumulators()
    for row in rows:
        join.feed(accumulators, row, RowReader(row, time_zone))
    return {name: acc.result() for name, acc in zip(aggregates, accumulators, strict=True)}
