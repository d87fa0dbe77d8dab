"""``POST /v1/salesinvoiceswithlines/{id}/file``: a multipart upload of the invoice PDF."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
import requests

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body

PDF = b"%PDF-1.4\n% een factuur\n" + bytes(range(256)) * 4


def upload(
    api: Api, invoice_id: Any, files: Any, params: Any = None, method: str = "POST"
) -> requests.Response:
    """Send a multipart request the way ``requests`` encodes ``files=``."""
    return api.http.request(
        method,
        api.url(f"salesinvoiceswithlines/{invoice_id}/file"),
        params=params,
        files=files,
        headers=api.headers(),
        verify=api.sandbox.ca_bundle,
        timeout=30,
    )


@pytest.fixture
def invoice(tenant_api: Api) -> dict[str, Any]:
    """Return a new sales invoice of the test's administration."""
    debtor = tenant_api.rows("debtors")[0]["id"]
    line = {"amount": Decimal("100.00"), "ledgerAccountId": 8000, "vatCode": "VH21"}
    payload = {"debtorId": debtor, "date": "2025-05-05", "lines": {"_data": [line]}}
    created: dict[str, Any] = body(tenant_api.post("salesinvoiceswithlines", payload))
    return created


def test_upload_stores_the_file_and_lists_it_on_the_invoice(
    asperion_sandbox: Sandbox, tenant_api: Api, invoice: dict[str, Any]
) -> None:
    response = upload(tenant_api, invoice["id"], {"File": ("F2025-1.pdf", PDF, "application/pdf")})
    assert response.status_code == 201, response.text
    file = body(response)
    assert re.fullmatch(r"[0-9a-f-]{36}", file["id"])
    assert (file["name"], file["type"], file["extension"], file["size"]) == (
        "F2025-1.pdf",
        "application/pdf",
        "pdf",
        len(PDF),
    )
    assert file["_meta"]["administrationId"] == tenant_api.tenant
    assert file["_meta"]["self"].endswith(
        f"/salesinvoiceswithlines/{invoice['id']}/file/{file['id']}"
    )
    listed = body(tenant_api.get(f"salesinvoiceswithlines/{invoice['id']}"))["files"]
    assert listed == [{k: v for k, v in file.items() if k != "_meta"}]
    assert asperion_sandbox.state.file_content(tenant_api.tenant or 0, file["id"]) == PDF


def test_a_second_upload_is_listed_after_the_first(
    tenant_api: Api, invoice: dict[str, Any]
) -> None:
    upload(tenant_api, invoice["id"], {"File": ("factuur.pdf", PDF, "application/pdf")})
    upload(tenant_api, invoice["id"], {"file": ("bijlage.txt", b"tekst", "text/plain")})
    listed = body(tenant_api.get(f"salesinvoiceswithlines/{invoice['id']}"))["files"]
    assert [(f["name"], f["type"], f["size"]) for f in listed] == [
        ("factuur.pdf", "application/pdf", len(PDF)),
        ("bijlage.txt", "text/plain", 5),
    ]
    rows = tenant_api.rows("salesinvoiceswithlines", {"id": invoice["id"], "fields": "files"})
    assert [f["name"] for f in rows[0]["files"]] == ["factuur.pdf", "bijlage.txt"]


def test_only_the_base_name_is_kept(tenant_api: Api, invoice: dict[str, Any]) -> None:
    response = upload(tenant_api, invoice["id"], {"File": ("facturen/2025/mei.PDF", PDF)})
    file = body(response)
    assert (file["name"], file["extension"]) == ("mei.PDF", "pdf")


def test_validate_only_stores_nothing(
    asperion_sandbox: Sandbox, tenant_api: Api, invoice: dict[str, Any]
) -> None:
    files = {"File": ("factuur.pdf", PDF, "application/pdf")}
    response = upload(tenant_api, invoice["id"], files, params={"validateOnly": "true"})
    assert response.status_code == 200
    assert "id" not in body(response) and body(response)["size"] == len(PDF)
    assert body(tenant_api.get(f"salesinvoiceswithlines/{invoice['id']}"))["files"] == []
    assert asperion_sandbox.state.store.administrations[tenant_api.tenant or 0].files == {}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"Other": ("x.pdf", PDF)}, "Send the file as the multipart/form-data part named File."),
        ({"File": ("leeg.pdf", b"")}, "The file is empty."),
        ({"File": ("groot.pdf", b"x" * (10 * 1024 * 1024 + 1))}, "The file is larger than"),
    ],
)
def test_a_bad_upload_is_400_on_the_file_part(
    tenant_api: Api, invoice: dict[str, Any], files: Any, message: str
) -> None:
    response = upload(tenant_api, invoice["id"], files)
    assert response.status_code == 400
    problem = body(response)
    assert problem["errors"]["File"][0].startswith(message)
    assert "traceId" in problem
    assert body(tenant_api.get(f"salesinvoiceswithlines/{invoice['id']}"))["files"] == []


def test_a_json_body_is_no_upload(tenant_api: Api, invoice: dict[str, Any]) -> None:
    response = tenant_api.post(f"salesinvoiceswithlines/{invoice['id']}/file", {"File": "x"})
    assert "File" in body(response)["errors"]


def test_upload_to_an_unknown_invoice_is_404(tenant_api: Api) -> None:
    assert upload(tenant_api, 1, {"File": ("x.pdf", PDF)}).status_code == 404


def test_only_post_is_allowed_on_the_file_path(tenant_api: Api, invoice: dict[str, Any]) -> None:
    response = upload(tenant_api, invoice["id"], None, method="GET")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_invoices_without_lines_and_other_resources_take_no_files(tenant_api: Api) -> None:
    debtor = tenant_api.rows("debtors")[0]["id"]
    assert tenant_api.call("POST", f"debtors/{debtor}/file").status_code == 404
    invoice = tenant_api.rows("salesinvoices")[0]["id"]
    assert tenant_api.call("POST", f"salesinvoices/{invoice}/file").status_code == 404


def test_another_administration_cannot_upload(
    asperion_sandbox: Sandbox, tenant_api: Api, invoice: dict[str, Any]
) -> None:
    records = {"salesinvoiceswithlines": 0}
    other = tenant_api.using(tenant=asperion_sandbox.add_administration(records=records))
    assert upload(other, invoice["id"], {"File": ("x.pdf", PDF)}).status_code == 404
