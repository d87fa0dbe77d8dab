"""The README's tour runs as written (a new user pastes it into a file and runs it)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .snippets import DOCS

README = DOCS.parent / "README.md"
_TOUR = re.compile(r"^## [^\n]*\btour\b[^\n]*\n(?P<body>.*?)(?=^## |\Z)", re.I | re.M | re.S)
_PYTHON = re.compile(r"^```python\n(?P<code>.*?)^```", re.M | re.S)


def tour_code() -> str | None:
    """Return the Python code of the README's tour section, if it has one."""
    section = _TOUR.search(README.read_text(encoding="utf-8"))
    if section is None:
        return None
    return "\n".join(m.group("code") for m in _PYTHON.finditer(section.group("body")))


def test_the_readme_tour_runs(tmp_path: Path) -> None:
    code = tour_code()
    if not code:
        pytest.skip("README.md has no tour section yet")
    script = tmp_path / "tour.py"
    script.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()
