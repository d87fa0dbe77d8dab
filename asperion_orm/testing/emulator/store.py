"""Rows per administration per resource, with cached filtered and sorted views."""

from __future__ import annotations

import contextlib
import gc
import operator
import random
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from asperion_orm.testing.emulator import data
from asperion_orm.testing.emulator.fragments import FragmentCache
from asperion_orm.testing.emulator.spec import Errors, Field, Resource, Spec, format_datetime

__all__ = ["COMPARISONS", "Administration", "Query", "Store", "Table", "present"]

Row = dict[str, Any]
VIEW_CACHE_SIZE = 32

COMPARISONS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda value, needle: needle in value,
    "equals": lambda value, needle: value == needle,
    "notequals": lambda value, needle: value != needle,
    "startswith": lambda value, needle: value.startswith(needle),
    "endswith": lambda value, needle: value.endswith(needle),
}
"""Text comparisons by lower-case name (the values of ``<Field>_comparison``)."""


@dataclass(frozen=True, slots=True)
class Query:
    """A list request reduced to values: equality sets, text tests, ranges and one ordering.

    ``conditions`` holds (field, allowed values) and ``texts`` (field, comparison, values):
    the values of one field are ORed and the conditions ANDed. A text test with ``fold``
    compares ``casefold()``-ed text (the needles are folded already); a null value passes
    only ``notequals``. ``ranges`` holds (field, is_lower_bound, bound).
    """

    conditions: tuple[tuple[str, frozenset[Any]], ...] = ()
    ranges: tuple[tuple[str, bool, Any], ...] = ()
    order: tuple[str, bool] | None = None
    texts: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    fold: bool = False

    def matches(self, row: Row) -> bool:
        """Tell whether ``row`` passes every condition, text test and range."""
        for name, allowed in self.conditions:
            if row.get(name) not in allowed:
                return False
        for name, comparison, needles in self.texts:
            if not self._text(row.get(name), comparison, needles):
                return False
        for name, lower, bound in self.ranges:
            value = row.get(name)
            if value is None or (value < bound if lower else value > bound):
                return False
        return True

    def _text(self, value: Any, comparison: str, needles: tuple[str, ...]) -> bool:
        if value is None:
            return comparison == "notequals"  # NULL <> 'x' holds, as with C# null semantics
        text = value.casefold() if self.fold else value
        test = COMPARISONS[comparison]
        return any(test(text, needle) for needle in needles)


def present(resource: Resource, row: Row, names: Iterable[str] | None = None) -> Row:
    """Return a stored row as the API shows it: ``resource``'s fields, lines in an envelope.

    ``names`` keeps only those fields (``fields=``); a view shows only its own fields.
    """
    envelopes = resource.envelopes
    if names is None and not envelopes and resource.storage == resource.name:
        return dict(row)
    out = {name: row.get(name) for name in (resource.fields if names is None else names)}
    for name in envelopes:
        lines = out.get(name)
        if lines is not None:
            out[name] = {"_data": lines, "_meta": {"totalCount": len(lines)}}
    return out


def _sort_key(name: str, rows: Mapping[int, Row]) -> Callable[[int], tuple[bool, Any]]:
    def key(row_id: int) -> tuple[bool, Any]:
        value = rows[row_id].get(name)
        return (value is not None, value)

    return key


class Table:
    """The rows of one resource in one administration, kept in ascending id order.

    Integer ids are handed out in rising order; string ids (journals, VAT codes) come with
    their rows, which are kept sorted by id.
    """

    def __init__(self, resource: Resource, rows: Iterable[Row] | Mapping[Any, Row]) -> None:
        """Index ``rows``, or take a dict of rows by id in ascending id order as it is."""
        self.resource = resource
        self.rows: dict[Any, Row]
        if isinstance(rows, dict) and not resource.string_ids:
            self.rows = rows
        else:
            rows = list(rows.values() if isinstance(rows, Mapping) else rows)
            if resource.string_ids:
                rows.sort(key=lambda row: str(row["id"]))
            self.rows = dict(zip(map(operator.itemgetter("id"), rows), rows, strict=True))
        numbers: Iterable[Any] = self.rows  # integer ids: max() over the keys at C speed
        if resource.string_ids:
            numbers = (key for key in self.rows if isinstance(key, int))
        self.next_id = max(numbers, default=resource.first_id - 1) + 1
        self.next_line_id = 1
        if resource.envelopes:  # a table without lines need not look at its 100,000 rows
            self.next_line_id += max(
                (
                    line.get("id") or 0
                    for row in self.rows.values()
                    for line in _lines(resource, row)
                ),
                default=0,
            )
        self.version = 0
        self._views: OrderedDict[Query, list[Any]] = OrderedDict()
        self.fragments = FragmentCache()

    def select(self, query: Query) -> list[Any]:
        """Return the ids matching ``query`` in its order (a cached list: do not change it)."""
        view = self._views.get(query)
        if view is None:
            view = self._compute(query)
            self._views[query] = view
            if len(self._views) > VIEW_CACHE_SIZE:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(query)
        return view

    def _compute(self, query: Query) -> list[Any]:
        ids = list(self.rows)  # dict order is id order: ids only ever grow
        if query.conditions or query.ranges or query.texts:
            rows = self.rows
            ids = [row_id for row_id in ids if query.matches(rows[row_id])]
        if query.order is not None and query.order != ("id", False):
            name, descending = query.order
            # A stable sort over ascending ids keeps ties in id order, also when reversed.
            ids.sort(key=_sort_key(name, self.rows), reverse=descending)
        return ids

    def encoded(
        self, shape: Hashable, ids: Iterable[Any], encode: Callable[[Row], str]
    ) -> list[str]:
        """Return ``encode(row)`` for the rows ``ids``, cached per ``shape`` until they change.

        ``shape`` names everything besides the row that the text depends on (the resource
        shown, the fields chosen, the base URL); a write forgets the text of the rows it
        touched.
        """
        return self.fragments.texts(shape, ids, self.rows, encode)

    def _changed(self, row_id: Any = None) -> None:
        self.version += 1
        self._views.clear()
        self.fragments.forget(row_id)

    def insert(self, row: Row) -> Row:
        """Store ``row`` under the next id (its lines under the next line ids); return it."""
        row["id"] = self.next_id
        self.next_id += 1
        for name in self.resource.envelopes:
            items = self.resource.fields[name].items
            if items is not None and "id" in items.fields and row.get(name):
                row[name] = [self._numbered(line) for line in row[name]]
        self.rows[row["id"]] = row
        self._changed(row["id"])
        return row

    def _numbered(self, line: Row) -> Row:
        line_id, self.next_line_id = self.next_line_id, self.next_line_id + 1
        return {"id": line_id, **line}

    def replace(self, row: Row) -> None:
        """Store a changed row under its id."""
        self.rows[row["id"]] = row
        self._changed(row["id"])

    def delete(self, row_id: Any) -> None:
        """Remove a row."""
        del self.rows[row_id]
        self._changed(row_id)

    def ids(self) -> list[Any]:
        """Return all ids in ascending order."""
        return list(self.rows)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Switch automatic garbage collection off while seeded data is generated, then collect once.

    Every generated row is a dict the collector counts, so 100,000 debtors set off ~140
    collections. They find nothing (the rows hold no cycles) but walk the generator's
    columns, ~900,000 items twice over, while those are young: 15-20 ms of ~250, and now
    and then a full collection of the process besides. One collection of the young
    generations at the end moves the new tables on, as the skipped collections would have,
    so none of that work waits for the next one. A collector that was off stays off (so a
    second thread generating meanwhile leaves it to the first to switch back on).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(1)


def _lines(resource: Resource, row: Row) -> Iterator[Row]:
    """Yield the lines of every envelope field of ``row``."""
    for name in resource.envelopes:
        yield from row.get(name) or ()


@dataclass
class Administration:
    """One administration (tenant): its details, who may use it, and its tables."""

    id: int
    name: str
    users: set[str]
    approval_required: bool = False
    records: dict[str, int] = field(default_factory=dict)
    city: str = "Utrecht"
    tables: dict[str, Table] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def as_row(self, default: int | None) -> Row:
        """Return the API shape of the administration for a user whose default is ``default``."""
        return {
            "id": self.id,
            "name": self.name,
            "city": self.city,
            "vatNumber": f"NL{self.id:09d}B01",
            "chamberOfCommerceNumber": f"{self.id % 100000000:08d}",
            "currencyCode": "EUR",
            "approvalRoutingRequired": self.approval_required,
            "isDefault": self.id == default,
        }


class Rule(Protocol):
    """The special behaviour of a resource around a write (see ``RULES``)."""

    def prepare(self, store: Store, admin: Administration, row: Row, errors: Errors) -> None:
        """Check and complete ``row`` before it is stored."""

    def committed(self, store: Store, admin: Administration, row: Row, action: str) -> None:
        """React to a stored change (action: Insert, Update or Delete)."""


class Store:
    """Every administration's data, generated lazily and deterministically from the seed."""

    def __init__(
        self,
        spec: Spec,
        *,
        seed: int = 0,
        records: Mapping[str, int] | None = None,
        clock: Callable[[], float],
    ) -> None:
        self.spec = spec
        self.seed = seed
        self.records = self.sizes(records)
        self.clock = clock
        self.administrations: dict[int, Administration] = {}
        self._last_moment = datetime(2000, 1, 1, tzinfo=UTC)

    # --- administrations and tables ----------------------------------------------------------

    def sizes(self, records: Mapping[str, int] | None) -> dict[str, int]:
        """Return record counts keyed by table; refuse names the API does not have.

        A view (``salesinvoices``) sizes the table it shows (``salesinvoiceswithlines``).
        """
        sizes: dict[str, int] = {}
        for name, count in (records or {}).items():
            resource = self.spec.find(name)
            if resource is None:
                known = ", ".join(self.spec.resources)
                raise ValueError(f"unknown resource {name!r} in records; known: {known}")
            sizes[resource.storage] = int(count)
        return sizes

    def add(self, admin: Administration) -> Administration:
        """Register an administration."""
        self.administrations[admin.id] = admin
        return admin

    def table(self, admin: Administration, name: str) -> Table:
        """Return a table; the first use of an administration generates all its seeded data.

        Generating everything at once, in dependency order, keeps the data independent of
        the order in which a client happens to touch the resources. ``name`` may be a view:
        its table is the one it shows.
        """
        name = self.spec.resources[name].storage
        table = admin.tables.get(name)
        if table is None:
            with _collector_paused():
                for other in data.GENERATORS:
                    self._materialise(admin, other)
            table = self._materialise(admin, name)
        return table

    def _materialise(self, admin: Administration, name: str) -> Table:
        table = admin.tables.get(name)
        if table is None:
            table = Table(self.spec.resources[name], self._generate(admin, name))
            admin.tables[name] = table
        return table

    def _size(self, admin: Administration, name: str) -> int:
        for sizes in (admin.records, self.records):
            if name in sizes:
                return max(0, int(sizes[name]))
        natural = data.natural_size(name)
        return self.spec.resources[name].default_records if natural is None else natural

    def _generate(self, admin: Administration, name: str) -> list[Row] | dict[Any, Row]:
        resource = self.spec.resources[name]
        ctx = data.Context(
            rng=random.Random(f"{self.seed}:{admin.id}:{name}"),  # noqa: S311 (seeded on purpose)
            size=self._size(admin, name),
            first_id=resource.first_id,
            ids=lambda other: self._materialise(admin, other).ids(),
            rows=lambda other: list(self._materialise(admin, other).rows.values()),
            by_id=lambda other: self._materialise(admin, other).rows,
        )
        rows = data.GENERATORS[name](ctx)
        return rows if isinstance(rows, dict) else list(rows)

    def now(self) -> str:
        """Return the server time as a canonical datetime, strictly increasing per store."""
        moment = datetime.fromtimestamp(self.clock(), UTC)
        if moment <= self._last_moment:
            moment = self._last_moment + timedelta(milliseconds=1)
        self._last_moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        return format_datetime(self._last_moment)

    # --- writes -----------------------------------------------------------------------------

    def create(
        self, admin: Administration, name: str, clean: Row, errors: Errors, *, dry_run: bool = False
    ) -> Row | None:
        """Insert a validated body; return the stored row, or None when ``errors`` were added.

        ``dry_run`` checks and completes the row exactly as an insert would, but stores nothing
        (``validateOnly``): the row comes back without ids.
        """
        table = self.table(admin, name)
        row = {fld: None for fld in table.resource.fields}
        row.update(clean)
        return self._commit(admin, table, row, errors, "Validate" if dry_run else "Insert")

    def attach(
        self, admin: Administration, name: str, row_id: int, file: Row, content: bytes
    ) -> None:
        """Store an uploaded file and list it in the row's ``files``."""
        table = self.table(admin, name)
        row = dict(table.rows[row_id])
        row["files"] = [*(row.get("files") or []), file]
        admin.files[file["id"]] = content
        table.replace(row)

    def update(
        self, admin: Administration, name: str, row_id: int, clean: Row, errors: Errors
    ) -> Row | None:
        """Apply a validated PUT or PATCH body to a row (known to exist)."""
        table = self.table(admin, name)
        row = dict(table.rows[row_id])
        row.update(clean)
        return self._commit(admin, table, row, errors, "Update")

    def delete(self, admin: Administration, name: str, row_id: int) -> None:
        """Delete a row (known to exist)."""
        table = self.table(admin, name)
        row = table.rows[row_id]
        rule = RULES.get(name)
        if rule is not None:
            rule.prepare(self, admin, row, {})
        table.delete(row_id)
        if rule is not None:
            rule.committed(self, admin, row, "Delete")

    def _commit(
        self, admin: Administration, table: Table, row: Row, errors: Errors, action: str
    ) -> Row | None:
        self._check_references(admin, table.resource.fields, row, "", errors)
        rule = RULES.get(table.resource.name)
        if rule is not None and not errors:
            rule.prepare(self, admin, row, errors)
        if errors:
            return None
        if action == "Validate":
            return row
        self._stamp(table.resource, row, action)
        if action == "Insert":
            table.insert(row)
        else:
            table.replace(row)
        if rule is not None:
            rule.committed(self, admin, row, action)
        return row

    def _stamp(self, resource: Resource, row: Row, action: str) -> None:
        now = self.now()
        for name, fld in resource.fields.items():
            if fld.stamp == "changed" or (fld.stamp == "created" and action == "Insert"):
                row[name] = now

    def _check_references(
        self, admin: Administration, fields: Mapping[str, Field], row: Row, prefix: str,
        errors: Errors,
    ) -> None:  # fmt: skip
        for name, fld in fields.items():
            value = row.get(name)
            if value is None or fld.read_only:
                continue
            if fld.items is not None:
                path = f"{prefix}{name}._data" if fld.kind == "envelope" else f"{prefix}{name}"
                for index, item in enumerate(value):
                    key = f"{path}[{index}]."
                    self._check_references(admin, fld.items.fields, item, key, errors)
            elif fld.references and value not in self.table(admin, fld.references).rows:
                target = self.spec.resources[fld.references].title
                errors.setdefault(prefix + name, []).append(
                    ("reference", {"target": target, "value": value})
                )


# --- Special rules: the behaviour the OpenAPI document cannot express ---------------------------


class _Article:
    """Articles: ``currentStock`` starts at zero and only sales orders change it."""

    def prepare(self, store: Store, admin: Administration, row: Row, errors: Errors) -> None:
        if row.get("currentStock") is None:
            row["currentStock"] = Decimal("0.00")

    def committed(self, store: Store, admin: Administration, row: Row, action: str) -> None:
        return None


class _Relation:
    """Debtors and creditors: the next free number when the body gives none."""

    def __init__(self, table: str, number: str) -> None:
        self.table = table
        self.number = number

    def prepare(self, store: Store, admin: Administration, row: Row, errors: Errors) -> None:
        if row.get(self.number) is None:
            taken = (r.get(self.number) or "" for r in store.table(admin, self.table).rows.values())
            row[self.number] = str(1 + max((int(n) for n in taken if n.isdigit()), default=1000))

    def committed(self, store: Store, admin: Administration, row: Row, action: str) -> None:
        return None


class _SalesInvoice:
    """Sales invoices: defaults from the debtor and the date, VAT per line, totals, number."""

    def prepare(self, store: Store, admin: Administration, row: Row, errors: Errors) -> None:
        debtor = store.table(admin, "debtors").rows[row["debtorId"]]
        row["debtorCustomerNumber"] = debtor.get("customerNumber")
        if row.get("paymentConditionId") is None:
            row["paymentConditionId"] = debtor.get("paymentConditionId")
        if row.get("journalId") is None:
            row["journalId"] = data.SALES_JOURNAL
        _book_period(row)
        rates = data.vat_rates(list(store.table(admin, "vatcodes").rows.values()))
        row["lines"] = [data.with_vat(line, rates) for line in row.get("lines") or []]
        row.update(data.sales_totals(row["lines"]))
        if row.get("invoiceNumber") is None and row.get("status") != data.CONCEPT:
            row["invoiceNumber"] = _next_invoice_number(
                store.table(admin, "salesinvoiceswithlines"), row["date"]
            )
        row["files"] = row.get("files") or []

    def committed(self, store: Store, admin: Administration, row: Row, action: str) -> None:
        return None


def _book_period(row: Row) -> None:
    """Take the book year and period from the date when the body leaves them out."""
    day = date.fromisoformat(row["date"])
    if row.get("bookyear") is None:
        row["bookyear"] = day.year
    if row.get("bookperiod") is None:
        row["bookperiod"] = day.month


def _next_invoice_number(table: Table, day: str) -> str:
    prefix = day[:4] + "-"
    numbers = (r.get("invoiceNumber") or "" for r in table.rows.values())
    last = max((int(n[5:]) for n in numbers if n.startswith(prefix) and n[5:].isdigit()),
               default=0)  # fmt: skip
    return f"{prefix}{last + 1:05d}"


class _PurchaseInvoice:
    """Purchase invoices: totals from the lines; approval routing may require a route."""

    def prepare(self, store: Store, admin: Administration, row: Row, errors: Errors) -> None:
        if admin.approval_required and row.get("approvalRouteId") is None:
            errors.setdefault("approvalRouteId", []).append(("approval_route", {}))
            return
        lines = row.get("lines") or []
        row["lines"] = lines
        rates = data.vat_rates(list(store.table(admin, "vatcodes").rows.values()))
        excl, vat, incl = data.invoice_totals(lines, rates)
        row.update(amountExclVat=excl, vatAmount=vat, amountInclVat=incl)

    def committed(self, store: Store, admin: Administration, row: Row, action: str) -> None:
        return None


class _JournalEntry:
    """Journal entries: the lines balance; every new entry is appended to the change log."""

    def prepare(self, store: Store, admin: Administration, row: Row, errors: Errors) -> None:
        lines = row.get("lines") or []
        total = sum((line["amount"] for line in lines), Decimal("0.00"))
        if total:
            errors.setdefault("lines", []).append(("unbalanced", {"total": total}))
            return
        # Materialise the seeded log before the change so the change is logged exactly once.
        store.table(admin, "journalentrylog")
        _book_period(row)
        for line in lines:
            if line.get("bookingDate") is None:
                line["bookingDate"] = row["date"]
        row["lines"] = lines

    def committed(self, store: Store, admin: Administration, row: Row, action: str) -> None:
        log = store.table(admin, "journalentrylog")
        changed = store.now()
        log.insert({"id": 0, "journalEntryId": row["id"], "changedDate": changed, "action": action})


class _SalesOrder:
    """Sales orders with lines: defaults from the article, and each line lowers its stock."""

    def prepare(self, store: Store, admin: Administration, row: Row, errors: Errors) -> None:
        articles = store.table(admin, "articles").rows
        total = Decimal("0.00")
        for line in row["lines"]:
            article = articles[line["articleId"]]
            line["description"] = line.get("description") or article["description"]
            if line.get("price") is None:
                line["price"] = article["price"] or Decimal("0.00")
            total += line["quantity"] * line["price"]
        row["amountExclVat"] = total.quantize(data.CENT)

    def committed(self, store: Store, admin: Administration, row: Row, action: str) -> None:
        table = store.table(admin, "articles")
        now = store.now()
        for line in row["lines"]:
            article = dict(table.rows[line["articleId"]])
            article["currentStock"] = (article["currentStock"] or 0) - line["quantity"]
            article["changedDate"] = now
            table.replace(article)


RULES: dict[str, Rule] = {
    "articles": _Article(),
    "debtors": _Relation("debtors", "customerNumber"),
    "creditors": _Relation("creditors", "creditorNumber"),
    "salesinvoiceswithlines": _SalesInvoice(),
    "purchaseinvoices": _PurchaseInvoice(),
    "journalentrieswithlines": _JournalEntry(),
    "SalesOrderWithLines": _SalesOrder(),
}
"""Special rules by table; every other resource is driven by the document alone."""
