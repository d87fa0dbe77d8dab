"""Model metadata: the ``_meta`` object, built once per model class from its ``Meta``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from asperion_orm.exceptions import ConfigurationError, FieldError, ValidationError
from asperion_orm.orm.fields import Field, ForeignKey, Integer

if TYPE_CHECKING:
    from asperion_orm.orm.manager import BaseManager
    from asperion_orm.orm.model import Model

__all__ = ["Options"]

DEFAULT_MAX_PAGE_SIZE = 100
META_OPTIONS = frozenset(
    {
        "path",
        "read_only",
        "create_only",
        "append_only",
        "base_manager_name",
        "ordering",
        "max_page_size",
        "default_filters",
        "filterable",
        "range_filterable",
        "invalidates",
        "get_latest_by",
        "unique",
    }
)


class Options:
    """What the library knows about one model: fields, API path and server capabilities.

    ``filterable`` fields take ``field=value`` (repeated for OR) on the server;
    ``range_filterable`` fields also take ``<apiName>_from`` / ``<apiName>_to``. What the API
    allows: ``read_only`` (lists and reads), ``create_only`` (POST, nothing else) or
    ``append_only`` (lists, reads and POST; an object is never changed or deleted).
    ``invalidates`` names the other resources (API paths) a write to this model may change on
    the server, such as the stock of the articles on a sales order: every write evicts their
    cached answers too. ``get_latest_by`` names the field (or fields) ``latest()`` and
    ``earliest()`` order by when given none; ``unique`` names the fields besides ``id`` whose
    values the API keeps unique (``in_bulk(field_name=...)`` accepts them).
    """

    def __init__(self, model: type[Model], meta: type | None) -> None:
        options = {k: v for k, v in vars(meta).items() if not k.startswith("_")} if meta else {}
        if unknown := set(options) - META_OPTIONS:
            raise ConfigurationError(f"{model.__name__}.Meta has unknown options {sorted(unknown)}")
        self.model = model
        self.path: str | None = options.get("path")
        self.read_only: bool = options.get("read_only", False)
        self.create_only: bool = options.get("create_only", False)
        self.append_only: bool = options.get("append_only", False)
        self.base_manager_name: str | None = options.get("base_manager_name")
        # Filled by the manager module when the class is created (``contribute_managers``).
        self.managers: dict[str, BaseManager[Any]] = {}
        self.base_manager: BaseManager[Any]
        self.max_page_size: int = options.get("max_page_size", DEFAULT_MAX_PAGE_SIZE)
        self.default_filters: Mapping[str, Any] = dict(options.get("default_filters", {}))
        self.fields: dict[str, Field[Any]] = _collect_fields(model)
        self.ordering: tuple[str, ...] = tuple(options.get("ordering", ()))
        self._names(name.lstrip("-") for name in self.ordering)
        self.pk: Field[Any] = self.fields.get("id") or _implicit_id(model)
        self.filterable = self._names(options.get("filterable", ("id",) if self.path else ()))
        self.range_filterable = self._names(options.get("range_filterable", ()))
        self.related_objects: dict[str, ForeignKey] = {}
        self.invalidates = _resources(model, options.get("invalidates", ()))
        latest = options.get("get_latest_by")
        self.get_latest_by: tuple[str, ...] | None = (
            None if latest is None else (latest,) if isinstance(latest, str) else tuple(latest)
        )
        self.unique = self._names(options.get("unique", ()))

    def __repr__(self) -> str:
        return f"<Options for {self.model.__name__}>"

    @property
    def default_manager(self) -> BaseManager[Any]:
        """Return the first manager declared (Django's ``_default_manager``)."""
        return next(iter(self.managers.values()))

    @property
    def label(self) -> str:
        """Return the model's name, as used in messages."""
        return self.model.__name__

    def get_field(self, name: str) -> Field[Any]:
        """Return the field called ``name`` (or ``pk``, or a foreign key's ``<name>_id``)."""
        if name == "pk":
            name = "id"
        field = self.fields.get(name) or self._by_attname().get(name)
        if field is None:
            raise FieldError(
                f"Cannot resolve keyword {name!r} into field of {self.label}. "
                f"Choices are: {', '.join(self.choices(name))}."
            )
        return field

    def has_field(self, name: str) -> bool:
        """Return whether ``name`` is a field (or a foreign key's ``<name>_id``)."""
        return name in self.fields or name in self._by_attname()

    def choices(self, near: str) -> list[str]:
        """Return the valid field names, the closest to ``near`` first."""
        names = sorted({*self.fields, *self._by_attname()})
        import difflib  # only for this message: it costs more to import than to use

        close = difflib.get_close_matches(near, names, n=3)
        return close + [name for name in names if name not in close]

    def field_for_api_name(self, api_name: str) -> Field[Any] | None:
        """Return the field stored under ``api_name`` (case-insensitive), if any."""
        wanted = api_name.lower()
        return next((f for f in self.fields.values() if f.api_name.lower() == wanted), None)

    def writable_fields(self) -> list[Field[Any]]:
        """Return the fields a write may send."""
        return [field for field in self.fields.values() if not field.read_only]

    def check_settable(self, names: Iterable[str]) -> None:
        """Raise ``ValidationError`` naming every field in ``names`` that the API sets itself.

        For the values a caller hands to a constructor, ``create()`` or ``update()``.
        """
        if read_only := [name for name in names if self.get_field(name).read_only]:
            message = "This field is read-only: the API sets it, so leave it out."
            raise ValidationError({name: [message] for name in read_only})

    # -- what the API allows ------------------------------------------------------------------

    def check_readable(self) -> None:
        """Refuse reads of a create-only resource, before any request."""
        if self.create_only:
            raise ConfigurationError(
                f"{self.label} is create-only: the API accepts POST only, so it cannot be "
                "listed or read."
            )

    def check_writable(self, *, adding: bool = False) -> None:
        """Refuse writes the API does not allow; a create-only resource accepts new objects."""
        if self.read_only:
            raise ConfigurationError(f"{self.label} is read-only: the API refuses writes to it.")
        if self.create_only and not adding:
            raise ConfigurationError(
                f"{self.label} is create-only: the API accepts POST only, so an object cannot "
                "be changed or deleted."
            )
        if self.append_only and not adding:
            raise ConfigurationError(
                f"{self.label} is append-only: the API creates and reads them, but an object "
                "cannot be changed or deleted."
            )
        self.check_path()

    def check_path(self) -> str:
        """Return the API path, or raise when the model has none (an embedded object)."""
        if not self.path:
            raise ConfigurationError(f"{self.label} has no Meta.path: it cannot be queried.")
        return self.path

    def _names(self, names: Iterable[str]) -> frozenset[str]:
        return frozenset(self.get_field(name).name for name in names)

    def _by_attname(self) -> dict[str, Field[Any]]:
        return {f.attname: f for f in self.fields.values() if f.attname != f.name}


def _resources(model: type[Model], names: Any) -> tuple[str, ...]:
    """Return ``Meta.invalidates`` as a tuple of API paths, or say what is wrong with it."""
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise ConfigurationError(
            f"{model.__name__}.Meta.invalidates is a list of API paths, such as ['articles'], "
            f"not {names!r:.60}."
        )
    paths: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name.strip("/") or any(c in name for c in "?# "):
            raise ConfigurationError(
                f"{model.__name__}.Meta.invalidates: {name!r:.60} is not an API path."
            )
        paths.append(name)
    return tuple(paths)


def _collect_fields(model: type[Model]) -> dict[str, Field[Any]]:
    found: dict[str, Field[Any]] = {}
    for klass in reversed(model.__mro__):
        found.update({k: v for k, v in vars(klass).items() if isinstance(v, Field)})
    return found


def _implicit_id(model: type[Model]) -> Field[Any]:
    """Return an ``id`` field for models that do not declare one (embedded objects)."""
    field = Integer(read_only=True)
    field.__set_name__(model, "id")
    return field
