"""The lookup table in docs/querying.md is the one the lookup registry describes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from asperion_orm.orm.lookups import EQUAL, LOOKUPS, Lookup
from asperion_orm.orm.planner import plan
from asperion_orm.resources import Debtor

from .snippets import DOCS

SAMPLES: dict[str, Any] = {"in": [1, 2], "range": (1, 9)}
TEXT_SAMPLE = "bv"
HEADER = "| lookup | example | sent to the server as | evaluated by |\n|---|---|---|---|"


def _example(name: str) -> tuple[str, Lookup]:
    """Return the keyword example of a lookup and the compiled lookup."""
    cls = LOOKUPS[name]
    if name == "isnull":
        field, value = Debtor._meta.get_field("city"), True
    elif cls.server:
        field, value = Debtor._meta.get_field("id"), SAMPLES.get(name, 5)
    else:
        field, value = Debtor._meta.get_field("name"), TEXT_SAMPLE
    return f"{field.name}__{name}={value!r}", cls(field, value)


def _evaluated_by(cls: type[Lookup]) -> str:
    if not cls.server:
        return "the library, over the streamed pages"
    kind = "filterable" if cls.server == (EQUAL,) else "range-filterable"
    if not cls.exact_on_server:
        return (
            f"the server ({kind} integer, decimal, date and datetime fields); on other {kind} "
            "fields the server narrows and the library re-checks"
        )
    return f"the server ({kind} fields); otherwise the library"


def lookup_table() -> str:
    """Return the Markdown table of every registered lookup."""
    rows = [HEADER]
    for name in LOOKUPS:
        keyword, lookup = _example(name)
        planned = plan(Debtor.objects.filter(**{keyword.split("=")[0]: lookup.value}).query)
        filters = [(k, v) for k, v in planned.params if k not in ("page", "pageSize")]
        sent = f"`{urlencode(filters)}`" if filters else "(nothing)"
        if planned.verify:
            by = (
                "the server narrows (filterable text fields, with `_comparison`) and the "
                "library verifies every row; otherwise the library"
            )
        elif planned.local:
            by = "the library, over the streamed pages"
        else:
            by = _evaluated_by(type(lookup))
        rows.append(f"| `{name}` | `{keyword}` | {sent} | {by} |")
    return "\n".join(rows)


def test_the_querying_page_has_the_lookup_table() -> None:
    page = (DOCS / "querying.md").read_text(encoding="utf-8")
    assert lookup_table() in page, "update docs/querying.md with:\n" + lookup_table()
