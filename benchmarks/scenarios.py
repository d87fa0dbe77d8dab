"""The benchmark scenarios: one query, written three ways, over one emulator data set.

Every scenario has an ORM version and a ``requests`` version; the ``requests`` version runs
with ``PlainClient`` (b) and with ``TunedClient`` (c), which differ only in how they send:
one request after the other, or the pages after the first at once from a thread pool. Both
send the same query parameters as the ORM (``fields=`` for ``values_list``, repeated ``id``
for ``id__in``), so the comparison is about paging, concurrency and the library's own cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clients import PAGE_SIZE, THREADS, PlainClient, TunedClient, orm_client
from emulator import Emulator

from asperion_orm import Client, Sum
from asperion_orm.http.cache import MemoryCacheStore
from asperion_orm.resources import Debtor, SalesInvoice, SalesInvoiceHeader
from asperion_orm.session import Session

__all__ = ["DATASETS", "SCENARIOS", "Context", "Scenario"]

RequestsClient = PlainClient | TunedClient
Params = list[tuple[str, str]]

DATASETS = {
    "debtors": {"debtors": 20_000},
    "pages": {"debtors": 4_000},
    "invoices": {"debtors": 40, "salesinvoices": 500},
    "big": {"debtors": 100_000},
    "sales": {"debtors": 400, "salesinvoices": 20_000},
}
ID_COUNT = 500
SLICE = slice(15_050, 15_150)
REPEAT_CITY = "Utrecht"
REPEAT_ROWS = 20
LATENCY = 0.05
WIDE_LATENCY = 0.03
WIDE = 16
ZERO = Decimal(0)


@dataclass
class Context:
    """The clients and facts the scenarios use, one set per data set."""

    emulator: Emulator
    client: Client
    cache_store: MemoryCacheStore
    token: str
    plain: dict[str, PlainClient] = field(default_factory=dict)
    tuned: dict[tuple[str, int], TunedClient] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    wider: dict[int, Client] = field(default_factory=dict)

    def session(self, dataset: str, concurrency: int = 0) -> Session:
        """Return the ORM session of a data set's administration.

        ``concurrency`` other than the default 8 is a client of its own with that
        ``max_concurrency`` (made once, sharing the cache store).
        """
        client = self.client
        if concurrency and concurrency != client.max_concurrency:
            if concurrency not in self.wider:
                self.wider[concurrency] = orm_client(
                    self.emulator.info, cache_store=self.cache_store, max_concurrency=concurrency
                )
            client = self.wider[concurrency]
        return client.tenant(self.emulator.tenant(dataset))

    def requests_client(self, kind: str, dataset: str, threads: int = 0) -> RequestsClient:
        """Return the plain or tuned ``requests`` client of a data set (made once)."""
        info, tenant = self.emulator.info, self.emulator.tenant(dataset)
        if kind == "plain":
            if dataset not in self.plain:
                self.plain[dataset] = PlainClient(info, self.token, tenant)
            return self.plain[dataset]
        key = (dataset, threads or THREADS)
        if key not in self.tuned:
            self.tuned[key] = TunedClient(info, self.token, tenant, threads=key[1])
        return self.tuned[key]

    def close(self) -> None:
        """Close every client."""
        for http in [*self.plain.values(), *self.tuned.values()]:
            http.close()
        for client in [self.client, *self.wider.values()]:
            client.close()


@dataclass(frozen=True)
class Scenario:
    """One query written for the ORM and for ``requests``; ``promise`` is DESIGN §3's count."""

    name: str
    dataset: str
    orm: Callable[[Session, Context], Any]
    raw: Callable[[RequestsClient, Context], Any]
    promise: Callable[[Context], int]
    latency: float = 0.0
    cached: bool = False
    subprocess_memory: bool = False
    kept_memory: bool = False
    key: str = ""
    concurrency: int = 0  # the ORM's max_concurrency and (c)'s threads; 0: the default, 8


# -- the queries -------------------------------------------------------------------------------


def orm_models(session: Session, ctx: Context) -> Any:
    """Load every debtor as a model and read three fields of each."""
    debtors = list(Debtor.objects.using(session).all())
    for debtor in debtors:
        _ = debtor.name, debtor.city, debtor.blocked
    return debtors


def raw_models(http: RequestsClient, ctx: Context) -> Any:
    """Load every debtor as a dict and read the same three fields of each."""
    debtors = list(http.rows("debtors"))
    for debtor in debtors:
        _ = debtor["name"], debtor["city"], debtor["blocked"]
    return debtors


def orm_values(session: Session, ctx: Context) -> Any:
    """Load ``(id, name)`` of every debtor."""
    return list(Debtor.objects.using(session).values_list("id", "name"))


def raw_values(http: RequestsClient, ctx: Context) -> Any:
    """Load ``(id, name)`` of every debtor, asking only for those fields."""
    return [(row["id"], row["name"]) for row in http.rows("debtors", [("fields", "id,name")])]


def orm_count(session: Session, ctx: Context) -> Any:
    """Count the debtors."""
    return Debtor.objects.using(session).count()


def raw_count(http: RequestsClient, ctx: Context) -> Any:
    """Count the debtors with a ``MetaOnly`` request."""
    return int(http.get("debtors", [("MetaOnly", "true")])["_meta"]["totalCount"])


def orm_exists(session: Session, ctx: Context) -> Any:
    """Tell whether any debtor is in Utrecht."""
    return Debtor.objects.using(session).filter(city=REPEAT_CITY).exists()


def raw_exists(http: RequestsClient, ctx: Context) -> Any:
    """Tell whether any debtor is in Utrecht, with a one-row page."""
    params = [("city", REPEAT_CITY), ("page", "1"), ("pageSize", "1")]
    return bool(http.get("debtors", params)["_data"])


def orm_in(session: Session, ctx: Context) -> Any:
    """Load 500 debtors by id."""
    return list(Debtor.objects.using(session).filter(id__in=ctx.ids))


def raw_in(http: RequestsClient, ctx: Context) -> Any:
    """Load 500 debtors by id, a page's worth of ids per request."""
    calls = [_id_page(chunk) for chunk in _chunks(ctx.ids)]
    return [row for body in http.get_all("debtors", calls) for row in body["_data"]]


def orm_slice(session: Session, ctx: Context) -> Any:
    """Load 100 debtors deep in the list."""
    return list(Debtor.objects.using(session).all()[SLICE])


def raw_slice(http: RequestsClient, ctx: Context) -> Any:
    """Load 100 debtors deep in the list from the two pages of 100 that hold them."""
    first, last = SLICE.start // PAGE_SIZE + 1, (SLICE.stop - 1) // PAGE_SIZE + 1
    calls = [[("page", str(n)), ("pageSize", str(PAGE_SIZE))] for n in range(first, last + 1)]
    rows = [row for body in http.get_all("debtors", calls) for row in body["_data"]]
    offset = (first - 1) * PAGE_SIZE
    return rows[SLICE.start - offset : SLICE.stop - offset]


def orm_prefetch(session: Session, ctx: Context) -> Any:
    """Load 500 invoices and the debtor of each."""
    invoices = list(SalesInvoiceHeader.objects.using(session).prefetch_related("debtor"))
    return [(invoice, invoice.debtor) for invoice in invoices]


def raw_prefetch(http: RequestsClient, ctx: Context) -> Any:
    """Load 500 invoices, then their debtors with one id filter per page's worth of ids."""
    invoices = list(http.rows("salesinvoices", [("orderby", "id")]))
    ids = sorted({invoice["debtorId"] for invoice in invoices})
    calls = [_id_page(chunk) for chunk in _chunks(ids)]
    debtors = {row["id"]: row for body in http.get_all("debtors", calls) for row in body["_data"]}
    return [(invoice, debtors.get(invoice["debtorId"])) for invoice in invoices]


def orm_repeat(session: Session, ctx: Context) -> Any:
    """Load the 20 newest debtors in Utrecht."""
    query = Debtor.objects.using(session).filter(city=REPEAT_CITY).order_by("-id")
    return list(query[:REPEAT_ROWS])


def raw_repeat(http: RequestsClient, ctx: Context) -> Any:
    """Load the 20 newest debtors in Utrecht."""
    params = [("city", REPEAT_CITY), ("orderby", "-id"), ("page", "1"), ("pageSize", "20")]
    return http.get("debtors", params)["_data"]


def orm_iterator(session: Session, ctx: Context) -> Any:
    """Stream every debtor as a model, keeping none."""
    return sum(1 for debtor in Debtor.objects.using(session).iterator() if debtor.pk)


def raw_iterator(http: RequestsClient, ctx: Context) -> Any:
    """Stream every debtor as a dict, keeping none."""
    return sum(1 for row in http.rows("debtors") if row["id"])


def orm_group_by(session: Session, ctx: Context) -> Any:
    """Total the invoices per debtor with ``values("debtor").annotate(total=Sum(...))``."""
    totals = SalesInvoice.objects.using(session).cache(False).values("debtor")
    return list(totals.annotate(total=Sum("amount_incl_vat")))


def orm_group_by_loop(session: Session, ctx: Context) -> Any:
    """Total the invoices per debtor by hand over ``values_list`` (what annotate replaces)."""
    rows = SalesInvoice.objects.using(session).cache(False)
    totals: dict[int, Decimal] = {}
    for debtor, amount in rows.values_list("debtor_id", "amount_incl_vat").iterator():
        totals[debtor] = totals.get(debtor, ZERO) + amount
    return totals


def raw_group_by(http: RequestsClient, ctx: Context) -> Any:
    """Total the invoices per debtor, asking for the same fields as the ORM."""
    totals: dict[int, float] = {}
    params = [("fields", "id,debtorId,amountInclVat")]
    for row in http.rows(SalesInvoice._meta.check_path(), params):
        totals[row["debtorId"]] = totals.get(row["debtorId"], 0) + row["amountInclVat"]
    return totals


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), PAGE_SIZE):
        yield ids[start : start + PAGE_SIZE]


def _id_page(ids: Sequence[int]) -> Params:
    """Return the parameters of one page of rows with these ids."""
    return [*(("id", str(pk)) for pk in ids), ("page", "1"), ("pageSize", str(PAGE_SIZE))]


# -- what DESIGN §3 promises --------------------------------------------------------------------


def pages_of(dataset: str) -> Callable[[Context], int]:
    """Promise ``ceil(rows / 100)`` requests for iterating a data set's debtors."""
    return lambda ctx: math.ceil(DATASETS[dataset]["debtors"] / PAGE_SIZE)


def one(ctx: Context) -> int:
    """Promise one request."""
    return 1


def none(ctx: Context) -> int:
    """Promise no request."""
    return 0


def id_chunks(ctx: Context) -> int:
    """Promise one request per page's worth of ids (each URL within 2,000 bytes)."""
    return math.ceil(len(ctx.ids) / PAGE_SIZE)


def slice_pages(ctx: Context) -> int:
    """Promise the fewest pages that cover the slice."""
    return 2  # 100 rows across a page boundary of every page size up to 100


def invoice_pages(ctx: Context) -> int:
    """Promise ``ceil(invoices / 100)`` requests for reading every invoice of a data set."""
    return math.ceil(DATASETS["sales"]["salesinvoices"] / PAGE_SIZE)


def prefetch(ctx: Context) -> int:
    """Promise the invoice pages plus one request for their 40 debtors."""
    return math.ceil(DATASETS["invoices"]["salesinvoices"] / PAGE_SIZE) + 1


SCENARIOS = [
    Scenario("iterate 20,000 debtors as models, reading 3 fields", "debtors", orm_models,
             raw_models, pages_of("debtors"), kept_memory=True, key="models"),
    Scenario("values_list over 20,000 debtors", "debtors", orm_values, raw_values,
             pages_of("debtors"), key="values"),
    Scenario("count()", "debtors", orm_count, raw_count, one, key="count"),
    Scenario("exists()", "debtors", orm_exists, raw_exists, one, key="exists"),
    Scenario("filter(id__in=<500 ids>)", "debtors", orm_in, raw_in, id_chunks, key="in"),
    Scenario(f"slice [{SLICE.start}:{SLICE.stop}]", "debtors", orm_slice, raw_slice,
             slice_pages, key="slice"),
    Scenario('500 invoices, prefetch_related("debtor")', "invoices", orm_prefetch,
             raw_prefetch, prefetch, key="prefetch"),
    Scenario("repeated query, first run (uncached)", "debtors", orm_repeat, raw_repeat, one,
             key="uncached"),
    Scenario("repeated query inside the cache TTL", "debtors", orm_repeat, raw_repeat, none,
             cached=True, key="cached"),
    Scenario("repeated query, first run (uncached), 50 ms latency", "debtors", orm_repeat,
             raw_repeat, one, latency=LATENCY, key="uncached50"),
    Scenario("40 pages at 50 ms latency", "pages", orm_models, raw_models, pages_of("pages"),
             latency=LATENCY, key="latency"),
    Scenario(f"200 pages at 30 ms latency, {WIDE} concurrent", "debtors", orm_models,
             raw_models, pages_of("debtors"), latency=WIDE_LATENCY, key="wide",
             concurrency=WIDE),
    Scenario("iterator() over 100,000 rows", "big", orm_iterator, raw_iterator,
             pages_of("big"), subprocess_memory=True, key="iterator"),
    Scenario('values("debtor").annotate(total=Sum(...)) over 20,000 invoices', "sales",
             orm_group_by, raw_group_by, invoice_pages, key="groupby"),
    Scenario("the same totals by hand over values_list (ORM: a dict loop)", "sales",
             orm_group_by_loop, raw_group_by, invoice_pages, key="groupby_loop"),
]  # fmt: skip
