"""The documentation site builds with ``mkdocs build --strict`` (broken links fail it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .snippets import DOCS


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=DOCS.parent, capture_output=True, text=True, timeout=240, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "querying" / "index.html").exists()
    reference = (tmp_path / "reference" / "resources" / "index.html").read_text(encoding="utf-8")
    assert "Debtor" in reference
    quickstart = (tmp_path / "quickstart" / "index.html").read_text(encoding="utf-8")
    assert "Walk through the basics" in quickstart  # examples/quickstart.py was included
