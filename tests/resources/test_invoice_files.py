"""``SalesInvoice.attach``: the invoice PDF as a multipart upload through the invoice's session."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from asperion_orm.client import Client
from asperion_orm.exceptions import AmbiguousWriteError, ConfigurationError, ValidationError
from asperion_orm.resources import Debtor, InvoiceFile, SalesInvoice, SalesInvoiceLine
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
UPLOADS = "/v1/salesinvoiceswithlines/*/file"


@pytest.fixture
def invoice(asperion_session: Session) -> SalesInvoice:
    """Return a new invoice in the test's administration."""
    line = SalesInvoiceLine(amount=Decimal("100.00"), ledger_account=8000, vat_code="VH21")
    return SalesInvoice.objects.create(
        debtor=Debtor.objects.order_by("id")[0], date=dt.date(2025, 6, 1), lines=[line]
    )


def stored_files(sandbox: Sandbox, session: Session, invoice: SalesInvoice) -> list[bytes]:
    rows = sandbox.state.rows(session.tenant, "salesinvoiceswithlines")
    listed = next(row["files"] for row in rows if row["id"] == invoice.pk)
    return [sandbox.state.file_content(session.tenant, file["id"]) for file in listed]


def test_attach_a_path(
    asperion_sandbox: Sandbox, asperion_session: Session, invoice: SalesInvoice, tmp_path: Path
) -> None:
    pdf = tmp_path / "F2025-00042.pdf"
    pdf.write_bytes(PDF)
    asperion_sandbox.clear_log()
    attached = invoice.attach(pdf)
    assert isinstance(attached, InvoiceFile)
    assert (attached.name, attached.type, attached.extension, attached.size) == (
        "F2025-00042.pdf",
        "application/pdf",
        "pdf",
        len(PDF),
    )
    assert attached.created_on is not None and attached.pk
    [sent] = asperion_sandbox.requests(path="/v1/*")
    assert (sent.method, sent.path) == ("POST", f"/v1/salesinvoiceswithlines/{invoice.pk}/file")
    assert sent.tenant == asperion_session.tenant
    assert stored_files(asperion_sandbox, asperion_session, invoice) == [PDF]
    assert [f.pk for f in invoice.files or []] == [attached.pk]  # no extra request
    assert len(asperion_sandbox.requests(path="/v1/*")) == 1
    fresh = SalesInvoice.objects.cache(False).get(pk=invoice.pk)
    assert [(f.pk, f.name, f.size) for f in fresh.files or []] == [
        (attached.pk, "F2025-00042.pdf", len(PDF))
    ]


def test_attach_a_file_object_with_a_name_and_a_content_type(
    asperion_sandbox: Sandbox, asperion_session: Session, invoice: SalesInvoice, tmp_path: Path
) -> None:
    first = invoice.attach(io.BytesIO(b"eerste"), filename="bijlage.txt", content_type="text/plain")
    assert (first.name, first.type, first.size) == ("bijlage.txt", "text/plain", 6)
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG")
    with path.open("rb") as handle:
        second = invoice.attach(handle, content_type="image/png")
    assert (second.name, second.type, second.extension) == ("scan.png", "image/png", "png")
    assert [f.name for f in invoice.files or []] == ["bijlage.txt", "scan.png"]
    assert stored_files(asperion_sandbox, asperion_session, invoice) == [b"eerste", b"\x89PNG"]


def test_a_text_file_is_refused_before_sending(
    asperion_sandbox: Sandbox, invoice: SalesInvoice
) -> None:
    asperion_sandbox.clear_log()
    with pytest.raises(TypeError, match="binary mode"):
        invoice.attach(io.StringIO("tekst"), filename="x.txt")  # type: ignore[arg-type]
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_an_unsaved_invoice_cannot_take_a_file(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    with pytest.raises(ConfigurationError, match="save it first"):
        SalesInvoice(date=dt.date(2025, 1, 1)).attach(io.BytesIO(PDF), filename="x.pdf")
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_attach_stays_in_the_invoices_administration(
    asperion_sandbox: Sandbox, sandbox_user_client: Client, invoice: SalesInvoice
) -> None:
    other = sandbox_user_client.tenant(asperion_sandbox.tenants[0])
    asperion_sandbox.clear_log()
    with pytest.raises(ConfigurationError, match="belongs to administration"):
        invoice.attach(io.BytesIO(PDF), filename="x.pdf", using=other)
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_a_refused_upload_is_a_validation_error(
    asperion_sandbox: Sandbox, asperion_session: Session, invoice: SalesInvoice
) -> None:
    with pytest.raises(ValidationError) as caught:
        invoice.attach(io.BytesIO(b""), filename="leeg.pdf")
    assert caught.value.errors == {"File": ["The file is empty."]}
    assert stored_files(asperion_sandbox, asperion_session, invoice) == []


@pytest.mark.parametrize("fault", ["reset_before", "reset_after_commit", 502])
def test_an_upload_whose_answer_is_lost_is_never_resent(
    asperion_sandbox: Sandbox, asperion_session: Session, invoice: SalesInvoice, fault: object
) -> None:
    asperion_sandbox.inject("POST", UPLOADS, fault)  # type: ignore[arg-type]
    with pytest.raises(AmbiguousWriteError):
        invoice.attach(io.BytesIO(PDF), filename="factuur.pdf")
    assert len(asperion_sandbox.requests("POST", UPLOADS)) == 1
    stored = stored_files(asperion_sandbox, asperion_session, invoice)
    assert stored == ([PDF] if fault == "reset_after_commit" else [])
    assert invoice.files == []
