"""The rows both sides hold: seeded random picks from small pools, loaded once per test run.

The pools make ties, NULLs, case variants, prefixes, ``LIKE`` wildcards and boundary values
common. Every text avoids characters whose ``lower()``, ``upper()`` and ``casefold()`` disagree,
so "case-insensitive" has one meaning on both sides.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asperion_orm.resources import Article, Debtor, SalesInvoice, SalesInvoiceLine
from asperion_orm.resources.sales import InvoiceStatus
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

__all__ = ["FIRST_IDS", "INSTANTS", "Loaded", "load"]

SEED = 20261129
DEBTORS, INVOICES, ARTICLES = 60, 120, 40
FIRST_IDS = {"debtors": 10001, "salesinvoices": 500001, "articles": 1001}
"""The emulator's first ids in a fresh administration (``load`` checks them)."""
PAGE_SIZE = 15
"""The server's largest page while the differential tests run, so that most answers page."""

UTC = dt.UTC
NAMES = [
    "Alpha", "alpha", "ALPHA", "Alp", "Beta BV", "beta bv", "Éclair", "éclair", "ÉCLAIR",
    "Zed", "b", "A & B", "50% korting", "a_b", "ab",
]  # fmt: skip
CITIES = [None, "", "Ede", "ede", "EDE", "Epe", "Delft", "Den Haag", "Ëde", "ëde"]
EMAILS = [None, "a@x.nl", "A@X.NL", "b@y.com"]
DESCRIPTIONS = [None, "", "Advies", "advies", "ADVIES", "Licentie 2025", "50% aanbetaling", "a_b"]
AMOUNTS = [
    Decimal(text)
    for text in (
        "0.00", "0.01", "-0.01", "-10.00", "10.50", "99.99", "499.99", "500.00", "500.01",
        "1000.00", "12345.67",
    )
]  # fmt: skip
PRICES = [None, *(amount for amount in AMOUNTS if amount >= 0)]  # the API refuses negatives
DATES = [
    dt.date(2024, 2, 29), dt.date(2024, 12, 31), dt.date(2025, 1, 1), dt.date(2025, 3, 30),
    dt.date(2025, 6, 15), dt.date(2025, 12, 31), dt.date(2026, 1, 1),
]  # fmt: skip
STATUSES = [InvoiceStatus.CONCEPT, InvoiceStatus.PAYABLE, InvoiceStatus.PAID, InvoiceStatus.HOLD]
INSTANTS = [
    dt.datetime(2025, 3, 30, 0, 59, 59, 999000, UTC),  # the last millisecond of CET
    dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC),  # 03:00 CEST in Amsterdam
    dt.datetime(2025, 6, 15, 10, 0, 44, tzinfo=UTC),
    dt.datetime(2025, 6, 15, 10, 0, 44, 1000, UTC),
    dt.datetime(2025, 6, 15, 10, 0, 44, 999000, UTC),
    dt.datetime(2025, 12, 31, 22, 59, 59, 999000, UTC),  # 23:59:59.999 in Amsterdam
    dt.datetime(2025, 12, 31, 23, 0, tzinfo=UTC),  # New Year in Amsterdam
]
"""The datetimes the rows hold (milliseconds, as the API keeps them), around edges."""


@dataclass(frozen=True)
class Loaded:
    """The administration holding the rows, and the ids on both sides."""

    tenant: int
    conditions: list[int]
    debtors: list[int]
    invoices: list[int]
    articles: list[int]


def load(sandbox: Sandbox, session: Session) -> Loaded:
    """Create the rows through the library, then copy what the emulator stored into Django."""
    rng = random.Random(SEED)
    tenant = session.tenant
    conditions = [row["id"] for row in sandbox.state.rows(tenant, "paymentconditions")]
    Debtor.objects.using(session).bulk_create([_debtor(rng, conditions) for _ in range(DEBTORS)])
    debtors = [row["id"] for row in sandbox.state.rows(tenant, "debtors")]
    invoices = [_invoice(rng, debtors[: DEBTORS - 10]) for _ in range(INVOICES)]
    SalesInvoice.objects.using(session).bulk_create(invoices)
    sales_type = sandbox.state.rows(tenant, "salestypes")[0]["id"]
    made = [_article(rng, n, sales_type) for n in range(ARTICLES)]
    Article.objects.using(session).bulk_create(made)
    _stamp(sandbox, rng, tenant, "debtors", "dateAdded")
    _stamp(sandbox, rng, tenant, "articles", "createdDate")
    loaded = _copy_to_django(sandbox, tenant)
    assert loaded.debtors[0] == FIRST_IDS["debtors"], "the emulator numbers rows differently"
    assert loaded.invoices[0] == FIRST_IDS["salesinvoices"]
    assert loaded.articles[0] == FIRST_IDS["articles"]
    return loaded


def _debtor(rng: random.Random, conditions: list[int]) -> Debtor:
    return Debtor(
        name=rng.choice(NAMES),
        city=rng.choice(CITIES),
        email_address=rng.choice(EMAILS),
        blocked=rng.choice([True, False]),
        payment_condition=rng.choice([None, *conditions[:3]]),
    )


def _invoice(rng: random.Random, debtors: list[int]) -> SalesInvoice:
    amount = rng.choice(AMOUNTS)
    line = SalesInvoiceLine(amount=amount, ledger_account=8000, vat_amount=Decimal("0.00"))
    return SalesInvoice(
        date=rng.choice(DATES),
        description=rng.choice(DESCRIPTIONS),
        debtor=rng.choice(debtors),
        status=rng.choice(STATUSES),
        lines=[line],
    )


def _article(rng: random.Random, number: int, sales_type: int) -> Article:
    return Article(
        code=f"A{number:03d}",
        description=rng.choice([d for d in DESCRIPTIONS if d]),
        sales_type=sales_type,
        price=rng.choice(PRICES),
        purchase_price=rng.choice(PRICES),
    )


def _stamp(sandbox: Sandbox, rng: random.Random, tenant: int, resource: str, name: str) -> None:
    """Give every row a datetime from the pool (or none), as the web application could."""
    for row in sandbox.state.rows(tenant, resource):
        moment = rng.choice([None, *INSTANTS])
        text = None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        sandbox.state.change_row(tenant, resource, row["id"], **{name: text})


# -- Django's copy ---------------------------------------------------------------------------------


def _copy_to_django(sandbox: Sandbox, tenant: int) -> Loaded:
    from differential import models

    def rows(resource: str) -> list[dict[str, Any]]:
        return sandbox.state.rows(tenant, resource)

    models.PaymentCondition.objects.bulk_create(
        models.PaymentCondition(id=r["id"], description=r["description"])
        for r in rows("paymentconditions")
    )
    models.Debtor.objects.bulk_create(
        models.Debtor(
            id=r["id"],
            name=r["name"],
            city=r["city"],
            email_address=r["emailAddress"],
            blocked=r["blocked"],
            date_added=_instant(r["dateAdded"]),
            payment_condition_id=r["paymentConditionId"],
        )
        for r in rows("debtors")
    )
    models.Invoice.objects.bulk_create(
        models.Invoice(
            id=r["id"],
            date=dt.date.fromisoformat(r["date"]),
            description=r["description"],
            status=r["status"],
            amount_incl_vat=_decimal(r["amountInclVat"]),
            debtor_id=r["debtorId"],
            payment_condition_id=r["paymentConditionId"],
        )
        for r in rows("salesinvoices")
    )
    models.Article.objects.bulk_create(
        models.Article(
            id=r["id"],
            code=r["code"],
            description=r["description"],
            price=_decimal(r["price"]),
            purchase_price=_decimal(r["purchasePrice"]),
            created_date=_instant(r["createdDate"]),
        )
        for r in rows("articles")
    )
    return Loaded(
        tenant,
        conditions=[r["id"] for r in rows("paymentconditions")],
        debtors=[r["id"] for r in rows("debtors")],
        invoices=[r["id"] for r in rows("salesinvoices")],
        articles=[r["id"] for r in rows("articles")],
    )


def _instant(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
