"""Typed resource descriptors loaded from the emulator's shipped OpenAPI document."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["Field", "ObjectSchema", "Resource", "Spec", "load_spec"]

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    """An object's fields in document order, with the names a body must contain."""

    fields: dict[str, Field]
    required: frozenset[str]


@dataclass(frozen=True, slots=True)
class Field:
    """One property of a resource: its API name, kind and constraints."""

    name: str
    kind: str  # integer, number, string, boolean, date, date-time, array, envelope
    required: bool = False
    nullable: bool = False
    read_only: bool = False
    max_length: int | None = None
    min_length: int = 0
    enum: tuple[Any, ...] | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    places: int | None = None
    email: bool = False
    default: Any = None
    filterable: bool = False
    range_filterable: bool = False
    orderable: bool = False
    references: str | None = None
    items: ObjectSchema | None = None
    min_items: int = 0
    max_items: int | None = None
    stamp: str | None = None  # "created" or "changed": the server writes the time

    @property
    def text(self) -> bool:
        """Tell whether filters on this field compare text (and take ``_comparison``)."""
        return self.kind == "string" and self.enum is None


@dataclass(frozen=True, slots=True)
class Resource:
    """An API resource: path, schema and the verbs the document allows on its paths.

    ``storage`` names the table that holds the rows: the resource itself, or for a view (a
    projection of another resource, ``x-asperion-view-of``) that other resource.
    """

    name: str
    title: str
    schema: ObjectSchema
    tenant_scoped: bool
    active_state: bool
    default_records: int
    first_id: int
    collection_methods: tuple[str, ...] = ("GET", "HEAD")
    item_methods: tuple[str, ...] = ("GET", "HEAD")
    upload_methods: tuple[str, ...] = ()
    storage: str = ""
    query_params: frozenset[str] = field(default=frozenset())
    envelopes: tuple[str, ...] = field(default=(), init=False)
    """The fields answered as an embedded ``_data``/``_meta`` envelope (read per row: kept)."""
    by_lower: dict[str, Field] = field(default_factory=dict, init=False)
    """The fields by lower-case name, as query parameters name them."""

    def __post_init__(self) -> None:
        envelopes = tuple(name for name, fld in self.fields.items() if fld.kind == "envelope")
        object.__setattr__(self, "envelopes", envelopes)
        object.__setattr__(self, "by_lower", {n.lower(): f for n, f in self.fields.items()})

    @property
    def fields(self) -> dict[str, Field]:
        """Return the fields by API name."""
        return self.schema.fields

    @property
    def read_only(self) -> bool:
        """Tell whether the document allows no write on this resource."""
        writes = {"POST", "PUT", "PATCH", "DELETE"}
        return not writes & {*self.collection_methods, *self.item_methods}

    @property
    def create_only(self) -> bool:
        """Tell whether the resource takes POST and nothing else (no reads)."""
        return self.collection_methods == ("POST",) and not self.item_methods

    @property
    def string_ids(self) -> bool:
        """Tell whether the ids are strings (journals, VAT codes) rather than integers."""
        return self.fields["id"].kind == "string"


@dataclass(frozen=True, slots=True)
class Spec:
    """The whole document plus its resources by path name."""

    document: Mapping[str, Any]
    resources: dict[str, Resource]
    by_lower: dict[str, Resource]

    def find(self, name: str) -> Resource | None:
        """Return the resource for a path segment (or an alias), matched case-insensitively."""
        return self.by_lower.get(name.lower())


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _places(multiple_of: Any) -> int | None:
    if multiple_of is None:
        return None
    exponent = Decimal(str(multiple_of)).normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _kind(prop: Mapping[str, Any]) -> str:
    fmt = prop.get("format")
    if prop.get("type") == "string" and fmt in ("date", "date-time"):
        return str(fmt)
    return str(prop["type"])


def _bounds(prop: Mapping[str, Any], kind: str) -> tuple[Decimal | None, Decimal | None]:
    low, high = _decimal(prop.get("minimum")), _decimal(prop.get("maximum"))
    if kind == "integer":
        low = Decimal(INT32_MIN) if low is None else low
        high = Decimal(INT32_MAX) if high is None else high
    return low, high


def _field(name: str, prop: Mapping[str, Any], required: frozenset[str]) -> Field:
    kind = _kind(prop)
    low, high = _bounds(prop, kind)
    enum = prop.get("enum")
    items, limits = prop.get("items"), prop
    if prop.get("x-asperion-envelope"):
        kind = "envelope"
        limits = prop["properties"]["_data"]
        items = limits["items"]
    return Field(
        name=name,
        kind=kind,
        required=name in required,
        nullable=bool(prop.get("nullable", False)),
        read_only=bool(prop.get("readOnly", False)),
        max_length=prop.get("maxLength"),
        min_length=int(prop.get("minLength", 0)),
        enum=tuple(enum) if enum else None,
        minimum=low,
        maximum=high,
        places=_places(prop.get("multipleOf")),
        email=prop.get("format") == "email",
        default=prop.get("default"),
        filterable=bool(prop.get("x-filterable", False)),
        range_filterable=bool(prop.get("x-range-filterable", False)),
        orderable=bool(prop.get("x-orderable", False)),
        references=prop.get("x-references"),
        items=_object(items) if kind in ("array", "envelope") and items else None,
        min_items=int(limits.get("minItems", 0)),
        max_items=limits.get("maxItems"),
        stamp=prop.get("x-asperion-stamp"),
    )


def _object(schema: Mapping[str, Any]) -> ObjectSchema:
    required = frozenset(schema.get("required", ()))
    props = schema.get("properties", {})
    fields = {name: _field(name, prop, required) for name, prop in props.items() if name != "_meta"}
    return ObjectSchema(fields=fields, required=required)


def _query_params(document: Mapping[str, Any], name: str) -> frozenset[str]:
    operation = document["paths"].get(f"/v1/{name}", {}).get("get") or {}
    names: set[str] = set()
    for param in operation.get("parameters", ()):
        if "$ref" in param:
            param = document["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        if param["in"] == "query":
            names.add(param["name"].lower())
    return frozenset(names)


_VERBS = ("get", "post", "put", "patch", "delete")


def _methods(document: Mapping[str, Any], path: str) -> tuple[str, ...]:
    """Return the HTTP methods the document describes on ``path`` (HEAD along with GET)."""
    operations = document["paths"].get(path) or {}
    found = [verb.upper() for verb in _VERBS if verb in operations]
    if "GET" in found:
        found.insert(1, "HEAD")
    return tuple(found)


def _resource(document: Mapping[str, Any], title: str, schema: Mapping[str, Any]) -> Resource:
    name = schema["x-asperion-path"]
    return Resource(
        name=name,
        title=title,
        schema=_object(schema),
        tenant_scoped=bool(schema.get("x-asperion-tenant-scoped", True)),
        active_state=bool(schema.get("x-asperion-active-state")),
        default_records=int(schema.get("x-asperion-default-records", 0)),
        first_id=int(schema.get("x-asperion-first-id", 1)),
        collection_methods=_methods(document, f"/v1/{name}"),
        item_methods=_methods(document, f"/v1/{name}/{{id}}"),
        upload_methods=_methods(document, f"/v1/{name}/{{id}}/file"),
        storage=schema.get("x-asperion-view-of") or name,
        query_params=_query_params(document, name),
    )


def _aliases(document: Mapping[str, Any]) -> dict[str, str]:
    """Return the other spellings of resource paths (``debtor`` for ``debtors``), lower-case."""
    found: dict[str, str] = {}
    for path, operations in document["paths"].items():
        target = operations.get("x-asperion-alias-of")
        segments = path.strip("/").split("/")
        if target and len(segments) == 2:
            found[segments[1].lower()] = target
    return found


def parse_spec(document: Mapping[str, Any]) -> Spec:
    """Build the descriptors of every schema that names an ``x-asperion-path``."""
    schemas = document["components"]["schemas"]
    found = {
        schema["x-asperion-path"]: _resource(document, title, schema)
        for title, schema in schemas.items()
        if "x-asperion-path" in schema
    }
    lower = {name.lower(): resource for name, resource in found.items()}
    lower.update({alias: found[target] for alias, target in _aliases(document).items()})
    return Spec(document=document, resources=found, by_lower=lower)


@functools.cache
def load_spec() -> Spec:
    """Load the shipped ``openapi.json`` once."""
    text = Path(__file__).with_name("openapi.json").read_text("utf-8")
    return parse_spec(json.loads(text))


# --- Values: canonical forms, body validation and query-value parsing -----------------------

Problem = tuple[str, dict[str, Any]]
"""A language-neutral error: a message code and its values (see ``messages``)."""

Errors = dict[str, list[Problem]]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d{1,12}", re.ASCII)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?", re.ASCII)
_DATETIME_TAIL = re.compile(r"[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", re.ASCII)
_FRACTION_SLACK = Decimal("1e-9")
_BOOLEANS = {"true": True, "false": False}


class InvalidValue(ValueError):
    """A value does not fit a field; carries the message code and values."""

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.problem: Problem = (code, values)


def display(name: str) -> str:
    """Return the field name as ASP.NET shows it in messages (first letter upper-case)."""
    return name[:1].upper() + name[1:]


def format_datetime(moment: datetime) -> str:
    """Write a datetime canonically: UTC, milliseconds, ``Z`` (sorts as text)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_datetime(text: str) -> str:
    """Parse ISO 8601 with ``T`` or a space (or a bare date) into the canonical form."""
    if not _DATE.match(text) or not (len(text) == 10 or _DATETIME_TAIL.fullmatch(text, 10)):
        raise ValueError(text)
    head, tail = text[:10], text[10:]
    fraction = re.search(r"\.(\d+)", tail, re.ASCII)
    if fraction:  # Python 3.11 wants at most 6 fractional digits; the API writes 7.
        tail = tail.replace(fraction.group(0), "." + fraction.group(1)[:6].ljust(6, "0"))
    return format_datetime(datetime.fromisoformat(head + "T" + tail[1:] if tail else head))


def parse_date(text: str, *, lenient: bool = False) -> str:
    """Parse ``yyyy-MM-dd`` (with ``lenient``, also a datetime, keeping its date)."""
    if lenient and len(text) > 10:
        return parse_datetime(text)[:10]
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text).isoformat()


def _check_bounds(fld: Field, value: Decimal | int) -> None:
    low, high = fld.minimum, fld.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidValue("range", field=display(fld.name), low=low, high=high)


def _integer(fld: Field, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue("type_integer", field=display(fld.name))
    _check_bounds(fld, value)
    _check_enum(fld, value)
    return value


def _check_enum(fld: Field, value: Any) -> None:
    if fld.enum is not None and value not in fld.enum:
        choices = ", ".join(str(choice) for choice in fld.enum)
        raise InvalidValue("enum", field=display(fld.name), value=value, choices=choices)


def _number(fld: Field, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidValue("type_number", field=display(fld.name))
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidValue("type_number", field=display(fld.name))
    _check_bounds(fld, number)
    if fld.places is None:
        return number
    rounded = number.quantize(Decimal(1).scaleb(-fld.places))
    # Generators write 0.35000000000000003 for 0.35; anything further off is refused.
    if abs(rounded - number) > _FRACTION_SLACK:
        raise InvalidValue("places", field=display(fld.name), places=fld.places)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # never write -0.00


def _string(fld: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue("type_string", field=display(fld.name))
    if fld.required and not value.strip() and fld.min_length:
        raise InvalidValue("required", field=display(fld.name))
    if len(value) < fld.min_length:
        raise InvalidValue("min_length", field=display(fld.name), limit=fld.min_length)
    if fld.max_length is not None and len(value) > fld.max_length:
        raise InvalidValue("max_length", field=display(fld.name), limit=fld.max_length)
    _check_enum(fld, value)
    if fld.email and value and not _looks_like_email(value):
        raise InvalidValue("email", field=display(fld.name))
    return value


def _looks_like_email(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain)


def _boolean(fld: Field, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue("type_boolean", field=display(fld.name))
    return value


def _temporal(fld: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue("type_" + fld.kind, field=display(fld.name), value=value)
    try:
        return parse_date(value) if fld.kind == "date" else parse_datetime(value)
    except (ValueError, OverflowError):
        raise InvalidValue("type_" + fld.kind, field=display(fld.name), value=value) from None


_COERCE = {
    "integer": _integer,
    "number": _number,
    "string": _string,
    "boolean": _boolean,
    "date": _temporal,
    "date-time": _temporal,
}


def _array(fld: Field, value: Any, key: str, errors: Errors) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        errors.setdefault(key, []).append(("type_array", {"field": display(fld.name)}))
        return None
    if len(value) < fld.min_items:
        errors.setdefault(key, []).append(
            ("min_items", {"field": display(fld.name), "limit": fld.min_items})
        )
    if fld.max_items is not None and len(value) > fld.max_items:
        errors.setdefault(key, []).append(
            ("max_items", {"field": display(fld.name), "limit": fld.max_items})
        )
    assert fld.items is not None
    return [_item(fld.items, item, f"{key}[{index}]", errors) for index, item in enumerate(value)]


def _envelope(fld: Field, value: Any, key: str, errors: Errors) -> list[dict[str, Any]] | None:
    """Check ``{"_data": [...], "_meta": {...}}`` and return the lines (``_meta`` is ignored)."""
    if not isinstance(value, dict):
        code = "bare_list" if isinstance(value, list) else "type_envelope"
        errors.setdefault(key, []).append((code, {"field": display(fld.name)}))
        return None
    for extra in value.keys() - {"_data", "_meta"}:
        errors.setdefault(f"{key}.{extra}", []).append(("unknown_field", {"field": extra}))
    meta = value.get("_meta")
    if meta is not None and not isinstance(meta, dict):
        errors.setdefault(f"{key}._meta", []).append(("type_object", {"field": f"{key}._meta"}))
    if value.get("_data") is None:
        errors.setdefault(f"{key}._data", []).append(("required", {"field": f"{key}._data"}))
        return None
    return _array(fld, value["_data"], f"{key}._data", errors)


def _item(schema: ObjectSchema, value: Any, key: str, errors: Errors) -> dict[str, Any]:
    if not isinstance(value, dict):
        errors.setdefault(key, []).append(("type_object", {"field": key}))
        return {}
    return check_object(schema, value, "create", errors, prefix=key + ".")


def _value(fld: Field, value: Any, key: str, errors: Errors) -> Any:
    if value is None:
        if fld.nullable:
            return None
        code = "required" if fld.required else "not_null"
        errors.setdefault(key, []).append((code, {"field": display(fld.name)}))
        return None
    if fld.kind == "array":
        return _array(fld, value, key, errors)
    if fld.kind == "envelope":
        return _envelope(fld, value, key, errors)
    try:
        return _COERCE[fld.kind](fld, value)
    except InvalidValue as exc:
        errors.setdefault(key, []).append(exc.problem)
        return None


def _refuse_extra(
    schema: ObjectSchema, body: Mapping[str, Any], prefix: str, errors: Errors
) -> None:
    for key in body:
        fld = schema.fields.get(key)
        if key == "_meta" or (fld is not None and fld.read_only):
            errors.setdefault(prefix + key, []).append(("read_only", {"field": display(key)}))
        elif fld is None:
            errors.setdefault(prefix + key, []).append(("unknown_field", {"field": display(key)}))


def check_object(
    schema: ObjectSchema, body: Mapping[str, Any], mode: str, errors: Errors, prefix: str = ""
) -> dict[str, Any]:
    """Validate ``body`` for ``mode`` (create, replace or patch); return the clean values.

    Problems are added to ``errors`` keyed by the API field path (``lines[0].quantity``).
    """
    _refuse_extra(schema, body, prefix, errors)
    clean: dict[str, Any] = {}
    for name, fld in schema.fields.items():
        if fld.read_only:
            continue
        if name in body:
            clean[name] = _value(fld, body[name], prefix + name, errors)
        elif mode != "patch":
            if fld.required:
                errors.setdefault(prefix + name, []).append(("required", {"field": display(name)}))
            clean[name] = fld.default
    return clean


def parse_query_value(fld: Field, text: str) -> Any:
    """Turn a filter value from the query string into the field's stored form."""
    kind = fld.kind
    if kind == "integer":
        if not _INTEGER.fullmatch(text) or not INT32_MIN <= int(text) <= INT32_MAX:
            raise ValueError(text)
        if fld.enum is not None and int(text) not in fld.enum:
            raise ValueError(text)
        return int(text)
    if kind == "number":
        if not _NUMBER.fullmatch(text):
            raise ValueError(text)
        return Decimal(text)
    if kind == "boolean":
        return _BOOLEANS[text.lower()]  # KeyError is a LookupError; see below
    if kind == "date":
        return parse_date(text, lenient=True)
    if kind == "date-time":
        return parse_datetime(text.strip())
    if fld.enum is not None and text not in fld.enum:
        raise ValueError(text)
    return text
