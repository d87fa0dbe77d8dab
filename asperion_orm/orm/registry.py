"""The model registry: model classes by module and name, so ``ForeignKey("Debtor")`` resolves late.

Connecting a foreign key to its target also installs the reverse accessor (``related_name``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asperion_orm.orm.fields import ForeignKey
from asperion_orm.orm.manager import ReverseAccessor

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model

__all__ = ["Registry", "registry"]


class Registry:
    """Model classes by module and name, so ``ForeignKey("Debtor")`` can resolve late."""

    def __init__(self) -> None:
        self.models: dict[tuple[str, str], type[Model]] = {}
        self.pending: dict[tuple[str, str], list[ForeignKey]] = {}

    def register(self, model: type[Model]) -> None:
        """Add ``model``, resolve references waiting for it and queue its own."""
        key = (model.__module__, model.__name__)
        self.models[key] = model
        for field in self.pending.pop(key, []):
            _connect(field, model)
        for own in model._meta.fields.values():
            if isinstance(own, ForeignKey) and own.model is model:
                self._resolve(own)

    def _resolve(self, field: ForeignKey) -> None:
        if not isinstance(field.to, str):
            _connect(field, field.to)
            return
        assert field.model is not None
        module, _, name = field.to.rpartition(".")
        key = (module or field.model.__module__, name)
        if key in self.models:
            _connect(field, self.models[key])
        else:
            self.pending.setdefault(key, []).append(field)


def _connect(field: ForeignKey, target: type[Model]) -> None:
    field.to = target
    if field.related_name:
        target._meta.related_objects[field.related_name] = field
        setattr(target, field.related_name, ReverseAccessor(field))


registry = Registry()
