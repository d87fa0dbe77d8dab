"""Models and fields without the network: conversions, validation, changes, metadata."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import pytest

import asperion_orm as asp
from asperion_orm import exceptions, fields
from asperion_orm.exceptions import ConfigurationError, FieldError
from asperion_orm.orm.model import python_path
from asperion_orm.resources import SalesInvoiceHeader

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


def test_meta_invalidates_names_api_paths() -> None:
    class Order(asp.Model):
        id = fields.Integer(read_only=True)

        class Meta:
            path = "orders"
            invalidates = ["articles", "stock/levels"]

    assert Order._meta.invalidates == ("articles", "stock/levels")
    assert SampleDebtor._meta.invalidates == ()
    for wrong in ("articles", ["articles?x=1"], [""], [3]):
        with pytest.raises(ConfigurationError, match="invalidates"):
            type("Bad", (asp.Model,), {"Meta": type("Meta", (), {"invalidates": wrong})})


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
    assert debtor._values is None
    assert debtor.name == "Bakker BV" and debtor.active is True and debtor.email is None
    assert debtor._values is None  # read from the row as the API sent them: nothing to keep
    assert debtor.credit_limit == Decimal("1500.50")
    assert set(debtor._values) == {"credit_limit"}
    assert debtor.created_date == dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
    assert set(debtor._values) == {"credit_limit", "created_date"}
    assert debtor.name == "Bakker BV" and set(debtor._values) == {"credit_limit", "created_date"}


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
    header = SalesInvoiceHeader.from_api({"id": 1, "debtorId": 2})
    for name in ("debtor", "debtor_id"):  # a read-only foreign key, both ways
        with pytest.raises(AttributeError, match="read-only"):
            setattr(header, name, 3)


def test_read_only_fields_in_the_constructor_are_a_validation_error_naming_them() -> None:
    with pytest.raises(exceptions.ValidationError, match=r"created_date.*read-only") as info:
        SampleDebtor(name="x", created_date=dt.datetime.now(dt.UTC))
    assert list(info.value.errors) == ["created_date"]
    with pytest.raises(exceptions.ValidationError) as info:
        SampleDebtor.objects.create(id=5, name="x", created_date=dt.datetime.now(dt.UTC))
    assert sorted(info.value.errors) == ["created_date", "id"]
    with pytest.raises(exceptions.ValidationError, match="id"):
        SampleDebtor.objects.filter(city="Ede").update(id=5)
    with pytest.raises(exceptions.ValidationError, match="status"):
        SampleInvoice.objects.update_or_create(id=1, defaults={"status": "paid"})


def test_decimals_beyond_the_apis_28_digits_are_a_validation_error_naming_the_field() -> None:
    debtor = SampleDebtor(name="x")
    for too_long in (Decimal("1" * 30), "9" * 26 + ".999", 10**40, Decimal("1E+999999999")):
        with pytest.raises(exceptions.ValidationError, match=r"credit_limit.*28 digits"):
            debtor.credit_limit = too_long
    # A filter compares the value as given: no credit limit reaches 30 digits.
    assert SampleDebtor.objects.filter(credit_limit__gte=Decimal("1" * 30)).explain() == (
        "(no request: the query matches nothing)\nno value the API holds meets credit_limit__gte"
    )
    with pytest.raises(exceptions.ValidationError, match=r"credit_limit.*28 digits"):
        _ = SampleDebtor.from_api({"creditLimit": Decimal("1" * 30)}).credit_limit
    debtor.credit_limit = "9" * 26 + ".994"  # 28 digits once rounded
    assert debtor.credit_limit == Decimal("9" * 26 + ".99")
    debtor.credit_limit = "0." + "1" * 40
    assert debtor.credit_limit == Decimal("0.11")


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
    assert SampleDebtor().errors() == {"name": ["The Name field is required."]}


def test_local_messages_read_as_the_servers_in_its_language() -> None:
    debtor = SampleDebtor(name="x" * 101, email="not-an-email")
    assert debtor.errors(language="nl-NL") == {
        "name": ["Het veld Name mag maximaal 100 tekens bevatten."],
        "email": ["Het veld Email is geen geldig e-mailadres."],
    }
    assert debtor.errors(language="en-US") == {
        "name": ["The field Name must be a string with a maximum length of 100."],
        "email": ["The Email field is not a valid e-mail address."],
    }
    assert SampleDebtor().errors(language="nl") == {"name": ["Het veld Name is verplicht."]}


def test_a_missing_line_field_is_keyed_on_the_line() -> None:
    book = Book(lines=[BookLine(words=1), BookLine(shelf="x" * 6)])
    assert book.errors() == {
        "lines[1].words": ["The Words field is required."],
        "lines[1].shelf": ["The field ShelfCode must be a string with a maximum length of 5."],
    }


def test_server_error_keys_become_attribute_paths() -> None:
    meta = Book._meta
    assert python_path(meta, "lines._data[0].shelfCode") == "lines[0].shelf"
    assert python_path(meta, "Lines[2].Words") == "lines[2].words"
    assert python_path(meta, "shelfId") == "shelf"
    assert python_path(meta, "lines._meta") == "lines._meta"  # no such attribute: as sent
    assert python_path(meta, "somethingElse") == "somethingElse"


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


# -- lines in an envelope, string keys, append-only resources -------------------------------------


class Shelf(asp.Model):
    """A resource whose ids are strings, like journals and VAT codes."""

    id = fields.String(max_length=5, read_only=True)
    label = fields.String()

    class Meta:
        path = "shelves"
        read_only = True
        filterable = ("id", "label")


class BookLine(asp.Model):
    id = fields.Integer(read_only=True)
    words = fields.Integer(required=True)
    shelf = fields.ForeignKey(Shelf, api_name="shelfCode")


class Book(asp.Model):
    id = fields.Integer(read_only=True)
    shelf = fields.ForeignKey(Shelf, related_name="books")
    lines = fields.Lines(BookLine)

    class Meta:
        path = "books"
        append_only = True
        filterable = ("id", "shelf", "lines")
        range_filterable = ("id", "shelf")


def test_lines_read_the_envelope_into_a_list() -> None:
    raw = {"_data": [{"id": 1, "words": 3, "shelfCode": "A1"}], "_meta": {"totalCount": 1}}
    book = Book.from_api({"id": 1, "lines": raw})
    assert book.lines is not None and [type(line) for line in book.lines] == [BookLine]
    assert (book.lines[0].pk, book.lines[0].words, book.lines[0].shelf_id) == (1, 3, "A1")
    assert Book.from_api({"id": 2, "lines": {"_data": []}}).lines == []
    assert Book.from_api({"id": 3, "lines": [{"words": 1}]}).lines[0].words == 1  # type: ignore[index]
    assert Book.from_api({"id": 4}).lines is None


def test_lines_are_written_back_as_an_envelope_without_line_ids() -> None:
    book = Book(lines=[BookLine(words=2, shelf="B2"), BookLine(words=5)])
    assert book.to_api(["lines"]) == {
        "lines": {
            "_data": [{"words": 2, "shelfCode": "B2"}, {"words": 5, "shelfCode": None}],
            "_meta": {"totalCount": 2},
        }
    }
    loaded = Book.from_api({"id": 1, "lines": {"_data": [{"id": 7, "words": 2}]}})
    assert loaded._changed_fields() == set()
    loaded.lines[0].words = 9  # type: ignore[index]
    assert loaded._changed_fields() == {"lines"}


def test_lines_check_their_items_and_their_type() -> None:
    assert Book(lines=[BookLine()]).errors() == {"lines[0].words": ["The Words field is required."]}
    with pytest.raises(TypeError, match="lines"):
        Book(lines=[{"words": 1}])
    with pytest.raises(TypeError):
        Book(lines="no list")


def test_lines_accept_only_isnull() -> None:
    assert "isnull=true" not in str(Book.objects.filter(lines__isnull=False).query)
    for lookup in ("exact", "in", "contains"):
        with pytest.raises(FieldError, match="lines"):
            Book.objects.filter(**{f"lines__{lookup}": []})


def test_string_primary_keys() -> None:
    shelf = Shelf.from_api({"id": "A1", "label": "Boven"})
    assert shelf.pk == "A1" and hash(shelf) == hash(Shelf.from_api({"id": "A1"}))
    assert shelf == Shelf.from_api({"id": "A1"}) and shelf != Shelf.from_api({"id": "a1"})
    assert str(Shelf.objects.filter(pk__in=["B", "A1"]).query) == (
        "GET /shelves?id=A1&id=B&id_comparison=Equals&page=1&pageSize=100"
    )


def test_a_foreign_key_takes_the_type_of_the_target_key() -> None:
    field = Book._meta.fields["shelf"]
    assert isinstance(field, fields.ForeignKey) and field.python_types == (str,)
    assert field.key_field() is Shelf._meta.pk
    book = Book(shelf=Shelf.from_api({"id": "C3"}))
    assert book.shelf_id == "C3" and book.to_api(["shelf"]) == {"shelfId": "C3"}
    book.shelf_id = "D4"
    assert book.to_api(["shelf"]) == {"shelfId": "D4"}
    with pytest.raises(TypeError, match="expected str"):
        book.shelf = 4
    with pytest.raises(TypeError):
        Book(shelf=Shelf())  # a shelf without an id
    assert Book(shelf="x" * 6).errors() == {
        "shelf": ["The field ShelfId must be a string with a maximum length of 5."]
    }
    assert str(Book.objects.filter(shelf="A1").query) == (
        "GET /books?page=1&pageSize=100&shelfId=A1&shelfId_comparison=Equals"
    )
    assert Book.from_api({"id": 1, "shelfId": "A1"}).shelf_id == "A1"


def test_a_string_key_has_no_next_value() -> None:
    field = Book._meta.fields["shelf"]
    assert field.scale() is None
    scale = Book._meta.fields["id"].scale()
    assert scale is not None and scale.above(4) == 5
    assert "shelfId_from=B" in str(Book.objects.filter(shelf__gte="B").query)


def test_integer_keys_are_unchanged() -> None:
    field = SampleInvoice._meta.fields["debtor"]
    assert isinstance(field, fields.ForeignKey) and field.python_types == (int,)
    with pytest.raises(TypeError, match="expected int"):
        SampleInvoice(debtor="7")
    assert field.to_python(7) == 7 and field.to_api(7) == 7
    scale = field.scale()
    assert scale is not None and scale.above(7) == 8


def test_append_only_resources_refuse_changes_before_any_request() -> None:
    book = Book.from_api({"id": 1, "lines": {"_data": []}})
    book.lines = []
    for write in (book.save, book.delete, lambda: Book.objects.filter(id=1).update(lines=[])):
        with pytest.raises(ConfigurationError, match="append-only"):
            write()
    assert Book._meta.append_only and not Book._meta.read_only and not Book._meta.create_only
