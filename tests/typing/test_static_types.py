"""Type checkers see precise types: mypy --strict and pyright, run as a user's project would.

The checkers run from a directory outside the repository, so they see the package as it is
installed (``make`` installs it so that they can, see the Makefile), not as a source tree.
``cases/usage.py`` must check cleanly; in ``cases/mistakes.py`` every line marked
``# error`` must be reported, and nothing else.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "cases"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def mypy(path: Path, cwd: Path) -> list[int]:
    """Return the lines of ``path`` mypy --strict reports an error on."""
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)]
    out = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False).stdout
    return _lines(out, rf"^{re.escape(str(path))}:(\d+): error:")


def pyright(path: Path, cwd: Path) -> list[int]:
    """Return the lines of ``path`` pyright reports an error on."""
    command = [str(BIN / "pyright"), "--pythonpath", sys.executable, str(path)]
    out = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False).stdout
    assert "error" in out or "0 errors" in out, out
    return _lines(out, rf"^\s*{re.escape(str(path))}:(\d+):\d+ - error:")


def _lines(output: str, pattern: str) -> list[int]:
    return sorted({int(m.group(1)) for m in re.finditer(pattern, output, re.MULTILINE)})


def marked(path: Path) -> list[int]:
    """Return the lines marked ``# error`` in ``path``."""
    lines = path.read_text().splitlines()
    return [number for number, line in enumerate(lines, 1) if "  # error:" in line]


@pytest.mark.parametrize("checker", [mypy, pyright], ids=["mypy", "pyright"])
def test_usage_checks_cleanly(checker: object, tmp_path: Path) -> None:
    assert callable(checker)
    assert checker(CASES / "usage.py", tmp_path) == []


@pytest.mark.parametrize("checker", [mypy, pyright], ids=["mypy", "pyright"])
def test_every_mistake_is_reported(checker: object, tmp_path: Path) -> None:
    assert callable(checker)
    expected = marked(CASES / "mistakes.py")
    assert len(expected) == 16
    assert checker(CASES / "mistakes.py", tmp_path) == expected
