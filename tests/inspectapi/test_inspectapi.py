"""``inspectapi``: model code from OpenAPI 3 / Swagger 2, matching the shipped catalogue."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from asperion_orm import fields, inspectapi
from asperion_orm.client import Client
from asperion_orm.orm.model import Model
from asperion_orm.resources import MODELS
from asperion_orm.testing.sandbox import Sandbox

from .conftest import SHIPPED, SWAGGER_YAML

RUFF = Path(sys.executable).with_name("ruff")


def load_module(source: str, directory: Path, name: str) -> ModuleType:
    """Write ``source`` to ``directory/name.py`` and import it."""
    path = directory / f"{name}.py"
    path.write_text(source, "utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(shipped: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """Return the module generated from the shipped document, imported."""
    source = inspectapi.generate(shipped)
    return load_module(source, tmp_path_factory.mktemp("gen"), "generated_asperion")


def resources_of(module: ModuleType) -> dict[str, type[Model]]:
    """Return the generated models that have a path, by path."""
    found = {}
    for value in vars(module).values():
        is_model = isinstance(value, type) and issubclass(value, Model)
        if is_model and value.__module__ == module.__name__ and value._meta.path:
            found[value._meta.path] = value
    return found


def describe(field: fields.Field[Any]) -> tuple[Any, ...]:
    """Return what must agree between a generated and a shipped field."""
    target = field.target.__name__ if isinstance(field, fields.ForeignKey) else None
    nested = field.nested_model._meta.fields.keys() if isinstance(field, fields.Nested) else None
    return (
        type(field).__name__,
        field.api_name,
        field.read_only,
        field.required,
        getattr(field, "max_length", None),
        getattr(field, "places", None),
        getattr(field, "choices", None),
        target,
        sorted(nested) if nested is not None else None,
    )


def test_generated_models_match_the_shipped_resources(generated: ModuleType) -> None:
    models = resources_of(generated)
    assert set(models) == set(MODELS)
    for path, model in models.items():
        shipped = MODELS[path]._meta
        meta = model._meta
        assert list(meta.fields) == list(shipped.fields), path
        for name, field in meta.fields.items():
            assert describe(field) == describe(shipped.fields[name]), (path, name)
        assert meta.read_only == shipped.read_only, path
        assert meta.create_only == shipped.create_only, path
        assert meta.append_only == shipped.append_only, path
        if path != "SalesOrderWithLines":  # create-only: the shipped model lists nothing
            assert meta.filterable == shipped.filterable, path
            assert meta.range_filterable == shipped.range_filterable, path


def test_generated_relations_go_both_ways(generated: ModuleType) -> None:
    models = resources_of(generated)
    for path, model in models.items():
        shipped = MODELS[path]._meta.related_objects
        assert set(model._meta.related_objects) == set(shipped), path


def test_generated_source_is_formatted_and_clean(shipped: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "models.py"
    path.write_text(inspectapi.generate(shipped), "utf-8")
    fmt = subprocess.run(
        [RUFF, "format", "--isolated", "--line-length=100", "--check", "--quiet", path], check=False
    )
    lint = subprocess.run(
        [
            RUFF,
            "check",
            "--quiet",
            "--isolated",
            "--line-length=100",
            "--select=E,F,W,I,UP,B",
            path,
        ],
        check=False,
    )
    assert fmt.returncode == 0
    assert lint.returncode == 0


def test_generated_models_work_against_the_emulator(
    generated: ModuleType, asperion_client: Client, asperion_tenant: int, asperion_sandbox: Sandbox
) -> None:
    debtors = asperion_sandbox.state.rows(asperion_tenant, "debtors")
    invoices = asperion_sandbox.state.rows(asperion_tenant, "salesinvoiceswithlines")
    with asperion_client.tenant(asperion_tenant):
        assert [d.pk for d in generated.Debtor.objects.order_by("id")[:3]] == [
            d["id"] for d in debtors[:3]
        ]
        invoice = generated.SalesInvoice.objects.get(pk=invoices[0]["id"])
        assert invoice.debtor_id == invoices[0]["debtorId"]
        assert invoice.debtor.name == next(
            d["name"] for d in debtors if d["id"] == invoice.debtor_id
        )
        assert invoice.pk in {i.pk for i in invoice.debtor.sales_invoices.all()}
        assert [line.amount for line in invoice.lines] == [
            line["amount"] for line in invoices[0]["lines"]["_data"]
        ]
        assert invoice.journal_id == "70" and invoice.journal.type == "Sales"
        assert (
            invoice.lines[0].vat_code.percentage
            == generated.VatCode.objects.get(pk=invoice.lines[0].vat_code_id).percentage
        )
        country = generated.Country.objects.create(name="Gegenereerd", code="GG")
        assert generated.Country.objects.get(pk=country.pk).name == "Gegenereerd"


OPENAPI_EXTRAS = {
    "openapi": "3.0.3",
    "info": {"title": "Extras"},
    "paths": {
        "/v1/books": {
            "get": {"responses": {"200": {"description": "A page.", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/BookPage"}}}}}},
            "post": {"requestBody": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Book"}}}}, "responses": {}},
        },
        "/v1/books/{id}": {"get": {"responses": {}}},
        "/v1/book": {"x-asperion-alias-of": "books", "get": {"responses": {}}},
        "/v1/shelves": {"get": {"responses": {"200": {"description": "All.", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Shelf"}}}}}}},
        "/v1/bookviews": {"get": {"responses": {}}},
    },
    "components": {"schemas": {
        "Shelf": {"type": "object", "properties": {
            "id": {"type": "string", "readOnly": True, "maxLength": 5}}},
        "Book": {"type": "object", "x-asperion-path": "books", "required": ["shelf", "pages"],
                 "properties": {
            "id": {"type": "integer", "readOnly": True},
            "shelf": {"type": "string", "x-references": "shelves"},
            "state": {"type": "integer", "enum": [1, 2, 5]},
            "pages": {"type": "object", "properties": {
                "_data": {"type": "array", "items": {"type": "object", "properties": {
                    "number": {"type": "integer"}, "words": {"type": "string"}}}},
                "_meta": {"type": "object"}}},
        }},
        "BookPage": {"type": "object", "properties": {"_data": {"type": "array", "items": {
            "$ref": "#/components/schemas/Book"}}}},
        "BookView": {"type": "object", "x-asperion-path": "bookviews",
                     "x-asperion-view-of": "books", "properties": {
            "id": {"type": "integer", "readOnly": True},
            "shelf": {"type": "string", "readOnly": True, "x-references": "shelves"}}},
    }},
}  # fmt: skip


def test_envelopes_string_keys_enums_aliases_and_views(tmp_path: Path) -> None:
    source = inspectapi.generate(OPENAPI_EXTRAS)
    module = load_module(source, tmp_path, "generated_books")
    assert set(resources_of(module)) == {"books", "shelves", "bookviews"}  # not the alias
    book, shelf = module.Book, module.Shelf
    assert book._meta.append_only and not book._meta.read_only
    assert shelf._meta.read_only and isinstance(shelf._meta.pk, fields.String)
    key = book._meta.fields["shelf"]
    assert isinstance(key, fields.ForeignKey) and key.target is shelf
    assert key.api_name == "shelf" and key.attname == "shelf_id"
    assert key.python_types == (str,)
    assert book._meta.fields["state"].choices == (1, 2, 5)  # type: ignore[attr-defined]
    pages = book._meta.fields["pages"]
    assert isinstance(pages, fields.Lines) and pages.required
    assert set(pages.nested_model._meta.fields) == {"number", "words"}
    assert shelf._meta.related_objects == {"books": key}  # the view adds no reverse accessor
    assert (
        "pages: fields.Lines[list[BookPage]] = fields.Lines(BookPage, required=True, null=False)"
        in source
    )


def test_swagger_2_yaml(tmp_path: Path) -> None:
    source = inspectapi.generate(inspectapi.parse(SWAGGER_YAML))
    module = load_module(source, tmp_path, "generated_projects")
    project, client = module.Project, module.Client
    assert project._meta.path == "projects" and client._meta.path == "clients"
    assert client._meta.read_only and not project._meta.read_only
    meta = project._meta
    assert meta.filterable == {"name"} and meta.range_filterable == {"budget"}
    assert isinstance(meta.fields["client"], fields.ForeignKey)
    assert meta.fields["client"].target is client
    assert meta.fields["client"].required
    assert isinstance(meta.fields["manager_id"], fields.Integer)  # no Manager resource
    assert meta.fields["budget"].places == 2  # type: ignore[attr-defined]
    assert meta.fields["status"].choices == ("Open", "Closed")  # type: ignore[attr-defined]
    assert meta.fields["vat_number"].api_name == "VATNumber"
    assert isinstance(meta.fields["tags"], fields.List)
    assert isinstance(meta.fields["address"], fields.Nested)
    tasks = meta.fields["tasks"]
    assert isinstance(tasks, fields.Nested) and tasks.many
    assert tasks.nested_model._meta.fields["title"].required
    assert client._meta.related_objects["projects"] is meta.fields["client"]
    assert module.Label._meta.path == "labels" and module.Label._meta.read_only


def test_main_prints_the_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "swagger.yaml"
    spec.write_text(SWAGGER_YAML, "utf-8")
    assert inspectapi.main([str(spec)]) == 0
    out = capsys.readouterr().out
    assert "class Project(Model):" in out and 'path = "projects"' in out


def test_module_runs_from_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "asperion_orm.inspectapi", str(SHIPPED)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "class JournalEntryLog(Model):" in done.stdout


BROKEN = {
    "not-a-spec.json": ('{"hello": "world"}', "no 'openapi' or 'swagger' key"),
    "old.json": ('{"swagger": "1.2", "paths": {}}', "unsupported version '1.2'"),
    "no-paths.yaml": ("openapi: 3.0.0\ninfo: {title: x}\n", "no 'paths' object"),
    "bad.yaml": ("openapi: 3.0.0\npaths: [unclosed\n", "neither valid JSON nor YAML"),
    "bad.json": ('{"openapi": "3.0.0", "paths": ', "neither valid JSON nor YAML"),
    "list.yaml": ("- a\n- b\n", "does not hold a mapping"),
    "dangling.json": (
        json.dumps({"openapi": "3.0.0", "paths": {"/v1/x": {"post": {"requestBody": {"content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Gone"}}}}}}}}),
        "names no schema",
    ),
    "empty.json": (json.dumps({"openapi": "3.0.1", "paths": {"/health": {}}}), "no resource found"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_specs_end_with_one_clear_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, problem = BROKEN[name]
    spec = tmp_path / name
    spec.write_text(text, "utf-8")
    assert inspectapi.main([str(spec)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert problem in captured.err and name in captured.err


def test_missing_file_and_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert inspectapi.main([str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert inspectapi.main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert inspectapi.main(["spec.json", "--help"]) == 0
    assert "usage" in capsys.readouterr().out
