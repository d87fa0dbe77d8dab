"""The special rules of the catalogue: articles, sales orders, approval routes, relations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from asperion_orm.client import Client
from asperion_orm.exceptions import ConfigurationError, ValidationError
from asperion_orm.resources import (
    Administration,
    ApprovalRoute,
    Article,
    Creditor,
    Debtor,
    Journal,
    JournalEntry,
    JournalEntryLine,
    JournalEntryLog,
    LedgerAccount,
    PaymentCondition,
    PurchaseInvoice,
    SalesInvoice,
    SalesInvoiceHeader,
    SalesInvoiceLine,
    SalesOrderLine,
    SalesOrderWithLines,
    SalesType,
    VatCode,
)
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

from .conftest import Rows

# -- articles ----------------------------------------------------------------------------------


def deactivate_two(session: Session) -> list[int]:
    """Make the two first articles inactive and return their ids."""
    chosen = list(Article.objects.order_by("id")[:2])
    for article in chosen:
        article.active = False
        article.save()
    return [article.pk for article in chosen]


def test_articles_list_active_ones_by_default(
    asperion_session: Session, rows: Rows, asperion_sandbox: Sandbox
) -> None:
    hidden = deactivate_two(asperion_session)
    listed = {article.pk for article in Article.objects.all()}
    assert listed == {row["id"] for row in rows("articles") if row["active"]}
    assert not listed & set(hidden)
    assert "active=true" in asperion_sandbox.requests(path="/v1/*")[-1].url
    assert "active=true" in Article.objects.explain()


def test_with_inactive_asks_for_all_through_active_state(
    asperion_session: Session, rows: Rows, asperion_sandbox: Sandbox
) -> None:
    hidden = deactivate_two(asperion_session)
    every = {article.pk for article in Article.objects.with_inactive()}
    assert every == {row["id"] for row in rows("articles")}
    assert "ActiveState=All" in asperion_sandbox.requests(path="/v1/*")[-1].url
    assert {a.pk for a in Article.all_objects.all()} == every
    assert Article.all_objects.count() == len(rows("articles"))
    inactive = sorted(a.pk for a in Article.objects.inactive())
    assert inactive == [row["id"] for row in rows("articles") if not row["active"]]
    assert set(hidden) <= set(inactive)
    assert "ActiveState=All" in Article.all_objects.filter(code="X").explain()


def test_article_managers_are_declared_in_the_class(asperion_session: Session) -> None:
    assert Article._meta.default_manager is Article.objects
    assert Article._meta.base_manager is Article.all_objects
    assert Article.objects.model is Article
    with pytest.raises(AttributeError, match="instances"):
        Article.from_api({"id": 1}).objects  # noqa: B018


def test_an_order_line_finds_its_inactive_article(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    hidden, _ = deactivate_two(asperion_session)
    order = SalesOrderWithLines.objects.create(
        debtor=Debtor.objects.order_by("id")[0],
        order_date=dt.date(2025, 5, 1),
        lines=[SalesOrderLine(article_id=hidden, quantity=Decimal("1"))],
    )
    line = order.lines[0]  # type: ignore[index]
    sent = len(asperion_sandbox.requests(path="/v1/*"))
    assert line.article.pk == hidden
    assert line.article.active is False
    logged = asperion_sandbox.requests(path="/v1/*")
    assert logged[sent:] == [logged[-1]] and f"/articles/{hidden}" in logged[-1].url
    with pytest.raises(Article.DoesNotExist):
        Article.objects.get(pk=hidden)


def test_refresh_from_db_reaches_an_inactive_article(asperion_session: Session) -> None:
    hidden, _ = deactivate_two(asperion_session)
    article = Article.all_objects.get(pk=hidden)
    article.refresh_from_db()
    assert article.active is False


def test_current_stock_is_read_only(asperion_session: Session) -> None:
    article = Article.objects.order_by("id")[0]
    with pytest.raises(AttributeError, match="read-only"):
        article.current_stock = Decimal("100")
    assert "currentStock" not in article.to_api()


def test_article_sales_type_both_ways(asperion_session: Session) -> None:
    article = Article.objects.order_by("id")[0]
    sales_type = article.sales_type
    assert isinstance(sales_type, SalesType)
    assert sales_type.pk == article.sales_type_id
    assert article.pk in {a.pk for a in sales_type.articles.all()}


# -- sales orders ------------------------------------------------------------------------------


def test_sales_order_with_lines_lowers_stock(asperion_session: Session, rows: Rows) -> None:
    first, second = Article.objects.order_by("id")[:2]
    order = SalesOrderWithLines.objects.create(
        debtor=Debtor.objects.order_by("id")[0],
        order_date=dt.date(2025, 5, 1),
        lines=[
            SalesOrderLine(article=first, quantity=Decimal("3")),
            SalesOrderLine(article=second, quantity=Decimal("1.50"), price=Decimal("10.00")),
        ],
    )
    assert order.pk is not None
    assert order.lines is not None and order.lines[0].description == first.description
    stock = {
        a.pk: a.current_stock
        for a in Article.objects.cache(False).filter(pk__in=[first.pk, second.pk])
    }
    assert stock[first.pk] == (first.current_stock or 0) - Decimal("3")
    assert stock[second.pk] == (second.current_stock or 0) - Decimal("1.50")
    assert rows("SalesOrderWithLines")[-1]["id"] == order.pk


def test_sales_orders_are_create_only(asperion_session: Session, asperion_sandbox: Sandbox) -> None:
    sent = len(asperion_sandbox.requests(path="/v1/*"))
    with pytest.raises(ConfigurationError, match="create-only"):
        list(SalesOrderWithLines.objects.all())
    with pytest.raises(ConfigurationError, match="create-only"):
        SalesOrderWithLines.objects.get(pk=1)
    with pytest.raises(ConfigurationError, match="create-only"):
        SalesOrderWithLines.from_api({"id": 1}).delete()
    for read in (
        SalesOrderWithLines.objects.count,
        SalesOrderWithLines.objects.exists,
        SalesOrderWithLines.objects.first,
    ):
        with pytest.raises(ConfigurationError, match="create-only"):
            read()
    loaded = SalesOrderWithLines.from_api({"id": 1, "reference": "a"})
    loaded.reference = "b"
    with pytest.raises(ConfigurationError, match="create-only"):
        loaded.save()
    assert len(asperion_sandbox.requests(path="/v1/*")) == sent


def test_sales_order_needs_lines_before_sending(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    sent = len(asperion_sandbox.requests(path="/v1/*"))
    with pytest.raises(ValidationError) as caught:
        SalesOrderWithLines.objects.create(debtor=1, order_date=dt.date(2025, 5, 1))
    assert "lines" in caught.value.errors
    assert len(asperion_sandbox.requests(path="/v1/*")) == sent


# -- purchase invoices and approval routes -------------------------------------------------------


@pytest.fixture
def approval_session(asperion_sandbox: Sandbox, sandbox_user_client: Client) -> Session:
    """Return a session on a fresh administration that requires approval routes."""
    tenant = asperion_sandbox.add_administration(
        records={"creditors": 2, "purchaseinvoices": 1}, approval_required=True
    )
    return sandbox_user_client.tenant(tenant)


def test_purchase_invoice_without_route_fails_where_routing_is_required(
    approval_session: Session,
) -> None:
    with approval_session:
        admin = Administration.objects.get(pk=approval_session.tenant)
        assert admin.approval_routing_required is True
        creditor = Creditor.objects.order_by("id")[0]
        invoice = PurchaseInvoice(creditor=creditor, invoice_date=dt.date(2025, 6, 1))
        with pytest.raises(ValidationError) as caught:
            invoice.save()
        assert "approval route is required" in caught.value.errors["approval_route"][0]
        assert invoice.pk is None
        invoice.approval_route = ApprovalRoute.objects.order_by("id")[0]
        invoice.save()
        assert invoice.pk is not None
        assert invoice.pk in {i.pk for i in invoice.approval_route.purchase_invoices.all()}


def test_purchase_invoice_without_route_is_fine_elsewhere(asperion_session: Session) -> None:
    creditor = Creditor.objects.order_by("id")[0]
    invoice = PurchaseInvoice.objects.create(creditor=creditor, invoice_date=dt.date(2025, 6, 1))
    assert invoice.approval_route_id is None
    assert invoice.creditor == creditor
    assert invoice.pk in {i.pk for i in creditor.purchase_invoices.all()}


def test_the_seeded_approval_administration_requires_routes(
    sandbox_user_client: Client, asperion_sandbox: Sandbox
) -> None:
    admins = {a.pk: a for a in sandbox_user_client.administrations()}
    assert all(isinstance(a, Administration) for a in admins.values())
    assert admins[asperion_sandbox.tenants[0]].is_default is True
    assert admins[asperion_sandbox.tenants[0]]["isDefault"] is True
    assert admins[asperion_sandbox.tenants[2]].approval_routing_required is True
    assert admins[asperion_sandbox.tenants[0]].get("approvalRoutingRequired") is False


# -- relations ---------------------------------------------------------------------------------


def test_sales_invoices_and_debtors_both_ways(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    invoices = list(SalesInvoice.objects.order_by("id").prefetch_related("debtor")[:10])
    sent = len(asperion_sandbox.requests(path="/v1/*"))
    for invoice in invoices:
        assert isinstance(invoice.debtor, Debtor)
        assert invoice.debtor.pk == invoice.debtor_id
    assert len(asperion_sandbox.requests(path="/v1/*")) == sent
    debtor = invoices[0].debtor
    assert invoices[0].pk in {i.pk for i in debtor.sales_invoices.all()}
    assert all(i.debtor_id == debtor.pk for i in debtor.sales_invoices.all())


def test_debtors_of_a_payment_condition(asperion_session: Session) -> None:
    debtor = next(d for d in Debtor.objects.order_by("id") if d.payment_condition_id is not None)
    assert isinstance(debtor.payment_condition, PaymentCondition)
    assert debtor.pk in {d.pk for d in debtor.payment_condition.debtors.all()}


def test_string_keys_both_ways(asperion_session: Session, asperion_sandbox: Sandbox) -> None:
    invoice = SalesInvoice.objects.order_by("id")[0]
    assert invoice.journal_id == "70"
    assert isinstance(invoice.journal, Journal) and invoice.journal.type == "Sales"
    assert invoice.pk in {i.pk for i in invoice.journal.sales_invoices.all()}
    line = invoice.lines[0]  # type: ignore[index]
    assert isinstance(line.vat_code_id, str) and line.vat_code.pk == line.vat_code_id
    high = VatCode.objects.get(pk="VH21")
    assert high.percentage == Decimal("21.00") and high.sales_code is True
    assert {a.pk for a in high.ledger_accounts.all()} == {8000}
    accounts = list(LedgerAccount.objects.order_by("id").prefetch_related("vat_code"))
    sent = len(asperion_sandbox.requests(path="/v1/*"))
    assert {a.vat_code.pk for a in accounts if a.vat_code_id} == {"IH21", "VH21", "VL9", "V0", "VV"}
    assert len(asperion_sandbox.requests(path="/v1/*")) == sent


def test_headers_and_invoices_with_lines_are_the_same_invoices(asperion_session: Session) -> None:
    headers = list(SalesInvoiceHeader.objects.order_by("id")[:5])
    full = SalesInvoice.objects.in_bulk([h.pk for h in headers])
    for header in headers:
        invoice = full[header.pk]
        assert (header.amount_incl_vat, header.status, header.debtor_id, header.journal_id) == (
            invoice.amount_incl_vat,
            invoice.status,
            invoice.debtor_id,
            invoice.journal_id,
        )
        assert sum(line.amount for line in invoice.lines) == invoice.amount_excl_vat
    with pytest.raises(ConfigurationError, match="read-only"):
        headers[0].save()


def test_journal_entry_log_points_at_entries(asperion_session: Session, rows: Rows) -> None:
    entry = JournalEntry.objects.order_by("id")[0]
    changes = list(entry.journal_entry_logs.all())
    assert changes and {change.action for change in changes} <= {"Insert", "Update"}
    assert all(change.journal_entry_id == entry.pk for change in changes)
    assert len(JournalEntryLog.objects.filter(action="Delete")) == len(
        [row for row in rows("journalentrylog") if row["action"] == "Delete"]
    )


def test_a_filter_on_a_string_key_is_exact(asperion_session: Session) -> None:
    assert SalesInvoice.objects.filter(journal="7").count() == 0  # the server's Contains: "70"
    assert list(LedgerAccount.objects.filter(vat_code="VH")) == []  # and "VH21"


def test_validate_only_is_checked_by_the_server_and_creates_nothing(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    before = Debtor.objects.count()
    with pytest.raises(ValidationError) as info:
        Debtor(name="Jansen", payment_condition_id=999_999).full_clean(remote=True)
    assert list(info.value.errors) == ["payment_condition"]  # only the server knows the ids
    debtor = Debtor(name="Bakkerij Jansen")
    debtor.save(validate_only=True)
    assert debtor.pk is None and debtor._state.adding
    posts = asperion_sandbox.requests("POST", "/v1/debtors")
    assert len(posts) == 2 and all(("validateOnly", "true") in p.params for p in posts)
    assert Debtor.objects.count() == before


# -- nested objects follow their parent's tenant -----------------------------------------------


def test_a_lines_foreign_key_is_read_through_the_invoices_tenant(
    asperion_sandbox: Sandbox, asperion_client: Client, asperion_user: str, asperion_tenant: int
) -> None:
    other = asperion_sandbox.add_administration(
        records={"ledgeraccounts": 5}, users=[asperion_user]
    )
    mine = asperion_client.tenant(asperion_tenant)
    line = SalesInvoice.objects.using(mine).order_by("id")[0].lines[0]
    (row,) = SalesInvoice.objects.using(mine).order_by("id").values("lines")[:1]
    listed = row["lines"][0]
    expected = LedgerAccount.objects.using(mine).cache(False).get(pk=line.ledger_account_id)
    asperion_sandbox.clear_log()
    with asperion_client.tenant(other):
        account, again = line.ledger_account, listed.ledger_account
    assert (account.pk, account.description) == (expected.pk, expected.description)
    assert (again.pk, again.description) == (expected.pk, expected.description)
    # One GET, for the invoice's administration; the second read is that GET's cached answer.
    assert [entry.tenant for entry in asperion_sandbox.requests(path="/v1/*")] == [asperion_tenant]


def test_a_lines_foreign_key_needs_no_active_block(
    asperion_client: Client, asperion_tenant: int
) -> None:
    invoice = SalesInvoice.objects.using(asperion_client.tenant(asperion_tenant))[0]
    line = invoice.lines[0]
    assert line.ledger_account.pk == line.ledger_account_id


# -- writes evict what they change elsewhere ---------------------------------------------------


def test_a_sales_order_evicts_the_cached_stock_of_its_articles(asperion_session: Session) -> None:
    article = Article.objects.order_by("id")[0]  # cached from here on
    SalesOrderWithLines.objects.create(
        debtor=Debtor.objects.order_by("id")[0],
        order_date=dt.date(2025, 5, 1),
        lines=[SalesOrderLine(article=article, quantity=Decimal("2"))],
    )
    again = Article.objects.order_by("id")[0]
    assert again.current_stock == (article.current_stock or 0) - Decimal("2")


def test_a_journal_entry_evicts_the_cached_change_log(asperion_session: Session) -> None:
    before = JournalEntryLog.objects.count()  # cached from here on
    JournalEntry.objects.create(
        date=dt.date(2025, 4, 1),
        journal="90",
        lines=[
            JournalEntryLine(ledger_account=4700, amount=Decimal("5.00")),
            JournalEntryLine(ledger_account=1000, amount=Decimal("-5.00")),
        ],
    )
    assert JournalEntryLog.objects.count() == before + 1


def test_a_sales_invoice_evicts_the_cached_headers(asperion_session: Session) -> None:
    before = SalesInvoiceHeader.objects.count()  # cached from here on
    SalesInvoice.objects.create(
        debtor=Debtor.objects.order_by("id")[0],
        date=dt.date(2025, 4, 1),
        lines=[SalesInvoiceLine(amount=Decimal("10.00"), ledger_account=8000)],
    )
    assert SalesInvoiceHeader.objects.count() == before + 1
