"""Replayed cassettes through the ORM: querysets, counts and writes on shipped models."""

from __future__ import annotations

import pytest

from asperion_orm import Client
from asperion_orm.resources import Country, Debtor, Journal, SalesInvoice

from .conftest import tenants

pytestmark = pytest.mark.asperion_cassette


def test_queryset_filter_order_slice_and_count(recorded_client: Client) -> None:
    with recorded_client.tenant(tenants(recorded_client)[0]):
        arnhem = Debtor.objects.filter(city="Arnhem").order_by("-id")
        assert arnhem.count() == len(list(arnhem))
        top = [debtor.id for debtor in arnhem[:3]]
    assert top == sorted(top, reverse=True)
    assert len(top) == 3


def test_model_create_save_delete(recorded_client: Client) -> None:
    with recorded_client.tenant(tenants(recorded_client)[0]):
        debtor = Debtor.objects.create(name="ORM B.V.", city="Delft")
        debtor.city = "Leiden"
        debtor.save()
        pk = debtor.pk
        assert Debtor.objects.get(pk=pk).city == "Leiden"
        debtor.delete()
        with pytest.raises(Debtor.DoesNotExist):
            Debtor.objects.get(pk=pk)


def test_invoices_with_lines_and_their_journal(recorded_client: Client) -> None:
    with recorded_client.tenant(tenants(recorded_client)[0]):
        invoice = SalesInvoice.objects.order_by("id")[0]
        assert invoice.lines and sum(line.amount for line in invoice.lines) == (
            invoice.amount_excl_vat
        )
        assert isinstance(invoice.journal, Journal) and invoice.journal.pk == "70"


def test_reference_data_pages_through(recorded_client: Client) -> None:
    with recorded_client.tenant(tenants(recorded_client)[0]):
        countries = list(Country.objects.order_by("id"))
        assert len(countries) == Country.objects.count()
    assert [c.id for c in countries] == sorted(c.id for c in countries)
