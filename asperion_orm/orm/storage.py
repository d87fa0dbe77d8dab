"""``Stored``: how a model instance keeps its row; ``ModelState``, Django's view of it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from asperion_orm.session import Session

__all__ = ["ModelState", "Stored", "json_copy"]

_NONE: frozenset[str] = frozenset()
_CONTAINERS = (dict, list)


def json_copy(value: Any) -> Any:
    """Return decoded JSON with every dict and list in it new (the other values are immutable)."""
    if type(value) is dict:
        return {k: json_copy(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if type(value) is list:
        return [json_copy(v) if type(v) in _CONTAINERS else v for v in value]
    return value


class Stored:
    """An instance's storage, in slots: one object per row, with no ``__dict__`` made for it.

    ``_raw`` is the API row itself, never copied on load: a field reads it directly, and only
    values that a conversion made (a ``Decimal``, a datetime, nested objects) are kept, in
    ``_values``. ``_values``, ``_changed`` and ``_related`` stay ``None`` until something
    needs them, as most loaded instances are only read. The row may be shared with others (a
    cache), so it is copied before the instance first changes it (``_owned_raw``).
    """

    __slots__ = (
        "_adding",
        "_changed",
        "_deferred",
        "_raw",
        "_related",
        "_session",
        "_shared",
        "_tenant",
        "_values",
    )

    _adding: bool
    _changed: set[str] | None
    # Fields left out by only()/defer(): the first read of one loads them all.
    _deferred: frozenset[str]
    _raw: dict[str, Any]
    _related: dict[str, Any] | None
    _session: Session | None
    _shared: bool
    # The administration the object came from; kept when a pickle drops the session.
    _tenant: int | None
    _values: dict[str, Any] | None

    def _start(
        self, raw: dict[str, Any], session: Session | None, *, adding: bool = False,
        shared: bool = False,
    ) -> None:  # fmt: skip
        """Set every slot: the instance holds ``raw``, and nothing else is made yet."""
        self._raw = raw
        self._shared = shared
        self._session = session
        self._tenant = None if session is None else session.tenant
        self._adding = adding
        self._values = None
        self._changed = None
        self._related = None
        self._deferred = _NONE

    @classmethod
    def _shared_rows(
        cls, rows: Iterable[dict[str, Any]], session: Session | None
    ) -> Iterator[Self]:
        """Yield an instance per row, each as ``_start(raw, session, shared=True)`` sets it.

        The slots are set here rather than by a call per row: a QuerySet's rows become
        instances in this loop (a cached repeat's most frequent step).
        """
        new, tenant = cls.__new__, None if session is None else session.tenant
        for raw in rows:
            instance = new(cls)
            instance._raw = raw
            instance._shared = True
            instance._session = session
            instance._tenant = tenant
            instance._adding = False
            instance._values = None
            instance._changed = None
            instance._related = None
            instance._deferred = _NONE
            yield instance

    def _owned_raw(self) -> dict[str, Any]:
        """Return the raw row to change, copied first if others may hold it (copy-on-write).

        The copy is whole (the dicts and lists in it too): the row is the instance's own after
        this, and it may be handed out (``_state.raw``).
        """
        if self._shared:
            self._raw = json_copy(self._raw)
            self._shared = False
        return self._raw

    def _raw_value(self, name: str) -> Any:
        """Return the row's value under ``name``, from a row of the instance's own if a dict or
        list: a nested value becomes part of what the caller holds (a ``Field`` without
        conversion returns it as it is), so it must never be a shared row's."""
        value = self._raw.get(name)
        if self._shared and type(value) in _CONTAINERS:
            return self._owned_raw().get(name)
        return value

    def _related_cache(self) -> dict[str, Any]:
        """Return the related objects loaded so far, by foreign key (or reverse) name."""
        if self._related is None:
            self._related = {}
        return self._related


class ModelState:
    """Django's ``instance._state``: a view of an instance's bookkeeping, made when asked for.

    ``adding`` tells a new object from a loaded one; ``session`` and ``tenant`` say where it
    came from. The bookkeeping itself lives in the instance (``Stored``).
    """

    __slots__ = ("_instance",)

    def __init__(self, instance: Stored) -> None:
        self._instance = instance

    @property
    def adding(self) -> bool:
        """Return whether the object is new (not saved yet)."""
        return self._instance._adding

    @adding.setter
    def adding(self, value: bool) -> None:
        self._instance._adding = value

    @property
    def session(self) -> Session | None:
        """Return the session the object was loaded or saved through (``None`` once pickled)."""
        return self._instance._session

    @property
    def tenant(self) -> int | None:
        """Return the administration the object belongs to, if it came from one."""
        return self._instance._tenant

    @property
    def raw(self) -> Mapping[str, Any]:
        """Return the API row the object was loaded from (the instance's own copy of it)."""
        return self._instance._owned_raw()

    @property
    def deferred(self) -> frozenset[str]:
        """Return the names of the fields not loaded yet."""
        return self._instance._deferred

    @property
    def changed(self) -> frozenset[str]:
        """Return the names of the fields assigned since loading (or since creation)."""
        return frozenset(self._instance._changed or ())
