"""Every ```python block in docs/ runs against the sandbox, page by page, top to bottom.

The blocks of one page share a namespace that starts with ``client`` (logged in through the
code flow), ``tenant`` (a fresh administration), ``sandbox`` and ``tmp_path``. A block that
cannot run here (real hosts, a web framework) is marked with ``<!-- skip -->`` on the line
before its fence.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from asperion_orm.orm.planner import LocalEvaluationWarning
from asperion_orm.testing import Sandbox

from .snippets import DOCS, blocks, pages, python_blocks


def _page_id(path: Path) -> str:
    return str(path.relative_to(DOCS))


@pytest.mark.parametrize("page", pages(), ids=_page_id)
def test_page_code_runs(page: Path, private_sandbox: Sandbox, tmp_path: Path) -> None:
    tenant = private_sandbox.add_administration(records={"debtors": 150, "salesinvoices": 20})
    with private_sandbox.client() as client:
        namespace: dict[str, Any] = {
            "__name__": f"docs_{page.stem}",
            "client": client,
            "tenant": tenant,
            "sandbox": private_sandbox,
            "tmp_path": tmp_path,
        }
        for block in python_blocks(page):
            code = compile(block.code, str(block), "exec")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LocalEvaluationWarning)
                exec(code, namespace)


def test_every_page_is_in_the_nav() -> None:
    nav = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    missing = [
        str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if str(p.relative_to(DOCS)) not in nav
    ]
    assert missing == []


def test_skip_marks_are_seen() -> None:
    quickstart = [b for b in blocks(DOCS / "quickstart.md") if "--8<--" in b.code]
    assert quickstart and all(b.skipped for b in quickstart)
