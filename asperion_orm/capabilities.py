"""What the library assumes about the server, in one object with safe defaults.

The planner reads it to decide what the server may answer and what the client verifies; the
client reads the tenant header from it. ``asperion probe`` measures the values against a real
sandbox and writes them to a JSON file that ``Client(capabilities="file.json")`` loads.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from asperion_orm._files import write_atomic
from asperion_orm.exceptions import ConfigurationError

__all__ = ["DEFAULT_CAPABILITIES", "TEXT_DEFAULTS", "Capabilities"]

TEXT_DEFAULTS = ("contains", "equals")
_FORMAT = 1


@dataclass(frozen=True)
class Capabilities:
    """The server's behaviour as far as queries and sessions depend on it.

    ``text_comparison``: text filters take ``<Field>_comparison`` (``Equals``, ``Contains``,
    ``StartsWith``, ``EndsWith``, ``NotEquals``). ``text_default``: what a text filter without
    it does (``"contains"`` on the live API). ``text_case_sensitive``: whether text comparisons
    respect case; ``None`` means unknown, so every text filter the server answers is verified
    here. ``evidence`` keeps what a probe saw for each value (request and answer).
    """

    tenant_header: str = "X-Tenant-Id"
    max_page_size: int = 100
    multi_field_order_by: bool = False
    range_filters: bool = True
    text_comparison: bool = True
    text_default: str = "contains"
    text_case_sensitive: bool | None = None
    max_url_bytes: int = 2000
    pkce_required: bool | None = None
    refresh_token_rotation: bool | None = None
    base_url: str | None = None
    evidence: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        _check(self, "<Capabilities(...)>")

    @property
    def text_exact(self) -> bool:
        """Tell whether a text equality the server answers is exactly Django's ``exact``."""
        equals = self.text_comparison or self.text_default == "equals"
        return equals and self.text_case_sensitive is True

    # -- the capabilities file -------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form written by ``asperion probe``."""
        return {"format": _FORMAT, **dataclasses.asdict(self), "evidence": dict(self.evidence)}

    @classmethod
    def from_json(cls, data: Any, source: str = "<capabilities>") -> Self:
        """Build capabilities from their JSON form, naming ``source`` and the key on error."""
        if not isinstance(data, dict):
            raise ConfigurationError(f"{source}: expected a JSON object of capabilities.")
        if data.get("format", _FORMAT) != _FORMAT:
            raise ConfigurationError(
                f"{source}: key 'format' is {data.get('format')!r}; this version reads format "
                f"{_FORMAT}. Run `asperion probe` again."
            )
        names = {f.name for f in dataclasses.fields(cls)}
        if unknown := sorted(set(data) - names - {"format"}):
            raise ConfigurationError(
                f"{source}: unknown key {unknown[0]!r}; known keys are {', '.join(sorted(names))}."
            )
        values = {key: value for key, value in data.items() if key != "format"}
        try:
            return cls(**values)
        except ConfigurationError as exc:
            raise ConfigurationError(str(exc).replace("<Capabilities(...)>", source)) from None

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a capabilities file written by ``asperion probe``."""
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"{source}: cannot read the capabilities file ({exc.strerror or exc})."
            ) from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(f"{source}: not valid JSON ({exc}).") from None
        return cls.from_json(data, source)

    def save(self, path: str | Path) -> None:
        """Write the capabilities file (atomically)."""
        write_atomic(Path(path), json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n")


_TYPES: dict[str, tuple[type, ...]] = {
    "tenant_header": (str,),
    "max_page_size": (int,),
    "multi_field_order_by": (bool,),
    "range_filters": (bool,),
    "text_comparison": (bool,),
    "text_default": (str,),
    "text_case_sensitive": (bool, type(None)),
    "max_url_bytes": (int,),
    "pkce_required": (bool, type(None)),
    "refresh_token_rotation": (bool, type(None)),
    "base_url": (str, type(None)),
    "evidence": (Mapping,),
}


def _check(caps: Capabilities, source: str) -> None:
    """Refuse values that cannot work, naming the key and what it takes."""
    for key, types in _TYPES.items():
        value = getattr(caps, key)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            expected = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise ConfigurationError(f"{source}: key {key!r} takes {expected}, not {value!r:.60}.")
    if caps.text_default not in TEXT_DEFAULTS:
        raise ConfigurationError(
            f"{source}: key 'text_default' is {caps.text_default!r}; use one of "
            f"{', '.join(TEXT_DEFAULTS)}."
        )
    if not 1 <= caps.max_page_size <= 10_000:
        raise ConfigurationError(f"{source}: key 'max_page_size' must be between 1 and 10000.")
    if caps.max_url_bytes < 256:
        raise ConfigurationError(f"{source}: key 'max_url_bytes' must be at least 256.")
    header = caps.tenant_header
    if not header or any(c in header for c in ":\r\n "):
        raise ConfigurationError(f"{source}: key 'tenant_header' is not a header name.")


DEFAULT_CAPABILITIES = Capabilities()
