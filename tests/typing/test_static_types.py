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
import zipfile
from pathlib import Path

import pytest

from asperion_orm import inspectapi

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


def test_a_wheel_install_is_typed_for_checkers(tmp_path: Path) -> None:
    """Install the built wheel (not editable) into a fresh environment and check against it.

    The environment borrows the dependencies of this one through a path entry, which leaves
    this one's own (editable) entry for the package out, so only the wheel's copy is seen.
    """
    root = Path(__file__).parents[2]
    build = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "-w",
        str(tmp_path),
        str(root),
    ]
    subprocess.run(build, check=True, capture_output=True)
    (wheel,) = tmp_path.glob("asperion_orm-*.whl")
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    site = Path(_run(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])"))
    zipfile.ZipFile(wheel).extractall(site)
    deps = _run(Path(sys.executable), "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (site / "dependencies.pth").write_text(deps + "\n")
    where = _run(python, "import asperion_orm; print(asperion_orm.__file__)")
    assert where.startswith(str(site)), where  # the wheel's copy, not the source tree

    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    command += ["--python-executable", str(python), str(CASES / "usage.py")]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    command = [str(BIN / "pyright"), "--pythonpath", str(python), str(CASES / "usage.py")]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def _run(python: Path, code: str) -> str:
    """Run ``code`` outside the repository (``-c`` puts the working directory on the path)."""
    done = subprocess.run(
        [str(python), "-c", code], cwd="/", capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.parametrize("checker", [mypy, pyright], ids=["mypy", "pyright"])
def test_generated_models_check_cleanly(checker: object, tmp_path: Path) -> None:
    """``asperion inspectapi`` annotates the fields it writes, so its module checks too."""
    assert callable(checker)
    spec = Path(inspectapi.__file__).parent / "testing" / "emulator" / "openapi.json"
    module = tmp_path / "generated_models.py"
    module.write_text(inspectapi.generate(inspectapi.parse(spec.read_text())))
    assert ": fields.ForeignKey[" in module.read_text()
    assert checker(module, tmp_path) == []
