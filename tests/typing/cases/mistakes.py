"""Mistakes a type checker must reject: each line marked ``# error`` is one error."""

from __future__ import annotations

from asperion_orm.resources import Debtor, PaymentCondition, SalesInvoice


def mistakes(debtor: Debtor, invoice: SalesInvoice) -> None:
    Debtor(nmae="x")  # error: no such field
    Debtor(name=5)  # error: name is a str
    Debtor(id=3)  # error: the API sets the id
    debtor.name = 5  # error: name is a str
    debtor.name = None  # error: name is not nullable
    debtor.nmae = "x"  # error: no such attribute
    debtor.id = 3  # error: read-only
    debtor.payment_condition = invoice  # error: a SalesInvoice is no PaymentCondition
    length: int = len(debtor.city)  # error: city may be None
    condition: PaymentCondition = debtor.payment_condition  # error: may be None
    name: int = Debtor.objects.get(pk=1).name  # error: a str
    first: Debtor = Debtor.objects.first()  # error: may be None
    rows: list[Debtor] = list(Debtor.objects.values("name"))  # error: dicts
    total: Debtor = Debtor.objects.all()[0:2]  # error: a slice is a QuerySet
    invoice.lines = [debtor]  # error: lines are SalesInvoiceLine
    Debtor.objects.filter(city="x").nonsense()  # error: no such method
