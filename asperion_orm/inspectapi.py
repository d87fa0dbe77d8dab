"""Generate model declarations from an OpenAPI 3 or Swagger 2 document, like ``inspectdb``.

``generate(document)`` returns the source of a module with one model class per resource (and
one path-less class per nested object), ``main(argv)`` prints it for a file given on the
command line: ``python -m asperion_orm.inspectapi openapi.json``. A document this module cannot
read ends with a one-line error naming the problem (exit code 2) and no partial output.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from asperion_orm.orm.fields import camel_case

__all__ = ["SpecError", "generate", "load", "main"]

LINE_LENGTH = 100
USAGE = "usage: python -m asperion_orm.inspectapi SPEC  (OpenAPI 3 or Swagger 2, JSON or YAML)"
RESERVED = frozenset(
    {
        "objects",
        "pk",
        "save",
        "delete",
        "errors",
        "full_clean",
        "to_api",
        "from_api",
        "refresh_from_db",
        "get_deferred_fields",
        "Meta",
    }
)
WRITE_METHODS = ("post", "put", "patch", "delete")
NESTED = ("Nested", "Lines")
PYTHON_TYPES = {
    "Integer": "int",
    "String": "str",
    "Email": "str",
    "Boolean": "bool",
    "Decimal": "Decimal",
    "Date": "dt.date",
    "DateTime": "dt.datetime",
    "List": "list[Any]",
    "Choice": "Any",
}
"""What each field kind reads as; the others read as the class they name."""
IMPORTS = {
    "dt.": "import datetime as dt",
    "Decimal": "from decimal import Decimal",
    "Any": "from typing import Any",
    "Never": "from typing import Never",
}
_VERSION_SEGMENT = re.compile(r"v\d+(\.\d+)*", re.IGNORECASE)

Schema = Mapping[str, Any]


class SpecError(ValueError):
    """The document is not an OpenAPI 3 / Swagger 2 description this module can read."""


# -- reading ---------------------------------------------------------------------------------


def load(path: str | Path) -> dict[str, Any]:
    """Read a JSON or YAML document from ``path``."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read {path}: {exc.__class__.__name__}: {exc}") from exc
    return parse(text, str(path))


def parse(text: str, name: str = "document") -> dict[str, Any]:
    """Parse JSON or YAML text into a mapping."""
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise SpecError(f"{name} is neither valid JSON nor YAML: {problem}") from exc
    if not isinstance(document, dict):
        raise SpecError(f"{name} does not hold a mapping at the top level")
    return document


# -- the model of the output -------------------------------------------------------------------


@dataclass
class FieldDecl:
    """One field declaration: attribute name, field class and keyword arguments."""

    name: str
    kind: str
    args: list[str] = field(default_factory=list)
    kwargs: dict[str, str] = field(default_factory=dict)

    def render(self) -> str:
        """Return the right-hand side, ``fields.Kind(args, key=value)``."""
        parts = [*self.args, *(f"{key}={value}" for key, value in self.kwargs.items())]
        return f"fields.{self.kind}({', '.join(parts)})"

    def annotation(self) -> str:
        """Return the descriptor type type checkers read, ``fields.String[str | None]``."""
        value = PYTHON_TYPES.get(self.kind) or self.args[0].strip('"')
        if self.kind == "Lines" or self.kwargs.get("many") == "True":
            value = f"list[{value}]"
        if self.kwargs.get("null") != "False" and value != "Any":
            value += " | None"
        setting = ", Never" if self.kwargs.get("read_only") == "True" else ""
        return f"fields.{self.kind}[{value}{setting}]"


@dataclass
class ClassDecl:
    """One model class: name, docstring, fields and ``Meta`` options."""

    name: str
    doc: str
    fields: list[FieldDecl] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    comment: str = ""


@dataclass
class Resource:
    """A collection path and the schema of its objects.

    ``append_only``: objects are created and read but never changed (POST and GET only).
    """

    path: str
    name: str
    schema: Schema
    read_only: bool
    create_only: bool
    params: frozenset[str]
    append_only: bool = False


# -- the document ----------------------------------------------------------------------------


class Document:
    """A parsed OpenAPI 3 or Swagger 2 document: schemas, references and resources."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.version = _version(raw)
        self.schemas = self._schemas()
        paths = raw.get("paths")
        if not isinstance(paths, Mapping) or not paths:
            raise SpecError("the document has no 'paths' object")
        self.paths: Mapping[str, Any] = paths

    def _schemas(self) -> Mapping[str, Any]:
        if self.version == 2:
            found = self.raw.get("definitions", {})
        else:
            found = (self.raw.get("components") or {}).get("schemas", {})
        if not isinstance(found, Mapping):
            raise SpecError("the schemas section is not a mapping")
        return found

    def resolve(self, schema: Any, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Return ``schema`` with ``$ref`` followed and ``allOf`` merged."""
        if not isinstance(schema, Mapping):
            raise SpecError(f"a schema is not an object: {schema!r:.60}")
        if "$ref" in schema:
            name = self.ref_name(schema["$ref"])
            if name in seen:
                raise SpecError(f"schema {name!r} refers to itself")
            return self.resolve(self.schemas[name], seen | {name})
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema.get("allOf", ()):
            inner = self.resolve(part, seen)
            merged["properties"] = {**inner.get("properties", {}), **merged.get("properties", {})}
            merged["required"] = [*inner.get("required", ()), *merged.get("required", ())]
            merged = {**inner, **merged}
        return merged

    def ref_name(self, ref: Any) -> str:
        """Return the schema name a local ``$ref`` points at."""
        prefix = "#/definitions/" if self.version == 2 else "#/components/schemas/"
        if not isinstance(ref, str) or not ref.startswith(prefix):
            raise SpecError(f"unsupported reference {ref!r:.80} (expected {prefix}...)")
        name = ref[len(prefix) :]
        if name not in self.schemas:
            raise SpecError(f"reference {ref!r} names no schema")
        return name

    def resources(self) -> list[Resource]:
        """Return every collection path with an object schema, in document order."""
        found = [r for path in self.paths if (r := self._resource(path)) is not None]
        if not found:
            raise SpecError("no resource found: no collection path has an object schema")
        return found

    def _resource(self, path: str) -> Resource | None:
        segment = self._segment(path)
        if segment is None:
            return None
        operations = self.paths[path]
        if not isinstance(operations, Mapping):
            raise SpecError(f"path {path!r} is not an object")
        if "x-asperion-alias-of" in operations:
            return None  # another spelling of a path that is declared already
        named = self._schema_for(segment, operations)
        if named is None:
            return None
        name, schema = named
        item = self._item_operations(path)
        writes = [m for m in WRITE_METHODS if m in operations or m in item]
        return Resource(
            path=segment,
            name=name,
            schema=schema,
            read_only=not writes,
            create_only=writes == ["post"] and "get" not in operations,
            params=self._query_params(operations.get("get")),
            append_only=writes == ["post"] and "get" in operations,
        )

    def _segment(self, path: str) -> str | None:
        """Return the resource path of a collection URL (``/v1/debtor`` → ``debtor``)."""
        parts = [part for part in path.split("/") if part]
        while len(parts) > 1 and _VERSION_SEGMENT.fullmatch(parts[0]):
            parts.pop(0)
        if len(parts) != 1 or "{" in parts[0]:
            return None
        return parts[0]

    def _item_operations(self, path: str) -> Mapping[str, Any]:
        for other, operations in self.paths.items():
            if (
                other.startswith(path.rstrip("/") + "/{")
                and other.count("/") == path.count("/") + 1
            ):
                return operations if isinstance(operations, Mapping) else {}
        return {}

    def _schema_for(self, segment: str, operations: Mapping[str, Any]) -> tuple[str, Schema] | None:
        for name, schema in self.schemas.items():
            if isinstance(schema, Mapping) and schema.get("x-asperion-path") == segment:
                return _class_name(name), self.resolve(schema, frozenset({name}))
        for ref in self._candidate_refs(operations):
            name = self.ref_name(ref)
            target = self.schemas[name]
            if isinstance(target, Mapping) and "x-asperion-projection-of" in target:
                name = self.ref_name(self._ref_of(str(target["x-asperion-projection-of"])))
            schema = self.resolve({"$ref": self._ref_of(name)})
            if schema.get("properties"):
                return _class_name(name), schema
        return None

    def _ref_of(self, name: str) -> str:
        return ("#/definitions/" if self.version == 2 else "#/components/schemas/") + name

    def _candidate_refs(self, operations: Mapping[str, Any]) -> Iterator[str]:
        """Yield schema references: the POST body, the list items (bare or in ``_data``)."""
        post = operations.get("post") or {}
        yield from _refs(_body_schema(post, self.version))
        get = operations.get("get") or {}
        response = (get.get("responses") or {}).get("200") or {}
        schema = response.get("schema") if self.version == 2 else _json_schema(response)
        if isinstance(schema, Mapping):
            envelope = self.resolve(schema)
            data = (envelope.get("properties") or {}).get("_data") or {}
            yield from _refs(data.get("items"))
            yield from _refs(envelope.get("items"))
            yield from _refs(schema)

    def _query_params(self, operation: Any) -> frozenset[str]:
        names: set[str] = set()
        for param in (operation or {}).get("parameters", ()):
            if "$ref" in param:
                param = self._parameter(param["$ref"])
            if param.get("in") == "query":
                names.add(str(param.get("name", "")).lower())
        return frozenset(names)

    def _parameter(self, ref: str) -> Mapping[str, Any]:
        key = "parameters" if self.version == 2 else "components"
        section = self.raw.get(key) or {}
        if self.version == 3:
            section = section.get("parameters") or {}
        found = section.get(ref.rsplit("/", 1)[-1])
        if not isinstance(found, Mapping):
            raise SpecError(f"parameter reference {ref!r} names no parameter")
        return found


def _version(raw: Mapping[str, Any]) -> int:
    if str(raw.get("openapi", "")).startswith("3."):
        return 3
    if str(raw.get("swagger", "")) == "2.0":
        return 2
    if "openapi" in raw or "swagger" in raw:
        found = raw.get("openapi") or raw.get("swagger")
        raise SpecError(f"unsupported version {found!r}: expected OpenAPI 3.x or Swagger 2.0")
    raise SpecError("not an OpenAPI 3 or Swagger 2 document: no 'openapi' or 'swagger' key")


def _json_schema(holder: Mapping[str, Any]) -> Any:
    content = holder.get("content") or {}
    for media, body in content.items():
        if "json" in media and isinstance(body, Mapping):
            return body.get("schema")
    return None


def _body_schema(operation: Mapping[str, Any], version: int) -> Any:
    if version == 3:
        return _json_schema(operation.get("requestBody") or {})
    for param in operation.get("parameters", ()):
        if isinstance(param, Mapping) and param.get("in") == "body":
            return param.get("schema")
    return None


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        yield schema["$ref"]


# -- names -------------------------------------------------------------------------------------


def snake_case(name: str) -> str:
    """Return the Python spelling of an API name: ``salesTypeId`` → ``sales_type_id``."""
    text = re.sub(r"[^0-9A-Za-z]+", "_", name)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower().strip("_")
    text = text or "field"
    if text[0].isdigit():
        text = f"f_{text}"
    if keyword.iskeyword(text) or text in RESERVED:
        text += "_"
    return text


def _class_name(name: str) -> str:
    for suffix in ("Object", "ListItem", "Page"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    words = re.split(r"[^0-9A-Za-z]+", name)
    text = "".join(word[:1].upper() + word[1:] for word in words if word)
    return text if text and not text[0].isdigit() else f"Model{text}"


def plural(name: str) -> str:
    """Return the reverse-accessor name for a model's snake-case name."""
    if name.endswith(("s", "ed")):
        return name
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    if name.endswith(("x", "ch", "sh")):
        return name + "es"
    return name + "s"


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


# -- building the declarations -------------------------------------------------------------------


class Builder:
    """Turn the document's resources into class declarations."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.resources = document.resources()
        self.classes: list[ClassDecl] = []
        self.by_path = {r.path.lower(): r.name for r in self.resources}
        self.by_name = {r.name.lower(): r.name for r in self.resources}
        self.related: dict[str, set[str]] = {}

    def build(self) -> list[ClassDecl]:
        """Return every class, nested ones just before the class that embeds them."""
        for resource in self.resources:
            self.classes.append(self._resource_class(resource))
        return self.classes

    def _resource_class(self, resource: Resource) -> ClassDecl:
        schema = resource.schema
        doc = _doc(schema, f"The ``{resource.path}`` resource.")
        decl = ClassDecl(resource.name, doc)
        decl.fields = self._fields(resource.name, schema, resource)
        decl.meta = self._meta(resource, decl.fields, schema)
        if resource.create_only:
            decl.comment = "The API accepts only POST (create) on this resource."
        return decl

    def _fields(self, owner: str, schema: Schema, resource: Resource | None) -> list[FieldDecl]:
        props = schema.get("properties") or {}
        if not isinstance(props, Mapping):
            raise SpecError(f"the properties of {owner} are not an object")
        required = set(schema.get("required") or ())
        found = []
        for api_name, prop in props.items():
            if api_name == "_meta":
                continue
            resolved = self.document.resolve(prop)
            found.append(self._field(owner, api_name, resolved, api_name in required, resource))
        return found

    def _field(
        self, owner: str, api_name: str, prop: Schema, required: bool, resource: Resource | None
    ) -> FieldDecl:
        target = self._target(api_name, prop)
        if target is not None:
            return self._foreign_key(owner, api_name, prop, required, target, resource)
        decl = self._typed(owner, api_name, prop)
        _common(decl, prop, required)
        if decl.name != api_name and camel_case(decl.name) != api_name:
            decl.kwargs = {"api_name": _quote(api_name), **decl.kwargs}
        return decl

    def _typed(self, owner: str, api_name: str, prop: Schema) -> FieldDecl:
        name = snake_case(api_name)
        kind = prop.get("type")
        fmt = prop.get("format")
        if kind == "array":
            return self._array(owner, name, prop)
        lines = _envelope_items(prop)
        if lines is not None:
            nested = self._nested(owner, name, self.document.resolve(lines))
            return FieldDecl(name, "Lines", [nested])
        if kind == "object" or (kind is None and "properties" in prop):
            nested = self._nested(owner, name, prop)
            return FieldDecl(name, "Nested", [nested])
        if prop.get("enum"):
            choices = ", ".join(_literal(value) for value in prop["enum"])
            return FieldDecl(name, "Choice", [f"[{choices}]"])
        return _scalar(name, kind, fmt, prop)

    def _array(self, owner: str, name: str, prop: Schema) -> FieldDecl:
        items = self.document.resolve(prop.get("items") or {})
        if items.get("type") == "object" or "properties" in items:
            nested = self._nested(owner, name, items)
            return FieldDecl(name, "Nested", [nested], {"many": "True"})
        inner = _scalar("item", items.get("type"), items.get("format"), items)
        return FieldDecl(name, "List", [inner.render()])

    def _nested(self, owner: str, name: str, schema: Schema) -> str:
        class_name = owner + _class_name(_singular(name))
        decl = ClassDecl(class_name, _doc(schema, f"One of ``{owner}.{name}``."))
        decl.fields = self._fields(class_name, schema, None)
        self.classes.append(decl)
        return class_name

    def _target(self, api_name: str, prop: Schema) -> str | None:
        """Return the model a field refers to: named by ``x-references`` (an integer or string
        key, such as ``journalId`` or ``vatCode``), or guessed from an integer ``...Id``."""
        reference = prop.get("x-references")
        keyed = prop.get("type") in ("integer", "string")
        if keyed and isinstance(reference, str) and reference.lower() in self.by_path:
            return self.by_path[reference.lower()]
        if prop.get("type") != "integer" or not api_name.endswith("Id") or len(api_name) < 3:
            return None
        stem = api_name[:-2].lower()
        return self.by_name.get(stem) or self.by_path.get(stem) or self.by_path.get(stem + "s")

    def _foreign_key(
        self,
        owner: str,
        api_name: str,
        prop: Schema,
        required: bool,
        target: str,
        resource: Resource | None,
    ) -> FieldDecl:
        name = snake_case(api_name[:-2] if api_name.endswith("Id") else api_name)
        decl = FieldDecl(name, "ForeignKey", [_quote(target)])
        view = resource is not None and "x-asperion-view-of" in resource.schema
        if resource is not None and not resource.create_only and not view:
            decl.kwargs["related_name"] = _quote(self._related_name(owner, name, target))
        if camel_case(f"{name}_id") != api_name:
            decl.kwargs["api_name"] = _quote(api_name)
        _common(decl, prop, required)
        return decl

    def _related_name(self, owner: str, field_name: str, target: str) -> str:
        taken = self.related.setdefault(target, set())
        name = plural(snake_case(owner))
        if name in taken:
            name = f"{name}_by_{field_name}"
        taken.add(name)
        return name

    def _meta(
        self, resource: Resource, fields: Sequence[FieldDecl], schema: Schema
    ) -> dict[str, str]:
        meta = {"path": _quote(resource.path)}
        if resource.read_only:
            meta["read_only"] = "True"
        if resource.create_only:
            meta["create_only"] = "True"
        if resource.append_only:
            meta["append_only"] = "True"
        props = schema.get("properties") or {}
        api_names = {decl.name: _api_name_of(decl) for decl in fields}
        equal = [n for n, a in api_names.items() if _filterable(props.get(a), a, resource.params)]
        ranged = [n for n, a in api_names.items() if _ranged(props.get(a), a, resource.params)]
        meta["filterable"] = _tuple(equal)
        if ranged:
            meta["range_filterable"] = _tuple(ranged)
        return meta


def _api_name_of(decl: FieldDecl) -> str:
    explicit = decl.kwargs.get("api_name")
    if explicit is not None:
        return str(json.loads(explicit))
    return camel_case(f"{decl.name}_id" if decl.kind == "ForeignKey" else decl.name)


def _filterable(prop: Any, api_name: str, params: frozenset[str]) -> bool:
    if isinstance(prop, Mapping) and "x-filterable" in prop:
        return bool(prop["x-filterable"])
    return api_name.lower() in params


def _ranged(prop: Any, api_name: str, params: frozenset[str]) -> bool:
    if isinstance(prop, Mapping) and "x-range-filterable" in prop:
        return bool(prop["x-range-filterable"])
    return f"{api_name.lower()}_from" in params or f"{api_name.lower()}_to" in params


def _envelope_items(prop: Schema) -> Any:
    """Return the line schema of an embedded ``{"_data": [...], "_meta": ...}`` envelope."""
    props = prop.get("properties")
    if prop.get("type") != "object" or not isinstance(props, Mapping):
        return None
    data = props.get("_data")
    if not prop.get("x-asperion-envelope") and set(props) != {"_data", "_meta"}:
        return None
    if not isinstance(data, Mapping) or data.get("type") != "array":
        return None
    return data.get("items") or {}


def _literal(value: Any) -> str:
    return _quote(value) if isinstance(value, str) else repr(value)


def _scalar(name: str, kind: Any, fmt: Any, prop: Schema) -> FieldDecl:
    if kind == "integer":
        return FieldDecl(name, "Integer")
    if kind == "number":
        return FieldDecl(name, "Decimal", kwargs={"places": str(_places(prop))})
    if kind == "boolean":
        return FieldDecl(name, "Boolean")
    if kind == "string" and fmt == "date":
        return FieldDecl(name, "Date")
    if kind == "string" and fmt == "date-time":
        return FieldDecl(name, "DateTime")
    if kind == "string":
        decl = FieldDecl(name, "Email" if fmt == "email" else "String")
        if isinstance(prop.get("maxLength"), int):
            decl.kwargs["max_length"] = str(prop["maxLength"])
        return decl
    return FieldDecl(name, "Field")


def _places(prop: Schema) -> int | None:
    step = prop.get("multipleOf")
    if step is None:
        return None
    exponent = _decimal_exponent(str(step))
    return max(0, -exponent)


def _decimal_exponent(text: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        exponent = Decimal(text).normalize().as_tuple().exponent
    except InvalidOperation:
        raise SpecError(f"multipleOf {text!r} is not a number") from None
    return exponent if isinstance(exponent, int) else 0


def _common(decl: FieldDecl, prop: Schema, required: bool) -> None:
    """Add the keyword arguments every field kind shares."""
    read_only = bool(prop.get("readOnly"))
    if read_only:
        decl.kwargs["read_only"] = "True"
    if required and not read_only:
        decl.kwargs["required"] = "True"
    if not read_only and not prop.get("nullable", False) and (required or "default" in prop):
        decl.kwargs["null"] = "False"
    default = prop.get("default")
    if not read_only and isinstance(default, bool | int | str) and decl.kind not in NESTED:
        decl.kwargs["default"] = repr(default)


def _quote(value: Any) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def _tuple(names: Sequence[str]) -> str:
    if len(names) == 1:
        return f"({_quote(names[0])},)"
    return "(" + ", ".join(_quote(name) for name in names) + ")"


def _doc(schema: Schema, fallback: str) -> str:
    text = " ".join(str(schema.get("description") or "").split()) or fallback
    text = text.replace("\\", "\\\\").replace('"""', "'''")
    return text if text.endswith(".") else text + "."


# -- writing -------------------------------------------------------------------------------------

HEADER = '''"""Models generated by ``asperion inspectapi`` from {title}."""

from __future__ import annotations
{imports}
from asperion_orm import Model, fields
'''


def generate(spec: Mapping[str, Any]) -> str:
    """Return the source of a module declaring a model per resource of ``spec``."""
    try:
        classes = Builder(Document(spec)).build()
    except SpecError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise SpecError(f"the document is malformed: {exc.__class__.__name__}: {exc}") from exc
    title = str((spec.get("info") or {}).get("title") or "an API description")
    title = _doc({"description": title}, "an API description").rstrip(".")
    body = "".join("\n\n" + _class_source(decl) for decl in classes)
    return HEADER.format(title=title, imports=_imports(classes)) + body


def _imports(classes: list[ClassDecl]) -> str:
    """Return the import lines the field annotations need (sorted as ruff sorts them)."""
    used = " ".join(item.annotation() for decl in classes for item in decl.fields)
    lines = [line for mark, line in IMPORTS.items() if mark in used]
    plain = sorted(line for line in lines if line.startswith("import "))
    names = sorted(line.split(" import ")[1] for line in lines if "typing" in line)
    froms = sorted(line for line in lines if line.startswith("from ") and "typing" not in line)
    if names:
        froms = sorted([*froms, f"from typing import {', '.join(names)}"])
    return "".join(f"\n{line}" for line in [*plain, *froms]) + ("\n" if lines else "")


def _class_source(decl: ClassDecl) -> str:
    lines = [f"class {decl.name}(Model):", f'    """{_wrap_doc(decl.doc)}"""', ""]
    if decl.comment:
        lines += [f"    # {decl.comment}", ""]
    for item in decl.fields:
        lines.extend(_statement(f"{item.name}: {item.annotation()} = ", item.render(), 4))
    if decl.meta:
        lines += ["", "    class Meta:"]
        for key, value in decl.meta.items():
            lines.extend(_statement(f"{key} = ", value, 8))
    if not decl.fields and not decl.meta:
        lines.pop()
    return "\n".join(lines) + "\n"


def _wrap_doc(text: str) -> str:
    limit = LINE_LENGTH - 10
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _statement(target: str, value: str, indent: int) -> list[str]:
    """Return one assignment, split the way ``ruff format`` splits a long call or tuple."""
    pad = " " * indent
    line = f"{pad}{target}{value}"
    if len(line) <= LINE_LENGTH:
        return [line]
    opener = value.index("(") + 1
    head, body = value[:opener], value[opener:-1]
    inner = " " * (indent + 4)
    if len(inner + body) <= LINE_LENGTH and not value.startswith("("):
        return [f"{pad}{target}{head}", inner + body, f"{pad})"]
    parts = [part for part in _split_top(body) if part]
    return [f"{pad}{target}{head}", *(f"{inner}{part}," for part in parts), f"{pad})"]


def _split_top(body: str) -> list[str]:
    """Split ``body`` at commas outside brackets and strings."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(body):
        if char == '"' and body[index - 1 : index] != "\\":
            quoted = not quoted
        elif not quoted and char in "([{":
            depth += 1
        elif not quoted and char in ")]}":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(body[start:index].strip())
            start = index + 1
    parts.append(body[start:].strip())
    return parts


# -- command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Print the models of the document named in ``argv``; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "-h" in args or "--help" in args:
        print(USAGE)
        return 0
    if len(args) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        source = generate(load(args[0]))
    except SpecError as exc:
        print(f"error: {args[0]}: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(source)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
