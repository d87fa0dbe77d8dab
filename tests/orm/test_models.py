"""Models and fields without the network: conversions, validation, changes, metadata."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import pytest

import asperion_orm as asp
from asperion_orm import exceptions, fields
from asperion_orm.exceptions import ConfigurationError, FieldError

from .models import SampleCountry, SampleDebtor, SampleInvoice, SampleInvoiceLine

RAW = {
    "id": 7,
    "name": "Bakker BV",
    "creditLimit": Decimal("1500.50"),
    "active": True,
    "countryId": 3,
    "createdDate": "2024-03-01T10:00:00.000Z",
    "email": None,
}


def test_meta_is_built_once_from_the_declaration() -> None:
    assert SampleDebtor._meta.path == "debtor"
    assert list(SampleDebtor._meta.fields)[:3] == ["id", "name", "contact"]
    assert SampleDebtor._meta.max_page_size == 100
    assert "city" in SampleDebtor._meta.filterable
    assert "city" not in SampleDebtor._meta.range_filterable
    assert SampleDebtor._meta.fields["postal_code"].api_name == "postalCode"
    assert SampleDebtor._meta.fields["country"].api_name == "countryId"


def test_api_name_can_be_overridden() -> None:
    class Thing(asp.Model):
        id = fields.Integer(read_only=True)
        vat_rate = fields.Decimal(api_name="VATRate")

        class Meta:
            path = "things"

    assert Thing.from_api({"id": 1, "VATRate": Decimal("21")}).vat_rate == Decimal("21.00")


def test_unknown_meta_option_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown options"):

        class Broken(asp.Model):
            class Meta:
                paht = "x"


def test_each_model_has_its_own_exceptions() -> None:
    assert issubclass(SampleDebtor.DoesNotExist, exceptions.DoesNotExist)
    assert issubclass(SampleDebtor.MultipleObjectsReturned, exceptions.MultipleObjectsReturned)
    assert not issubclass(SampleDebtor.DoesNotExist, SampleCountry.DoesNotExist)
    assert SampleDebtor.DoesNotExist.__qualname__ == "SampleDebtor.DoesNotExist"


def test_fields_convert_on_first_access_only() -> None:
    debtor = SampleDebtor.from_api(RAW)
    assert debtor._state.values == {}
    assert debtor.credit_limit == Decimal("1500.50")
    assert set(debtor._state.values) == {"credit_limit"}
    assert debtor.created_date == dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
    assert debtor.email is None and debtor.active is True


def test_repr_shows_id_and_name() -> None:
    assert repr(SampleDebtor.from_api(RAW)) == "<SampleDebtor 7 'Bakker BV'>"


def test_foreign_key_raw_id_and_object() -> None:
    debtor = SampleDebtor.from_api(RAW)
    assert debtor.country_id == 3
    country = SampleCountry.from_api({"id": 4, "name": "België", "code": "BE"})
    debtor.country = country
    assert debtor.country_id == 4 and debtor.country is country
    assert debtor._state.changed == {"country"}
    assert debtor.to_api(["country"]) == {"countryId": 4}


def test_foreign_key_refuses_other_models() -> None:
    with pytest.raises(TypeError):
        SampleDebtor(country=SampleDebtor.from_api(RAW))


def test_reverse_accessor_is_a_queryset() -> None:
    debtor = SampleDebtor.from_api(RAW)
    assert (
        str(debtor.invoices.all().query)
        == "GET /salesinvoices?debtorId=7&orderby=id&page=1&pageSize=100"
    )


def test_assignment_is_tracked_and_converted_back() -> None:
    debtor = SampleDebtor.from_api(RAW)
    debtor.credit_limit = Decimal("10.005")
    debtor.name = "Bakker & Zn."
    assert debtor.credit_limit == Decimal("10.01")
    assert debtor._state.changed == {"credit_limit", "name"}
    assert debtor.to_api(["credit_limit"]) == {"creditLimit": Decimal("10.01")}


def test_read_only_fields_refuse_assignment() -> None:
    debtor = SampleDebtor.from_api(RAW)
    with pytest.raises(AttributeError, match="read-only"):
        debtor.id = 8
    with pytest.raises(AttributeError, match="read-only"):
        SampleDebtor(name="x", created_date=dt.datetime.now(dt.UTC))


def test_read_only_fields_are_never_sent() -> None:
    body = SampleDebtor.from_api(RAW).to_api()
    assert "id" not in body and "createdDate" not in body and body["name"] == "Bakker BV"


def test_decimal_refuses_float_and_accepts_text_and_int() -> None:
    debtor = SampleDebtor(name="x")
    with pytest.raises(TypeError, match="float"):
        debtor.credit_limit = 0.1
    debtor.credit_limit = "12.5"
    assert debtor.credit_limit == Decimal("12.50")
    debtor.credit_limit = 3
    assert debtor.credit_limit == Decimal("3.00")


def test_datetime_must_be_timezone_aware() -> None:
    class Event(asp.Model):
        id = fields.Integer(read_only=True)
        at = fields.DateTime()

    event = Event()
    with pytest.raises(ValueError, match="timezone-aware"):
        event.at = dt.datetime(2024, 1, 1)
    event.at = "2024-01-01T10:00:00+02:00"
    assert event.at is not None and event.at.utcoffset() == dt.timedelta(hours=2)
    assert Event.from_api({"at": "2024-01-01T10:00:00"}).at == dt.datetime(
        2024, 1, 1, 10, tzinfo=dt.UTC
    )


def test_date_refuses_datetime() -> None:
    invoice = SampleInvoice(debtor=1, invoice_date=dt.date(2024, 1, 2))
    with pytest.raises(TypeError):
        invoice.invoice_date = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    assert invoice.to_api(["invoice_date"]) == {"invoiceDate": "2024-01-02"}


def test_client_side_validation_keys_errors_by_attribute() -> None:
    debtor = SampleDebtor(name="x" * 101, email="not-an-email")
    assert set(debtor.errors()) == {"name", "email"}
    assert SampleDebtor().errors() == {"name": ["This field is required."]}


def test_choice_and_enum_fields() -> None:
    class Colour(enum.Enum):
        RED = "red"
        BLUE = "blue"

    class Paint(asp.Model):
        id = fields.Integer(read_only=True)
        kind = fields.Choice(["matt", "gloss"])
        colour = fields.Enum(Colour)

    paint = Paint.from_api({"id": 1, "kind": "matt", "colour": "blue"})
    assert paint.colour is Colour.BLUE
    with pytest.raises(ValueError, match="one of"):
        paint.kind = "satin"
    paint.colour = Colour.RED
    assert paint.to_api() == {"kind": "matt", "colour": "red"}
    with pytest.raises(FieldError):
        Paint.objects.filter(kind__icontains="m")


def test_list_and_nested_fields() -> None:
    class Tagged(asp.Model):
        id = fields.Integer(read_only=True)
        tags = fields.List(fields.String())

    assert Tagged.from_api({"id": 1, "tags": ["a", "b"]}).tags == ["a", "b"]
    invoice = SampleInvoice.from_api(
        {"id": 1, "lines": [{"description": "Koffie", "quantity": Decimal("2"), "price": 5}]}
    )
    assert invoice.lines is not None
    line = invoice.lines[0]
    assert isinstance(line, SampleInvoiceLine) and line.price == Decimal("5.00")
    invoice.lines = [SampleInvoiceLine(description="Thee", quantity=1, price=Decimal("2.5"))]
    assert invoice.to_api(["lines"]) == {
        "lines": [{"description": "Thee", "quantity": Decimal("1.0000"), "price": Decimal("2.50")}]
    }


def test_manager_is_not_reachable_from_instances() -> None:
    with pytest.raises(AttributeError):
        SampleDebtor.from_api(RAW).objects  # noqa: B018


def test_instances_compare_by_model_and_id() -> None:
    assert SampleDebtor.from_api(RAW) == SampleDebtor.from_api({"id": 7})
    assert SampleDebtor.from_api(RAW) != SampleCountry.from_api({"id": 7})
    assert len({SampleDebtor.from_api(RAW), SampleDebtor.from_api({"id": 7})}) == 1


def test_constructor_refuses_unknown_names() -> None:
    with pytest.raises(
        TypeError, match=r"unexpected keyword arguments \['nmae'\]; choices are: name"
    ):
        SampleDebtor(nmae="x")


def test_string_references_resolve_when_the_target_is_declared() -> None:
    class Order(asp.Model):
        id = fields.Integer(read_only=True)
        customer = fields.ForeignKey("Customer", related_name="orders")

        class Meta:
            path = "orders"
            filterable = ("id", "customer")

    class Customer(asp.Model):
        id = fields.Integer(read_only=True)

        class Meta:
            path = "customers"

    assert Order._meta.fields["customer"].target is Customer  # type: ignore[attr-defined]
    assert str(Customer.from_api({"id": 2}).orders.all().query) == (
        "GET /orders?customerId=2&page=1&pageSize=100"
    )


def test_bad_meta_ordering_fails_at_declaration() -> None:
    with pytest.raises(FieldError, match="nope"):

        class Sorted(asp.Model):
            id = fields.Integer(read_only=True)

            class Meta:
                path = "sorted"
                ordering = ("-nope",)
