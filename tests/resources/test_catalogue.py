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
    CostCenter,
    CostUnit,
    Country,
    Creditor,
    Debtor,
    Journal,
    JournalEntry,
    JournalEntryLine,
    PurchaseInvoice,
    PurchaseInvoiceLine,
    SalesInvoice,
    SalesInvoiceHeader,
    SalesInvoiceLine,
    SalesOrderWithLines,
    SalesType,
    VatCode,
    get_model,
)
from asperion_orm.session import Session
from asperion_orm.testing import Sandbox
from asperion_orm.testing.emulator.spec import Field, load_spec

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
    assert admin.is_default is True  # the only administration of this test's user
    assert admin.approval_routing_required is False
    assert admin.currency_code == "EUR"


# -- create, update and delete -------------------------------------------------------------------

Factory = Callable[[Rows], Model]

FACTORIES: dict[str, tuple[Factory, str, Any]] = {
    "countries": (lambda rows: Country(name="Testland", code="TL"), "name", "Testlandia"),
    "debtors": (
        lambda rows: Debtor(
            name="ACME BV",
            email_address="info@acme.example",
            iban="NL91ABNA0417164300",
            coc_number="12345678",
            payment_condition=first_id(rows, "paymentconditions"),
        ),
        "city",
        "Zwolle",
    ),
    "creditors": (
        lambda rows: Creditor(
            name="Leverancier BV", payment_condition=first_id(rows, "paymentconditions")
        ),
        "phone_number",
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
    "purchaseinvoices": (
        lambda rows: PurchaseInvoice(
            creditor=first_id(rows, "creditors"),
            invoice_date=DAY,
            invoice_number="INK-1",
            lines=[
                PurchaseInvoiceLine(quantity=Decimal("1"), price=Decimal("99.99"), vat_code="IH21")
            ],
        ),
        "due_date",
        dt.date(2025, 4, 13),
    ),
}

APPEND_ONLY: dict[str, Factory] = {
    "salesinvoiceswithlines": lambda rows: SalesInvoice(
        debtor=first_id(rows, "debtors"),
        date=DAY,
        journal="70",
        lines=[
            SalesInvoiceLine(
                description="Advies",
                amount=Decimal("150.00"),
                ledger_account=8000,
                vat_code=VatCode.objects.get(pk="VH21"),
                cost_center=first_id(rows, "costcenters"),
            )
        ],
    ),
    "journalentrieswithlines": lambda rows: JournalEntry(
        date=DAY,
        journal=Journal.objects.get(pk="90"),
        description="Correctie",
        lines=[
            JournalEntryLine(ledger_account=4700, amount=Decimal("5.00"), vat_code="IH21"),
            JournalEntryLine(ledger_account=1000, amount=Decimal("-5.00")),
        ],
    ),
}


def test_every_writable_resource_has_a_round_trip() -> None:
    writable = {
        p for p, m in MODELS.items() if not m._meta.read_only and p != "SalesOrderWithLines"
    }
    assert writable == set(FACTORIES) | set(APPEND_ONLY)
    assert {p for p, m in MODELS.items() if m._meta.append_only} == set(APPEND_ONLY)


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


@pytest.mark.parametrize("path", sorted(APPEND_ONLY))
def test_create_and_read_but_never_change(
    asperion_session: Session, rows: Rows, asperion_sandbox: Sandbox, path: str
) -> None:
    model = MODELS[path]
    obj = APPEND_ONLY[path](rows)
    obj.save()
    assert obj.pk is not None
    stored = next(row for row in rows(path) if row["id"] == obj.pk)
    same_values(obj, stored)
    assert all(isinstance(line.pk, int) for line in obj.lines)
    fresh = model.objects.get(pk=obj.pk)
    same_values(fresh, stored)
    sent = len(asperion_sandbox.requests(path="/v1/*"))
    fresh.description = "Anders"
    for write in (fresh.save, lambda: fresh.save(full=True), fresh.delete):
        with pytest.raises(ConfigurationError, match="append-only"):
            write()
    with pytest.raises(ConfigurationError, match="append-only"):
        model.objects.filter(pk=obj.pk).update(description="Anders")
    assert len(asperion_sandbox.requests(path="/v1/*")) == sent


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
    "integer": (fields.Integer, fields.ForeignKey, fields.Choice),
    "number": (fields.Decimal,),
    "string": (fields.String, fields.Choice, fields.ForeignKey),
    "boolean": (fields.Boolean,),
    "date": (fields.Date,),
    "date-time": (fields.DateTime,),
    "array": (fields.Nested,),
    "envelope": (fields.Lines,),
}


def same_fields(declared: dict[str, fields.Field[Any]], spec: dict[str, Field]) -> None:
    """Assert that declared fields (also of nested lines) match the document's."""
    assert [f.api_name for f in declared.values()] == list(spec)
    for field in declared.values():
        found = spec[field.api_name]
        assert isinstance(field, KINDS[found.kind]), field
        assert field.read_only == found.read_only, field
        assert field.required == (found.required and not found.read_only), field
        # A foreign key's id is checked by the target's key field (a journal id is 10 long).
        checker = field.key_field() if isinstance(field, fields.ForeignKey) else field
        assert getattr(checker, "max_length", None) == found.max_length, field
        if found.enum:
            assert isinstance(field, fields.Choice) and field.choices == found.enum
        if found.references:
            assert isinstance(field, fields.ForeignKey)
            assert field.target is MODELS[resource_name(found.references)]
            assert field.key_field().python_types == KINDS[found.kind][0].python_types
        if found.items is not None:
            assert isinstance(field, fields.Nested)
            same_fields(field.nested_model._meta.fields, found.items.fields)


@pytest.mark.parametrize("path", sorted(load_spec().resources))
def test_fields_follow_the_openapi_document(path: str) -> None:
    resource = load_spec().resources[path]
    meta = MODELS[path]._meta
    same_fields(meta.fields, resource.fields)
    assert meta.read_only == resource.read_only
    assert meta.create_only == resource.create_only
    assert meta.append_only == (
        "POST" in resource.collection_methods
        and "PATCH" not in resource.item_methods
        and not meta.create_only
    )
    assert type(meta.pk) is (fields.String if resource.string_ids else fields.Integer)
    if not resource.create_only:  # a create-only resource cannot be listed at all
        for field in meta.fields.values():
            spec = resource.fields[field.api_name]
            assert (field.name in meta.filterable) == spec.filterable, field
            assert (field.name in meta.range_filterable) == spec.range_filterable, field


def resource_name(path: str) -> str:
    return load_spec().resources[path].name


@pytest.mark.parametrize(
    ("name", "model"),
    [("debtors", Debtor), ("debtor", Debtor), ("Debtor", Debtor),
     ("sales_invoice", SalesInvoice), ("salesinvoiceswithlines", SalesInvoice),
     ("salesinvoices", SalesInvoiceHeader), ("sales_invoice_header", SalesInvoiceHeader),
     ("journalentrieswithlines", JournalEntry), ("journal_entry", JournalEntry),
     ("vatcodes", VatCode), ("cost_center", CostCenter), ("costunits", CostUnit),
     ("Journal", Journal), ("salesorderwithlines", SalesOrderWithLines), ("/countries", Country)],
)  # fmt: skip
def test_get_model_finds_a_resource_by_path_or_name(name: str, model: type[Model]) -> None:
    assert get_model(name) is model


def test_get_model_names_the_known_resources() -> None:
    with pytest.raises(LookupError, match=r"known resources: .*debtors"):
        get_model("debtors2")
