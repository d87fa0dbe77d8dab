"""Every resource against the emulator: list, get, and create/update/delete where writable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from asperion_orm import fields
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.orm.model import Model
from asperion_orm.resources import (
    MODELS,
    Article,
    Country,
    Creditor,
    Debtor,
    JournalEntry,
    JournalEntryLine,
    LedgerAccount,
    PaymentCondition,
    PurchaseInvoice,
    PurchaseInvoiceLine,
    SalesInvoice,
    SalesInvoiceLine,
    SalesOrderWithLines,
    SalesType,
    VatCode,
    get_model,
)
from asperion_orm.session import Session
from asperion_orm.testing import Sandbox
from asperion_orm.testing.emulator.spec import load_spec

from .conftest import Rows

READABLE = sorted(
    path for path, model in MODELS.items() if path not in ("administrations", "SalesOrderWithLines")
)
DAY = dt.date(2025, 3, 14)


def first_id(rows: Rows, path: str) -> int:
    """Return the id of the first row of a resource in the test's administration."""
    return int(rows(path)[0]["id"])


def visible(model: type[Model], raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows a plain list shows (articles: active ones only)."""
    return [row for row in raw if model is not Article or row["active"]]


def same_values(obj: Model, raw: dict[str, Any]) -> None:
    """Assert that every field of ``obj`` holds what the raw API row holds."""
    for field in type(obj)._meta.fields.values():
        expected = field.to_api(field.to_python(raw.get(field.api_name)))
        actual = field.to_api(getattr(obj, field.attname))
        assert actual == expected, field.name


@pytest.mark.parametrize("path", READABLE)
def test_list(asperion_session: Session, rows: Rows, path: str) -> None:
    model = MODELS[path]
    expected = [row["id"] for row in visible(model, rows(path))][:5]
    assert [obj.pk for obj in model.objects.order_by("id")[:5]] == expected
    assert model.objects.count() == len(visible(model, rows(path)))


@pytest.mark.parametrize("path", READABLE)
def test_get(asperion_session: Session, rows: Rows, path: str) -> None:
    model = MODELS[path]
    raw = visible(model, rows(path))[-1]
    obj = model.objects.get(pk=raw["id"])
    assert isinstance(obj, model)
    same_values(obj, raw)


def test_list_and_get_administrations(asperion_session: Session, asperion_tenant: int) -> None:
    model = MODELS["administrations"]
    ids = [admin.pk for admin in model.objects.all()]
    assert asperion_tenant in ids
    admin = model.objects.get(pk=asperion_tenant)
    assert admin.is_default is False
    assert admin.approval_routing_required is False
    assert admin.currency_code == "EUR"


# -- create, update and delete -------------------------------------------------------------------

Factory = Callable[[Rows], Model]

FACTORIES: dict[str, tuple[Factory, str, Any]] = {
    "countries": (lambda rows: Country(name="Testland", code="TL"), "name", "Testlandia"),
    "debtor": (
        lambda rows: Debtor(
            name="ACME BV",
            email="info@acme.example",
            country=first_id(rows, "countries"),
            credit_limit=Decimal("2500.00"),
        ),
        "city",
        "Zwolle",
    ),
    "creditors": (
        lambda rows: Creditor(
            name="Leverancier BV", payment_condition=first_id(rows, "paymentconditions")
        ),
        "phone",
        "+31 30 123 4567",
    ),
    "articles": (
        lambda rows: Article(
            code="TST-1",
            description="Testartikel",
            sales_type=first_id(rows, "salestypes"),
            price=Decimal("9.95"),
        ),
        "price",
        Decimal("12.50"),
    ),
    "salesinvoices": (
        lambda rows: SalesInvoice(
            debtor=first_id(rows, "debtor"),
            invoice_date=DAY,
            lines=[
                SalesInvoiceLine(
                    description="Advies",
                    quantity=Decimal("2"),
                    price=Decimal("75.00"),
                    vat_code=first_id(rows, "vatcodes"),
                )
            ],
        ),
        "reference",
        "PO-42",
    ),
    "purchaseinvoices": (
        lambda rows: PurchaseInvoice(
            creditor=first_id(rows, "creditors"),
            invoice_date=DAY,
            invoice_number="INK-1",
            lines=[PurchaseInvoiceLine(quantity=Decimal("1"), price=Decimal("99.99"))],
        ),
        "due_date",
        dt.date(2025, 4, 13),
    ),
    "journalentries": (
        lambda rows: JournalEntry(
            entry_date=DAY,
            journal_code="MEM",
            lines=[
                JournalEntryLine(
                    ledger_account=first_id(rows, "ledgeraccounts"), debit=Decimal("5.00")
                ),
                JournalEntryLine(
                    ledger_account=first_id(rows, "ledgeraccounts"), credit=Decimal("5.00")
                ),
            ],
        ),
        "description",
        "Correctie",
    ),
    "ledgeraccounts": (
        lambda rows: LedgerAccount(
            code="9999", description="Tussenrekening", account_type="Balance"
        ),
        "active",
        False,
    ),
    "vatcodes": (
        lambda rows: VatCode(code="T0", description="Test 0%", percentage=Decimal("0")),
        "description",
        "Test nul",
    ),
    "paymentconditions": (
        lambda rows: PaymentCondition(description="14 dagen", days=14),
        "discount_days",
        7,
    ),
}


def test_every_writable_resource_has_a_round_trip() -> None:
    writable = {
        p for p, m in MODELS.items() if not m._meta.read_only and p != "SalesOrderWithLines"
    }
    assert writable == set(FACTORIES)


@pytest.mark.parametrize("path", sorted(FACTORIES))
def test_create_update_delete(asperion_session: Session, rows: Rows, path: str) -> None:
    model = MODELS[path]
    factory, name, value = FACTORIES[path]
    before = len(rows(path))
    obj = factory(rows)
    obj.save()
    assert obj.pk is not None
    stored = next(row for row in rows(path) if row["id"] == obj.pk)
    same_values(obj, stored)

    setattr(obj, name, value)
    obj.save()
    fresh = model.all_objects.get(pk=obj.pk) if model is Article else model.objects.get(pk=obj.pk)
    assert getattr(fresh, name) == value

    fresh.delete()
    assert len(rows(path)) == before
    with pytest.raises(model.DoesNotExist):
        model.objects.get(pk=obj.pk)


def test_read_only_resources_refuse_writes_before_any_request(
    asperion_session: Session, rows: Rows, asperion_sandbox: Sandbox
) -> None:
    sales_type = SalesType.objects.get(pk=first_id(rows, "salestypes"))
    sent = len(asperion_sandbox.requests(path="/v1/*"))
    with pytest.raises(ConfigurationError, match="read-only"):
        sales_type.save()
    with pytest.raises(AttributeError, match="read-only"):
        sales_type.code = "X"
    assert len(asperion_sandbox.requests(path="/v1/*")) == sent


# -- the catalogue matches the OpenAPI document ----------------------------------------------------

KINDS: dict[str, tuple[type[fields.Field[Any]], ...]] = {
    "integer": (fields.Integer, fields.ForeignKey),
    "number": (fields.Decimal,),
    "string": (fields.String, fields.Choice),
    "boolean": (fields.Boolean,),
    "date": (fields.Date,),
    "date-time": (fields.DateTime,),
    "array": (fields.Nested,),
}


@pytest.mark.parametrize("path", sorted(load_spec().resources))
def test_fields_follow_the_openapi_document(path: str) -> None:
    resource = load_spec().resources[path]
    meta = MODELS[path]._meta
    assert {f.api_name for f in meta.fields.values()} == set(resource.fields)
    assert meta.read_only == resource.read_only
    for field in meta.fields.values():
        spec = resource.fields[field.api_name]
        assert isinstance(field, KINDS[spec.kind]), field
        assert field.read_only == spec.read_only, field
        assert field.required == (spec.required and not spec.read_only), field
        assert getattr(field, "max_length", None) == spec.max_length, field
        if not resource.create_only:  # a create-only resource cannot be listed at all
            assert (field.name in meta.filterable) == spec.filterable, field
            assert (field.name in meta.range_filterable) == spec.range_filterable, field
        if spec.enum:
            assert isinstance(field, fields.Choice) and field.choices == spec.enum
        if spec.references:
            assert isinstance(field, fields.ForeignKey)
            assert field.target is MODELS[resource_name(spec.references)]


def resource_name(path: str) -> str:
    return load_spec().resources[path].name


@pytest.mark.parametrize(
    ("name", "model"),
    [("debtor", Debtor), ("Debtor", Debtor), ("sales_invoice", SalesInvoice),
     ("salesorderwithlines", SalesOrderWithLines), ("/countries", Country)],
)  # fmt: skip
def test_get_model_finds_a_resource_by_path_or_name(name: str, model: type[Model]) -> None:
    assert get_model(name) is model


def test_get_model_names_the_known_resources() -> None:
    with pytest.raises(LookupError, match=r"known resources: .*debtor"):
        get_model("debtors2")
