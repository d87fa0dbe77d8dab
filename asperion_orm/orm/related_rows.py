"""Fields of related rows (``order_by("debtor__name")``, ``values("debtor__city")``), fetched
after the main rows in one batched request per relation, as ``select_related`` is.

The API cannot join: the rows' keys (``debtorId``) are gathered, the related rows fetched with
``id=…`` (chunked as any ``__in``) and ``fields=`` what is needed, and each value is copied into
the raw row under its path, where ``PathField`` reads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from asperion_orm.exceptions import FieldError
from asperion_orm.orm.expressions import OrderBy
from asperion_orm.orm.fields import Field, ForeignKey
from asperion_orm.orm.lookups import LOOKUP_SEP
from asperion_orm.orm.planner import expression_key
from asperion_orm.orm.relations import check_path

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model

__all__ = ["PathField", "attach", "path_field", "sort_rows"]

Raw = dict[str, Any]
# Return ``{id: raw row}`` of ``model`` for the ids, with these fields (besides the id).
Fetch = Callable[[type["Model"], list[Any], tuple[str, ...]], dict[Any, Raw]]


class PathField(Field[Any]):
    """A field of a related row, read from the raw row under its path (``debtor__city``)."""

    def __init__(self, path: str, hops: list[ForeignKey], field: Field[Any]) -> None:
        super().__init__(api_name=path)
        self.name = self.attname = path
        self.hops = hops
        self.field = field

    def to_python(self, raw: Any) -> Any:
        return self.field.to_python(raw)

    def load(self, raw: Any, session: Any) -> Any:
        return self.field.load(raw, session)

    def rest(self) -> PathField:
        """Return the path from the first related model on (``payment_condition__name``)."""
        path = self.name.partition(LOOKUP_SEP)[2]
        return PathField(path, self.hops[1:], self.field)


def path_field(model: type[Model], name: str, *, what: str) -> Field[Any]:
    """Return the field ``name`` of ``model``, or a ``PathField`` across forward relations."""
    if LOOKUP_SEP not in name:
        return model._meta.get_field(name)
    hops = check_path(model, name, what=what)
    field = hops[-1].target._meta.get_field(name.rpartition(LOOKUP_SEP)[2])
    if field is hops[-1].target._meta.pk:
        # ``debtor__id`` is the key itself, as Django reads it (no related row needed).
        return path_field(model, name.rpartition(LOOKUP_SEP)[0], what=what)
    path = LOOKUP_SEP.join([*(hop.name for hop in hops), field.name])
    return PathField(path, hops, field)


def attach(rows: list[Raw], fields: Iterable[PathField], fetch: Fetch) -> None:
    """Copy each path's value from the related rows into ``rows``, one fetch per relation."""
    groups: dict[ForeignKey, list[PathField]] = {}
    for field in fields:
        groups.setdefault(field.hops[0], []).append(field)
    for hop, group in groups.items():
        keys = (hop.to_python(row.get(hop.api_name)) for row in rows)
        ids = list(dict.fromkeys(key for key in keys if key is not None))
        deeper = [field.rest() for field in group if len(field.hops) > 1]
        names = {field.hops[1].name if field.hops[1:] else field.field.name for field in group}
        related = fetch(hop.target, ids, tuple(sorted(names))) if ids else {}
        attach(list(related.values()), deeper, fetch)
        for row in rows:
            match = related.get(hop.to_python(row.get(hop.api_name)))
            for field in group:
                inner = field.rest().api_name if field.hops[1:] else field.field.api_name
                row[field.api_name] = None if match is None else match.get(inner)


def sort_rows(rows: list[Raw], ordering: Iterable[str | OrderBy], model: type[Model]) -> list[Raw]:
    """Sort rows by fields, paths and expressions (``None`` first ascending), ties by id."""
    pk = model._meta.pk
    rows = sorted(rows, key=lambda row: _sort_key(pk.to_python(row.get(pk.api_name))))
    for name in reversed(list(ordering)):
        if isinstance(name, OrderBy):
            rows.sort(key=expression_key(name, dt.UTC), reverse=name.descending)
            continue
        field = path_field(model, name.lstrip("-"), what="order by")
        rows.sort(
            key=lambda row: _sort_key(field.to_python(row.get(field.api_name))),
            reverse=name.startswith("-"),
        )
    return rows


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def forward_paths(model: type[Model], depth: int = 5) -> list[str]:
    """Return the non-null forward foreign keys, followed as Django's ``select_related()``."""
    found: list[str] = []
    for field in model._meta.fields.values():
        if isinstance(field, ForeignKey) and not field.null and depth:
            found.append(field.name)
            deeper = forward_paths(field.target, depth - 1)
            found += [f"{field.name}{LOOKUP_SEP}{path}" for path in deeper]
    return found


def select_hops(model: type[Model], name: str) -> list[ForeignKey]:
    """Return the foreign keys of a ``select_related`` name, or raise ``FieldError``."""
    hops: list[ForeignKey] = []
    for part in name.split(LOOKUP_SEP):
        field = model._meta.fields.get(part)
        if not isinstance(field, ForeignKey):
            forward = sorted(n for n, f in model._meta.fields.items() if isinstance(f, ForeignKey))
            raise FieldError(
                f"Invalid field name(s) given in select_related: {part!r}. "
                f"Choices are: {', '.join(forward) or '(none)'}."
            )
        hops.append(field)
        model = field.target
    return hops


def describe(paths: Iterable[PathField], selected: Iterable[list[ForeignKey]]) -> list[str]:
    """Return the requests that fetch related rows, one per relation, for ``explain()``.

    Paths read the fields they need (``fields=``); ``select_related`` reads whole rows.
    """
    wanted: dict[tuple[str, bool], tuple[ForeignKey, set[str]]] = {}
    for field in paths:
        for depth, hop in enumerate(field.hops):
            prefix = LOOKUP_SEP.join(h.name for h in field.hops[: depth + 1])
            after = field.hops[depth + 1].name if depth + 1 < len(field.hops) else field.field.name
            wanted.setdefault((prefix, True), (hop, set()))[1].add(after)
    for hops in selected:
        for depth, hop in enumerate(hops):
            prefix = LOOKUP_SEP.join(h.name for h in hops[: depth + 1])
            wanted.setdefault((prefix, False), (hop, set()))
    return [_request(prefix, hop, names) for (prefix, _), (hop, names) in wanted.items()]


def _request(prefix: str, hop: ForeignKey, names: set[str]) -> str:
    meta = hop.target._meta
    api_names = ["id", *(meta.get_field(name).api_name for name in sorted(names))]
    fields = f"fields={','.join(api_names)}&" if names else ""
    return (
        f"GET /{meta.check_path()}?{fields}id=<{hop.api_name} of the rows above>"
        f"&page=1&pageSize={meta.max_page_size}  ({prefix})"
    )
