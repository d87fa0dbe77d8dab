"""Writes against the sandbox: create, save, delete, bulk operations and their errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest

import asperion_orm as asp
from asperion_orm import fields
from asperion_orm.exceptions import ConfigurationError, ValidationError
from asperion_orm.resources import Debtor, SalesInvoice, SalesInvoiceLine
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

pytestmark = pytest.mark.filterwarnings("ignore::asperion_orm.LocalEvaluationWarning")

Counter = Callable[[int], AbstractContextManager[None]]

ODD_VALUES = [
    "A & B = C",
    "#1 100% sure",
    "  spaced  out ",
    "Zoë Ærø 日本 ✓",
    "a+b?c/d",
    "x=y&z=%20",
]


def stored(sandbox: Sandbox, session: Session, resource: str, pk: int) -> dict[str, Any]:
    return next(row for row in sandbox.state.rows(session.tenant, resource) if row["id"] == pk)


def test_create_posts_and_takes_the_returned_body(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    debtor = Debtor.objects.create(name="Nieuw BV", iban="NL91ABNA0417164300")
    assert [e.method for e in asperion_sandbox.requests(path="/v1/*")] == ["POST"]
    assert debtor.pk is not None and debtor.date_added is not None
    assert debtor.customer_number and debtor.iban == "NL91ABNA0417164300"
    assert debtor.blocked is False
    assert stored(asperion_sandbox, asperion_session, "debtors", debtor.pk)["name"] == "Nieuw BV"


def test_save_patches_only_the_changed_fields(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    pk = Debtor.objects.create(name="Origineel", city="Ede").pk
    first, second = Debtor.objects.get(pk=pk), Debtor.objects.cache(False).get(pk=pk)
    first.city = "Epe"
    first.save()
    second.name = "Gewijzigd"
    second.save()  # must not send the stale city back
    row = stored(asperion_sandbox, asperion_session, "debtors", pk)
    assert (row["name"], row["city"]) == ("Gewijzigd", "Epe")
    assert asperion_sandbox.request_log[-1].method == "PATCH"


def test_save_with_update_fields_and_full(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    debtor = Debtor.objects.create(name="Een", city="Ede")
    debtor.name, debtor.city = "Twee", "Epe"
    debtor.save(update_fields=["name"])
    assert stored(asperion_sandbox, asperion_session, "debtors", debtor.pk)["city"] == "Ede"
    debtor.city = "Epe"
    debtor.save(full=True)
    assert asperion_sandbox.request_log[-1].method == "PUT"
    assert stored(asperion_sandbox, asperion_session, "debtors", debtor.pk)["city"] == "Epe"


def test_save_without_changes_sends_nothing(
    asperion_session: Session, assert_requests: Counter
) -> None:
    debtor = Debtor.objects.create(name="Stil")
    with assert_requests(0):
        debtor.save()


def test_delete_and_refresh(asperion_session: Session) -> None:
    debtor = Debtor.objects.create(name="Weg")
    pk = debtor.pk
    debtor.name = "lokaal"
    debtor.refresh_from_db()
    assert debtor.name == "Weg" and not debtor._state.changed
    debtor.delete()
    assert debtor.pk is None
    with pytest.raises(Debtor.DoesNotExist):
        Debtor.objects.get(pk=pk)


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_values_round_trip(
    asperion_sandbox: Sandbox, asperion_session: Session, value: str
) -> None:
    created = Debtor.objects.create(name=value, city=value[:60])
    assert stored(asperion_sandbox, asperion_session, "debtors", created.pk)["name"] == value
    assert Debtor.objects.get(name=value).pk == created.pk
    assert [d.pk for d in Debtor.objects.filter(city=value[:60])] == [created.pk]
    assert Debtor.objects.filter(name__iexact=value.upper()).get().name == value


def test_client_side_validation_sends_nothing(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    with pytest.raises(ValidationError) as caught:
        Debtor.objects.create(name="x" * 101, email_address="nope")
    assert set(caught.value.errors) == {"name", "email_address"}
    with pytest.raises(ValidationError, match="required"):
        Debtor.objects.create(city="Ede")
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_local_messages_follow_the_clients_language(
    asperion_sandbox: Sandbox, asperion_user: str, asperion_tenant: int
) -> None:
    dutch = asperion_sandbox.client(user=asperion_user, language="nl-NL")
    asperion_sandbox.clear_log()
    with dutch.tenant(asperion_tenant), pytest.raises(ValidationError) as caught:
        Debtor.objects.create(name="x" * 101)
    assert caught.value.errors == {"name": ["Het veld Name mag maximaal 100 tekens bevatten."]}
    assert asperion_sandbox.requests(path="/v1/*") == []
    # The server, asked in the same language, words the same refusal the same way.
    with dutch.tenant(asperion_tenant) as session, pytest.raises(ValidationError) as caught:
        session.post("debtors", {"name": "x" * 101})
    assert caught.value.errors == {"name": ["Het veld Name mag maximaal 100 tekens bevatten."]}


def test_line_errors_are_keyed_by_attribute_path(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    debtor = Debtor.objects.order_by("id")[0]
    bad = SalesInvoiceLine(amount=Decimal("1.00"), ledger_account=8000, vat_code="NOPE")
    with pytest.raises(ValidationError) as caught:
        SalesInvoice.objects.create(debtor=debtor, date=dt.date(2024, 5, 1), lines=[bad])
    assert set(caught.value.errors) == {"lines[0].vat_code"}
    asperion_sandbox.clear_log()
    with pytest.raises(ValidationError) as caught:
        SalesInvoice.objects.create(
            debtor=debtor, date=dt.date(2024, 5, 1), lines=[SalesInvoiceLine(ledger_account=8000)]
        )
    assert caught.value.errors == {"lines[0].amount": ["The Amount field is required."]}
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_server_validation_is_keyed_by_attribute_name(asperion_session: Session) -> None:
    line = SalesInvoiceLine(amount=Decimal("1.00"), ledger_account=8000)
    with pytest.raises(ValidationError) as caught:
        SalesInvoice.objects.create(debtor=999_999, date=dt.date(2024, 5, 1), lines=[line])
    assert "debtor" in caught.value.errors and "debtorId" not in caught.value.errors
    debtor = Debtor.objects.order_by("id")[0]
    with pytest.raises(ValidationError) as caught:
        SalesInvoice.objects.create(
            debtor=debtor, date=dt.date(2024, 5, 1), journal="99", lines=[line]
        )
    assert caught.value.errors == {"journal": ["The Journal with id 99 does not exist."]}


def test_read_only_resources_refuse_writes_before_sending(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    class Ledger(asp.Model):
        id = fields.Integer(read_only=True)
        name = fields.String()

        class Meta:
            path = "ledgergrouped"
            read_only = True

    with pytest.raises(ConfigurationError, match="read-only"):
        Ledger.objects.create(name="x")
    with pytest.raises(ConfigurationError, match="read-only"):
        Ledger.from_api({"id": 1}).delete()
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_an_instance_refuses_another_tenants_session(
    asperion_sandbox: Sandbox, asperion_client: Any, asperion_user: str, asperion_session: Session
) -> None:
    debtor = Debtor.objects.create(name="Eigen")
    other = asperion_client.tenant(asperion_sandbox.add_administration(users=[asperion_user]))
    debtor.name = "Vreemd"
    with pytest.raises(ConfigurationError, match="belongs to administration"):
        debtor.save(using=other)
    with other, pytest.raises(ConfigurationError):
        debtor.save()
    with pytest.raises(ConfigurationError, match="it cannot be deleted through administration"):
        debtor.delete(using=other)
    with pytest.raises(ConfigurationError, match="it cannot be read through administration"):
        debtor.refresh_from_db(using=other)
    assert [e.method for e in asperion_sandbox.requests(path="/v1/*")] == ["POST"]


def test_get_of_a_deleted_object_raises_does_not_exist_without_a_request(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    debtor = Debtor.objects.create(name="Weg")
    debtor.delete()
    assert debtor.pk is None
    asperion_sandbox.clear_log()
    with pytest.raises(Debtor.DoesNotExist):
        Debtor.objects.get(pk=debtor.pk)
    with pytest.raises(Debtor.DoesNotExist):
        Debtor.objects.get(id=None)
    assert list(Debtor.objects.filter(pk=None)) == []
    assert Debtor.objects.filter(pk=None).count() == 0
    assert Debtor.objects.exclude(pk=None).count() == asperion_sandbox.state.count(
        asperion_session.tenant, "debtors"
    )
    assert [e.method for e in asperion_sandbox.requests(path="/v1/*")] == ["GET"]  # exclude()


def test_bulk_create_posts_concurrently(
    asperion_sandbox: Sandbox, asperion_session: Session, assert_requests: Counter
) -> None:
    before = asperion_sandbox.state.count(asperion_session.tenant, "debtors")
    objs = [Debtor(name=f"Bulk {n}", city="Ede") for n in range(12)]
    with assert_requests(12):
        created = Debtor.objects.bulk_create(objs, concurrency=4)
    assert all(obj.pk for obj in created)
    assert asperion_sandbox.state.count(asperion_session.tenant, "debtors") == before + 12


def test_bulk_create_validates_everything_first(
    asperion_session: Session, asperion_sandbox: Sandbox
) -> None:
    with pytest.raises(ValidationError):
        Debtor.objects.bulk_create([Debtor(name="ok"), Debtor(name="x" * 200)])
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_queryset_update_and_delete(asperion_sandbox: Sandbox, asperion_session: Session) -> None:
    Debtor.objects.bulk_create([Debtor(name=f"Batch {n}", city="Batchstad") for n in range(3)])
    assert Debtor.objects.filter(city="Batchstad").update(city="Anders") == 3
    assert Debtor.objects.cache(False).filter(city="Anders").count() == 3
    assert Debtor.objects.filter(city="Anders").delete() == (3, {"Debtor": 3})
    assert Debtor.objects.cache(False).filter(city="Anders").count() == 0


def test_get_or_create_and_update_or_create(asperion_session: Session) -> None:
    made, created = Debtor.objects.get_or_create(name="Uniek", defaults={"city": "Ede"})
    assert created and made.city == "Ede"
    again, created = Debtor.objects.get_or_create(name="Uniek", defaults={"city": "Epe"})
    assert not created and again.pk == made.pk
    changed, created = Debtor.objects.update_or_create(name="Uniek", defaults={"city": "Epe"})
    assert not created and changed.city == "Epe"
    fresh, created = Debtor.objects.update_or_create(name="Anders", defaults={"city": "Epe"})
    assert created and fresh.pk != made.pk
