"""The ``asperion`` entry point: exit codes and where it keeps its files."""

from __future__ import annotations

from pathlib import Path

import pytest

from asperion_orm.cli import config_dir, main


def test_config_dir_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_dir() == tmp_path / "asperion"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_dir() == tmp_path / "home" / ".config" / "asperion"


def test_main_returns_exit_codes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["--version"]) == 0
    assert main(["tenants"]) == 1
    assert capsys.readouterr().err == "Error: No token is stored yet; run `asperion login` first.\n"
    assert main(["get", "debtors", "--format", "xml"]) == 2
    assert main(["nonsense"]) == 2


def test_usage_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["get", "debtors", "--format", "xml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: Invalid value for '--format': 'xml' is not one of")
    assert err.count("\n") == 1
